/**
 * DICOM image-plane geometry (PS3.3 C.7.6.2) ↔ our RAS voxel-to-world affine. DICOM's patient
 * coordinates are LPS; voxel (i, j, k) is column i, row j of slice k:
 * `position = IPP_k + i·Δcol·rowCosines + j·Δrow·columnCosines`, with PixelSpacing = [Δrow, Δcol].
 */
import type { Affine } from "./volume.ts";
import { worldAffine } from "./raster.ts";

/** LPS ↔ RAS: x and y change sign. */
const LPS: [number, number, number] = [-1, -1, 1];

/** One slice's plane as DICOM states it. */
export interface DicomPlane {
  /** ImageOrientationPatient: row direction cosines (along i), then column ones (along j). */
  orientation: number[];
  /** PixelSpacing: [between rows (j), between columns (i)] in mm. */
  pixelSpacing: number[];
  /** ImagePositionPatient of the first transmitted voxel (i = j = 0), LPS mm. */
  position: number[];
}

/** The slice normal `rowCosines × columnCosines` (the direction slices are sorted along). */
export function sliceNormal(orientation: readonly number[]): [number, number, number] {
  const [a, b, c, d, e, f] = orientation;
  return [b * f - c * e, c * d - a * f, a * e - b * d];
}

/** Position of a point along `normal` (the sort key of a slice). */
export function alongNormal(position: readonly number[], normal: readonly number[]): number {
  return position[0] * normal[0] + position[1] * normal[1] + position[2] * normal[2];
}

/**
 * The RAS affine of slices `first` … (k steps of `sliceStep`, LPS mm; the actual step between
 * consecutive positions, so a gantry tilt stays in the geometry).
 */
export function affineFromPlanes(first: DicomPlane, sliceStep: readonly number[]): Affine {
  const { orientation: o, pixelSpacing: [rowSpacing, columnSpacing] } = first;
  const i = [o[0] * columnSpacing, o[1] * columnSpacing, o[2] * columnSpacing];
  const j = [o[3] * rowSpacing, o[4] * rowSpacing, o[5] * rowSpacing];
  return worldAffine([i, j, sliceStep], first.position, LPS);
}

/**
 * The DICOM plane of slice `k` of a volume with RAS affine `affine`. The i and j axes must be
 * perpendicular (DICOM has no shear in plane); the k axis may point anywhere.
 *
 * @throws RangeError when i and j are not perpendicular or have no length
 */
export function planeOfSlice(affine: Affine, k: number): DicomPlane {
  const column = (c: number): number[] => [0, 1, 2].map((r) => LPS[r] * affine[r][c]);
  const [i, j, step] = [column(0), column(1), column(2)];
  const columnSpacing = Math.hypot(...i);
  const rowSpacing = Math.hypot(...j);
  if (columnSpacing === 0 || rowSpacing === 0) throw new RangeError("a voxel axis has no length");
  const cosine = alongNormal(i, j) / (columnSpacing * rowSpacing);
  if (Math.abs(cosine) > 1e-4) {
    throw new RangeError(
      `voxel axes i and j are not perpendicular (cosine ${
        cosine.toFixed(4)
      }): DICOM cannot store it`,
    );
  }
  const origin = [0, 1, 2].map((r) => LPS[r] * affine[r][3]);
  return {
    orientation: [...i.map((v) => v / columnSpacing), ...j.map((v) => v / rowSpacing)],
    pixelSpacing: [rowSpacing, columnSpacing],
    position: origin.map((v, r) => v + k * step[r]),
  };
}
