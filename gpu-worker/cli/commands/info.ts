/**
 * `llmseg info`: what a scan or mask file holds: shape, channels, datatype, spacing, affine,
 * orientation and value range, read exactly as training and inference read it.
 */
import { describeVolume, readVolume, UserError, type VolumeDescription } from "@llmseg/shared";
import { type Command, parseOptions } from "../command.ts";

const usage = `usage: llmseg info <volume> [--json]

Prints the shape, channels, datatype, voxel spacing, affine, axis orientation and value range of
a volume: .nii, .nii.gz, or .h5 with an optional dataset fragment (case.h5#label; default image).

  --json   print one JSON object instead of text`;

export const infoCommand: Command = {
  name: "info",
  summary: "Shape, datatype, spacing, affine and value range of a volume file",
  usage,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      json: { type: "boolean", default: false },
    }, usage);
    if (positionals.length !== 1) {
      throw new UserError(
        "bad_option",
        `expected exactly one volume, got ${positionals.length}\n\n${usage}`,
      );
    }
    const description = describeVolume(await readVolume(positionals[0]));
    console.log(values.json ? JSON.stringify(description) : formatDescription(description));
    return 0;
  },
};

function formatDescription(d: VolumeDescription): string {
  const number = (n: number): string => `${Number(n.toPrecision(6))}`;
  const stored = d.datatype === d.memoryDatatype
    ? d.datatype
    : `${d.datatype} (scaled to ${d.memoryDatatype})`;
  const ranges = d.range.map((r, c) =>
    `${d.channels > 1 ? `channel ${c}: ` : ""}${number(r.min)} .. ${number(r.max)}`
  );
  return [
    `file      ${d.path} (${d.format})`,
    `shape     ${d.shape.join(" x ")}${d.channels > 1 ? ` x ${d.channels} channels` : ""}`,
    `datatype  ${stored}`,
    `spacing   ${d.spacing.map(number).join(" x ")} mm${
      d.format === "hdf5" ? " (HDF5 stores none)" : ""
    }`,
    `axes      ${d.axisCodes}`,
    `affine    ${
      d.affine.slice(0, 3).map((row) => `[${row.map(number).join(", ")}]`).join("\n          ")
    }`,
    `range     ${ranges.join("\n          ")}`,
    ...(d.nonFinite > 0 ? [`nonfinite ${d.nonFinite} voxels (NaN or infinite)`] : []),
  ].join("\n");
}
