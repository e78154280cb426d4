import { LumenError } from '../errors.js';
import type { Activation, GraphBuilder, Padding, Value } from './builder.js';
import type { TfjsWeight } from './weights.js';

/** A Keras layer as TF.js saves it (Keras 2 topology JSON). */
export interface KerasLayer {
  class_name: string;
  name?: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown[];
}

/** Layer classes the layers converter maps. */
export const LAYER_CLASSES = [
  'InputLayer', 'ZeroPadding2D', 'Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'BatchNormalization', 'ReLU', 'Activation',
  'Softmax', 'LeakyReLU', 'PReLU', 'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate',
  'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Flatten', 'Dense', 'Dropout',
  'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'Rescaling', 'Normalization', 'UpSampling2D', 'Reshape', 'Permute',
  'Sequential', 'Model', 'Functional',
] as const;

const SUPPORTED = new Set<string>(LAYER_CLASSES);
const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);
const ACTIVATIONS = new Set<string>(['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'swish', 'hard_sigmoid', 'gelu']);

type Config = Record<string, unknown>;

const num = (c: Config, k: string, d: number): number => (typeof c[k] === 'number' ? (c[k] as number) : d);
const pair = (v: unknown, d: [number, number]): [number, number] => {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [Number(v[0]), Number(v[1])];
  return d;
};

/** Convert a Keras model config (Sequential or functional, nested models included) into `b`. */
export class LayersConverter {
  private readonly used = new Set<string>();

  constructor(
    private readonly b: GraphBuilder,
    private readonly weights: Map<string, TfjsWeight>,
    private readonly source: string,
  ) {}

  /** The top-level model: `{ class_name, config }`. Returns its output values. */
  convertModel(model: { class_name: string; config: unknown }, inputs?: Value[]): Value[] {
    const cls = model.class_name;
    if (cls === 'Sequential') return [this.sequential(model.config, inputs?.[0])];
    if (cls === 'Model' || cls === 'Functional') return this.functional(model.config as Config, inputs);
    throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: a layers model of class '${cls}' (expected Sequential or Model)`);
  }

  private sequential(config: unknown, input?: Value): Value {
    const layers = (Array.isArray(config) ? config : (config as Config).layers) as KerasLayer[] | undefined;
    if (!layers?.length) throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: the Sequential model has no layers`);
    let x = input;
    for (const layer of layers) {
      const name = layerName(layer);
      if (!x && MODEL_CLASSES.has(layer.class_name)) {
        // a nested model first (Teachable Machine: the truncated MobileNet, then the head): its input is the model's
        x = this.convertModel({ class_name: layer.class_name, config: layer.config })[0]!;
        continue;
      }
      if (!x) {
        const shape = (layer.config.batch_input_shape ?? layer.config.batchInputShape) as (number | null)[] | undefined;
        if (!shape) throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: the first layer ('${name}') declares no batch_input_shape`);
        x = this.b.input(layer.class_name === 'InputLayer' ? name : 'input', shape.map((d) => d ?? -1));
        if (layer.class_name === 'InputLayer') continue;
      }
      x = this.layer(layer, [x])[0]!;
    }
    return x!;
  }

  private functional(config: Config, inputs?: Value[]): Value[] {
    const layers = config.layers as KerasLayer[];
    const byName = new Map(layers.map((l) => [layerName(l), l]));
    const outputs = new Map<string, Value>(); // `${layer}:${call}:${tensor}`
    const inputLayers = (config.input_layers as [string, number, number][]) ?? [];
    inputLayers.forEach(([name], i) => {
      const l = byName.get(name);
      if (!l) throw new LumenError('CORRUPT_MODEL', `${this.source}: input layer '${name}' is not defined`);
      const shape = (l.config.batch_input_shape ?? l.config.batchInputShape) as (number | null)[] | undefined;
      const v = inputs?.[i] ?? (shape ? this.b.input(name, shape.map((d) => d ?? -1)) : undefined);
      if (!v) throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: input layer '${name}' declares no batch_input_shape`);
      outputs.set(`${name}:0:0`, v);
    });
    const resolve = (name: string, call: number, tensor: number): Value => {
      const key = `${name}:${call}:${tensor}`;
      const got = outputs.get(key);
      if (got) return got;
      const l = byName.get(name);
      if (!l) throw new LumenError('CORRUPT_MODEL', `${this.source}: layer '${name}' is referenced but not defined`);
      const nodes = (l.inbound_nodes ?? []) as unknown[];
      const node = nodes[call];
      if (!Array.isArray(node)) throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: layer '${name}': call ${call} has no Keras 2 inbound node (Keras 3 topologies are not supported)`);
      const ins = (node as unknown[][]).map((ref) => resolve(String(ref[0]), Number(ref[1] ?? 0), Number(ref[2] ?? 0)));
      const outs = this.layer(l, ins, nodes.length > 1 ? `${name}_call${call}` : undefined);
      outs.forEach((v, i) => outputs.set(`${name}:${call}:${i}`, v));
      return outs[tensor]!;
    };
    const outputLayers = (config.output_layers as [string, number, number][]) ?? [];
    return outputLayers.map(([name, call, tensor]) => resolve(name, call ?? 0, tensor ?? 0));
  }

  private weight(layer: string, param: string, required = true): TfjsWeight | undefined {
    for (const k of [`${layer}/${param}`, `${layer}/${param}:0`]) {
      const w = this.weights.get(k);
      if (w) return w;
    }
    for (const [k, w] of this.weights) {
      if (k.endsWith(`/${layer}/${param}`) || k.endsWith(`/${layer}/${param}:0`)) return w;
    }
    if (required) throw new LumenError('CORRUPT_MODEL', `${this.source}: layer '${layer}' has no weight '${param}' in the weights manifest`);
    return undefined;
  }

  private floats(layer: string, param: string): Float32Array {
    return this.weight(layer, param)!.values as Float32Array;
  }

  private activation(x: Value, act: unknown, layer: string, name: string): Value {
    const a = typeof act === 'string' ? act : act === undefined || act === null ? 'linear' : (act as { class_name?: string }).class_name ?? '?';
    if (!ACTIVATIONS.has(a)) throw new LumenError('UNSUPPORTED_OP', `${this.source}: activation '${a}' (layer '${layer}') is not supported; supported: ${[...ACTIVATIONS].join(', ')}`);
    return this.b.activation(x, a as Activation, name);
  }

  private uniqueOut(name: string): string {
    let n = name;
    for (let i = 1; this.used.has(n); i++) n = `${name}_${i}`;
    this.used.add(n);
    return n;
  }

  /** One layer call: its inputs → its outputs (every supported layer has one). */
  private layer(l: KerasLayer, ins: Value[], callName?: string): Value[] {
    const name = layerName(l);
    const out = this.uniqueOut(callName ?? name);
    const c = l.config;
    if (!SUPPORTED.has(l.class_name)) {
      throw new LumenError('UNSUPPORTED_OP', `${this.source}: Keras layer class '${l.class_name}' (layer '${name}') is not supported by the TF.js importer. Supported: ${LAYER_CLASSES.join(', ')}`);
    }
    if (c.data_format === 'channels_first') throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: layer '${name}' uses data_format channels_first; only channels_last is supported`);
    const b = this.b;
    const x = ins[0]!;
    const spatial = (what: string): void => {
      if (x.shape.length !== 4) throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: ${l.class_name} '${name}' needs a 4-D input, got [${x.shape.join(', ')}] (${what})`);
    };
    const padding = (): Padding => {
      const p = String(c.padding ?? 'valid').toUpperCase();
      if (p !== 'SAME' && p !== 'VALID') throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: layer '${name}' has padding '${String(c.padding)}'`);
      return p;
    };
    switch (l.class_name) {
      case 'Sequential':
      case 'Model':
      case 'Functional':
        return this.convertModel({ class_name: l.class_name, config: c }, ins);
      case 'InputLayer':
      case 'Dropout':
      case 'SpatialDropout2D':
      case 'GaussianNoise':
      case 'GaussianDropout':
        return [x];
      case 'ZeroPadding2D': {
        spatial('padding');
        const p = c.padding;
        const [[t, bt], [lf, r]] = typeof p === 'number' ? [[p, p], [p, p]] : Array.isArray(p) && typeof p[0] === 'number' ? [[p[0], p[0]], [p[1], p[1]]] : (p as number[][]);
        return [b.pad(x, [[0, 0], [t!, bt!], [lf!, r!], [0, 0]], out)];
      }
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D': {
        spatial('convolution');
        const useBias = c.use_bias !== false;
        const strides = pair(c.strides, [1, 1]);
        const dilations = pair(c.dilation_rate, [1, 1]);
        if (Number(c.groups ?? 1) !== 1) throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: Conv2D '${name}' with groups=${String(c.groups)} is not supported`);
        const linear = c.activation === undefined || c.activation === 'linear';
        let y: Value;
        if (l.class_name === 'Conv2D') {
          const k = this.weight(name, 'kernel')!;
          y = b.conv(x, { kernel: k.values as Float32Array, kernelShape: k.shape, bias: useBias ? this.floats(name, 'bias') : undefined, strides, dilations, padding: padding(), depthwise: false }, linear ? out : `${out}/conv`);
        } else {
          const k = this.weight(name, 'depthwise_kernel')!;
          const sep = l.class_name === 'SeparableConv2D';
          y = b.conv(x, { kernel: k.values as Float32Array, kernelShape: k.shape, bias: !sep && useBias ? this.floats(name, 'bias') : undefined, strides, dilations, padding: padding(), depthwise: true }, sep || !linear ? `${out}/depthwise` : out);
          if (sep) {
            const pk = this.weight(name, 'pointwise_kernel')!;
            y = b.conv(y, { kernel: pk.values as Float32Array, kernelShape: pk.shape, bias: useBias ? this.floats(name, 'bias') : undefined, strides: [1, 1], dilations: [1, 1], padding: 'VALID', depthwise: false }, linear ? out : `${out}/pointwise`);
          }
        }
        return [this.activation(y, c.activation, name, out)];
      }
      case 'BatchNormalization': {
        const axis = num(c, 'axis', -1);
        const ax = Array.isArray(c.axis) ? Number(c.axis[0]) : axis;
        if (ax !== -1 && ax !== x.shape.length - 1) throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: BatchNormalization '${name}' over axis ${ax}; only the channel (last) axis is supported`);
        const eps = num(c, 'epsilon', 1e-3);
        const mean = this.floats(name, 'moving_mean');
        const variance = this.floats(name, 'moving_variance');
        const gamma = c.scale !== false ? this.floats(name, 'gamma') : undefined;
        const beta = c.center !== false ? this.floats(name, 'beta') : undefined;
        // inference-mode batch norm folded into y = x·s + o (s = γ/√(σ²+ε), o = β − μ·s), as TF.js's converter fuses it
        const s = new Float32Array(mean.length);
        const o = new Float32Array(mean.length);
        for (let i = 0; i < mean.length; i++) {
          s[i] = (gamma ? gamma[i]! : 1) / Math.sqrt(variance[i]! + eps);
          o[i] = (beta ? beta[i]! : 0) - mean[i]! * s[i]!;
        }
        return [b.affine(x, s, o, out)];
      }
      case 'ReLU': {
        const max = c.max_value;
        const slope = num(c, 'negative_slope', 0);
        const threshold = num(c, 'threshold', 0);
        if (slope !== 0 || threshold !== 0) throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: ReLU '${name}' with negative_slope/threshold is not supported`);
        if (max === null || max === undefined) return [b.activation(x, 'relu', out)];
        if (max === 6) return [b.activation(x, 'relu6', out)];
        throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: ReLU '${name}' with max_value ${String(max)} (only none or 6) is not supported`);
      }
      case 'Activation':
        return [this.activation(x, c.activation, name, out)];
      case 'Softmax':
        return [b.softmax(x, num(c, 'axis', -1), out)];
      case 'LeakyReLU':
        return [b.activation(x, 'leakyrelu', out, num(c, 'alpha', 0.3))];
      case 'PReLU': {
        const a = this.weight(name, 'alpha')!;
        return [b.prelu(x, a.values as Float32Array, a.shape, out)];
      }
      case 'Add':
      case 'Subtract':
      case 'Multiply':
      case 'Maximum':
      case 'Minimum':
      case 'Average': {
        const op = ({ Add: 'Add', Subtract: 'Sub', Multiply: 'Mul', Maximum: 'Max', Minimum: 'Min', Average: 'Add' } as const)[l.class_name];
        let y = ins[0]!;
        for (let i = 1; i < ins.length; i++) y = b.binary(op, y, ins[i]!, i === ins.length - 1 && l.class_name !== 'Average' ? out : `${out}/${i}`);
        if (l.class_name === 'Average') y = b.binary('Mul', y, b.constant(Float32Array.of(1 / ins.length), [], `${out}/inv_n`), out);
        return [y];
      }
      case 'Concatenate':
        return [b.concat(ins, num(c, 'axis', -1), out)];
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        spatial('pooling');
        const k = pair(c.pool_size, [2, 2]);
        const s = c.strides === null || c.strides === undefined ? k : pair(c.strides, k);
        const p = padding();
        return [b.pool(x, l.class_name === 'MaxPooling2D' ? 'max' : 'avg', k, s, p as 'SAME' | 'VALID', out)];
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D':
        spatial('pooling');
        return [b.reduce(l.class_name === 'GlobalAveragePooling2D' ? 'ReduceMean' : 'ReduceMax', x, [1, 2], c.keepdims === true, out)];
      case 'Flatten': {
        const size = x.shape.slice(1).reduce((p, d) => (d < 0 || p < 0 ? -1 : p * d), 1);
        if (size < 0) throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: Flatten '${name}' of a tensor with an open size [${x.shape.join(', ')}]`);
        return [b.reshape(x, [-1, size], out)];
      }
      case 'Dense': {
        const k = this.weight(name, 'kernel')!;
        const linear = c.activation === undefined || c.activation === 'linear';
        const y = b.dense(x, k.values as Float32Array, k.shape as [number, number], c.use_bias !== false ? this.floats(name, 'bias') : undefined, linear ? out : `${out}/dense`);
        return [this.activation(y, c.activation, name, out)];
      }
      case 'Rescaling': {
        const scale = Float32Array.of(num(c, 'scale', 1));
        const offset = Float32Array.of(num(c, 'offset', 0));
        return [b.affine(x, scale, offset[0] !== 0 ? offset : undefined, out)];
      }
      case 'Normalization': {
        // Keras: (x − mean) / max(√variance, ε), from the adapted weights (or the config's fixed mean/variance)
        const mean = this.weight(name, 'mean', false)?.values ?? Float32Array.from(([] as number[]).concat(c.mean as number[]));
        const variance = this.weight(name, 'variance', false)?.values ?? Float32Array.from(([] as number[]).concat(c.variance as number[]));
        if (!mean.length || mean.length !== variance.length) throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: Normalization '${name}' has no mean/variance`);
        const s = Float32Array.from(variance, (v) => 1 / Math.max(Math.sqrt(v), 1e-7));
        const o = Float32Array.from(mean, (m, i) => -m * s[i]!);
        return [b.affine(x, s, o, out)];
      }
      case 'UpSampling2D': {
        spatial('upsampling');
        const interp = String(c.interpolation ?? 'nearest');
        if (interp !== 'nearest' && interp !== 'bilinear') throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: UpSampling2D '${name}' with interpolation '${interp}'`);
        return [b.upsample(x, pair(c.size, [2, 2]), interp, out)];
      }
      case 'Reshape': {
        const target = (c.target_shape as number[]).map(Number);
        return [b.reshape(x, [target.includes(-1) ? 0 : -1, ...target], out)];
      }
      case 'Permute': {
        const dims = (c.dims as number[]).map(Number);
        return [b.transpose(x, [0, ...dims], out)];
      }
    }
    throw new LumenError('UNSUPPORTED_OP', `${this.source}: Keras layer class '${l.class_name}' (layer '${name}') is not supported by the TF.js importer`);
  }
}

function layerName(l: KerasLayer): string {
  return String(l.name ?? l.config.name ?? l.class_name);
}
