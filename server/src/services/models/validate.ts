import validator, { type ValidatorMessage } from 'gltf-validator';
import { VitrineError } from '@vitrine/shared';
import { CHUNK_JSON, GLB_MAGIC, looksLikeJson, readGlbJson, type GltfJson } from './glb.js';

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

/**
 * Limits checked before the validator runs. The validator recurses through the JSON and the
 * node tree, and a few thousand levels overflow its stack inside a callback, where the error
 * escapes the promise and ends the whole server. Exporters write a dozen JSON levels and node
 * trees a few hundred deep at most, so these leave wide room.
 */
export const MAX_JSON_DEPTH = 128;
export const MAX_NODE_DEPTH = 1000;

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

  const hazards = findStackHazards(bytes);
  if (hazards.length > 0) throw refuse(hazards[0]!.message, hazards);

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

/**
 * JSON nesting and node chains deeper than the validator survives. Reads whatever part of the
 * JSON chunk the file holds; a file without one is left to the validator to describe.
 */
function findStackHazards(bytes: Uint8Array): ModelIssue[] {
  if (bytes.byteLength < 20) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== GLB_MAGIC || view.getUint32(16, true) !== CHUNK_JSON) return [];
  const text = bytes.subarray(20, Math.min(bytes.byteLength, 20 + view.getUint32(12, true)));

  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    const message = `The GLB's JSON is nested more than ${MAX_JSON_DEPTH} levels deep, which no exporter writes and the validator cannot check. Re-export the model; look for deeply nested "extras".`;
    return [{ code: 'JSON_TOO_DEEP', message, severity: 'error', pointer: null }];
  }
  let json: GltfJson;
  try {
    json = JSON.parse(new TextDecoder('utf-8').decode(text)) as GltfJson;
  } catch {
    return [];
  }
  if (nodeDepth(json) > MAX_NODE_DEPTH) {
    const message = `The GLB's node hierarchy is more than ${MAX_NODE_DEPTH} levels deep (or loops back on itself), which the validator cannot check. Flatten the hierarchy in the tool that exported the model.`;
    return [{ code: 'NODE_HIERARCHY_TOO_DEEP', message, severity: 'error', pointer: '/nodes' }];
  }
  return [];
}

/** The deepest nesting of objects and arrays in JSON text, brackets inside strings skipped. */
function jsonDepth(text: Uint8Array): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const byte = text[i]!;
    if (inString) {
      // A backslash escapes the byte after it, so an escaped quote does not end the string.
      if (byte === 0x5c) i += 1;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x7b || byte === 0x5b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (byte === 0x7d || byte === 0x5d) {
      depth -= 1;
    }
  }
  return deepest;
}

/**
 * The longest chain of nodes through `children`, counted without recursion. A child that is
 * already on the chain (a loop) ends it, so a loop counts as deep as it is long: walking it is
 * what overflows a recursive checker.
 */
function nodeDepth(json: GltfJson): number {
  const nodes = Array.isArray(json.nodes) ? json.nodes : [];
  const childrenOf = (index: number): number[] => {
    const children = nodes[index]?.children;
    return Array.isArray(children)
      ? children.filter((c): c is number => Number.isInteger(c) && c >= 0 && c < nodes.length)
      : [];
  };
  const height = new Int32Array(nodes.length); // 0: not yet known
  const onChain = new Uint8Array(nodes.length);
  let deepest = 0;
  for (let root = 0; root < nodes.length; root += 1) {
    if (height[root]) continue;
    // Each frame is a node on the chain, its children and the next child to visit.
    const stack = [{ node: root, children: childrenOf(root), next: 0 }];
    onChain[root] = 1;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      if (frame.next < frame.children.length) {
        const child = frame.children[frame.next]!;
        frame.next += 1;
        if (height[child] || onChain[child]) continue;
        if (stack.length >= MAX_NODE_DEPTH) return stack.length + 1;
        onChain[child] = 1;
        stack.push({ node: child, children: childrenOf(child), next: 0 });
        continue;
      }
      let tallest = 0;
      for (const child of frame.children) {
        if (!onChain[child]) tallest = Math.max(tallest, height[child]!);
      }
      height[frame.node] = tallest + 1;
      onChain[frame.node] = 0;
      stack.pop();
      deepest = Math.max(deepest, stack.length + height[frame.node]!);
    }
  }
  return deepest;
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
