import { useCallback, useEffect, useRef, useState } from 'react';
import type { PublishState } from '@vitrine/shared';
import type { Problem } from '../../common/bridge.js';
import { ProblemView } from '../components/problem-view.js';
import { asProblem, call, vitrine } from '../lib/bridge.js';
import { dateTime } from '../lib/format.js';

const POLL_MS = 1_000;

/** Rebuilds the static store and follows the build until it succeeds or fails. */
export function PublishPage() {
  const [state, setState] = useState<PublishState | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [starting, setStarting] = useState(false);
  const [now, setNow] = useState(Date.now());
  const timer = useRef<number | null>(null);

  const refresh = useCallback(async () => {
    try {
      const next = await call(vitrine().publishStatus());
      setState(next);
      setProblem(null);
      return next;
    } catch (error) {
      setProblem(asProblem(error, 'Reading the publish status'));
      return null;
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  // Poll while a build runs.
  useEffect(() => {
    if (state?.state !== 'building') return;
    timer.current = window.setInterval(() => {
      setNow(Date.now());
      void refresh();
    }, POLL_MS);
    return () => {
      if (timer.current !== null) window.clearInterval(timer.current);
    };
  }, [state?.state, refresh]);

  const start = async () => {
    setStarting(true);
    try {
      setState(await call(vitrine().publishStart()));
      setProblem(null);
      await refresh();
    } catch (error) {
      setProblem(asProblem(error, 'Publishing the site'));
    } finally {
      setStarting(false);
    }
  };

  const building = state?.state === 'building';
  const elapsed =
    building && state?.startedAt
      ? Math.max(0, Math.round((now - Date.parse(state.startedAt)) / 1000))
      : null;

  return (
    <section className="page" aria-labelledby="publish-title">
      <h1 id="publish-title">Publish the store</h1>
      <p className="lead">
        Rebuilds the static site from the catalog and swaps it in when the build succeeds. The live
        site stays as it is until then.
      </p>
      <div className="actions">
        <button
          type="button"
          className="primary"
          onClick={() => void start()}
          disabled={building || starting}
        >
          {building ? 'Publishing…' : 'Publish now'}
        </button>
      </div>
      {building && (
        <div className="progress" data-testid="publish-progress">
          <div className="bar indeterminate" role="progressbar" aria-label="Publishing">
            <div className="fill" />
          </div>
          <span>
            Building{elapsed !== null ? ` for ${elapsed} s` : ''}…
            {(state as { queued?: boolean } | null)?.queued && ' Another build follows.'}
          </span>
        </div>
      )}
      {problem && <ProblemView problem={problem} />}
      {state && (
        <dl className="facts" data-testid="publish-state" data-state={state.state}>
          <div className="fact">
            <dt>State</dt>
            <dd>{state.state}</dd>
          </div>
          <div className="fact">
            <dt>Last started</dt>
            <dd>{dateTime(state.startedAt)}</dd>
          </div>
          <div className="fact">
            <dt>Last finished</dt>
            <dd>{dateTime(state.finishedAt)}</dd>
          </div>
          <div className="fact">
            <dt>Duration</dt>
            <dd>{state.durationMs !== null ? `${(state.durationMs / 1000).toFixed(1)} s` : '—'}</dd>
          </div>
          <div className="fact">
            <dt>Last success</dt>
            <dd>{dateTime(state.lastSuccessAt)}</dd>
          </div>
        </dl>
      )}
      {state?.state === 'failed' && state.lastError && (
        <ProblemView
          problem={{
            what: 'The last publish',
            cause: state.lastError,
            action: 'Fix the cause shown here (and in the log below), then publish again.',
            code: 'publish_failed',
          }}
        />
      )}
      {state?.log && (
        <details>
          <summary>Build log</summary>
          <pre className="log">{state.log}</pre>
        </details>
      )}
    </section>
  );
}
