import type { Affine } from "./volume.ts";

/** The 4x4 identity scaled by `spacing`: the geometry of a source that stores none (HDF5). */
export function spacingAffine(spacing: readonly [number, number, number]): Affine {
  return [
    [spacing[0], 0, 0, 0],
    [0, spacing[1], 0, 0],
    [0, 0, spacing[2], 0],
    [0, 0, 0, 1],
  ];
}

/**
 * NIfTI qform (quaternion b, c, d; offsets; pixdim with qfac) to an affine, as nibabel's
 * `Nifti1Header.get_qform` computes it: `a = sqrt(1 - b² - c² - d²)`, rotation from the unit
 * quaternion, columns scaled by the voxel sizes, the k column negated when qfac is -1.
 */
export function quaternionAffine(
  quaternion: readonly [number, number, number],
  offset: readonly [number, number, number],
  pixdim: readonly [number, number, number],
  qfac: number,
): Affine {
  const [b, c, d] = quaternion;
  const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
  const rotation = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  const zooms = [pixdim[0], pixdim[1], qfac === -1 ? -pixdim[2] : pixdim[2]];
  const row = (r: number): [number, number, number, number] => [
    rotation[r][0] * zooms[0],
    rotation[r][1] * zooms[1],
    rotation[r][2] * zooms[2],
    offset[r],
  ];
  return [row(0), row(1), row(2), [0, 0, 0, 1]];
}

/**
 * nibabel's fallback affine for a header with neither qform nor sform (`get_base_affine`): voxel
 * sizes on the diagonal, i flipped, the volume centred on the origin.
 */
export function baseAffine(
  shape: readonly [number, number, number],
  pixdim: readonly [number, number, number],
): Affine {
  const zooms = [-pixdim[0], pixdim[1], pixdim[2]];
  const origin = (axis: number): number => -((shape[axis] - 1) / 2) * zooms[axis];
  return [
    [zooms[0], 0, 0, origin(0)],
    [0, zooms[1], 0, origin(1)],
    [0, 0, zooms[2], origin(2)],
    [0, 0, 0, 1],
  ];
}

/**
 * Splits an affine's 3x3 part into a rotation quaternion (b, c, d), qfac and voxel sizes, the
 * inverse of {@link quaternionAffine} (nibabel `set_qform`). Shears are dropped: the columns are
 * normalised and, when the frame is left-handed, the k column is negated (qfac = -1).
 */
export function affineToQuaternion(affine: Affine): {
  quaternion: [number, number, number];
  pixdim: [number, number, number];
  qfac: number;
} {
  const column = (j: number): number[] => [affine[0][j], affine[1][j], affine[2][j]];
  const pixdim = [0, 1, 2].map((j) => Math.hypot(...column(j)) || 1) as [number, number, number];
  const r = [0, 1, 2].map((i) => [0, 1, 2].map((j) => affine[i][j] / pixdim[j]));
  const det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
    r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
    r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
  const qfac = det < 0 ? -1 : 1;
  if (qfac === -1) { for (const row of r) row[2] = -row[2]; }
  return { quaternion: rotationToQuaternion(r), pixdim, qfac };
}

/** Unit quaternion (b, c, d with a >= 0) of a proper rotation matrix (Shepperd's method). */
function rotationToQuaternion(r: number[][]): [number, number, number] {
  const trace = r[0][0] + r[1][1] + r[2][2];
  let q: [number, number, number, number];
  if (trace > 0) {
    const s = 2 * Math.sqrt(trace + 1);
    q = [s / 4, (r[2][1] - r[1][2]) / s, (r[0][2] - r[2][0]) / s, (r[1][0] - r[0][1]) / s];
  } else if (r[0][0] > r[1][1] && r[0][0] > r[2][2]) {
    const s = 2 * Math.sqrt(1 + r[0][0] - r[1][1] - r[2][2]);
    q = [(r[2][1] - r[1][2]) / s, s / 4, (r[0][1] + r[1][0]) / s, (r[0][2] + r[2][0]) / s];
  } else if (r[1][1] > r[2][2]) {
    const s = 2 * Math.sqrt(1 + r[1][1] - r[0][0] - r[2][2]);
    q = [(r[0][2] - r[2][0]) / s, (r[0][1] + r[1][0]) / s, s / 4, (r[1][2] + r[2][1]) / s];
  } else {
    const s = 2 * Math.sqrt(1 + r[2][2] - r[0][0] - r[1][1]);
    q = [(r[1][0] - r[0][1]) / s, (r[0][2] + r[2][0]) / s, (r[1][2] + r[2][1]) / s, s / 4];
  }
  const sign = q[0] < 0 ? -1 : 1;
  return [sign * q[1], sign * q[2], sign * q[3]];
}

/** Largest absolute difference between two affines' entries. */
export function affineDistance(a: Affine, b: Affine): number {
  let worst = 0;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]));
  }
  return worst;
}

/** The product `a · b` of two affines. */
export function multiplyAffines(a: Affine, b: Affine): Affine {
  const row = (r: number): [number, number, number, number] =>
    [0, 1, 2, 3].map((c) =>
      a[r][0] * b[0][c] + a[r][1] * b[1][c] + a[r][2] * b[2][c] + a[r][3] * b[3][c]
    ) as [
      number,
      number,
      number,
      number,
    ];
  return [row(0), row(1), row(2), [0, 0, 0, 1]];
}

/** The inverse of an affine (3x3 part by cofactors, then the translation). */
export function invertAffine(affine: Affine): Affine {
  const [[a, b, c], [d, e, f], [g, h, i]] = affine;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) {
    throw new RangeError("affine is singular (a voxel axis has no extent in the world)");
  }
  const m = [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
  const t = [affine[0][3], affine[1][3], affine[2][3]];
  const row = (r: number): [number, number, number, number] => [
    m[r][0],
    m[r][1],
    m[r][2],
    -(m[r][0] * t[0] + m[r][1] * t[1] + m[r][2] * t[2]),
  ];
  return [row(0), row(1), row(2), [0, 0, 0, 1]];
}
