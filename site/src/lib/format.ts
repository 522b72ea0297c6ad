import type { ProductType } from '@vitrine/shared';

/** 1536 → "1.5 KB"; binary steps, one decimal below 10 units. */
export function formatBytes(bytes: number, locale = 'en'): string {
  const units = ['bytes', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value)} ${units[unit]}`;
}

export function formatCount(value: number, locale = 'en'): string {
  return new Intl.NumberFormat(locale).format(value);
}

export const TYPE_LABEL: Record<ProductType, string> = {
  digital: 'Digital download (GLB file)',
  physical: 'Physical item, shipped to you',
  hybrid: 'GLB file and the physical item',
};

/** Shown when the owner has not written a licence for the product. */
export const DEFAULT_LICENSE =
  'You may use the model in your own projects, commercial or not. You may not resell or share the file itself.';

/** Extension names a shopper may care about, in words. */
export const EXTENSION_LABEL: Record<string, string> = {
  KHR_draco_mesh_compression: 'Draco-compressed geometry',
  EXT_meshopt_compression: 'meshopt-compressed geometry',
  KHR_mesh_quantization: 'quantized geometry',
  KHR_texture_basisu: 'KTX2 (Basis Universal) textures',
  KHR_materials_unlit: 'unlit materials',
  KHR_texture_transform: 'texture transforms',
};
