/**
 * The shared WebAssembly.Memory the kernels run in, and a bump allocator over it. Tensors are
 * copied in once per kernel call and the result copied out once; the arena is reset after each
 * call (kernels run one at a time, synchronously, as tfjs's cpu backend calls them).
 */

const PAGE = 65536;
/** Bytes below this are the C stack and globals of the kernel module (see build.ts). */
const RESERVED = 2 * PAGE;
/** wasm32 limit: 4 GiB of address space, reserved but not committed. */
const MAX_PAGES = 65536;

/** A float32 or int32 region of the arena, addressed by byte offset (a C pointer). */
export interface Region {
  ptr: number;
  length: number;
}

/** Bump allocator over a shared memory; {@link reset} frees everything at once. */
export class Arena {
  readonly memory: WebAssembly.Memory;
  #top = RESERVED;

  constructor() {
    this.memory = new WebAssembly.Memory({
      initial: RESERVED / PAGE,
      maximum: MAX_PAGES,
      shared: true,
    });
  }

  /** Allocates `length` 4-byte elements, 64-byte aligned (one cache line). */
  alloc(length: number): Region {
    const ptr = this.#top;
    const end = ptr + Math.ceil((length * 4) / 64) * 64;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) {
        throw new RangeError(`kernel arena needs ${end} bytes, more than wasm32's 4 GiB`);
      }
      this.memory.grow(pages);
    }
    this.#top = end;
    return { ptr, length };
  }

  /** Allocates a region and copies `values` into it (the one copy in). */
  put(values: Float32Array): Region {
    const region = this.alloc(values.length);
    this.f32(region).set(values);
    return region;
  }

  /** Allocates and fills an int32 parameter block. */
  putInts(values: number[]): Region {
    const region = this.alloc(values.length);
    new Int32Array(this.memory.buffer, region.ptr, region.length).set(values);
    return region;
  }

  /** A live float32 view of a region (valid until the memory next grows). */
  f32(region: Region): Float32Array {
    return new Float32Array(this.memory.buffer, region.ptr, region.length);
  }

  /** A live float64 view of a region allocated with twice as many 4-byte elements. */
  f64(region: Region): Float64Array {
    return new Float64Array(this.memory.buffer, region.ptr, region.length / 2);
  }

  /** Copies a region out into a fresh, unshared Float32Array (the one copy out). */
  take(region: Region): Float32Array {
    return this.f32(region).slice();
  }

  /** Frees every region. */
  reset(): void {
    this.#top = RESERVED;
  }

  /** Runs `body` (one kernel call's allocations) and frees all it allocated, even on error. */
  scope<T>(body: () => T): T {
    try {
      return body();
    } finally {
      this.reset();
    }
  }
}
