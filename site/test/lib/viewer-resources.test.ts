import { BoxGeometry, DataTexture, Group, Mesh, MeshStandardMaterial } from 'three';
import { describe, expect, it } from 'vitest';
import { disposeObject } from '../../src/lib/viewer-resources';

describe('disposeObject()', () => {
  it('disposes each geometry, material and texture once, even when shared', () => {
    const geometry = new BoxGeometry();
    const texture = new DataTexture(new Uint8Array(4), 1, 1);
    const material = new MeshStandardMaterial({ map: texture, normalMap: texture });
    const other = new MeshStandardMaterial();
    const root = new Group().add(
      new Mesh(geometry, material),
      new Mesh(geometry, [material, other]),
    );
    const disposed: string[] = [];
    geometry.addEventListener('dispose', () => disposed.push('geometry'));
    texture.addEventListener('dispose', () => disposed.push('texture'));
    material.addEventListener('dispose', () => disposed.push('material'));
    other.addEventListener('dispose', () => disposed.push('other'));

    const counts = disposeObject(root);

    expect(counts).toEqual({ geometries: 1, materials: 2, textures: 1 });
    expect(disposed.sort()).toEqual(['geometry', 'material', 'other', 'texture']);
  });
});
