import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = fs.existsSync(CHROMIUM_PATH);

const STANDIN = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'stripe-js-standin',
  'stripe.js',
);

/**
 * Headless Debian Chromium. WebGL runs on SwiftShader (the CPU), which is what makes the 3D
 * preview testable without a GPU. Playwright gives every launch a fresh temporary profile
 * (user-data-dir); the flags keep Chromium itself from calling home.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-domain-reliability',
      '--disable-features=Translate,OptimizationHints,MediaRouter',
    ],
  });
}

export interface GuardedContext {
  context: BrowserContext;
  /** Every request the pages made, in order. */
  requests: string[];
  /** Requests to any host but loopback (other than Stripe.js, served by the stand-in). They are aborted. */
  offOrigin: string[];
  /** Requests for Stripe.js, answered with the stand-in. */
  stripeJs: string[];
  /** Uncaught page errors and console errors. */
  pageErrors: string[];
  close(): Promise<void>;
}

function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}

/**
 * A browser context that lets pages talk to loopback only. `https://js.stripe.com/**` gets the
 * Stripe.js stand-in, pointed at the Stripe API fake; anything else is aborted and recorded,
 * and the tests assert that list is empty.
 */
export async function newGuardedContext(
  browser: Browser,
  options: {
    stripeApiBase?: string;
    /** `unreachable` aborts the Stripe.js request, as a blocker or an outage would. */
    stripeJs?: 'standin' | 'unreachable';
    contextOptions?: BrowserContextOptions;
  } = {},
): Promise<GuardedContext> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 720 },
    ...options.contextOptions,
  });
  const requests: string[] = [];
  const offOrigin: string[] = [];
  const stripeJs: string[] = [];
  const pageErrors: string[] = [];
  const standin = `window.__vitrineStripeFake = ${JSON.stringify({ apiBase: options.stripeApiBase ?? '' })};\n${fs.readFileSync(STANDIN, 'utf8')}`;

  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || isLoopback(url)) {
      await route.continue();
      return;
    }
    if (url.origin === 'https://js.stripe.com') {
      stripeJs.push(url.href);
      if (options.stripeJs === 'unreachable') {
        await route.abort('internetdisconnected');
        return;
      }
      await route.fulfill({ status: 200, contentType: 'text/javascript', body: standin });
      return;
    }
    offOrigin.push(url.href);
    await route.abort('blockedbyclient');
  });
  context.on('request', (request) => requests.push(request.url()));
  context.on('page', (page) => watchPage(page, pageErrors));

  return {
    context,
    requests,
    offOrigin,
    stripeJs,
    pageErrors,
    close: () => context.close(),
  };
}

function watchPage(page: Page, errors: string[]): void {
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
}

/** Resolves once the product viewer on the page fires its ready or error event; returns which. */
export async function waitForViewerEvent(
  page: Page,
  timeoutMs = 60_000,
): Promise<{ type: string; reason?: string }> {
  await page.waitForFunction(
    () => (window as unknown as { __viewerEvents?: unknown[] }).__viewerEvents?.length,
    undefined,
    {
      timeout: timeoutMs,
    },
  );
  return page.evaluate(
    () =>
      (window as unknown as { __viewerEvents: { type: string; reason?: string }[] })
        .__viewerEvents[0]!,
  );
}

/**
 * Records the viewer's `vitrine:viewer-ready` and `vitrine:viewer-error` events in the page.
 * Call before the viewer can fire (before scrolling it into view).
 */
export async function listenForViewerEvents(page: Page): Promise<void> {
  await page.evaluate(() => {
    const events: { type: string; reason?: string }[] = [];
    (window as unknown as { __viewerEvents: typeof events }).__viewerEvents = events;
    document.addEventListener('vitrine:viewer-ready', () => events.push({ type: 'ready' }));
    document.addEventListener('vitrine:viewer-error', (event) =>
      events.push({
        type: 'error',
        reason: (event as CustomEvent<{ reason: string }>).detail.reason,
      }),
    );
  });
}
