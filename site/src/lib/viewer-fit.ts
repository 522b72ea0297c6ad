import {
  Box3,
  MathUtils,
  Sphere,
  Spherical,
  Vector3,
  type Object3D,
  type PerspectiveCamera,
} from 'three';

/** Where the camera should sit to frame a model, and how far it may zoom. */
export interface CameraFit {
  target: Vector3;
  position: Vector3;
  near: number;
  far: number;
  minDistance: number;
  maxDistance: number;
}

/** The direction from the model's centre to the camera for the default view: front, right, a bit above. */
const VIEW_DIRECTION = new Vector3(0.9, 0.55, 1.3).normalize();

/**
 * Frames an object's bounding sphere for a perspective camera, whichever of the vertical and
 * horizontal fields of view is narrower. `margin` > 1 leaves room around the model. An empty
 * object (no geometry) gets a unit sphere at the origin so the camera still has a sane place.
 */
export function fitCamera(
  object: Object3D,
  fovDegrees: number,
  aspect: number,
  margin = 1.2,
): CameraFit {
  object.updateWorldMatrix(true, true);
  const box = new Box3().setFromObject(object);
  const sphere = box.isEmpty() ? new Sphere(new Vector3(), 1) : box.getBoundingSphere(new Sphere());
  const radius = sphere.radius > 0 && Number.isFinite(sphere.radius) ? sphere.radius : 1;

  const vertical = MathUtils.degToRad(fovDegrees);
  const horizontal = 2 * Math.atan(Math.tan(vertical / 2) * Math.max(aspect, 1e-3));
  const narrowest = Math.min(vertical, horizontal);
  const distance = (radius / Math.sin(narrowest / 2)) * margin;

  return {
    target: sphere.center.clone(),
    position: sphere.center.clone().addScaledVector(VIEW_DIRECTION, distance),
    near: distance / 100,
    far: distance * 100,
    minDistance: radius * 0.5,
    maxDistance: distance * 5,
  };
}

/** Moves `camera` to a fit and points it at the target. */
export function applyFit(camera: PerspectiveCamera, fit: CameraFit): void {
  camera.position.copy(fit.position);
  camera.near = fit.near;
  camera.far = fit.far;
  camera.lookAt(fit.target);
  camera.updateProjectionMatrix();
}

/** Turns the camera around the target's vertical axis by `radians` (positive turns left). */
export function orbitAround(position: Vector3, target: Vector3, radians: number): Vector3 {
  const offset = position.clone().sub(target);
  const spherical = new Spherical().setFromVector3(offset);
  spherical.theta += radians;
  return target.clone().add(new Vector3().setFromSpherical(spherical));
}

/** Moves the camera toward (factor < 1) or away from (factor > 1) the target, within limits. */
export function dollyToward(
  position: Vector3,
  target: Vector3,
  factor: number,
  limits: { minDistance: number; maxDistance: number },
): Vector3 {
  const offset = position.clone().sub(target);
  const distance = MathUtils.clamp(
    offset.length() * factor,
    limits.minDistance,
    limits.maxDistance,
  );
  return target.clone().add(offset.setLength(distance));
}
