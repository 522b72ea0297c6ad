import { useCallback, useEffect, useState } from 'react';
import type { ServerStatus } from '../../common/bridge.js';
import { call, vitrine } from '../lib/bridge.js';

const CHECK_EVERY_MS = 10_000;

/**
 * Checks the server's health now and then and says so when it cannot be reached. The rest of
 * the app keeps working with what it has on screen.
 */
export function StatusBanner() {
  const [status, setStatus] = useState<ServerStatus | null>(null);

  const check = useCallback(async () => {
    try {
      setStatus(await call(vitrine().serverStatus()));
    } catch {
      setStatus({ reachable: false, serverUrl: null, checkedAt: new Date().toISOString() });
    }
  }, []);

  useEffect(() => {
    void check();
    const timer = window.setInterval(() => void check(), CHECK_EVERY_MS);
    return () => window.clearInterval(timer);
  }, [check]);

  if (!status || status.reachable || !status.serverUrl) {
    return <div className="status-ok" data-server={status?.reachable ? 'up' : 'unknown'} hidden />;
  }
  return (
    <div className="banner" role="status" data-server="down">
      <span>
        {status.problem?.cause ?? `Cannot reach the server at ${status.serverUrl}; is it running?`}{' '}
        {status.problem?.action}
      </span>
      <button type="button" onClick={() => void check()}>
        Check again
      </button>
    </div>
  );
}
