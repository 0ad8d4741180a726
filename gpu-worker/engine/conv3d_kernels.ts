/**
 * tfjs cpu-backend kernels Conv3D, Conv3DBackpropInputV2 and Conv3DBackpropFilterV2 running the
 * WebAssembly kernels of kernels/conv3d.c (issue #4). NDHWC tensors, filters [kd,kh,kw,in,out].
 * Cases the wasm kernels do not cover (dilation > 1, NCDHW, non-float32) go to the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { asCpu, float32Store } from "./cpu_backend.ts";
import type { CpuEngine } from "./cpu_engine.ts";
import type { Region } from "./wasm_arena.ts";
import { runStock, type StockKernels } from "./stock_kernels.ts";

/** tfjs's description of a 3-D convolution. */
export type Conv3DInfo = ReturnType<typeof tf.backend_util.computeConv3DInfo>;

type Shape5 = [number, number, number, number, number];
type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * The Conv3DInfo of each convolution kernel's call, from its inputs and attributes (the WebAssembly
 * and the oneDNN kernels read them alike).
 */
export const conv3dInfoOf = {
  [tf.Conv3D]: (args: KernelArgs): Conv3DInfo => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dilations, dataFormat } = args.attrs as unknown as tf.Conv3DAttrs;
    return tf.backend_util.computeConv3DInfo(
      x.shape as Shape5,
      filter.shape as Shape5,
      strides,
      dilations,
      pad,
      undefined,
      dataFormat === "NCDHW" ? "channelsFirst" : "channelsLast",
    );
  },
  [tf.Conv3DBackpropInputV2]: (args: KernelArgs): Conv3DInfo => {
    const { filter } = args.inputs as { filter: tf.TensorInfo };
    const { strides, pad, inputShape } = args.attrs as unknown as tf.Conv3DBackpropInputV2Attrs;
    return tf.backend_util.computeConv3DInfo(inputShape, filter.shape as Shape5, strides, 1, pad);
  },
  [tf.Conv3DBackpropFilterV2]: (args: KernelArgs): Conv3DInfo => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { strides, pad, filterShape } = args.attrs as unknown as tf.Conv3DBackpropFilterV2Attrs;
    return tf.backend_util.computeConv3DInfo(x.shape as Shape5, filterShape, strides, 1, pad);
  },
};

/** Int32 parameter block, the C `Conv` struct: input dims, output dims, extent, stride, pad. */
export function convParams(c: Conv3DInfo): number[] {
  return [
    c.batchSize,
    c.inDepth,
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.outDepth,
    c.outHeight,
    c.outWidth,
    c.outChannels,
    c.filterDepth,
    c.filterHeight,
    c.filterWidth,
    c.strideDepth,
    c.strideHeight,
    c.strideWidth,
    c.padInfo.front,
    c.padInfo.top,
    c.padInfo.left,
  ];
}

/** Whether the engine's kernels cover `c`: no dilation, NDHWC, float32. */
export function supported(c: Conv3DInfo, dtypes: string[]): boolean {
  return c.dilationDepth === 1 && c.dilationHeight === 1 && c.dilationWidth === 1 &&
    c.dataFormat === "channelsLast" && dtypes.every((d) => d === "float32");
}

/** Output channels per packed filter block: FWD_CH of conv3d.c's forward kernel. */
const FWD_CH = 8;

/**
 * Where element (tap, in-channel, out-channel) of a filter is in its array: `taps` blocks of
 * `cin`×`cout`, in- and out-channel strides within a block; `flip` reverses the taps.
 */
export interface FilterLayout {
  taps: number;
  cin: number;
  cout: number;
  inStride: number;
  outStride: number;
  flip: boolean;
}

/**
 * Runs conv3d_forward with `params` (the C `Conv` struct) on input region `x` and filter `w`,
 * which is copied into the arena packed as the kernel reads it (blocks of FWD_CH output
 * channels, [taps][cin][FWD_CH] each, zero-padded past cout), and a zero row of cin floats for
 * the taps outside the input. Returns the output region of `outLength` floats.
 */
export function runForward(
  engine: CpuEngine,
  params: number[],
  x: Region,
  w: Float32Array,
  l: FilterLayout,
  outLength: number,
): Region {
  const a = engine.arena;
  const p = a.putInts(params);
  const blocks = Math.ceil(l.cout / FWD_CH);
  const wr = a.alloc(blocks * l.taps * l.cin * FWD_CH);
  const packed = a.f32(wr).fill(0);
  for (let ob = 0; ob < blocks; ob++) {
    const lanes = Math.min(FWD_CH, l.cout - ob * FWD_CH);
    for (let k = 0; k < l.taps; k++) {
      const src = (l.flip ? l.taps - 1 - k : k) * l.cin * l.cout + ob * FWD_CH * l.outStride;
      const dst = (ob * l.taps + k) * l.cin * FWD_CH;
      for (let i = 0; i < l.cin; i++) {
        for (let o = 0; o < lanes; o++) {
          packed[dst + i * FWD_CH + o] = w[src + i * l.inStride + o * l.outStride];
        }
      }
    }
  }
  const zero = a.alloc(l.cin);
  a.f32(zero).fill(0);
  const y = a.alloc(outLength);
  engine.run("conv3d_forward", [p.ptr, x.ptr, wr.ptr, y.ptr, zero.ptr]);
  return y;
}

/** Copies filter [kd,kh,kw,ci,co] into the arena as [kd,kh,kw,co,ci] (the input gradient's layout). */
function putTransposedFilter(engine: CpuEngine, w: Float32Array, c: Conv3DInfo): Region {
  const { filterDepth: kd, filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = c;
  const region = engine.arena.alloc(w.length);
  const out = engine.arena.f32(region);
  for (let k = 0; k < kd * kh * kw; k++) {
    const base = k * ci * co;
    for (let i = 0; i < ci; i++) {
      for (let o = 0; o < co; o++) out[base + o * ci + i] = w[base + i * co + o];
    }
  }
  return region;
}

/** The three kernel configs; `stock` holds the kernels they replace, for the uncovered cases. */
export function conv3dKernelConfigs(
  engine: CpuEngine,
  stock: StockKernels,
): tf.KernelConfig[] {
  return [
    {
      kernelName: tf.Conv3D,
      backendName: "cpu",
      kernelFunc: (args) => {
        const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
        const c = conv3dInfoOf[tf.Conv3D](args);
        if (!supported(c, [x.dtype, filter.dtype])) return runStock(stock, tf.Conv3D, args);
        const backend = asCpu(args.backend);
        return engine.arena.scope(() => {
          const a = engine.arena;
          const xr = a.put(float32Store(backend, x));
          const { inChannels: cin, outChannels: cout } = c;
          const taps = c.filterDepth * c.filterHeight * c.filterWidth;
          const yr = runForward(engine, convParams(c), xr, float32Store(backend, filter), {
            taps,
            cin,
            cout,
            inStride: cout,
            outStride: 1,
            flip: false,
          }, tf.util.sizeFromShape(c.outShape));
          return backend.makeTensorInfo(c.outShape, "float32", a.take(yr));
        });
      },
    },
    {
      kernelName: tf.Conv3DBackpropInputV2,
      backendName: "cpu",
      kernelFunc: (args) => {
        const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
        const c = conv3dInfoOf[tf.Conv3DBackpropInputV2](args);
        if (!supported(c, [dy.dtype, filter.dtype])) {
          return runStock(stock, tf.Conv3DBackpropInputV2, args);
        }
        const backend = asCpu(args.backend);
        const unitStride = c.strideDepth === 1 && c.strideHeight === 1 && c.strideWidth === 1;
        return engine.arena.scope(() => {
          const a = engine.arena;
          const dyr = a.put(float32Store(backend, dy));
          const w = float32Store(backend, filter);
          const length = tf.util.sizeFromShape(c.inShape);
          if (!unitStride) {
            const p = a.putInts(convParams(c));
            const wr = putTransposedFilter(engine, w, c);
            const dxr = a.alloc(length);
            engine.run("conv3d_backprop_input", [p.ptr, dyr.ptr, wr.ptr, dxr.ptr]);
            return backend.makeTensorInfo(c.inShape, "float32", a.take(dxr));
          }
          // Stride 1: dx is the forward conv of dy with the flipped filter, in and out channels
          // swapped, and the complementary padding: the register-tiled forward kernel.
          const { inChannels: ci, outChannels: co } = c;
          const dxr = runForward(
            engine,
            [
              c.batchSize,
              c.outDepth,
              c.outHeight,
              c.outWidth,
              co,
              c.inDepth,
              c.inHeight,
              c.inWidth,
              ci,
              c.filterDepth,
              c.filterHeight,
              c.filterWidth,
              1,
              1,
              1,
              c.filterDepth - 1 - c.padInfo.front,
              c.filterHeight - 1 - c.padInfo.top,
              c.filterWidth - 1 - c.padInfo.left,
            ],
            dyr,
            w,
            {
              taps: c.filterDepth * c.filterHeight * c.filterWidth,
              cin: co,
              cout: ci,
              inStride: 1,
              outStride: co,
              flip: true,
            },
            length,
          );
          return backend.makeTensorInfo(c.inShape, "float32", a.take(dxr));
        });
      },
    },
    {
      kernelName: tf.Conv3DBackpropFilterV2,
      backendName: "cpu",
      kernelFunc: (args) => {
        const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
        const { filterShape } = args.attrs as unknown as tf.Conv3DBackpropFilterV2Attrs;
        const c = conv3dInfoOf[tf.Conv3DBackpropFilterV2](args);
        if (!supported(c, [x.dtype, dy.dtype])) {
          return runStock(stock, tf.Conv3DBackpropFilterV2, args);
        }
        const backend = asCpu(args.backend);
        return engine.arena.scope(() => {
          const a = engine.arena;
          const p = a.putInts(convParams(c));
          const xr = a.put(float32Store(backend, x));
          const dyr = a.put(float32Store(backend, dy));
          const dwr = a.alloc(tf.util.sizeFromShape(filterShape));
          engine.run("conv3d_backprop_filter", [p.ptr, xr.ptr, dyr.ptr, dwr.ptr]);
          return backend.makeTensorInfo(filterShape, "float32", a.take(dwr));
        });
      },
    },
  ];
}
