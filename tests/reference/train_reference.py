#!/usr/bin/python3
"""The supervised hippocampus recipe of REFERENCE-RUNS.md in PyTorch, scored on held-out cases.

Reads a dataset description .json (the shape `llmseg train --data` takes, with explicit
`split.labelled` and `split.test` id lists), trains one lineage V-Net on the labelled cases
(batch 2, patch 32x48x32, SGD 0.05 momentum 0.9 wd 1e-4, poly decay 0.9, CE + Dice, Dropout3d,
flips, the lineage's RandomCrop) and prints the mean Dice of network A over the test cases
(sliding window, stride 8, label > 0, no post-processing) as one JSON line.

  /usr/bin/python3 tests/reference/train_reference.py --data split.json --width 8 --iterations 300
  --flip per-axis   each axis with p 0.5 (the reference recipe; default)
  --flip one-axis   always exactly one flip, along axis 0 or 1 (what llmseg did before the fix)
"""
import argparse, json, os, sys, time
import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lineage import VNet, dice, random_crop, random_flip, sliding_window, supervised_loss

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--width", type=int, default=8)
parser.add_argument("--iterations", type=int, default=300)
parser.add_argument("--seed", type=int, default=1337)
parser.add_argument("--flip", choices=["per-axis", "one-axis"], default="per-axis")
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
draw = lambda high: int(rng.integers(0, high))
PATCH, STRIDE = (32, 48, 32), (8, 8, 8)

description = json.load(open(args.data))
root = description["source"]["root"]


def load(case):
    image = nib.load(f"{root}/imagesTr/{case}.nii.gz").get_fdata(dtype=np.float32)
    image = (image - image.mean()) / image.std()
    label = (nib.load(f"{root}/labelsTr/{case}.nii.gz").get_fdata() > 0).astype(np.int64)
    return image, label


labelled = [load(c) for c in description["split"]["labelled"]]
test = [load(c) for c in description["split"]["test"]]


def one_axis_flip(image, label, draw):
    axis = draw(2)
    return np.flip(image, axis), np.flip(label, axis)


flip = random_flip if args.flip == "per-axis" else one_axis_flip
net = VNet(args.width, beta=0)
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
order, began = [], time.time()
for it in range(args.iterations):
    if len(order) < 2:
        order = list(rng.permutation(len(labelled)))
    batch = [order.pop(0), order.pop(0)]
    xs, ys = [], []
    for index in batch:
        image, label = flip(*labelled[index], draw)
        image, label = random_crop(image, label, PATCH, draw)
        xs.append(np.ascontiguousarray(image)); ys.append(np.ascontiguousarray(label))
    x = torch.from_numpy(np.stack(xs))[:, None]
    y = torch.from_numpy(np.stack(ys))
    lr = 0.05 * (1 - it / args.iterations) ** 0.9
    for group in optimizer.param_groups:
        group["lr"] = lr
    net.train()
    loss = supervised_loss(net(x), y)
    optimizer.zero_grad(); loss.backward(); optimizer.step()
train_seconds = time.time() - began
net.eval()
scores = [dice(sliding_window(net, image, PATCH, STRIDE), label) for image, label in test]
print(json.dumps({"dice": float(np.mean(scores)), "std": float(np.std(scores)), "cases": len(scores),
                  "flip": args.flip, "width": args.width, "iterations": args.iterations,
                  "seed": args.seed, "train_seconds": round(train_seconds, 1)}))
