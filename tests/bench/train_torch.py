# PyTorch side of `deno task bench train` (tests/bench/train.ts runs it with Debian's python3-torch):
# the hippocampus preset's iterations reconstructed from docs/METHOD.md 5 (as tests/fixtures/cotrain/
# make_fixture.py, at full size): two lineage V-Nets (width 16, Dropout3d p 0.5 after x5 and x9,
# text branch Linear 768->256 -> ReLU -> Linear 256->256 added at x5 with beta 0.1), patch
# 32x48x32, batch 2 labelled + 2 unlabelled, CE + Dice, USL both ways with weight 0.1, one
# SGD(momentum 0.9, weight decay 1e-4) step per network; the supervised-only iteration (one
# network, the 2 labelled samples); and sliding-window inference of the width-16 V-Net (eval, no
# dropout) on a 120x120x88 volume, 112x112x80 windows at stride 18x18x4 (12 windows).
# usage: /usr/bin/python3 train_torch.py <reps> <row>...   rows: cotrain, supervised, sliding
# Prints one JSON object per row, as engine_torch.py.
import math, os, sys
args = sys.argv[1:]  # engine_torch replaces sys.argv to import the reference module
import torch, torch.nn as nn, torch.nn.functional as F
from engine_torch import ref, timed
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from lineage import cutmix, cutmix_mask, supervised_loss, usl  # one copy, shared with train_reference.py

BETA, UNSUP_WEIGHT = 0.1, 0.1
PATCH = (32, 48, 32)

class HippocampusVNet(ref.VNet):
    """The reference V-Net with the lineage's dropout and the LLM text branch (docs/METHOD.md 3)."""
    def __init__(self):
        super().__init__()
        self.text = nn.Sequential(nn.Linear(768, 256), nn.ReLU(), nn.Linear(256, 256))
        self.drop = nn.Dropout3d(0.5)
    def forward(self, x, e):
        x1 = self.b1(x); x2 = self.b2(self.d1(x1)); x3 = self.b3(self.d2(x2)); x4 = self.b4(self.d3(x3))
        x5 = self.drop(self.b5(self.d4(x4))) + BETA * self.text(e).view(1, -1, 1, 1, 1)
        x6 = self.b6(self.u5(x5) + x4); x7 = self.b7(self.u6(x6) + x3); x8 = self.b8(self.u7(x7) + x2)
        return self.out(self.drop(self.b9(self.u8(x8) + x1)))

def member():
    net = HippocampusVNet().train()
    return net, torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)

def batch():
    x = torch.randn(4, 1, *PATCH) + torch.rand(4, 1, *PATCH) * 0.4 - 0.2
    y = torch.zeros(2, *PATCH, dtype=torch.long); y[:, 8:24, 12:36, 8:24] = 1
    return x, y, cutmix_mask(2, PATCH, lambda high: int(torch.randint(0, high, (1,))))

def cotrain_row(reps):
    (a, opt_a), (b, opt_b) = member(), member()
    e = torch.randn(768) * 0.5
    x, y, mask = batch()
    mix = lambda v: cutmix(v, mask)
    def step():
        xb = torch.cat([x[:2], mix(x[2:])])
        log_a, log_b = a(x, e), b(xb, e)
        ls = supervised_loss(log_a[:2], y) + supervised_loss(log_b[:2], y)
        pa = mix(F.softmax(log_a[2:], 1)); pb = F.softmax(log_b[2:], 1)
        lu = usl(pa, pb.detach()) + usl(pb, pa.detach())
        loss = ls + UNSUP_WEIGHT * lu
        opt_a.zero_grad(); opt_b.zero_grad(); loss.backward(); opt_a.step(); opt_b.step()
        return loss.item()
    timed("cotrain", step, reps)

def supervised_row(reps):
    a, opt = member()
    e = torch.randn(768) * 0.5
    x, y, _ = batch()
    def step():
        loss = supervised_loss(a(x[:2], e), y)
        opt.zero_grad(); loss.backward(); opt.step()
        return loss.item()
    timed("supervised", step, reps)

def sliding_row(_reps):
    net = ref.VNet().eval(); image = torch.randn(120, 120, 88)
    patch, stride = (112, 112, 80), (18, 18, 4)
    def infer():  # the lineage's test_single_case, as engine_torch.py
        score = torch.zeros(2, *image.shape); count = torch.zeros(*image.shape)
        starts = [[min(s * k, d - p) for k in range(math.ceil((d - p) / s) + 1)] for d, p, s in zip(image.shape, patch, stride)]
        with torch.no_grad():
            for i in starts[0]:
                for j in starts[1]:
                    for k in starts[2]:
                        win = image[i:i+112, j:j+112, k:k+80][None, None]
                        score[:, i:i+112, j:j+112, k:k+80] += torch.softmax(net(win), 1)[0]
                        count[i:i+112, j:j+112, k:k+80] += 1
        return score / count
    with torch.no_grad(): net(image[None, None, :112, :112, :80])  # warm-up window, as train.ts
    timed("sliding", infer, 1, warm=False)

if __name__ == "__main__":
    torch.manual_seed(0)
    reps = int(args[0])
    rows = {"cotrain": cotrain_row, "supervised": supervised_row, "sliding": sliding_row}
    for row in args[1:]: rows[row](reps)
