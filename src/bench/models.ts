/**
 * Benchmark models built in TypeScript on OnnxGraph: ResNet-50, MobileNetV2, VGG16 and ViT-B/16 with torchvision's
 * layer shapes, random (seeded) weights, BatchNorm folded into the preceding Conv (as an exported, optimized model has it),
 * a dynamic batch dimension and opset 17. No download and no Python needed.
 *
 * `parameters` counts what torchvision's `sum(p.numel() for p in model.parameters())` counts for the unfolded model
 * (each folded BN contributes its weight and bias, 2·C), so it can be compared with torchvision's published numbers.
 */
import { MULBERRY32_INCREMENT, mulberry32Float } from '../random.js';
import { create } from '@bufbuild/protobuf';
import { OnnxGraph } from '../onnx/graph.js';
import { GraphProtoSchema, ModelProtoSchema, OperatorSetIdProtoSchema, type ModelProto } from '../onnx/proto.js';

export type BenchModelName = 'resnet50' | 'mobilenet_v2' | 'vgg16' | 'vit_b_16';

export const BENCH_MODELS: readonly BenchModelName[] = ['resnet50', 'mobilenet_v2', 'vgg16', 'vit_b_16'];

/** The sections `--only` picks from (runBench measures them in this order). */
export const BENCH_SECTIONS = ['forward', 'compile', 'ig', 'memory', 'perturbation', 'export', 'scale', 'browser'] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

/** torchvision's parameter counts (torchvision.models docs, "Params" column). */
export const TORCHVISION_PARAMETERS: Readonly<Record<BenchModelName, number>> = {
  resnet50: 25_557_032,
  mobilenet_v2: 3_504_872,
  vgg16: 138_357_544,
  vit_b_16: 86_567_656,
};

export interface BenchModelOptions {
  /** Input height and width (torchvision: 224). Smaller sizes keep tests fast; every architecture needs ≥ 32. */
  size?: number;
  classes?: number;
  /** Weight seed: the same seed gives the same bytes. */
  seed?: number;
}

export interface BenchModel {
  name: BenchModelName;
  bytes: Uint8Array;
  proto: ModelProto;
  inputName: string;
  outputName: string;
  /** The default CAM layer (last spatial activation before pooling), as pytorch-grad-cam's usual choice. */
  camLayer: string;
  inputDims: [number, number, number, number];
  /** torchvision-style parameter count (see the module comment). */
  parameters: number;
  nodes: number;
}

/** Deterministic uniform numbers (mulberry32): fast enough for VGG16's 138 M weights. */
class WeightRng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x2545f491;
  }
  /** Uniform in [-1, 1). */
  next(): number {
    this.state = (this.state + MULBERRY32_INCREMENT) >>> 0;
    return mulberry32Float(this.state) * 2 - 1; // exact: the float is k / 2³²
  }
  /** n values, uniform with standard deviation `std`. */
  fill(n: number, std: number): Float32Array {
    const a = Math.sqrt(3) * std;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() * a;
    return out;
  }
}

/** Adds layers to a graph and keeps the torchvision parameter count. */
class NetBuilder {
  readonly g: OnnxGraph;
  readonly rng: WeightRng;
  parameters = 0;
  private zero?: string;
  private six?: string;

  constructor(seed: number) {
    const model = create(ModelProtoSchema, {
      irVersion: 8n,
      producerName: 'lumen-bench',
      opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
      graph: create(GraphProtoSchema, { name: 'bench' }),
    });
    this.g = new OnnxGraph(model);
    this.rng = new WeightRng(seed);
  }

  /**
   * Conv (+ folded BN when `bn`): He-initialised weights (std √(gain/fan_in)) so activations stay O(1) through the
   * network (no denormals, no overflow); `gain` < 2 damps residual branches.
   */
  conv(x: string, name: string, inC: number, outC: number, k: number, opts: { stride?: number; pad?: number; group?: number; bn?: boolean; gain?: number } = {}): string {
    const { stride = 1, pad = Math.floor(k / 2), group = 1, bn = true, gain = 2 } = opts;
    const fanIn = (inC / group) * k * k;
    const w = this.g.addInitializer(this.rng.fill(outC * fanIn, Math.sqrt(gain / fanIn)), [outC, inC / group, k, k], `${name}.weight`);
    // Folded BN: scale is already in the weights; the bias is BN's shift. Without BN: torchvision's conv bias.
    const b = this.g.addInitializer(this.rng.fill(outC, 0.05), [outC], `${name}.bias`);
    this.parameters += outC * fanIn + (bn ? 2 * outC : outC);
    return this.g.addNode('Conv', [x, w, b], [name], {
      kernel_shape: { ints: [k, k] },
      strides: { ints: [stride, stride] },
      pads: { ints: [pad, pad, pad, pad] },
      group: { i: group },
    })[0]!;
  }

  relu(x: string, name: string): string {
    return this.g.addNode('Relu', [x], [name])[0]!;
  }

  relu6(x: string, name: string): string {
    this.zero ??= this.g.scalar(0, 'relu6_min');
    this.six ??= this.g.scalar(6, 'relu6_max');
    return this.g.addNode('Clip', [x, this.zero, this.six], [name])[0]!;
  }

  add(a: string, b: string, name: string): string {
    return this.g.addNode('Add', [a, b], [name])[0]!;
  }

  maxPool(x: string, name: string, k: number, stride: number, pad: number): string {
    return this.g.addNode('MaxPool', [x], [name], { kernel_shape: { ints: [k, k] }, strides: { ints: [stride, stride] }, pads: { ints: [pad, pad, pad, pad] } })[0]!;
  }

  /** GlobalAveragePool + Flatten, as torch.onnx exports adaptive_avg_pool2d(1) + flatten. */
  poolFlatten(x: string): string {
    const pooled = this.g.addNode('GlobalAveragePool', [x], ['avgpool'])[0]!;
    return this.g.addNode('Flatten', [pooled], ['flatten'], { axis: { i: 1 } })[0]!;
  }

  linear(x: string, name: string, inF: number, outF: number, output?: string): string {
    const w = this.g.addInitializer(this.rng.fill(outF * inF, Math.sqrt(1 / inF)), [outF, inF], `${name}.weight`);
    const b = this.g.addInitializer(this.rng.fill(outF, 0.05), [outF], `${name}.bias`);
    this.parameters += outF * inF + outF;
    return this.g.addNode('Gemm', [x, w, b], [output ?? name], { transB: { i: 1 } })[0]!;
  }
}

function resnet50(b: NetBuilder, x: string, classes: number): { logits: string; camLayer: string } {
  let h = b.relu(b.conv(x, 'conv1', 3, 64, 7, { stride: 2, pad: 3 }), 'relu');
  h = b.maxPool(h, 'maxpool', 3, 2, 1);
  let inC = 64;
  const stages: [number, number, number][] = [[64, 3, 1], [128, 4, 2], [256, 6, 2], [512, 3, 2]];
  stages.forEach(([width, blocks, stride], s) => {
    for (let i = 0; i < blocks; i++) {
      const p = `layer${s + 1}.${i}`;
      const st = i === 0 ? stride : 1;
      const out = width * 4;
      let y = b.relu(b.conv(h, `${p}.conv1`, inC, width, 1), `${p}.relu1`);
      y = b.relu(b.conv(y, `${p}.conv2`, width, width, 3, { stride: st }), `${p}.relu2`);
      y = b.conv(y, `${p}.conv3`, width, out, 1, { gain: 0.5 });
      const identity = i === 0 ? b.conv(h, `${p}.downsample`, inC, out, 1, { stride: st, pad: 0, gain: 1 }) : h;
      h = b.relu(b.add(y, identity, `${p}.add`), `${p}.out`);
      inC = out;
    }
  });
  const camLayer = h;
  return { logits: b.linear(b.poolFlatten(h), 'fc', 2048, classes, 'logits'), camLayer };
}

function mobilenetV2(b: NetBuilder, x: string, classes: number): { logits: string; camLayer: string } {
  let h = b.relu6(b.conv(x, 'features.0', 3, 32, 3, { stride: 2 }), 'features.0.relu6');
  let inC = 32;
  let index = 1;
  const settings: [number, number, number, number][] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
  for (const [t, c, n, s] of settings) {
    for (let i = 0; i < n; i++) {
      const p = `features.${index++}`;
      const stride = i === 0 ? s : 1;
      const hidden = inC * t;
      let y = h;
      if (t !== 1) y = b.relu6(b.conv(y, `${p}.expand`, inC, hidden, 1), `${p}.expand.relu6`);
      y = b.relu6(b.conv(y, `${p}.dw`, hidden, hidden, 3, { stride, group: hidden }), `${p}.dw.relu6`);
      const residual = stride === 1 && inC === c;
      y = b.conv(y, `${p}.project`, hidden, c, 1, { gain: residual ? 0.5 : 1 });
      h = residual ? b.add(h, y, `${p}.add`) : y;
      inC = c;
    }
  }
  h = b.relu6(b.conv(h, `features.${index}`, inC, 1280, 1), `features.${index}.relu6`);
  const camLayer = h;
  // Dropout is an identity at inference and torch.onnx drops it.
  return { logits: b.linear(b.poolFlatten(h), 'classifier.1', 1280, classes, 'logits'), camLayer };
}

function vgg16(b: NetBuilder, x: string, classes: number, size: number): { logits: string; camLayer: string } {
  const cfg: (number | 'M')[] = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];
  let h = x;
  let inC = 3;
  let i = 0;
  for (const v of cfg) {
    if (v === 'M') {
      h = b.maxPool(h, `features.${i++}`, 2, 2, 0);
    } else {
      h = b.conv(h, `features.${i++}`, inC, v, 3, { pad: 1, bn: false });
      h = b.relu(h, `features.${i++}`);
      inC = v;
    }
  }
  const camLayer = h;
  // torchvision's AdaptiveAvgPool2d((7, 7)) is an identity at 224×224 (torch.onnx exports no node for it). Smaller
  // test sizes skip it too, so the first FC layer takes 512·(size/32)² features instead of 25088.
  const flatSide = size / 32;
  const flat = b.g.addNode('Flatten', [h], ['flatten'], { axis: { i: 1 } })[0]!;
  let y = b.relu(b.linear(flat, 'classifier.0', 512 * flatSide * flatSide, 4096), 'classifier.1');
  y = b.relu(b.linear(y, 'classifier.3', 4096, 4096), 'classifier.4');
  return { logits: b.linear(y, 'classifier.6', 4096, classes, 'logits'), camLayer };
}

/**
 * torchvision vit_b_16: 16×16 patch Conv, class token, positional embedding, 12 pre-norm blocks (12-head attention
 * as torch.onnx exports it — per-head MatMuls, Softmax on the last axis of [B, 12, T, T] — and an exact-GELU MLP),
 * final LayerNorm, head on the class token. (size/16)² + 1 tokens (197 at 224 px). The CAM layer is the last block's
 * first LayerNorm output, pytorch-grad-cam's advice for ViTs.
 */
function vitB16(b: NetBuilder, x: string, classes: number, size: number): { logits: string; camLayer: string } {
  const [d, heads, mlp, layers] = [768, 12, 3072, 12];
  const grid = size / 16;
  const tokens = grid * grid + 1;
  const g = b.g;
  const param = (dims: number[], std: number, name: string): string => {
    b.parameters += dims.reduce((p, q) => p * q, 1);
    return g.addInitializer(b.rng.fill(dims.reduce((p, q) => p * q, 1), std), dims, name);
  };
  const ones = g.addInitializer(new Float32Array(d).fill(1), [d], 'ln.ones');
  const zeros = g.addInitializer(new Float32Array(d), [d], 'ln.zeros');
  const layerNorm = (h: string, name: string): string => {
    b.parameters += 2 * d;
    return g.addNode('LayerNormalization', [h, ones, zeros], [name], { axis: { i: -1 }, epsilon: { f: 1e-6 } })[0]!;
  };
  // nn.Linear on [B, T, C] as torch.onnx exports it: MatMul with the transposed weight, then Add of the bias
  const linear = (h: string, inF: number, outF: number, name: string, gain = 1): string =>
    g.addNode('Add', [g.op('MatMul', [h, param([inF, outF], Math.sqrt(gain / inF), `${name}.weight`)]), param([outF], 0.02, `${name}.bias`)], [name])[0]!;
  const conv = b.conv(x, 'conv_proj', 3, d, 16, { stride: 16, pad: 0, bn: false, gain: 1 });
  const seq = g.op('Transpose', [g.op('Reshape', [conv, g.int64s([0, d, grid * grid])])], { perm: { ints: [0, 2, 1] } });
  const n = g.op('Unsqueeze', [g.op('Gather', [g.op('Shape', [x]), g.addInitializer(BigInt64Array.of(0n), [], 'batch_axis')], { axis: { i: 0 } }), g.int64s([0])]);
  const cls = g.op('Expand', [param([1, 1, d], 0.02, 'class_token'), g.op('Concat', [n, g.int64s([1, d])], { axis: { i: 0 } })]);
  let h = g.addNode('Add', [g.op('Concat', [cls, seq], { axis: { i: 1 } }), param([1, tokens, d], 0.02, 'encoder.pos_embedding')], ['encoder.add_pos'])[0]!;
  let camLayer = '';
  const scale = g.scalar(1 / Math.sqrt(d / heads), 'attn_scale');
  for (let l = 0; l < layers; l++) {
    const p = `encoder.layers.${l}`;
    const ln1 = layerNorm(h, `${p}.ln_1`);
    camLayer = ln1;
    const split = (t: string): string => g.op('Transpose', [g.op('Reshape', [t, g.int64s([0, tokens, heads, d / heads])])], { perm: { ints: [0, 2, 1, 3] } });
    const q = split(linear(ln1, d, d, `${p}.attn.q`));
    const k = split(linear(ln1, d, d, `${p}.attn.k`));
    const v = split(linear(ln1, d, d, `${p}.attn.v`));
    const scores = g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: { ints: [0, 1, 3, 2] } })]), scale]);
    const attn = g.addNode('Softmax', [scores], [`${p}.attn.softmax`], { axis: { i: -1 } })[0]!;
    const merged = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [attn, v])], { perm: { ints: [0, 2, 1, 3] } }), g.int64s([0, tokens, d])]);
    h = b.add(h, linear(merged, d, d, `${p}.attn.out_proj`, 0.5), `${p}.add_1`);
    const up = linear(layerNorm(h, `${p}.ln_2`), d, mlp, `${p}.mlp.0`, 2);
    // exact GELU as exported: x · ½ · (1 + erf(x/√2))
    const gelu = g.op('Mul', [g.op('Mul', [up, g.scalar(0.5)]), g.op('Add', [g.op('Erf', [g.op('Div', [up, g.scalar(Math.SQRT2)])]), g.scalar(1)])]);
    h = b.add(h, linear(gelu, mlp, d, `${p}.mlp.3`, 0.5), `${p}.add_2`);
  }
  const clsOut = g.op('Gather', [layerNorm(h, 'encoder.ln'), g.addInitializer(BigInt64Array.of(0n), [], 'class_index')], { axis: { i: 1 } });
  return { logits: b.linear(clsOut, 'heads.head', d, classes, 'logits'), camLayer };
}

/** Build one of the benchmark models. */
export function buildBenchModel(name: BenchModelName, options: BenchModelOptions = {}): BenchModel {
  const size = options.size ?? 224;
  const classes = options.classes ?? 1000;
  if (!(Number.isInteger(size) && size >= 32 && size % 32 === 0)) throw new Error(`bench model size must be a multiple of 32 (got ${size})`);
  const b = new NetBuilder(options.seed ?? 1234);
  const inputName = 'input';
  b.g.addInput(inputName, ['batch', 3, size, size]);
  const built =
    name === 'resnet50' ? resnet50(b, inputName, classes)
    : name === 'mobilenet_v2' ? mobilenetV2(b, inputName, classes)
    : name === 'vit_b_16' ? vitB16(b, inputName, classes, size)
    : vgg16(b, inputName, classes, size);
  // the declared [batch, classes] output shape lets methods size target seeds without running the model
  b.g.addOutput(built.logits, ['batch', classes]);
  return {
    name,
    bytes: b.g.toBytes(),
    proto: b.g.model,
    inputName,
    outputName: built.logits,
    camLayer: built.camLayer,
    inputDims: [1, 3, size, size],
    parameters: b.parameters,
    nodes: b.g.nodes.length,
  };
}
