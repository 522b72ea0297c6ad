// The product-page JavaScript budget: what a shopper's browser downloads before the 3D preview
// is visible, and what the preview adds once it is scrolled into view. Sizes are gzip-compressed
// (what a compressing proxy or CDN would send), computed here from the bodies the page received.
// Speed goals live here, never in the test suite.
import zlib from 'node:zlib';

/** Gzip bytes allowed per phase. Raise them on purpose, in a commit that says why. */
export const BUDGET = {
  beforeVisible: 90 * 1024,
  afterVisible: 420 * 1024,
};

function isScript(response) {
  const type = response.headers()['content-type'] ?? '';
  return response.request().resourceType() === 'script' || /javascript/.test(type);
}

/**
 * Loads `url` in `page`, waits for the add-to-cart island to hydrate, then scrolls the viewer
 * into view and waits for its `vitrine:viewer-ready` event. Returns the scripts of each phase.
 */
export async function measureProductPage(page, url, { timeoutMs = 120_000 } = {}) {
  const scripts = [];
  let phase = 'beforeVisible';
  const pending = [];
  page.on('response', (response) => {
    if (!isScript(response)) return;
    const entry = { phase, url: response.url(), raw: 0, gzip: 0 };
    scripts.push(entry);
    pending.push(
      response
        .body()
        .then((body) => {
          entry.raw = body.length;
          entry.gzip = zlib.gzipSync(body, { level: 6 }).length;
        })
        .catch(() => {}),
    );
  });

  await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
  await page.locator('.add-to-cart[data-ready="true"]').waitFor({ timeout: timeoutMs });
  await page.waitForLoadState('networkidle');
  const viewerTop = await page.locator('.viewer').evaluate((el) => el.getBoundingClientRect().top);
  const viewport = page.viewportSize();
  if (viewport && viewerTop < viewport.height) {
    throw new Error(
      `the viewer is already in view (top ${viewerTop}px of ${viewport.height}px); use a shorter viewport`,
    );
  }
  await page.evaluate(() => {
    window.__viewerReady = new Promise((resolve, reject) => {
      document.addEventListener('vitrine:viewer-ready', () => resolve('ready'), { once: true });
      document.addEventListener(
        'vitrine:viewer-error',
        (e) => reject(new Error(`viewer error: ${e.detail?.reason}`)),
        { once: true },
      );
    });
  });

  phase = 'afterVisible';
  const started = Date.now();
  await page.locator('.viewer').scrollIntoViewIfNeeded();
  await page.evaluate(() => window.__viewerReady);
  const readyMs = Date.now() - started;
  await page.waitForLoadState('networkidle');
  await Promise.all(pending);

  return { scripts, readyMs };
}

/** Sums one phase's scripts. */
export function summarize(scripts, phase) {
  const list = scripts.filter((s) => s.phase === phase);
  return {
    files: list.length,
    raw: list.reduce((sum, s) => sum + s.raw, 0),
    gzip: list.reduce((sum, s) => sum + s.gzip, 0),
    list,
  };
}

export function checkBudget(scripts) {
  return Object.entries(BUDGET).map(([phase, limit]) => {
    const { gzip } = summarize(scripts, phase);
    return { phase, gzip, limit, ok: gzip <= limit };
  });
}
