import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/config.js';

/**
 * The team's real public fixtures (Khronos GLBs, Stripe objects) live outside the repo in
 * `../shared/fixtures`, or wherever FIXTURES_DIR points. A clone without them still passes:
 * fixture tests use `describe.skipIf(!HAS_FIXTURES)` and say so in their title.
 */
export const FIXTURES_DIR = path.resolve(
  process.env.FIXTURES_DIR ?? path.join(REPO_ROOT, '..', 'shared', 'fixtures'),
);
export const HAS_FIXTURES = fs.existsSync(path.join(FIXTURES_DIR, 'models', 'Box.glb'));
export const SKIP_NOTE = HAS_FIXTURES ? '' : ` (skipped: no fixtures at ${FIXTURES_DIR})`;

export function fixturePath(...parts: string[]): string {
  return path.join(FIXTURES_DIR, ...parts);
}
