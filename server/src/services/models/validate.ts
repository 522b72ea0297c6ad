import validator, { type ValidatorMessage } from 'gltf-validator';
import { VitrineError } from '@vitrine/shared';
import { looksLikeJson, readGlbJson, type GltfJson } from './glb.js';

const SEVERITIES = ['error', 'warning', 'info', 'hint'] as const;

/** One finding about an uploaded model, as sent in a 422's `details.issues`. */
export interface ModelIssue {
  code: string;
  message: string;
  severity: (typeof SEVERITIES)[number];
  /** JSON pointer into the glTF document, when the finding is about a JSON property. */
  pointer: string | null;
  /** Byte offset into the file, when the finding is about the GLB container. */
  offset?: number;
}

export interface ValidatedModel {
  json: GltfJson;
  /** Warnings, infos and hints the validator found; they do not refuse the upload. */
  notes: ModelIssue[];
  validatorVersion: string;
}

/** More issues than this are cut; the first ones are enough to fix an export. */
const MAX_ISSUES = 100;

function toIssue(message: ValidatorMessage): ModelIssue {
  const issue: ModelIssue = {
    code: message.code,
    message: message.message,
    severity: SEVERITIES[message.severity] ?? 'error',
    pointer: message.pointer ?? null,
  };
  if (message.offset !== undefined) issue.offset = message.offset;
  return issue;
}

function refuse(summary: string, issues: ModelIssue[]): VitrineError {
  return new VitrineError('invalid_model', summary, {
    hint: 'Fix the issues in the tool that exported the model and upload it again.',
    details: { issues },
  });
}

/**
 * Checks that `bytes` are a self-contained glTF 2.0 binary (GLB) with Khronos' glTF-Validator
 * and returns its JSON chunk. Throws `invalid_model` (422) with the findings when:
 * - the file is a text `.gltf` (JSON) instead of a GLB;
 * - the validator reports any error;
 * - a buffer or image points at an external file (`uri` other than a `data:` URI).
 *
 * `data:` URIs are accepted: they are legal glTF, self-contained, and decoded in memory without
 * touching the network or the disk, so they cannot leak a file into the public preview.
 *
 * NOTE: the validator needs the whole file in memory and copies the BIN chunk once more, so a
 * validation holds about twice the file size (outside the V8 heap) for its duration. The
 * upload itself streams to disk; callers run one validation at a time to bound the total.
 * @see https://github.com/KhronosGroup/glTF-Validator
 */
export async function validateGlb(bytes: Uint8Array): Promise<ValidatedModel> {
  if (looksLikeJson(bytes.subarray(0, 64))) {
    const message =
      'This is a text glTF (.gltf) file, not a binary .glb. Vitrine sells self-contained files: export the model as glTF Binary (.glb) with its textures embedded, then upload the .glb.';
    throw refuse(message, [{ code: 'NOT_GLB', message, severity: 'error', pointer: null }]);
  }

  let report;
  try {
    report = await validator.validateBytes(bytes, {
      format: 'glb',
      maxIssues: MAX_ISSUES,
      writeTimestamp: false,
    });
  } catch (error) {
    // The validator rejects only when it cannot start at all (bad arguments, unknown format).
    const message = `The glTF-Validator could not read the file: ${String(error)}.`;
    throw refuse(message, [{ code: 'UNREADABLE', message, severity: 'error', pointer: null }]);
  }

  const issues = report.issues.messages.map(toIssue);
  // External files get our own finding and message first: the validator reports them only as
  // IO_ERROR ("externalResourceFunction is required"), which tells an owner nothing.
  const external = findExternalResourcesQuietly(bytes);
  if (external.length > 0) {
    throw refuse(
      `The GLB refers to ${external.length} external file(s) (${external.map((i) => i.pointer).join(', ')}). A GLB sold here must carry every buffer and image inside it: re-export with textures and buffers embedded.`,
      [...external, ...issues.filter((issue) => issue.code !== 'IO_ERROR')],
    );
  }
  if (report.issues.numErrors > 0) {
    const first = issues.find((issue) => issue.severity === 'error');
    throw refuse(
      `The file is not a valid GLB: the Khronos glTF-Validator found ${report.issues.numErrors} error(s), the first being ${first?.code}: ${first?.message}`,
      issues,
    );
  }

  return { json: readGlbJson(bytes), notes: issues, validatorVersion: validator.version() };
}

/** External resources of a GLB whose JSON chunk can be read; none when it cannot. */
function findExternalResourcesQuietly(bytes: Uint8Array): ModelIssue[] {
  try {
    return findExternalResources(readGlbJson(bytes));
  } catch {
    return [];
  }
}

/** Buffers and images whose `uri` is neither absent (GLB chunk, buffer view) nor a `data:` URI. */
export function findExternalResources(json: GltfJson): ModelIssue[] {
  const issues: ModelIssue[] = [];
  const check = (kind: 'buffers' | 'images', index: number, uri: unknown) => {
    if (uri === undefined) return;
    if (typeof uri === 'string' && /^data:/i.test(uri.trim())) return;
    issues.push({
      code: 'EXTERNAL_RESOURCE',
      message: `${kind}[${index}] points at an external file (${JSON.stringify(String(uri).slice(0, 120))}); only data inside the GLB is accepted.`,
      severity: 'error',
      pointer: `/${kind}/${index}/uri`,
    });
  };
  json.buffers?.forEach((buffer, index) => check('buffers', index, buffer?.uri));
  json.images?.forEach((image, index) => check('images', index, image?.uri));
  return issues;
}
