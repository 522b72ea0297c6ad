import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NodeIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { MeshoptDecoder } from 'meshoptimizer';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody, ModelFacts, Product } from '@vitrine/shared';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { fixturePath, HAS_FIXTURES, SKIP_NOTE } from '../../helpers/fixtures.js';

// The same upload route as products-model.test.ts, driven with the real Khronos sample models
// and the glTF-Validator's own invalid GLBs from ../shared/fixtures.

interface UploadBody {
  modelId: string;
  facts: ModelFacts;
  product: Product;
}

type IssueBody = ErrorBody & {
  error: { details: { issues: { code: string; severity: string }[] } };
};

/** What each valid fixture must yield; the counts were read from the files' JSON. */
const VALID: Record<string, Partial<ModelFacts>> = {
  'Box.glb': { triangles: 12, vertices: 24, meshes: 1, materials: 1, textures: 0, animations: 0 },
  'BoxTextured.glb': { triangles: 12, meshes: 1, materials: 1, textures: 1 },
  'BoxAnimated.glb': { animations: 1, materials: 2 },
  'Duck.glb': { meshes: 1, textures: 1, animations: 0 },
  'Fox.glb': { animations: 3, textures: 1 },
  'BoxVertexColors.glb': { triangles: 12, materials: 0 },
  'VertexColorTest.glb': { meshes: 2, materials: 2, textures: 2 },
  'TextureTransformMultiTest.glb': {
    materials: 29,
    textures: 28,
    extensionsUsed: ['KHR_texture_transform', 'KHR_materials_unlit', 'KHR_materials_clearcoat'],
    extensionsRequired: ['KHR_texture_transform'],
  },
  'Box_Draco.glb': { triangles: 12, extensionsRequired: ['KHR_draco_mesh_compression'] },
  'BoxMeshopt.glb': {
    triangles: 12,
    extensionsRequired: ['KHR_mesh_quantization', 'EXT_meshopt_compression'],
  },
};

const INVALID_DIR = fixturePath('models', 'invalid');
const INVALID = HAS_FIXTURES
  ? fs.readdirSync(INVALID_DIR).filter((name) => name.endsWith('.glb') && name !== 'valid.glb')
  : [];

describe.skipIf(!HAS_FIXTURES)(
  `PUT /api/admin/products/:id/model with the shared fixtures${SKIP_NOTE}`,
  () => {
    let server: TestServer;
    let io: NodeIO;
    beforeAll(async () => {
      server = await startTestServer();
      await MeshoptDecoder.ready;
      io = new NodeIO()
        .registerExtensions(ALL_EXTENSIONS)
        .registerDependencies({ 'meshopt.decoder': MeshoptDecoder });
    });
    afterAll(() => server?.close());

    async function uploadTo(bytes: Uint8Array): Promise<Response> {
      const created = await server.request('/api/admin/products', {
        method: 'POST',
        admin: true,
        json: { name: 'Fixture', type: 'digital', price: { amount: 100, currency: 'usd' } },
      });
      const { id } = (await created.json()) as Product;
      return server.request(`/api/admin/products/${id}/model`, {
        method: 'PUT',
        admin: true,
        headers: { 'content-type': 'model/gltf-binary' },
        body: bytes,
      });
    }

    it.each(Object.entries(VALID))(
      'accepts %s with the right facts, a loadable preview and a poster',
      async (name, expected) => {
        const original = fs.readFileSync(fixturePath('models', name));

        const res = await uploadTo(original);
        const body = (await res.json()) as UploadBody;

        expect(res.status).toBe(200);
        expect(body.facts).toMatchObject({
          ...expected,
          bytes: original.length,
          sha256: crypto.createHash('sha256').update(original).digest('hex'),
          format: 'glb',
        });

        const preview = new Uint8Array(await (await fetch(body.product.previewUrl!)).arrayBuffer());
        const document = await io.readBinary(preview);
        expect(Buffer.from(preview).equals(original)).toBe(false);
        expect(document.getRoot().listMeshes().length).toBe(body.facts.meshes);
        expect(document.getRoot().listAnimations().length).toBe(body.facts.animations);
        const used = document
          .getRoot()
          .listExtensionsUsed()
          .map((e) => e.extensionName);
        expect(used).toContain('EXT_meshopt_compression');
        expect(used).not.toContain('KHR_draco_mesh_compression');

        const poster = await sharp(
          Buffer.from(await (await fetch(body.product.posterUrl!)).arrayBuffer()),
        ).metadata();
        expect(poster).toMatchObject({ format: 'png', width: 800, height: 800 });
      },
    );

    it('makes previews no larger than the original for the larger models', async () => {
      for (const name of ['Duck.glb', 'Fox.glb', 'TextureTransformMultiTest.glb']) {
        const original = fs.readFileSync(fixturePath('models', name));
        const body = (await (await uploadTo(original)).json()) as UploadBody;

        expect(body.facts.previewBytes, name).toBeLessThanOrEqual(original.length);
      }
    });

    it.each(INVALID)(
      "refuses invalid/%s with 422 and the validator's own issue codes",
      async (name) => {
        const report = JSON.parse(
          fs.readFileSync(path.join(INVALID_DIR, `${name}.report.json`), 'utf8'),
        ) as {
          issues: { messages: { code: string }[] };
        };

        const res = await uploadTo(fs.readFileSync(path.join(INVALID_DIR, name)));
        const body = (await res.json()) as IssueBody;

        expect(res.status).toBe(422);
        expect(body.error.code).toBe('invalid_model');
        expect(body.error.details.issues.map((i) => i.code).sort()).toEqual(
          report.issues.messages.map((m) => m.code).sort(),
        );
      },
    );

    it('accepts invalid/valid.glb, the smallest legal GLB', async () => {
      const res = await uploadTo(fs.readFileSync(path.join(INVALID_DIR, 'valid.glb')));
      const body = (await res.json()) as UploadBody;

      expect(res.status).toBe(200);
      expect(body.facts.triangles).toBe(0);
    });

    it.each([
      ['gltf-separate/BoxTextured/BoxTextured.gltf'],
      ['TextureVariants-Embedded-KTX.gltf'],
    ])('refuses the text glTF %s with 422, asking for a .glb', async (file) => {
      const res = await uploadTo(fs.readFileSync(fixturePath('models', file)));
      const body = (await res.json()) as IssueBody;

      expect(res.status).toBe(422);
      expect(body.error.message).toContain('.glb');
      expect(body.error.details.issues.map((i) => i.code)).toEqual(['NOT_GLB']);
    });

    it('leaves no temporary files behind after all of it', () => {
      expect(fs.readdirSync(server.app.locals.context.paths.tmp)).toEqual([]);
    });
  },
);
