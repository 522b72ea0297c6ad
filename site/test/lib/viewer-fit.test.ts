import { BoxGeometry, Group, Mesh, Object3D, PerspectiveCamera, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { applyFit, dollyToward, fitCamera, orbitAround } from '../../src/lib/viewer-fit';

function boxAt(size: number, x = 0, y = 0, z = 0): Mesh {
  const mesh = new Mesh(new BoxGeometry(size, size, size));
  mesh.position.set(x, y, z);
  return mesh;
}

/** True when every corner of the box projects inside the camera's view. */
function cornersInView(camera: PerspectiveCamera, center: Vector3, half: number): boolean {
  camera.updateMatrixWorld();
  for (const sx of [-1, 1]) {
    for (const sy of [-1, 1]) {
      for (const sz of [-1, 1]) {
        const p = new Vector3(
          center.x + sx * half,
          center.y + sy * half,
          center.z + sz * half,
        ).project(camera);
        if (Math.abs(p.x) > 1 || Math.abs(p.y) > 1 || p.z > 1 || p.z < -1) return false;
      }
    }
  }
  return true;
}

describe('fitCamera()', () => {
  it('aims at the centre of an off-centre model and keeps all of it in view', () => {
    const model = new Group().add(boxAt(2, 10, 5, -3));
    const camera = new PerspectiveCamera(35, 4 / 3);

    const fit = fitCamera(model, camera.fov, camera.aspect);
    applyFit(camera, fit);

    expect(fit.target.toArray()).toEqual([10, 5, -3]);
    expect(cornersInView(camera, fit.target, 1)).toBe(true);
  });

  it('keeps a model in view on a tall, narrow stage', () => {
    const model = new Group().add(boxAt(1));
    const camera = new PerspectiveCamera(35, 0.4);

    applyFit(camera, fitCamera(model, camera.fov, camera.aspect));

    expect(cornersInView(camera, new Vector3(), 0.5)).toBe(true);
  });

  it('follows the model’s scale, so tiny and huge models both fill the stage', () => {
    const small = fitCamera(new Group().add(boxAt(0.01)), 35, 1);
    const large = fitCamera(new Group().add(boxAt(100)), 35, 1);

    expect(large.position.length() / small.position.length()).toBeCloseTo(10_000, 0);
    expect(small.near).toBeLessThan(0.01);
    expect(large.far).toBeGreaterThan(1000);
  });

  it('gives an empty scene a unit-sized view instead of NaN', () => {
    const fit = fitCamera(new Object3D(), 35, 1);

    expect(fit.position.toArray().every(Number.isFinite)).toBe(true);
    expect(fit.minDistance).toBeGreaterThan(0);
  });
});

describe('orbitAround()', () => {
  it('turns the camera around the target at the same distance', () => {
    const target = new Vector3(1, 0, 0);
    const start = new Vector3(1, 0, 5);

    const turned = orbitAround(start, target, Math.PI / 2);

    expect(turned.distanceTo(target)).toBeCloseTo(5);
    expect(turned.x).toBeCloseTo(6);
    expect(turned.z).toBeCloseTo(0);
  });
});

describe('dollyToward()', () => {
  it('moves along the line to the target within the zoom limits', () => {
    const target = new Vector3();
    const limits = { minDistance: 1, maxDistance: 8 };

    expect(dollyToward(new Vector3(0, 0, 4), target, 0.5, limits).z).toBeCloseTo(2);
    expect(dollyToward(new Vector3(0, 0, 4), target, 0.01, limits).z).toBeCloseTo(1);
    expect(dollyToward(new Vector3(0, 0, 4), target, 10, limits).z).toBeCloseTo(8);
  });
});
