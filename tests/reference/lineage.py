"""The lineage's pieces in PyTorch, for reference runs and fixtures (never used at run time).

V-Net (yulequan/UA-MT code/networks/vnet.py, batch norm, Dropout3d p 0.5 on x5 and x9) with the
LLM text branch at the bottleneck (docs/METHOD.md 3.3: x5 <- dropout(x5) + beta * MLP(e)) and
llmseg's stand-in for its knowledge vector e, the lineage's transforms (code/dataloaders/la_heart.py
RandomCrop, RandomRotFlip; the per-axis RandomFlip of the hippocampus reference recipe), llmseg's
CutMix box (METHOD.md 4), losses (code/utils/losses.py dice_loss; METHOD.md 5's USL), the sigmoid
ramp-up (code/utils/ramps.py) and sliding-window inference (code/test_util.py test_single_case).

Run with Debian's python3-torch (/usr/bin/python3).
"""
import hashlib, json, math
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


from xoshiro import Rng


class ConvBlock(nn.Module):
    def __init__(self, n, cin, cout):
        super().__init__()
        ops = []
        for i in range(n):
            ops += [nn.Conv3d(cin if i == 0 else cout, cout, 3, padding=1), nn.BatchNorm3d(cout),
                    nn.ReLU(inplace=True)]
        self.conv = nn.Sequential(*ops)

    def forward(self, x):
        return self.conv(x)


class Resample(nn.Module):
    def __init__(self, cin, cout, up):
        super().__init__()
        conv = nn.ConvTranspose3d(cin, cout, 2, stride=2) if up else nn.Conv3d(cin, cout, 2, stride=2)
        self.conv = nn.Sequential(conv, nn.BatchNorm3d(cout), nn.ReLU(inplace=True))

    def forward(self, x):
        return self.conv(x)


class Text(nn.Module):
    """Linear 768 -> hidden -> ReLU -> Linear hidden -> channels (docs/METHOD.md 3.3)."""

    def __init__(self, channels, hidden):
        super().__init__()
        self.fc1 = nn.Linear(768, hidden)
        self.fc2 = nn.Linear(hidden, channels)

    def forward(self, e):
        return self.fc2(F.relu(self.fc1(e)))


class VNet(nn.Module):
    def __init__(self, nf, classes=2, in_channels=1, dropout=True, beta=0.1, hidden=256):
        super().__init__()
        self.has_dropout, self.beta = dropout, beta
        self.block_one = ConvBlock(1, in_channels, nf)
        self.block_one_dw = Resample(nf, 2 * nf, False)
        self.block_two = ConvBlock(2, 2 * nf, 2 * nf)
        self.block_two_dw = Resample(2 * nf, 4 * nf, False)
        self.block_three = ConvBlock(3, 4 * nf, 4 * nf)
        self.block_three_dw = Resample(4 * nf, 8 * nf, False)
        self.block_four = ConvBlock(3, 8 * nf, 8 * nf)
        self.block_four_dw = Resample(8 * nf, 16 * nf, False)
        self.block_five = ConvBlock(3, 16 * nf, 16 * nf)
        self.text = Text(16 * nf, hidden) if beta else None
        self.block_five_up = Resample(16 * nf, 8 * nf, True)
        self.block_six = ConvBlock(3, 8 * nf, 8 * nf)
        self.block_six_up = Resample(8 * nf, 4 * nf, True)
        self.block_seven = ConvBlock(3, 4 * nf, 4 * nf)
        self.block_seven_up = Resample(4 * nf, 2 * nf, True)
        self.block_eight = ConvBlock(2, 2 * nf, 2 * nf)
        self.block_eight_up = Resample(2 * nf, nf, True)
        self.block_nine = ConvBlock(1, nf, nf)
        self.out_conv = nn.Conv3d(nf, classes, 1)
        self.dropout = nn.Dropout3d(p=0.5)

    def forward(self, x, e=None):
        x1 = self.block_one(x)
        x2 = self.block_two(self.block_one_dw(x1))
        x3 = self.block_three(self.block_two_dw(x2))
        x4 = self.block_four(self.block_three_dw(x3))
        x5 = self.block_five(self.block_four_dw(x4))
        if self.has_dropout:
            x5 = self.dropout(x5)
        if self.text is not None:
            x5 = x5 + self.beta * self.text(e).view(1, -1, 1, 1, 1)
        x6 = self.block_six(self.block_five_up(x5) + x4)
        x7 = self.block_seven(self.block_six_up(x6) + x3)
        x8 = self.block_eight(self.block_seven_up(x7) + x2)
        x9 = self.block_nine(self.block_eight_up(x8) + x1)
        if self.has_dropout:
            x9 = self.dropout(x9)
        return self.out_conv(x9)


def crop_padding(shape, patch):
    """RandomCrop's zero padding per side: every axis, when any side is <= the patch side."""
    if all(s > p for s, p in zip(shape, patch)):
        return [0, 0, 0]
    return [max((p - s) // 2 + 3, 0) for s, p in zip(shape, patch)]


def random_crop(image, label, patch, draw):
    """The lineage's RandomCrop; `draw(high)` returns an integer in [0, high)."""
    pad = crop_padding(image.shape, patch)
    if any(pad):
        image = np.pad(image, [(q, q) for q in pad], mode="constant", constant_values=0)
        label = np.pad(label, [(q, q) for q in pad], mode="constant", constant_values=0)
    start = [draw(s - p) for s, p in zip(image.shape, patch)]
    window = tuple(slice(a, a + p) for a, p in zip(start, patch))
    return image[window], label[window]


def random_flip(image, label, draw):
    """Each of the three axes flipped independently with probability 0.5 (draw(2) == 1)."""
    for axis in range(3):
        if draw(2) == 1:
            image, label = np.flip(image, axis), np.flip(label, axis)
    return image, label


def random_rot_flip(image, label, draw):
    """The lineage's RandomRotFlip: k quarter turns in the (0, 1) plane, then a flip along 0 or 1."""
    k = draw(4)
    image, label = np.rot90(image, k), np.rot90(label, k)
    axis = draw(2)
    return np.flip(image, axis), np.flip(label, axis)


def dice_loss(score, target):
    smooth = 1e-5
    intersect = torch.sum(score * target)
    return 1 - (2 * intersect + smooth) / (torch.sum(score * score) + torch.sum(target * target) + smooth)


def supervised_loss(logits, label):
    """L_s = CE + soft foreground Dice (docs/METHOD.md 5)."""
    return F.cross_entropy(logits, label) + dice_loss(F.softmax(logits, 1)[:, 1], label.float())


def usl(p, q, t1=0.70, t2=0.05, eps=1e-8):
    """USL(pred p, target q) of docs/METHOD.md 5 (gpu-worker/losses/usl.ts), classes on dim 1, mean
    over all voxels; q is used as given (detach it for the stop-gradient)."""
    qmax, star = q.max(1)
    qmin = q.min(1)[0]
    w1 = qmax * (qmax > t1).float()
    w2 = (1 - qmin) * (qmin < t2).float()
    w3 = ((qmin > t2) & (qmax < t1)).float()
    pos = -torch.log(p.gather(1, star.unsqueeze(1)).squeeze(1) + eps)
    others = 1 - F.one_hot(star, p.shape[1]).movedim(-1, 1).float()
    neg = -(others * torch.log(1 - p + eps)).sum(1)
    mse = ((p - q) ** 2).mean(1)
    return (w1 * pos + w2 * neg + w3 * mse).mean()


def cutmix_mask(count, patch, draw, fraction=2 / 3):
    """gpu-worker/transforms/cutmix.ts drawCutMix + cutMixMask: one box per sample, sides
    floor(fraction * patch side), corner draw(patch side - box side) per axis; M [count, 1, *patch]
    is 1 inside the box (the voxels taken from the partner)."""
    side = [math.floor(p * fraction) for p in patch]
    mask = torch.zeros(count, 1, *patch)
    for n in range(count):
        a, b, c = [draw(max(p - s, 1)) for p, s in zip(patch, side)]
        mask[n, :, a:a + side[0], b:b + side[1], c:c + side[2]] = 1
    return mask


def cutmix(values, mask):
    """mix(v)[i] = (1 - M_i) v[i] + M_i v[(i + 1) % n] (METHOD.md 4; a swap for two samples), for
    images and probabilities alike; differentiable in `values`."""
    return (1 - mask) * values + mask * torch.roll(values, -1, 0)


def sigmoid_rampup(t, length):
    """The lineage's exp(-5 (1 - clip(t, 0, L)/L)^2) (gpu-worker/training/schedules.ts)."""
    phase = 1 - min(max(t, 0), length) / length
    return math.exp(-5 * phase * phase)


def stand_in_knowledge(descriptor_set):
    """llmseg's knowledge vector e without a BERT folder (shared/knowledge/knowledge_vector.ts
    standInKnowledge): 768 N(0, 0.5^2) draws (Box-Muller) of the project's Rng seeded by the first
    32 bits of the sha256 of the set's descriptors as JSON."""
    descriptors = json.load(open(descriptor_set))["descriptors"]
    text = json.dumps(descriptors, ensure_ascii=False, separators=(",", ":"))
    rng = Rng(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16))

    def normal():
        u = 1 - rng.uniform()
        return math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * rng.uniform())

    return torch.tensor([0.5 * normal() for _ in range(768)], dtype=torch.float32)


@torch.no_grad()
def sliding_window(nets, image, patch, stride, e=None, classes=2):
    """test_single_case: pad to the patch, average window probabilities, argmax, crop back. With
    several networks each window's probabilities are their mean softmax (llmseg infer --network
    average)."""
    pad = [max(p - s, 0) for s, p in zip(image.shape, patch)]
    lo = [q // 2 for q in pad]
    padded = np.pad(image, [(l, q - l) for l, q in zip(lo, pad)], mode="constant")
    shape = padded.shape
    steps = [math.ceil((s - p) / st) + 1 for s, p, st in zip(shape, patch, stride)]
    score = np.zeros((classes,) + shape, np.float32)
    count = np.zeros(shape, np.float32)
    for i in range(steps[0]):
        a = min(stride[0] * i, shape[0] - patch[0])
        for j in range(steps[1]):
            b = min(stride[1] * j, shape[1] - patch[1])
            for k in range(steps[2]):
                c = min(stride[2] * k, shape[2] - patch[2])
                window = padded[a:a + patch[0], b:b + patch[1], c:c + patch[2]]
                x = torch.from_numpy(np.ascontiguousarray(window))[None, None].float()
                y = sum(F.softmax(net(x, e), 1)[0] for net in nets).numpy() / len(nets)
                score[:, a:a + patch[0], b:b + patch[1], c:c + patch[2]] += y
                count[a:a + patch[0], b:b + patch[1], c:c + patch[2]] += 1
    label = np.argmax(score / count[None], 0)
    return label[lo[0]:lo[0] + image.shape[0], lo[1]:lo[1] + image.shape[1], lo[2]:lo[2] + image.shape[2]]


def dice(prediction, truth):
    """medpy's dc for binary masks."""
    p, t = prediction > 0, truth > 0
    total = p.sum() + t.sum()
    return 2.0 * np.logical_and(p, t).sum() / total if total else 0.0
