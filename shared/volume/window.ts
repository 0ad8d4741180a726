import type { Volume } from "./volume.ts";

/**
 * CT intensity windowing: clips to `[level − width/2, level + width/2]` and rescales that range to
 * [0, 1] (docs/METHOD.md section 2.1, Pancreas-CT: level 75 HU, width 400 HU, i.e. clip to [−125, 275]).
 *
 * @returns a float32 volume of the same shape and geometry
 */
export function windowIntensities(volume: Volume, level: number, width: number): Volume {
  if (!(width > 0)) throw new RangeError(`window width must be positive, not ${width}`);
  const low = level - width / 2;
  const data = new Float32Array(volume.data.length);
  for (let i = 0; i < data.length; i++) {
    const scaled = (volume.data[i] - low) / width;
    data[i] = scaled < 0 ? 0 : scaled > 1 ? 1 : scaled;
  }
  return { ...volume, data };
}
