import { equal, match } from "node:assert/strict";
import { scanFileProblem } from "./upload_check.ts";

Deno.test("scanFileProblem accepts NIfTI and HDF5 names and names the file it refuses", () => {
  equal(scanFileProblem("case_01.nii.gz", 10), undefined);
  equal(scanFileProblem("A.NII", 10), undefined);
  equal(scanFileProblem("mri_norm2.h5", 10), undefined);
  match(scanFileProblem("notes.txt", 10) ?? "", /^notes\.txt: not a scan file/);
  match(scanFileProblem("empty.nii", 0) ?? "", /^empty\.nii: the file is empty/);
});
