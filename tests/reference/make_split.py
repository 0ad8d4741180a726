#!/usr/bin/python3
"""Writes the hippocampus split the issue-#12 comparison uses, as a `llmseg train --data` file:
case ids sorted, shuffled by numpy default_rng(0); the first 30 held out (`split.test`, scored by
both trainers), the next 14 labelled (or `--labelled N`: 4 for the 4-labelled rows), the others
unlabelled (130; 140 with 4 labelled, as REFERENCE-RUNS.md).

  /usr/bin/python3 tests/reference/make_split.py ../shared/data/hippocampus [--labelled N] > split.json
"""
import argparse, json, os, sys
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("root")
parser.add_argument("--labelled", type=int, default=14)
args = parser.parse_args()
root = os.path.abspath(args.root)
labelled_end = 30 + args.labelled
ids = sorted(f[: -len(".nii.gz")] for f in os.listdir(os.path.join(root, "labelsTr")) if f.endswith(".nii.gz"))
order = [ids[i] for i in np.random.default_rng(0).permutation(len(ids))]
json.dump({"source": {"layout": "nnunet", "root": root},
           "split": {"labelled": order[30:labelled_end], "unlabelled": order[labelled_end:], "test": order[:30]},
           "normalization": {"zscore": "all"}, "binarizeLabel": True}, sys.stdout)
