#!/usr/bin/python3
"""Writes a split's held-out cases as an `llmseg infer -i` / `llmseg evaluate --label-dir` pair of
folders (issue #12): <out>/images/{case}.nii.gz links to the scans, <out>/labels/{case}.nii.gz the
labels binarised (label > 0, as the split's "binarizeLabel" trains them). Scores a finished run with
another inference setting, e.g. the co-trained pair's average:

  /usr/bin/python3 tests/reference/make_heldout.py split.json heldout
  npx deno task llmseg infer -m RUN -i heldout/images -o heldout/pred --network average
  npx deno task llmseg evaluate --pred-dir heldout/pred --label-dir heldout/labels --labels 1 \\
      --empty-masks lineage
"""
import json, os, sys
import nibabel as nib
import numpy as np

split_file, out = sys.argv[1], sys.argv[2]
split = json.load(open(split_file))
root = split["source"]["root"]
for sub in ("images", "labels"):
    os.makedirs(os.path.join(out, sub), exist_ok=True)
for case in split["split"]["test"]:
    link = os.path.join(out, "images", case + ".nii.gz")
    if not os.path.lexists(link):
        os.symlink(os.path.join(root, "imagesTr", case + ".nii.gz"), link)
    label = nib.load(os.path.join(root, "labelsTr", case + ".nii.gz"))
    binary = (np.asarray(label.dataobj) > 0).astype(np.uint8)
    nib.save(nib.Nifti1Image(binary, label.affine, label.header), os.path.join(out, "labels", case + ".nii.gz"))
print(f"{len(split['split']['test'])} held-out cases in {out}")
