import { useEffect, useState } from 'react';
import type { Problem, SettingsView } from '../common/bridge.js';
import { ErrorBoundary } from './components/error-boundary.js';
import { ProblemView } from './components/problem-view.js';
import { StatusBanner } from './components/status-banner.js';
import { asProblem, call, vitrine } from './lib/bridge.js';
import { OrdersPage } from './pages/orders-page.js';
import { ProductsPage } from './pages/products-page.js';
import { PublishPage } from './pages/publish-page.js';
import { SettingsPage } from './pages/settings-page.js';

type Tab = 'products' | 'orders' | 'publish' | 'settings';
const TABS: [Tab, string][] = [
  ['products', 'Products'],
  ['orders', 'Orders'],
  ['publish', 'Publish'],
  ['settings', 'Settings'],
];

export function App() {
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [tab, setTab] = useState<Tab>('products');

  useEffect(() => {
    call(vitrine().settingsGet())
      .then(setSettings)
      .catch((error: unknown) => setProblem(asProblem(error, 'Reading the settings')));
  }, []);

  if (problem) {
    return (
      <main className="setup">
        <ProblemView problem={problem} />
      </main>
    );
  }
  if (!settings) return <main className="setup muted">Starting…</main>;
  if (!settings.configured) {
    return (
      <main>
        <ErrorBoundary area="settings">
          <SettingsPage settings={settings} onChange={setSettings} firstRun />
        </ErrorBoundary>
      </main>
    );
  }

  return (
    <div className="shell">
      <header className="top">
        <span className="brand">Vitrine Admin</span>
        <nav aria-label="Sections">
          {TABS.map(([id, label]) => (
            <button
              key={id}
              type="button"
              className={tab === id ? 'tab active' : 'tab'}
              aria-current={tab === id ? 'page' : undefined}
              onClick={() => setTab(id)}
            >
              {label}
            </button>
          ))}
        </nav>
        <span className="server" title="Server">
          {settings.serverUrl}
          {settings.tokenStorage === 'session' && ' · token for this session only'}
        </span>
      </header>
      <StatusBanner />
      <main>
        <ErrorBoundary key={tab} area={tab}>
          {tab === 'products' && <ProductsPage />}
          {tab === 'orders' && <OrdersPage />}
          {tab === 'publish' && <PublishPage />}
          {tab === 'settings' && (
            <SettingsPage settings={settings} onChange={setSettings} firstRun={false} />
          )}
        </ErrorBoundary>
      </main>
    </div>
  );
}
