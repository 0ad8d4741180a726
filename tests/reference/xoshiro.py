"""shared/random.ts's Rng (xoshiro128**, splitmix32 seeding) in Python, draw for draw, so that a
reference run draws the same batches, flips and crops as llmseg from the same seed."""

M32 = 0xFFFFFFFF


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


def _imul(a, b):
    return (a * b) & M32


class Rng:
    def __init__(self, seed):
        self.s = [0, 0, 0, 0]
        x = seed & M32
        for i in range(4):
            x = (x + 0x9E3779B9) & M32
            z = x
            z = _imul(z ^ (z >> 16), 0x85EBCA6B)
            z = _imul(z ^ (z >> 13), 0xC2B2AE35)
            self.s[i] = (z ^ (z >> 16)) & M32

    def next_uint32(self):
        s = self.s
        result = _imul(_rotl(_imul(s[1], 5), 7), 9)
        t = (s[1] << 9) & M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 11)
        return result

    def uniform(self):
        return self.next_uint32() / 4294967296

    def integer(self, low, high):
        return low + int(self.uniform() * (high - low))

    def permutation(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.integer(0, i + 1)
            p[i], p[j] = p[j], p[i]
        return p
