#!/usr/bin/python3
"""Masks from the mean of several runs' foreground probabilities (issue #12's ensemble control):
an ensemble of independently trained supervised-only networks, to set beside the co-trained pair
averaged at inference (`llmseg infer --network average`). Each input folder holds
{case}.nii.gz written by `llmseg infer --probabilities`; a voxel is foreground where the mean
exceeds 0.5 (the argmax of two classes).

  /usr/bin/python3 tests/reference/average_probabilities.py OUT PROB_DIR PROB_DIR [PROB_DIR ...]
  npx deno task llmseg evaluate --pred-dir OUT --label-dir heldout/labels --labels 1 \\
      --empty-masks lineage
"""
import os, sys
import nibabel as nib
import numpy as np

out, folders = sys.argv[1], sys.argv[2:]
if len(folders) < 2:
    sys.exit("usage: average_probabilities.py OUT PROB_DIR PROB_DIR [PROB_DIR ...]")
cases = sorted(os.listdir(folders[0]))
for folder in folders[1:]:
    if sorted(os.listdir(folder)) != cases:
        sys.exit(f"{folder} does not hold the same cases as {folders[0]}")
os.makedirs(out, exist_ok=True)
for case in cases:
    volumes = [nib.load(os.path.join(folder, case)) for folder in folders]
    mean = np.mean([np.asarray(v.dataobj, dtype=np.float32) for v in volumes], axis=0)
    mask = (mean > 0.5).astype(np.uint8)
    nib.save(nib.Nifti1Image(mask, volumes[0].affine), os.path.join(out, case))
print(f"{len(cases)} masks in {out}, each the mean of {len(folders)} runs' probabilities")
