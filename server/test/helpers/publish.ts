import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PublishStatus } from '../../src/services/publish.js';
import type { TestServer } from './app.js';

/** Tiny Astro projects that build in seconds: `tiny` works, `broken` fails while rendering. */
export const PUBLISH_SITES = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'publish-sites',
);

/**
 * Polls `GET /api/admin/publish` until no build runs or waits in the queue, or throws at the
 * deadline with the last state it saw.
 */
export async function waitForPublishIdle(
  server: TestServer,
  timeoutMs = 150_000,
): Promise<PublishStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: PublishStatus | undefined;
  while (Date.now() < deadline) {
    const res = await server.request('/api/admin/publish', { admin: true });
    last = (await res.json()) as PublishStatus;
    if (last.state !== 'building' && !last.queued) return last;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(
    `the site build did not finish within ${timeoutMs} ms; last state: ${JSON.stringify(last)}`,
  );
}
