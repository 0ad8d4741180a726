import type { Shape3 } from "../transforms/mod.ts";

/**
 * Keeps the largest 26-connected component of the foreground (labels > 0), zeroing the rest
 * (docs/METHOD.md 6.5; skimage `label` with full connectivity, as BCP/SS-Net `--nms 1`).
 *
 * @param labels `[X, Y, Z]` row-major; modified in place and returned.
 */
export function keepLargestComponent(labels: Uint8Array, [X, Y, Z]: Shape3): Uint8Array {
  const component = new Int32Array(labels.length);
  const stack = new Int32Array(labels.length);
  let best = 0, bestSize = 0, next = 0;
  for (let seed = 0; seed < labels.length; seed++) {
    if (labels[seed] === 0 || component[seed] !== 0) continue;
    const id = ++next;
    let size = 0, top = 0;
    stack[top++] = seed;
    component[seed] = id;
    while (top > 0) {
      const v = stack[--top];
      size++;
      const x = Math.floor(v / (Y * Z)), y = Math.floor(v / Z) % Y, z = v % Z;
      for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx;
        if (nx < 0 || nx >= X) continue;
        for (let dy = -1; dy <= 1; dy++) {
          const ny = y + dy;
          if (ny < 0 || ny >= Y) continue;
          for (let dz = -1; dz <= 1; dz++) {
            const nz = z + dz;
            if (nz < 0 || nz >= Z) continue;
            const n = (nx * Y + ny) * Z + nz;
            if (labels[n] !== 0 && component[n] === 0) {
              component[n] = id;
              stack[top++] = n;
            }
          }
        }
      }
    }
    if (size > bestSize) [best, bestSize] = [id, size];
  }
  for (let v = 0; v < labels.length; v++) if (component[v] !== best) labels[v] = 0;
  return labels;
}
