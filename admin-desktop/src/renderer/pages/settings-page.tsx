import { useState, type FormEvent } from 'react';
import type { SettingsView } from '../../common/bridge.js';
import { ProblemView } from '../components/problem-view.js';
import { call, useAction, vitrine } from '../lib/bridge.js';

interface SettingsPageProps {
  settings: SettingsView;
  onChange: (settings: SettingsView) => void;
  /** First run: no server yet, so the page is the whole window. */
  firstRun: boolean;
}

/** Server address and admin token, checked against the server before they are kept. */
export function SettingsPage({ settings, onChange, firstRun }: SettingsPageProps) {
  const [serverUrl, setServerUrl] = useState(settings.serverUrl ?? 'http://127.0.0.1:3000');
  const [token, setToken] = useState('');
  const save = useAction('Connecting to the server', async () => {
    const next = await call(vitrine().settingsSave({ serverUrl, token }));
    setToken('');
    onChange(next);
    return next;
  });
  const forget = useAction('Signing out', async () => {
    const next = await call(vitrine().settingsForget());
    onChange(next);
    return next;
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save.run();
  };

  return (
    <section className={firstRun ? 'setup' : 'page'} aria-labelledby="settings-title">
      <h1 id="settings-title">{firstRun ? 'Connect to your Vitrine server' : 'Settings'}</h1>
      {firstRun && (
        <p className="lead">
          Enter the address of your store's server and its admin token. The server prints both on
          its first start; the token is <code>ADMIN_TOKEN</code>, or the one in{' '}
          <code>DATA_DIR/secrets.json</code>.
        </p>
      )}
      {!firstRun && (
        <dl className="facts">
          <dt>Server</dt>
          <dd data-testid="settings-server">{settings.serverUrl ?? 'not set'}</dd>
          <dt>Admin token</dt>
          <dd data-testid="token-storage">
            {settings.tokenStorage === 'encrypted'
              ? 'saved, encrypted by the system keychain'
              : settings.tokenStorage === 'session'
                ? 'kept for this session only'
                : 'not set'}
          </dd>
        </dl>
      )}
      {settings.storageNote && (
        <p className="note" role="note">
          {settings.storageNote}
        </p>
      )}
      <form onSubmit={submit} className="form narrow">
        <label>
          Server address
          <input
            name="serverUrl"
            type="url"
            required
            value={serverUrl}
            onChange={(event) => setServerUrl(event.target.value)}
            placeholder="https://shop.example.com"
            autoComplete="url"
          />
        </label>
        <label>
          Admin token
          <input
            name="token"
            type="password"
            required
            value={token}
            onChange={(event) => setToken(event.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <div className="actions">
          <button type="submit" className="primary" disabled={save.busy}>
            {save.busy ? 'Checking…' : firstRun ? 'Connect' : 'Check and save'}
          </button>
          {!firstRun && settings.tokenStorage !== 'none' && (
            <button type="button" onClick={() => void forget.run()} disabled={forget.busy}>
              Sign out and forget the token
            </button>
          )}
        </div>
      </form>
      {save.problem && <ProblemView problem={save.problem} />}
      {forget.problem && <ProblemView problem={forget.problem} />}
    </section>
  );
}
