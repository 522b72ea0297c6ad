import type { Locator } from 'playwright-core';
import sharp from 'sharp';

export interface PixelReport {
  width: number;
  height: number;
  /** Pixels that differ clearly from the stage background. */
  foreground: number;
  ratio: number;
}

function parseHex(hex: string): [number, number, number] {
  const value = Number.parseInt(hex.replace('#', ''), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/**
 * Screenshots an element and counts the pixels that differ from `background` by more than
 * `tolerance` in any channel. A drawn model shows up as foreground; an empty stage does not.
 */
export async function countForeground(
  locator: Locator,
  background: string,
  tolerance = 24,
): Promise<PixelReport> {
  const png = await locator.screenshot({ animations: 'disabled' });
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const [r, g, b] = parseHex(background);
  let foreground = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    if (
      Math.abs(data[i]! - r) > tolerance ||
      Math.abs(data[i + 1]! - g) > tolerance ||
      Math.abs(data[i + 2]! - b) > tolerance
    ) {
      foreground += 1;
    }
  }
  const total = info.width * info.height;
  return { width: info.width, height: info.height, foreground, ratio: foreground / total };
}

/** Share of pixels that differ between two screenshots of the same element. */
export async function screenshotDifference(a: Buffer, b: Buffer, tolerance = 24): Promise<number> {
  const [one, two] = await Promise.all([
    sharp(a).removeAlpha().raw().toBuffer({ resolveWithObject: true }),
    sharp(b).removeAlpha().raw().toBuffer({ resolveWithObject: true }),
  ]);
  if (one.info.width !== two.info.width || one.info.height !== two.info.height) return 1;
  let different = 0;
  for (let i = 0; i < one.data.length; i += one.info.channels) {
    for (let c = 0; c < 3; c++) {
      if (Math.abs(one.data[i + c]! - two.data[i + c]!) > tolerance) {
        different += 1;
        break;
      }
    }
  }
  return different / (one.info.width * one.info.height);
}
