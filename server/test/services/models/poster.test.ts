import { Document } from '@gltf-transform/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { POSTER_TRIANGLE_LIMIT, renderPoster } from '../../../src/services/models/poster.js';
import {
  createGemDocument,
  createTorusKnotDocument,
} from '../../../src/services/models/procedural.js';

async function pixels(png: Buffer) {
  return sharp(png).raw().toBuffer({ resolveWithObject: true });
}

describe('renderPoster()', () => {
  it('draws a square PNG of the requested size with a transparent background', async () => {
    const png = await renderPoster(createGemDocument(), { size: 256 });
    const { data, info } = await pixels(png);

    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(info).toMatchObject({ width: 256, height: 256, channels: 4 });
    expect(data[3]).toBe(0); // top-left corner
    expect(data[(128 * 256 + 128) * 4 + 3]).toBe(255); // centre: the gem
  });

  it('paints in the base colour of the material, shaded', async () => {
    const { data } = await pixels(
      await renderPoster(createGemDocument([0.05, 0.1, 0.9]), { size: 128 }),
    );
    let blue = 0;
    let red = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] === 255) {
        blue += data[i + 2]!;
        red += data[i]!;
      }
    }

    expect(blue).toBeGreaterThan(red * 2);
  });

  it('fills the frame within its margins whatever the model scale', async () => {
    const small = createTorusKnotDocument({ tubularSegments: 64, radialSegments: 8 });
    for (const node of small.getRoot().listNodes()) node.setScale([0.001, 0.001, 0.001]);

    const { data, info } = await pixels(await renderPoster(small, { size: 200 }));
    let minX = info.width;
    let maxX = 0;
    for (let y = 0; y < info.height; y += 1) {
      for (let x = 0; x < info.width; x += 1) {
        if (data[(y * info.width + x) * 4 + 3]! > 0) {
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x);
        }
      }
    }

    expect(maxX - minX).toBeGreaterThan(150);
  });

  it('throws when there is nothing to draw', async () => {
    const empty = new Document();
    empty.getRoot().setDefaultScene(empty.createScene());

    await expect(renderPoster(empty)).rejects.toThrow(/no triangles/);
  });

  it('refuses at once a scene that instances a mesh into more than POSTER_TRIANGLE_LIMIT triangles', async () => {
    // Nodes may share one mesh, so a small file can draw a mesh thousands of times; drawing
    // every copy would block the server for minutes.
    const document = createTorusKnotDocument({ tubularSegments: 128, radialSegments: 16 });
    const scene = document.getRoot().getDefaultScene()!;
    const mesh = document.getRoot().listMeshes()[0]!;
    const copies = Math.ceil(POSTER_TRIANGLE_LIMIT / (128 * 16 * 2)) + 1;
    for (let i = 0; i < copies; i += 1) {
      scene.addChild(
        document
          .createNode()
          .setMesh(mesh)
          .setTranslation([i * 3, 0, 0]),
      );
    }
    const started = Date.now();

    await expect(renderPoster(document, { size: 64 })).rejects.toThrow(/too many triangles/);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
