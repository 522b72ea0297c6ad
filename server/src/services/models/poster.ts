import type { Document, Material, Mesh, Node, Primitive, Texture } from '@gltf-transform/core';
import sharp from 'sharp';
import { cross, dot, add, sub, scale, normalize, type Vec3 } from './vec3.js';

/** Posters are square PNGs of this many pixels a side. */
export const POSTER_SIZE = 800;
/** Drawn at this many times the size, then scaled down: cheap antialiasing. */
const SUPERSAMPLE = 2;
const MARGIN = 0.08;
/**
 * Scenes that draw more triangles than this, counting each node that shows a mesh, get no
 * generated poster. Nodes may share a mesh, so a small file can ask for billions of triangles;
 * drawing them takes seconds per million, on the server's only thread.
 */
export const POSTER_TRIANGLE_LIMIT = 1_000_000;

const MODE_TRIANGLES = 4;
const MODE_TRIANGLE_STRIP = 5;
const MODE_TRIANGLE_FAN = 6;

/** World-space triangles with one linear RGB colour each. */
interface Triangles {
  positions: number[];
  colors: number[];
}

export interface PosterOptions {
  size?: number;
  /** Degrees around the vertical axis, from the front (+Z) towards the right (+X). */
  azimuth?: number;
  /** Degrees above the horizon. */
  elevation?: number;
}

/**
 * Draws a poster of the model's default scene without a GPU: every triangle is projected
 * orthographically from a three-quarter view, flat-shaded by its normal under two lights, and
 * painted through a depth buffer. Colours come from the base colour factor, vertex colours and
 * the mean colour of the base colour texture (textures are not mapped). Skinned meshes are
 * drawn in their bind pose. The background is transparent.
 */
export async function renderPoster(
  document: Document,
  options: PosterOptions = {},
): Promise<Buffer> {
  const size = options.size ?? POSTER_SIZE;
  const triangles = await collectTriangles(document);
  if (triangles.positions.length === 0)
    throw new Error('renderPoster(): the scene has no triangles to draw');

  const azimuth = ((options.azimuth ?? 35) * Math.PI) / 180;
  const elevation = ((options.elevation ?? 25) * Math.PI) / 180;
  const toCamera: Vec3 = [
    Math.cos(elevation) * Math.sin(azimuth),
    Math.sin(elevation),
    Math.cos(elevation) * Math.cos(azimuth),
  ];
  const right = normalize(cross([0, 1, 0], toCamera));
  const up = cross(toCamera, right);
  const keyLight = normalize(add(add(scale(right, -0.45), scale(up, 0.75)), scale(toCamera, 0.55)));
  const fillLight = normalize(add(add(scale(right, 0.7), scale(up, -0.1)), scale(toCamera, 0.5)));

  const width = size * SUPERSAMPLE;
  const { positions } = triangles;
  const count = positions.length / 3;
  const screen = new Float64Array(count * 3);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < count; i += 1) {
    const p: Vec3 = [positions[i * 3]!, positions[i * 3 + 1]!, positions[i * 3 + 2]!];
    const x = dot(p, right);
    const y = dot(p, up);
    screen[i * 3] = x;
    screen[i * 3 + 1] = y;
    screen[i * 3 + 2] = dot(p, toCamera);
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const extent = Math.max(maxX - minX, maxY - minY) || 1;
  const pixels = (width * (1 - 2 * MARGIN)) / extent;
  const centerX = (minX + maxX) / 2;
  const centerY = (minY + maxY) / 2;
  for (let i = 0; i < count; i += 1) {
    screen[i * 3] = width / 2 + (screen[i * 3]! - centerX) * pixels;
    screen[i * 3 + 1] = width / 2 - (screen[i * 3 + 1]! - centerY) * pixels;
  }

  const rgba = new Uint8ClampedArray(width * width * 4);
  const depth = new Float64Array(width * width).fill(-Infinity);
  for (let t = 0; t < count / 3; t += 1) {
    const a = t * 3;
    const worldA: Vec3 = [positions[a * 3]!, positions[a * 3 + 1]!, positions[a * 3 + 2]!];
    const worldB: Vec3 = [positions[a * 3 + 3]!, positions[a * 3 + 4]!, positions[a * 3 + 5]!];
    const worldC: Vec3 = [positions[a * 3 + 6]!, positions[a * 3 + 7]!, positions[a * 3 + 8]!];
    let normal = cross(sub(worldB, worldA), sub(worldC, worldA));
    const length = Math.hypot(...normal);
    if (length === 0) continue;
    normal = scale(normal, 1 / length);
    // Lit from both sides: winding is not trusted (mirrored nodes flip it).
    if (dot(normal, toCamera) < 0) normal = scale(normal, -1);
    const light =
      0.3 + 0.7 * Math.max(0, dot(normal, keyLight)) + 0.25 * Math.max(0, dot(normal, fillLight));
    const color = [0, 1, 2].map((c) => toSrgbByte(triangles.colors[t * 3 + c]! * light)) as Vec3;
    fillTriangle(rgba, depth, width, screen, a, color);
  }

  return sharp(Buffer.from(rgba.buffer), { raw: { width, height: width, channels: 4 } })
    .resize(size, size, { kernel: 'lanczos3' })
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/** Rasterises one triangle with a depth test; larger depth is nearer the camera. */
function fillTriangle(
  rgba: Uint8ClampedArray,
  depth: Float64Array,
  width: number,
  screen: Float64Array,
  first: number,
  color: Vec3,
): void {
  const x0 = screen[first * 3]!,
    y0 = screen[first * 3 + 1]!,
    z0 = screen[first * 3 + 2]!;
  const x1 = screen[first * 3 + 3]!,
    y1 = screen[first * 3 + 4]!,
    z1 = screen[first * 3 + 5]!;
  const x2 = screen[first * 3 + 6]!,
    y2 = screen[first * 3 + 7]!,
    z2 = screen[first * 3 + 8]!;
  const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
  if (Math.abs(area) < 1e-12) return;

  const left = Math.max(0, Math.floor(Math.min(x0, x1, x2)));
  const right = Math.min(width - 1, Math.ceil(Math.max(x0, x1, x2)));
  const top = Math.max(0, Math.floor(Math.min(y0, y1, y2)));
  const bottom = Math.min(width - 1, Math.ceil(Math.max(y0, y1, y2)));
  for (let y = top; y <= bottom; y += 1) {
    const py = y + 0.5;
    for (let x = left; x <= right; x += 1) {
      const px = x + 0.5;
      const w0 = ((x1 - px) * (y2 - py) - (x2 - px) * (y1 - py)) / area;
      const w1 = ((x2 - px) * (y0 - py) - (x0 - px) * (y2 - py)) / area;
      const w2 = 1 - w0 - w1;
      if (w0 < 0 || w1 < 0 || w2 < 0) continue;
      const z = w0 * z0 + w1 * z1 + w2 * z2;
      const index = y * width + x;
      if (z <= depth[index]!) continue;
      depth[index] = z;
      rgba[index * 4] = color[0];
      rgba[index * 4 + 1] = color[1];
      rgba[index * 4 + 2] = color[2];
      rgba[index * 4 + 3] = 255;
    }
  }
}

/** Every triangle of the default scene in world space, with its base colour (linear RGB). */
async function collectTriangles(document: Document): Promise<Triangles> {
  const root = document.getRoot();
  const scene = root.getDefaultScene() ?? root.listScenes()[0];
  const out: Triangles = { positions: [], colors: [] };
  if (!scene) return out;

  const textureColors = new Map<Texture, Promise<Vec3>>();
  const nodes: Node[] = [];
  scene.traverse((node) => {
    if (node.getMesh()) nodes.push(node);
  });
  let drawn = 0;
  for (const node of nodes) drawn += meshTriangles(node.getMesh()!);
  if (drawn > POSTER_TRIANGLE_LIMIT) {
    throw new Error(
      `renderPoster(): the scene draws too many triangles (${drawn}, limit ${POSTER_TRIANGLE_LIMIT})`,
    );
  }
  for (const node of nodes) {
    // A skinned mesh ignores its node's transform; its vertices are drawn in the bind pose.
    const matrix = node.getSkin() ? undefined : node.getWorldMatrix();
    for (const primitive of node.getMesh()!.listPrimitives()) {
      const material = primitive.getMaterial();
      if (material && material.getAlphaMode() === 'BLEND' && material.getAlpha() < 0.05) continue;
      const base = await baseColor(material, textureColors);
      appendPrimitive(out, primitive, matrix, base);
    }
  }
  return out;
}

/** Triangles one copy of a mesh draws, from its index or vertex counts. */
function meshTriangles(mesh: Mesh): number {
  let triangles = 0;
  for (const primitive of mesh.listPrimitives()) {
    const count =
      primitive.getIndices()?.getCount() ?? primitive.getAttribute('POSITION')?.getCount() ?? 0;
    const mode = primitive.getMode();
    if (mode === MODE_TRIANGLES) triangles += Math.floor(count / 3);
    else if (mode === MODE_TRIANGLE_STRIP || mode === MODE_TRIANGLE_FAN)
      triangles += Math.max(0, count - 2);
  }
  return triangles;
}

function appendPrimitive(
  out: Triangles,
  primitive: Primitive,
  matrix: number[] | undefined,
  base: Vec3,
): void {
  const position = primitive.getAttribute('POSITION');
  if (!position) return;
  const colors = primitive.getAttribute('COLOR_0');
  const indices = primitive.getIndices();
  const count = indices ? indices.getCount() : position.getCount();
  const indexAt = (i: number) => (indices ? indices.getScalar(i) : i);

  const corners: number[] = [];
  const mode = primitive.getMode();
  if (mode === MODE_TRIANGLES) {
    for (let i = 0; i + 2 < count; i += 3) corners.push(indexAt(i), indexAt(i + 1), indexAt(i + 2));
  } else if (mode === MODE_TRIANGLE_STRIP) {
    for (let i = 0; i + 2 < count; i += 1) {
      if (i % 2 === 0) corners.push(indexAt(i), indexAt(i + 1), indexAt(i + 2));
      else corners.push(indexAt(i + 1), indexAt(i), indexAt(i + 2));
    }
  } else if (mode === MODE_TRIANGLE_FAN) {
    for (let i = 1; i + 1 < count; i += 1) corners.push(indexAt(0), indexAt(i), indexAt(i + 1));
  } else {
    return; // Points and lines have no surface to draw.
  }

  const p: number[] = [0, 0, 0];
  const c: number[] = [1, 1, 1, 1];
  for (let i = 0; i < corners.length; i += 3) {
    let tint: Vec3 = [1, 1, 1];
    if (colors) {
      tint = [0, 0, 0];
      for (let k = 0; k < 3; k += 1) {
        colors.getElement(corners[i + k]!, c);
        tint = [tint[0] + c[0]! / 3, tint[1] + c[1]! / 3, tint[2] + c[2]! / 3];
      }
    }
    for (let k = 0; k < 3; k += 1) {
      position.getElement(corners[i + k]!, p);
      const world = matrix ? transformPoint(matrix, p) : (p.slice(0, 3) as Vec3);
      out.positions.push(world[0], world[1], world[2]);
    }
    out.colors.push(base[0] * tint[0], base[1] * tint[1], base[2] * tint[2]);
  }
}

/** Base colour factor times the mean colour of the base colour texture, in linear RGB. */
async function baseColor(
  material: Material | null,
  cache: Map<Texture, Promise<Vec3>>,
): Promise<Vec3> {
  if (!material) return [0.8, 0.8, 0.8];
  const factor = material.getBaseColorFactor();
  const emissive = material.getEmissiveFactor();
  let color: Vec3 = [factor[0], factor[1], factor[2]];
  const texture = material.getBaseColorTexture();
  if (texture) {
    if (!cache.has(texture)) cache.set(texture, meanTextureColor(texture));
    const mean = await cache.get(texture)!;
    color = [color[0] * mean[0], color[1] * mean[1], color[2] * mean[2]];
  }
  return [color[0] + emissive[0] * 0.5, color[1] + emissive[1] * 0.5, color[2] + emissive[2] * 0.5];
}

/** The mean colour of a PNG, JPEG or WebP texture in linear RGB; white for other formats. */
async function meanTextureColor(texture: Texture): Promise<Vec3> {
  const image = texture.getImage();
  if (!image || !/^image\/(png|jpeg|webp)$/.test(texture.getMimeType())) return [1, 1, 1];
  try {
    const stats = await sharp(image).stats();
    const [r, g, b] = stats.channels;
    if (!r || !g || !b) return [1, 1, 1];
    return [toLinear(r.mean / 255), toLinear(g.mean / 255), toLinear(b.mean / 255)];
  } catch {
    return [1, 1, 1];
  }
}

function transformPoint(m: number[], p: number[]): Vec3 {
  const x = p[0]!,
    y = p[1]!,
    z = p[2]!;
  const w = m[3]! * x + m[7]! * y + m[11]! * z + m[15]! || 1;
  return [
    (m[0]! * x + m[4]! * y + m[8]! * z + m[12]!) / w,
    (m[1]! * x + m[5]! * y + m[9]! * z + m[13]!) / w,
    (m[2]! * x + m[6]! * y + m[10]! * z + m[14]!) / w,
  ];
}

function toLinear(c: number): number {
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function toSrgbByte(linear: number): number {
  const c = Math.min(1, Math.max(0, linear));
  const srgb = c <= 0.0031308 ? c * 12.92 : 1.055 * c ** (1 / 2.4) - 0.055;
  return Math.round(srgb * 255);
}
