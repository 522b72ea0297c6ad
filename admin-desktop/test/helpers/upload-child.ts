/**
 * Runs the upload streamer in a process of its own so the test can measure its memory alone:
 * the server under test lives in the parent, and its validator holds whole files in memory.
 * Input through the environment, one JSON line of results on stdout.
 */
import { streamUpload, type StreamProgress } from '../../src/main/upload.js';
import { ProblemError } from '../../src/main/problems.js';

const { UPLOAD_URL, UPLOAD_TOKEN, UPLOAD_FILE } = process.env;
if (!UPLOAD_URL || !UPLOAD_TOKEN || !UPLOAD_FILE) throw new Error('upload-child: missing input');

const progress: StreamProgress[] = [];
let peakRss = 0;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
};

// Let start-up garbage settle before taking the baseline.
global.gc?.();
const baselineRss = process.memoryUsage.rss();
const sampler = setInterval(sample, 10);

let status: number | null = null;
let body: unknown = null;
let problem: unknown = null;
try {
  const result = await streamUpload({
    url: UPLOAD_URL,
    token: UPLOAD_TOKEN,
    filePath: UPLOAD_FILE,
    contentType: 'model/gltf-binary',
    what: 'Uploading the model',
    progressIntervalMs: 50,
    idleTimeoutMs: 300_000,
    onProgress: (event) => {
      sample();
      progress.push(event);
    },
  });
  status = result.status;
  body = result.body;
} catch (error) {
  problem = error instanceof ProblemError ? error.problem : String(error);
}
clearInterval(sampler);
sample();
process.stdout.write(
  `${JSON.stringify({ status, body, problem, progress, baselineRss, peakRss })}\n`,
);
