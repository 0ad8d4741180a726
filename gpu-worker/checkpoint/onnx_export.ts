/**
 * ONNX export of a V-Net or 3D U-Net as inference runs it (eval mode, docs/METHOD.md 6): batch norm with
 * running statistics folded into the preceding convolution (its bias included), ReLU, the k2 s2
 * up-convolution as a ConvTranspose, additive skips (V-Net) or trilinear ×2 + concat (U-Net), the
 * text branch's β·z added at the bottleneck as a constant computed here from the model's knowledge
 * vector, and a softmax over classes. Two members export as the mean of their softmaxes (what
 * `llmseg infer --network average` computes).
 *
 * Layout: input `image` `[N, C, X, Y, Z]`, output `probabilities` `[N, classes, X, Y, Z]` (PyTorch's
 * NCDHW with D = volume axis i, as the UA-MT/SSL4MIS lineage feeds its networks). X, Y and Z must be
 * divisible by 16. The intensity normalisation is not part of the graph; it is recorded in the
 * model's metadata.
 */
import type { SegmentationNetwork } from "../networks/network.ts";
import {
  DataType,
  encodeOnnxModel,
  type Initializer,
  type OnnxModel,
  type OnnxNode,
} from "./onnx_proto.ts";

/** ONNX operator set: Softmax over one axis (13+), Resize with `half_pixel` (11+). */
const OPSET = 17;
/** Batch-norm and instance-norm epsilon of both networks (PyTorch's default). */
const NORM_EPSILON = 1e-5;
const VNET_BLOCKS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
const UNET_ENCODER = ["conv1", "conv2", "conv3", "conv4", "center"];

/** A parameter's values and tfjs shape. */
interface Parameter {
  shape: number[];
  values: Float32Array;
}

/** What {@link exportOnnx} writes besides the graph. */
export interface OnnxExportOptions {
  /** ModelProto.metadata_props: patch, stride, normalisation, provenance. */
  metadata?: Record<string, string>;
  docString?: string;
}

/**
 * Serialises `members` (network A, or A and B of a co-trained pair) as one ONNX model. Reads the
 * weights asynchronously (WebGPU cannot read synchronously); the networks are not modified.
 *
 * @throws Error when two members differ in architecture or classes
 */
export async function exportOnnx(
  members: readonly SegmentationNetwork[],
  options: OnnxExportOptions = {},
): Promise<Uint8Array> {
  const [first] = members;
  if (members.some((m) => JSON.stringify(m.config) !== JSON.stringify(first.config))) {
    throw new Error("members of one export must share their network configuration");
  }
  const graph = new GraphBuilder();
  const single = members.length === 1;
  const probabilities: string[] = [];
  for (const [index, network] of members.entries()) {
    const state = await readParameters(network);
    const prefix = single ? "" : `${String.fromCharCode(97 + index)}/`;
    const logits = network.config.arch === "vnet"
      ? vnetGraph(graph, state, prefix, textBias(network, state))
      : unetGraph(graph, state, prefix, textBias(network, state));
    const name = single ? "probabilities" : `${prefix}probabilities`;
    probabilities.push(graph.node("Softmax", [logits], { axis: 1 }, name));
  }
  if (!single) {
    const count = graph.constant("member_count", [], Float32Array.of(members.length));
    graph.node("Div", [graph.node("Sum", probabilities), count], {}, "probabilities");
  }
  const { inChannels, classes } = first.config;
  const model: OnnxModel = {
    opset: OPSET,
    graphName: `llmseg_${first.config.arch}`,
    nodes: graph.nodes,
    initializers: graph.initializers,
    inputs: [{ name: "image", elemType: DataType.FLOAT, shape: ["N", inChannels, "X", "Y", "Z"] }],
    outputs: [{
      name: "probabilities",
      elemType: DataType.FLOAT,
      shape: ["N", classes, "X", "Y", "Z"],
    }],
    docString: options.docString,
    metadata: options.metadata,
  };
  return encodeOnnxModel(model);
}

/** Every named parameter of `network`, read once. */
async function readParameters(network: SegmentationNetwork): Promise<Map<string, Parameter>> {
  const state = new Map<string, Parameter>();
  for (const [name, variable] of network.namedState()) {
    state.set(name, { shape: [...variable.shape], values: await variable.data() as Float32Array });
  }
  return state;
}

/** β·MLP(e) `[C]` (docs/METHOD.md 3.3, eq 7), or undefined without a text branch. */
function textBias(
  network: SegmentationNetwork,
  state: Map<string, Parameter>,
): Float32Array | undefined {
  const e = network.knowledge;
  if (e === undefined) return undefined;
  const linear = (name: string, x: ArrayLike<number>): Float64Array => {
    const { shape: [inputs, outputs], values: w } = need(state, `${name}.weight`);
    const bias = need(state, `${name}.bias`).values;
    const y = Float64Array.from(bias);
    for (let i = 0; i < inputs; i++) {
      for (let o = 0; o < outputs; o++) y[o] += x[i] * w[i * outputs + o];
    }
    return y;
  };
  const hidden = linear("text.fc1", e).map((v) => Math.max(v, 0));
  return Float32Array.from(linear("text.fc2", hidden), (z) => z * network.config.beta);
}

/** The lineage V-Net (vnet.ts): 5 conv blocks with stride-2 downs, 4 up-convs with added skips. */
function vnetGraph(
  graph: GraphBuilder,
  state: Map<string, Parameter>,
  prefix: string,
  text: Float32Array | undefined,
): string {
  const convBlock = (name: string, x: string): string => {
    let y = x;
    for (let i = 0; state.has(`${name}.conv.${3 * i}.weight`); i++) {
      y = graph.convBnRelu(state, `${name}.conv.${3 * i}`, `${name}.conv.${3 * i + 1}`, y, prefix);
    }
    return y;
  };
  const skips: string[] = [];
  let y = "image";
  for (let level = 0; level < 5; level++) {
    const name = `block_${VNET_BLOCKS[level]}`;
    y = convBlock(name, y);
    if (level === 4) break;
    skips.push(y);
    y = graph.convBnRelu(state, `${name}_dw.conv.0`, `${name}_dw.conv.1`, y, prefix);
  }
  y = graph.addChannelConstant(y, text, `${prefix}text`);
  for (let step = 0; step < 4; step++) {
    const up = `block_${VNET_BLOCKS[4 + step]}_up`;
    y = graph.upConvBnRelu(state, `${up}.conv.0`, `${up}.conv.1`, y, prefix);
    y = graph.node("Add", [y, skips[3 - step]]);
    y = convBlock(`block_${VNET_BLOCKS[5 + step]}`, y);
  }
  return graph.conv(state, "out_conv", y, prefix);
}

/** The SSL4MIS 3D U-Net (unet3d.ts): (conv → InstanceNorm → ReLU)×2, max-pool, trilinear up. */
function unetGraph(
  graph: GraphBuilder,
  state: Map<string, Parameter>,
  prefix: string,
  text: Float32Array | undefined,
): string {
  const unetConv = (name: string, x: string): string => {
    let y = x;
    for (const conv of [`${name}.conv1.0`, `${name}.conv2.0`]) {
      const channels = need(state, `${conv}.bias`).shape[0];
      // InstanceNorm3d without affine parameters: scale 1, shift 0.
      const scale = graph.constant(`ones_${channels}`, [channels], ones(channels));
      const shift = graph.constant(`zeros_${channels}`, [channels], zeros(channels));
      y = graph.conv(state, conv, y, prefix);
      y = graph.node("InstanceNormalization", [y, scale, shift], {
        epsilon: { float: NORM_EPSILON },
      });
      y = graph.node("Relu", [y]);
    }
    return y;
  };
  const skips: string[] = [];
  let y = "image";
  for (let level = 0; level < 5; level++) {
    if (level > 0) y = graph.node("MaxPool", [y], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] });
    y = unetConv(UNET_ENCODER[level], y);
    if (level < 4) skips.push(y);
  }
  y = graph.addChannelConstant(y, text, `${prefix}text`);
  const scales = graph.constant("upsample_scales", [5], Float32Array.of(1, 1, 2, 2, 2));
  for (let level = 3; level >= 0; level--) {
    // PyTorch trilinear, align_corners False = ONNX half_pixel with edge clamping.
    const up = graph.node("Resize", [y, "", scales], {
      mode: { string: "linear" },
      coordinate_transformation_mode: { string: "half_pixel" },
    });
    y = graph.node("Concat", [skips[level], up], { axis: 1 });
    y = unetConv(`up_concat${level + 1}.conv`, y);
  }
  return graph.conv(state, "final", y, prefix);
}

/** Accumulates nodes and initializers with unique names. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: Initializer[] = [];
  readonly #names = new Set<string>();

  /** Adds one node; returns its output's name. */
  node(
    opType: string,
    inputs: string[],
    attributes: OnnxNode["attributes"] = {},
    name = `${opType.toLowerCase()}_${this.nodes.length}`,
  ): string {
    const output = this.#unique(name);
    this.nodes.push({ opType, inputs, outputs: [output], attributes });
    return output;
  }

  /** Adds a float initializer (once per name); returns its name. */
  constant(name: string, dims: number[], values: Float32Array): string {
    if (!this.#names.has(name)) {
      this.#names.add(name);
      this.initializers.push({ name, dims, float: values });
    }
    return name;
  }

  /** Conv with its own bias (k3 'same' or k1), `[N, Cin, …]` → `[N, Cout, …]`. */
  conv(state: Map<string, Parameter>, name: string, x: string, prefix: string): string {
    const { shape, values } = need(state, `${name}.weight`);
    const bias = need(state, `${name}.bias`).values;
    return this.#conv(name, prefix, x, tfjsConvToOnnx(values, shape), shape, bias, 1);
  }

  /** Conv → BN (running statistics, folded into the conv) → ReLU; k3 'same' or k2 stride 2. */
  convBnRelu(
    state: Map<string, Parameter>,
    conv: string,
    bn: string,
    x: string,
    prefix: string,
  ): string {
    const { shape, values } = need(state, `${conv}.weight`);
    const [kernel, , , , cout] = shape;
    const weight = tfjsConvToOnnx(values, shape);
    const { scale, shift } = foldBatchNorm(state, bn, need(state, `${conv}.bias`).values);
    const perOut = weight.length / cout;
    for (let o = 0; o < cout; o++) {
      for (let at = o * perOut; at < (o + 1) * perOut; at++) weight[at] *= scale[o];
    }
    const stride = kernel === 2 ? 2 : 1;
    return this.node("Relu", [this.#conv(conv, prefix, x, weight, shape, shift, stride)]);
  }

  /** ConvTranspose k2 s2 → BN (folded) → ReLU: the V-Net's up-convolution. */
  upConvBnRelu(
    state: Map<string, Parameter>,
    conv: string,
    bn: string,
    x: string,
    prefix: string,
  ): string {
    const { shape: [, , , cout, cin], values } = need(state, `${conv}.weight`);
    const { scale, shift } = foldBatchNorm(state, bn, need(state, `${conv}.bias`).values);
    // tfjs [a, b, c, Cout, Cin] → ONNX ConvTranspose [Cin, Cout, a, b, c], scaled per Cout.
    const weight = new Float32Array(values.length);
    for (let s = 0; s < 8; s++) {
      for (let o = 0; o < cout; o++) {
        for (let i = 0; i < cin; i++) {
          weight[(i * cout + o) * 8 + s] = values[(s * cout + o) * cin + i] * scale[o];
        }
      }
    }
    const w = this.constant(`${prefix}${conv}.weight`, [cin, cout, 2, 2, 2], weight);
    const b = this.constant(`${prefix}${conv}.bias`, [cout], shift);
    const y = this.node("ConvTranspose", [x, w, b], {
      kernel_shape: [2, 2, 2],
      strides: [2, 2, 2],
    });
    return this.node("Relu", [y]);
  }

  /** `x + values` broadcast over `[N, C, X, Y, Z]`; `x` itself when there are no values. */
  addChannelConstant(x: string, values: Float32Array | undefined, name: string): string {
    if (values === undefined) return x;
    return this.node("Add", [x, this.constant(name, [1, values.length, 1, 1, 1], values)]);
  }

  #conv(
    name: string,
    prefix: string,
    x: string,
    weight: Float32Array,
    tfjsShape: number[],
    bias: Float32Array,
    stride: number,
  ): string {
    const [kernel, , , cin, cout] = tfjsShape;
    const pad = kernel === 3 ? 1 : 0;
    const w = this.constant(`${prefix}${name}.weight`, [cout, cin, kernel, kernel, kernel], weight);
    const b = this.constant(`${prefix}${name}.bias`, [cout], bias);
    return this.node("Conv", [x, w, b], {
      kernel_shape: [kernel, kernel, kernel],
      strides: [stride, stride, stride],
      pads: Array(6).fill(pad),
    });
  }

  #unique(name: string): string {
    let candidate = name;
    for (let n = 1; this.#names.has(candidate); n++) candidate = `${name}_${n}`;
    this.#names.add(candidate);
    return candidate;
  }
}

/**
 * Eval-mode batch norm after a conv with bias b: `γ(x + b − μ)/√(σ² + ε) + β` = `scale·x + shift`.
 * Computed in float64 and rounded once.
 */
function foldBatchNorm(
  state: Map<string, Parameter>,
  bn: string,
  convBias: Float32Array,
): { scale: Float32Array; shift: Float32Array } {
  const gamma = need(state, `${bn}.weight`).values;
  const beta = need(state, `${bn}.bias`).values;
  const mean = need(state, `${bn}.running_mean`).values;
  const variance = need(state, `${bn}.running_var`).values;
  const scale = new Float64Array(gamma.length);
  const shift = new Float32Array(gamma.length);
  for (let c = 0; c < gamma.length; c++) {
    scale[c] = gamma[c] / Math.sqrt(variance[c] + NORM_EPSILON);
    shift[c] = (convBias[c] - mean[c]) * scale[c] + beta[c];
  }
  return { scale: Float32Array.from(scale), shift };
}

/** tfjs conv weight `[kx, ky, kz, Cin, Cout]` → ONNX `[Cout, Cin, kx, ky, kz]`. */
function tfjsConvToOnnx(values: Float32Array, shape: number[]): Float32Array {
  const [k, , , cin, cout] = shape;
  const taps = k ** 3;
  const out = new Float32Array(values.length);
  for (let s = 0; s < taps; s++) {
    for (let i = 0; i < cin; i++) {
      for (let o = 0; o < cout; o++) {
        out[(o * cin + i) * taps + s] = values[(s * cin + i) * cout + o];
      }
    }
  }
  return out;
}

function need(state: Map<string, Parameter>, name: string): Parameter {
  const parameter = state.get(name);
  if (parameter === undefined) throw new Error(`network has no parameter ${name}`);
  return parameter;
}

const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
const zeros = (n: number): Float32Array => new Float32Array(n);
