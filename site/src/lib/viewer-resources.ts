import type { Material, Object3D, Texture } from 'three';

function isTexture(value: unknown): value is Texture {
  return typeof value === 'object' && value !== null && (value as Texture).isTexture === true;
}

/**
 * Frees the GPU resources under `root`: geometries, materials and every texture a material
 * points at. r3f does not dispose `<primitive>` objects on unmount, and the GLTF cache would
 * otherwise keep them alive for the page's lifetime.
 */
export function disposeObject(root: Object3D): {
  geometries: number;
  materials: number;
  textures: number;
} {
  const seen = new Set<unknown>();
  const counts = { geometries: 0, materials: 0, textures: 0 };
  root.traverse((node) => {
    const mesh = node as Object3D & {
      geometry?: { dispose(): void };
      material?: Material | Material[];
    };
    if (mesh.geometry && !seen.has(mesh.geometry)) {
      seen.add(mesh.geometry);
      mesh.geometry.dispose();
      counts.geometries += 1;
    }
    const materials = Array.isArray(mesh.material)
      ? mesh.material
      : mesh.material
        ? [mesh.material]
        : [];
    for (const material of materials) {
      if (seen.has(material)) continue;
      seen.add(material);
      for (const value of Object.values(material)) {
        if (isTexture(value) && !seen.has(value)) {
          seen.add(value);
          value.dispose();
          counts.textures += 1;
        }
      }
      material.dispose();
      counts.materials += 1;
    }
  });
  return counts;
}
