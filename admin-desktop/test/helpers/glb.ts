import fs from 'node:fs';

/**
 * Writes a valid GLB with one triangle. `binBytes` makes the BIN chunk (and the buffer that
 * names it) that large: the triangle uses the first 36 bytes and the rest is zeros, written in
 * slices so even a file of hundreds of megabytes never sits in memory.
 */
export function writeTriangleGlb(file: string, options: { binBytes?: number } = {}): number {
  const positions = new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]);
  const binBytes = align4(Math.max(options.binBytes ?? 0, positions.byteLength));
  const json = {
    asset: { version: '2.0', generator: 'vitrine admin-desktop tests' },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0, name: 'triangle' }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }],
    accessors: [
      {
        bufferView: 0,
        componentType: 5126,
        count: 3,
        type: 'VEC3',
        min: [0, 0, 0],
        max: [1, 1, 0],
      },
    ],
    bufferViews: [{ buffer: 0, byteOffset: 0, byteLength: positions.byteLength }],
    buffers: [{ byteLength: binBytes }],
  };
  let jsonText = JSON.stringify(json);
  jsonText += ' '.repeat(align4(jsonText.length) - jsonText.length);
  const jsonBytes = Buffer.from(jsonText, 'utf8');
  const total = 12 + 8 + jsonBytes.length + 8 + binBytes;

  const head = Buffer.alloc(12 + 8);
  head.write('glTF', 0, 'latin1');
  head.writeUInt32LE(2, 4);
  head.writeUInt32LE(total, 8);
  head.writeUInt32LE(jsonBytes.length, 12);
  head.write('JSON', 16, 'latin1');
  const binHead = Buffer.alloc(8);
  binHead.writeUInt32LE(binBytes, 0);
  binHead.write('BIN\0', 4, 'latin1');

  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, head);
    fs.writeSync(fd, jsonBytes);
    fs.writeSync(fd, binHead);
    fs.writeSync(fd, Buffer.from(positions.buffer));
    const zeros = Buffer.alloc(4 * 1024 * 1024);
    let left = binBytes - positions.byteLength;
    while (left > 0) {
      const slice = Math.min(left, zeros.length);
      fs.writeSync(fd, zeros, 0, slice);
      left -= slice;
    }
  } finally {
    fs.closeSync(fd);
  }
  return total;
}

function align4(value: number): number {
  return Math.ceil(value / 4) * 4;
}
