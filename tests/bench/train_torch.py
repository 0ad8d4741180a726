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
import math, sys
args = sys.argv[1:]  # engine_torch replaces sys.argv to import the reference module
import torch, torch.nn as nn, torch.nn.functional as F
from engine_torch import ref, timed

T1, T2, EPS, BETA, UNSUP_WEIGHT = 0.70, 0.05, 1e-8, 0.1, 0.1
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

def dice_loss(score, target):  # UA-MT code/utils/losses.py
    smooth = 1e-5
    intersect = torch.sum(score * target); y_sum = torch.sum(target * target); z_sum = torch.sum(score * score)
    return 1 - (2 * intersect + smooth) / (z_sum + y_sum + smooth)

def supervised(logits, y):
    return F.cross_entropy(logits, y) + dice_loss(F.softmax(logits, 1)[:, 1], y.float())

def usl(p, q):  # docs/METHOD.md 5, classes on dim 1 (as make_fixture.py)
    qmax, star = q.max(1); qmin = q.min(1)[0]
    w1 = qmax * (qmax > T1).float(); w2 = (1 - qmin) * (qmin < T2).float()
    w3 = ((qmin > T2) & (qmax < T1)).float()
    pos = -torch.log(p.gather(1, star.unsqueeze(1)).squeeze(1) + EPS)
    others = 1 - F.one_hot(star, p.shape[1]).permute(0, 4, 1, 2, 3).float()
    neg = -(others * torch.log(1 - p + EPS)).sum(1)
    mse = ((p - q) ** 2).mean(1)
    return (w1 * pos + w2 * neg + w3 * mse).mean()

def member():
    net = HippocampusVNet().train()
    return net, torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)

def batch():
    x = torch.randn(4, 1, *PATCH) + torch.rand(4, 1, *PATCH) * 0.4 - 0.2
    y = torch.zeros(2, *PATCH, dtype=torch.long); y[:, 8:24, 12:36, 8:24] = 1
    mask = torch.zeros(2, 1, *PATCH)
    side = [math.floor(p * 2 / 3) for p in PATCH]
    for n in range(2):
        c = [int(torch.randint(0, p - s, (1,))) for p, s in zip(PATCH, side)]
        mask[n, :, c[0]:c[0] + side[0], c[1]:c[1] + side[1], c[2]:c[2] + side[2]] = 1
    return x, y, mask

def cotrain_row(reps):
    (a, opt_a), (b, opt_b) = member(), member()
    e = torch.randn(768) * 0.5
    x, y, mask = batch()
    mix = lambda v: (1 - mask) * v + mask * v[[1, 0]]
    def step():
        xb = torch.cat([x[:2], mix(x[2:])])
        log_a, log_b = a(x, e), b(xb, e)
        ls = supervised(log_a[:2], y) + supervised(log_b[:2], y)
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
        loss = supervised(a(x[:2], e), y)
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
