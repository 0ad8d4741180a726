#!/usr/bin/python3
"""The hippocampus recipe of REFERENCE-RUNS.md in PyTorch, scored on held-out cases: the
supervised-only baseline (default) or, with --cotrain, LLM-SegNet's co-training as
`llmseg train --preset hippocampus --data split.json` runs it.

Reads a dataset description .json (the shape `llmseg train --data` takes, with explicit
`split.labelled`, `split.unlabelled` (co-training) and `split.test` id lists) and trains on the
labelled cases: batch 2, patch 32x48x32, SGD 0.05 momentum 0.9 wd 1e-4, poly decay 0.9, CE + Dice,
Dropout3d, flips, the lineage's RandomCrop.

Supervised-only: one lineage V-Net without the text branch, clean labelled samples.
Co-training (docs/METHOD.md 5; gpu-worker/training/{batch,step,objectives}.ts): two lineage V-Nets
A and B (initialised one after the other) with the text branch, beta 0.1, e = llmseg's stand-in
knowledge vector of prompts/descriptors/hippocampus.json (no BERT folder: the vector llmseg's runs
use), each with its own SGD. Per iteration 2 labelled + 2 unlabelled samples (split.unlabelled, an
endless chain of permutations), each flipped and cropped; noise U(-0.2, 0.2) on all four; one CutMix
box (2/3 of each side) per unlabelled sample, the partner the other one. A sees the noised batch; B
the labelled part as is and the unlabelled part cut-mixed. L = L_s(A) + L_s(B) + w * (USL(mix(pA),
sg(pB)) + USL(pB, sg(mix(pA)))), t1 0.70, t2 0.05, w = --unsup-weight * sigmoid ramp-up over
--rampup iterations (defaults: the preset's 0.1 and 800 of 2000, the ramp-up scaled with
--iterations as llmseg scales it).

Prints one JSON line: the mean Dice of network A over the test cases (sliding window, stride 8,
label > 0, no post-processing) as "dice", and with --cotrain that of A and B averaged (mean
softmax, `llmseg infer --network average`) as "dice_average".

  /usr/bin/python3 tests/reference/train_reference.py --data split.json --width 8 --iterations 300
  --flip per-axis   each axis with p 0.5 (the reference recipe; default)
  --flip one-axis   always exactly one flip, along axis 0 or 1 (what llmseg did before the fix)
  --cotrain         LLM-SegNet's co-training, e.g. the reference protocol at the presets' weight:
    /usr/bin/python3 tests/reference/train_reference.py --data split.json --cotrain --width 16 \
      --iterations 2000 [--unsup-weight 1] [--rampup 800] [--seed N]
  --log-every N     one JSON line of losses every N iterations (and the first) on stderr
"""
import argparse, json, math, os, sys, time
import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lineage import (VNet, cutmix, cutmix_mask, dice, random_crop, random_flip, sigmoid_rampup,
                     sliding_window, stand_in_knowledge, supervised_loss, usl)

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--width", type=int, default=8)
parser.add_argument("--iterations", type=int, default=300)
parser.add_argument("--seed", type=int, default=1337)
parser.add_argument("--flip", choices=["per-axis", "one-axis"], default="per-axis")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--cotrain", action="store_true")
parser.add_argument("--unsup-weight", type=float, default=0.1)
parser.add_argument("--rampup", type=int, help="default: the preset's 800 of 2000 iterations, scaled")
parser.add_argument("--log-every", type=int, default=0)
args = parser.parse_args()
# gpu-worker/training/presets.ts resolveConfig: overriding the iterations keeps the ramp-up's fraction.
rampup = args.rampup or max(1, math.floor(800 / 2000 * args.iterations + 0.5))
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
draw = lambda high: int(rng.integers(0, high))
PATCH, STRIDE, NOISE = (32, 48, 32), (8, 8, 8), 0.2
REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

description = json.load(open(args.data))
root = description["source"]["root"]


def load(case, with_label=True):
    image = nib.load(f"{root}/imagesTr/{case}.nii.gz").get_fdata(dtype=np.float32)
    image = (image - image.mean()) / image.std()
    if not with_label:
        return image
    label = (nib.load(f"{root}/labelsTr/{case}.nii.gz").get_fdata() > 0).astype(np.int64)
    return image, label


labelled = [load(c) for c in description["split"]["labelled"]]
test = [load(c) for c in description["split"]["test"]]
if args.cotrain and not description["split"].get("unlabelled"):
    sys.exit(f"{args.data}: --cotrain needs a split.unlabelled id list")
# The unlabelled cases' labels are never read: a zero placeholder rides through the transforms.
unlabelled = [(image, np.zeros(image.shape, np.uint8)) for image in
              (load(c, with_label=False) for c in description["split"]["unlabelled"])] if args.cotrain else []


def one_axis_flip(image, label, draw):
    axis = draw(2)
    return np.flip(image, axis), np.flip(label, axis)


flip = random_flip if args.flip == "per-axis" else one_axis_flip


def augmented(case):
    image, label = flip(*case, draw)
    image, label = random_crop(image, label, PATCH, draw)
    return np.ascontiguousarray(image), np.ascontiguousarray(label)


def poly_lr(optimizers, it):
    lr = 0.05 * (1 - it / args.iterations) ** 0.9
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["lr"] = lr
    return lr


def log(it, **losses):
    if args.log_every and (it == 0 or (it + 1) % args.log_every == 0):
        print(json.dumps({"iteration": it + 1, **{k: round(v, 5) for k, v in losses.items()}}),
              file=sys.stderr, flush=True)


def member(beta):
    net = VNet(args.width, beta=beta)
    return net, torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)


def train_supervised():
    net, optimizer = member(0)
    order = []
    for it in range(args.iterations):
        if len(order) < 2:
            order = list(rng.permutation(len(labelled)))
        xs, ys = zip(*[augmented(labelled[order.pop(0)]) for _ in range(2)])
        x = torch.from_numpy(np.stack(xs))[:, None]
        y = torch.from_numpy(np.stack(ys))
        lr = poly_lr([optimizer], it)
        net.train()
        loss = supervised_loss(net(x), y)
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        log(it, loss=loss.item(), lr=lr)
    return [net], None


def train_cotrain():
    """gpu-worker/training/batch.ts drawBatch + step.ts cotrainStep, iteration by iteration."""
    e = stand_in_knowledge(os.path.join(REPO, "prompts", "descriptors", "hippocampus.json"))
    (a, optimizer_a), (b, optimizer_b) = member(0.1), member(0.1)
    labelled_order, unlabelled_order = [], []
    for it in range(args.iterations):
        if len(labelled_order) < 2:
            labelled_order = list(rng.permutation(len(labelled)))
        batch = [labelled[labelled_order.pop(0)] for _ in range(2)]
        for _ in range(2):
            if not unlabelled_order:
                unlabelled_order = list(rng.permutation(len(unlabelled)))
            batch.append(unlabelled[unlabelled_order.pop(0)])
        xs, ys = zip(*[augmented(case) for case in batch])
        x = np.stack(xs)[:, None]
        x = torch.from_numpy(x + rng.uniform(-NOISE, NOISE, x.shape).astype(np.float32))
        y = torch.from_numpy(np.stack(ys[:2]))
        mask = cutmix_mask(2, PATCH, draw)
        lr = poly_lr([optimizer_a, optimizer_b], it)
        weight = args.unsup_weight * sigmoid_rampup(it, rampup)
        a.train(); b.train()
        logits_a = a(x, e)
        logits_b = b(torch.cat([x[:2], cutmix(x[2:], mask)]), e)
        ls = supervised_loss(logits_a[:2], y) + supervised_loss(logits_b[:2], y)
        pa = cutmix(F.softmax(logits_a[2:], 1), mask)  # A's prediction in B's (mixed) geometry
        pb = F.softmax(logits_b[2:], 1)
        lu = usl(pa, pb.detach()) + usl(pb, pa.detach())
        loss = ls + weight * lu
        optimizer_a.zero_grad(); optimizer_b.zero_grad()
        loss.backward()
        optimizer_a.step(); optimizer_b.step()
        log(it, loss=loss.item(), supervised=ls.item(), unsupervised=lu.item(), weight=weight, lr=lr)
    return [a, b], e


began = time.time()
nets, e = train_cotrain() if args.cotrain else train_supervised()
train_seconds = time.time() - began
for net in nets:
    net.eval()
scores = [dice(sliding_window(nets[:1], image, PATCH, STRIDE, e), label) for image, label in test]
result = {"mode": "cotrain" if args.cotrain else "supervised",
          "dice": float(np.mean(scores)), "std": float(np.std(scores)), "cases": len(scores)}
if args.cotrain:
    averaged = [dice(sliding_window(nets, image, PATCH, STRIDE, e), label) for image, label in test]
    result.update({"dice_average": float(np.mean(averaged)), "std_average": float(np.std(averaged)),
                   "unsup_weight": args.unsup_weight, "rampup": rampup})
else:
    result["dice_average"] = None
result.update({"flip": args.flip, "width": args.width, "iterations": args.iterations,
               "seed": args.seed, "train_seconds": round(train_seconds, 1)})
print(json.dumps(result))
