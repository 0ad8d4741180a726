#!/usr/bin/python3
"""Writes the hippocampus split the issue-#12 comparison uses, as a `llmseg train --data` file:
case ids sorted, shuffled by numpy default_rng(0); the first 30 held out (`split.test`, scored by
both trainers), the next 14 labelled, the other 130 unlabelled.

  /usr/bin/python3 tests/reference/make_split.py ../shared/data/hippocampus > split.json
"""
import json, os, sys
import numpy as np

root = os.path.abspath(sys.argv[1])
ids = sorted(f[: -len(".nii.gz")] for f in os.listdir(os.path.join(root, "labelsTr")) if f.endswith(".nii.gz"))
order = [ids[i] for i in np.random.default_rng(0).permutation(len(ids))]
json.dump({"source": {"layout": "nnunet", "root": root},
           "split": {"labelled": order[30:44], "unlabelled": order[44:], "test": order[:30]},
           "normalization": {"zscore": "all"}, "binarizeLabel": True}, sys.stdout)
