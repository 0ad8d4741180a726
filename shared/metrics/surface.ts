/** Object surfaces as medpy finds them (docs/METHOD.md section 7, steps 2-4). */

/** Spatial size [X, Y, Z] of a flat i-fastest mask (the `Volume` layout). */
export type Shape3 = [number, number, number];

/**
 * Linear indices (i + j·X + k·X·Y, ascending) of the surface voxels of `mask`: object voxels with
 * at least one of their 6 face neighbours background or outside the array. This is
 * `A XOR binary_erosion(A, generate_binary_structure(3, 1), border_value=0)`.
 */
export function surfaceVoxels(mask: Uint8Array, shape: Shape3): Int32Array {
  const [X, Y, Z] = shape;
  const XY = X * Y;
  let out = new Int32Array(1024);
  let n = 0;
  for (let k = 0, v = 0; k < Z; k++) {
    for (let j = 0; j < Y; j++) {
      for (let i = 0; i < X; i++, v++) {
        if (mask[v] === 0) continue;
        const onSurface = i === 0 || i === X - 1 || j === 0 || j === Y - 1 || k === 0 ||
          k === Z - 1 || mask[v - 1] === 0 || mask[v + 1] === 0 || mask[v - X] === 0 ||
          mask[v + X] === 0 || mask[v - XY] === 0 || mask[v + XY] === 0;
        if (!onSurface) continue;
        if (n === out.length) {
          const grown = new Int32Array(out.length * 2);
          grown.set(out);
          out = grown;
        }
        out[n++] = v;
      }
    }
  }
  return out.slice(0, n);
}
