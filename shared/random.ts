/**
 * Seeded pseudo-random numbers (xoshiro128**), so that splits, augmentation and training are
 * reproducible, and whose state can be saved in a checkpoint and restored exactly.
 */
export class Rng {
  #s: Uint32Array;

  /** Seeds the four state words from `seed` with splitmix32, as the xoshiro authors advise. */
  constructor(seed: number) {
    this.#s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [low, high) (high exclusive, like numpy's randint). */
  integer(low: number, high: number): number {
    if (!(high > low)) throw new RangeError(`empty integer range [${low}, ${high})`);
    return low + Math.floor(this.uniform() * (high - low));
  }

  /** Standard normal draw (Box-Muller). */
  normal(): number {
    const u = 1 - this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }

  /** A fresh permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.integer(0, i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }

  /** The four state words, for a checkpoint. */
  get state(): [number, number, number, number] {
    return [this.#s[0], this.#s[1], this.#s[2], this.#s[3]];
  }

  /** A generator continuing exactly from a saved {@link state}. */
  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || state.every((w) => w === 0)) {
      throw new RangeError("an Rng state is four 32-bit words, not all zero");
    }
    const rng = new Rng(0);
    rng.#s.set(state.map((w) => w >>> 0));
    return rng;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
