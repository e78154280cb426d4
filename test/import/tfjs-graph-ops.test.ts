// Every supported TF op, in graph models written here as TF.js graph-model JSON: TF.js's converter runtime executes
// the same files, and each node's output, the logits and Saliency are compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/node/load.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { GRAPH_OPS } from '../../src/import/index.js';
import { LumenError } from '../../src/errors.js';
import { mulberry32 } from '../../src/random.js';
import { tf, loadTfGraphModel, randomNhwc, toLumen, nhwcToNchw, compareToTf, relErr } from './tfjs-oracle.js';

await loadAllMethods();
const tmp = mkdtempSync(join(tmpdir(), 'lumen-tfjs-graph-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

type Attr = Record<string, unknown>;
const s = (v: string): Attr => ({ s: btoa(v) });
const ints = (v: number[]): Attr => ({ list: { i: v.map(String) } });
const i = (v: number): Attr => ({ i: String(v) });
const b = (v: boolean): Attr => ({ b: v });
const T = { T: { type: 'DT_FLOAT' } };

/** A graph-model JSON under construction: nodes, and weights (float32, uint8-quantized, float16 or int32). */
class GraphJson {
  readonly nodes: { name: string; op: string; input?: string[]; attr?: Attr }[] = [];
  private readonly weights: { name: string; shape: number[]; dtype: string; quantization?: Attr }[] = [];
  private readonly parts: Uint8Array[] = [];
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  input(name: string, shape: number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } } });
    return name;
  }

  /** Random float weights in [lo, hi), stored as `storage`. */
  weight(name: string, shape: number[], storage: 'float32' | 'uint8' | 'float16' = 'float32', lo = -0.5, hi = 0.5): string {
    const n = shape.reduce((a, d) => a * d, 1);
    const v = Float32Array.from({ length: n }, () => lo + (hi - lo) * this.next());
    if (storage === 'float32') this.parts.push(new Uint8Array(v.buffer));
    else if (storage === 'float16') this.parts.push(new Uint8Array(Uint16Array.from(v, f16).buffer));
    else {
      const min = Math.min(...v);
      const scale = (Math.max(...v) - min) / 255;
      this.parts.push(Uint8Array.from(v, (x) => Math.round((x - min) / scale)));
      this.weights.push({ name, shape, dtype: 'float32', quantization: { dtype: 'uint8', min, scale } });
      return this.constNode(name, shape, 'DT_FLOAT');
    }
    this.weights.push({ name, shape, dtype: 'float32', ...(storage === 'float16' ? { quantization: { dtype: 'float16' } } : {}) });
    return this.constNode(name, shape, 'DT_FLOAT');
  }

  ints(name: string, values: number[], shape = [values.length]): string {
    this.parts.push(new Uint8Array(Int32Array.from(values).buffer));
    this.weights.push({ name, shape, dtype: 'int32' });
    return this.constNode(name, shape, 'DT_INT32');
  }

  private constNode(name: string, shape: number[], dtype: string): string {
    this.nodes.push({ name, op: 'Const', attr: { value: { tensor: { dtype, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } }, dtype: { type: dtype } } });
    return name;
  }

  op(name: string, op: string, input: string[], attr: Attr = {}): string {
    this.nodes.push({ name, op, input, attr: { ...T, ...attr } });
    return name;
  }

  write(dir: string): string {
    mkdirSync(dir, { recursive: true });
    const total = new Uint8Array(this.parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of this.parts) {
      total.set(p, at);
      at += p.length;
    }
    writeFileSync(join(dir, 'weights.bin'), total);
    const json = { format: 'graph-model', generatedBy: 'lumen test', convertedBy: null, modelTopology: { node: this.nodes, versions: { producer: 1 } }, weightsManifest: [{ paths: ['weights.bin'], weights: this.weights }] };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    return join(dir, 'model.json');
  }
}

function f16(v: number): number {
  const x = new Uint32Array(new Float32Array([v]).buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 112;
  if (exp <= 0) return sign;
  const h = sign | (exp << 10) | ((x & 0x7fffff) >>> 13);
  return (x & 0x1fff) > 0x1000 || ((x & 0x1fff) === 0x1000 && h & 1) ? h + 1 : h;
}

const conv = (pad: string, stride: number, fused?: string[]): Attr => ({
  strides: ints([1, stride, stride, 1]), padding: s(pad), data_format: s('NHWC'), dilations: ints([1, 1, 1, 1]), explicit_paddings: ints([]),
  ...(fused ? { fused_ops: { list: { s: fused.map(btoa) } }, num_args: i(1), epsilon: { f: 0 } } : {}),
});

/**
 * Every op of GRAPH_OPS in one classifier (input [N, 10, 12, 3] → 5 logits → Softmax). `act6` is the activation
 * fused into the depthwise convolution: TF.js differentiates fused Relu but not fused Relu6.
 */
function buildGraph(act6: 'Relu6' | 'Relu'): GraphJson {
  // TF.js has no gradient for StridedSlice either: the Saliency variant (act6 = Relu) takes a Mean where it slices
  const slices = act6 === 'Relu6';
  const g = new GraphJson(7);
  const x = g.input('image', [-1, 10, 12, 3]);
  const n1 = g.op('block1/conv', '_FusedConv2D', [x, g.weight('w1', [3, 3, 3, 4], 'uint8'), g.weight('b1', [4])], conv('SAME', 1, ['BiasAdd', 'Relu']));
  const n2 = g.op('block1/dw', 'FusedDepthwiseConv2dNative', [n1, g.weight('w2', [3, 3, 4, 2], 'float16'), g.weight('b2', [8], 'float16')], conv('SAME', 2, ['BiasAdd', act6]));
  const n3 = g.op('block2/dw', 'DepthwiseConv2dNative', [n2, g.weight('w3', [3, 3, 8, 1])], conv('VALID', 1));
  const n4 = g.op('block2/pad', 'Pad', [n3, g.ints('pads', [0, 0, 1, 1, 1, 1, 0, 0], [4, 2])]);
  const n5 = g.op('block2/add', 'AddV2', [n4, n2]);
  const n6 = g.op('block3/conv', 'Conv2D', [n5, g.weight('w6', [2, 2, 8, 6])], conv('SAME', 2));
  const n7 = g.op('block3/relu6', 'Relu6', [n6]);
  const n8 = g.op('arith/sub', 'Sub', [n5, g.weight('half', [], 'float32', 0.5, 0.5)]);
  const n9 = g.op('arith/mul', 'Mul', [n8, g.weight('scale', [8])]);
  const n10 = g.op('arith/div', 'RealDiv', [n9, g.weight('divisor', [8], 'float32', 0.5, 2)]);
  const n11 = g.op('arith/min', 'Minimum', [n10, n5]);
  const n12 = g.op('arith/max', 'Maximum', [n11, g.weight('floor', [], 'float32', -0.3, -0.3)]);
  const n12b = g.op('arith/add', 'Add', [n12, g.weight('shift', [1, 1, 1, 8])]);
  const n13 = g.op('act/sigmoid', 'Sigmoid', [n12b]);
  const n14 = g.op('act/tanh', 'Tanh', [n12]);
  const n15 = g.op('cat1', 'ConcatV2', [n13, n14, g.ints('axis3', [3], [])], { N: i(2) });
  const n16 = g.op('pool/max', 'MaxPool', [n15], { ksize: ints([1, 2, 2, 1]), strides: ints([1, 2, 2, 1]), padding: s('SAME'), data_format: s('NHWC') });
  const n17 = g.op('pool/avg', 'AvgPool', [n15], { ksize: ints([1, 3, 2, 1]), strides: ints([1, 2, 2, 1]), padding: s('VALID'), data_format: s('NHWC') });
  const n18 = g.op('cat2', 'ConcatV2', [n16, n7, g.ints('axis_last', [-1], [])], { N: i(2) });
  const n19 = g.op('relu', 'Relu', [n18]);
  const n20 = !slices ? n19 : g.op('slice', 'StridedSlice', [n19, g.ints('begin', [0, 0, 1, 0]), g.ints('end', [0, 3, 3, 20]), g.ints('strides', [1, 1, 1, 2])], { begin_mask: i(1), end_mask: i(1), ellipsis_mask: i(0), new_axis_mask: i(0), shrink_axis_mask: i(0), Index: { type: 'DT_INT32' } });
  const n20b = !slices ? g.op('mean_h', 'Mean', [n19, g.ints('axis1c', [1])], { keep_dims: b(false), Tidx: { type: 'DT_INT32' } }) : g.op('slice_shrink', 'StridedSlice', [n19, g.ints('begin2', [0, 1, 0, 0]), g.ints('end2', [0, 2, 0, 0]), g.ints('strides2', [1, 1, 1, 1])], { begin_mask: i(13), end_mask: i(13), ellipsis_mask: i(0), new_axis_mask: i(0), shrink_axis_mask: i(2), Index: { type: 'DT_INT32' } });
  const n21 = g.op('mean_keep', 'Mean', [n20, g.ints('axis1', [1])], { keep_dims: b(true), Tidx: { type: 'DT_INT32' } });
  const n22 = g.op('max_hw', 'Max', [n19, g.ints('axes12', [1, 2])], { keep_dims: b(false), Tidx: { type: 'DT_INT32' } });
  const n23 = g.op('squeeze', 'Squeeze', [n21], { squeeze_dims: ints([1]) });
  const n24 = g.op('flat1', 'Reshape', [n23, g.ints('shape20', [-1, slices ? 20 : 66])]);
  const n25 = g.op('expand', 'ExpandDims', [n22, g.ints('dim1', [1], [])]);
  const n26 = g.op('squeeze2', 'Squeeze', [n25], { squeeze_dims: ints([1]) });
  const n27 = g.op('mean_hw', 'Mean', [n17, g.ints('axes12b', [1, 2])], { keep_dims: b(false), Tidx: { type: 'DT_INT32' } });
  const n27b = g.op('flat2', 'Reshape', [n20b, g.ints('shape66', [-1, 66])]);
  const n28 = g.op('cat3', 'ConcatV2', [n24, n26, n27, n27b, g.ints('axis1b', [1], [])], { N: i(4) });
  const n29 = g.op('fc1', '_FusedMatMul', [n28, g.weight('wm1', [slices ? 124 : 170, 16]), g.weight('bm1', [16])], { transpose_a: b(false), transpose_b: b(false), fused_ops: { list: { s: ['BiasAdd', 'Relu'].map(btoa) } }, num_args: i(1), epsilon: { f: 0 } });
  const n30 = g.op('logits', 'MatMul', [n29, g.weight('wm2', [16, 5])], { transpose_a: b(false), transpose_b: b(false) });
  const n31 = g.op('probs', 'Softmax', [n30]);
  g.op('Identity', 'Identity', [n31]);
  return g;
}

test('graph model with every supported op: each node, the logits and Saliency equal TF.js (uint8, float16, float32 weights)', async () => {
  for (const act6 of ['Relu6', 'Relu'] as const) {
    const g = buildGraph(act6);
    const path = g.write(join(tmp, act6));
    const [model, gm] = await Promise.all([loadModel(path), loadTfGraphModel(path)]);
    const x = randomNhwc([2, 10, 12, 3], 3, -1, 1);
    const input = toLumen(x);
    const names = g.nodes.filter((n) => !['Const', 'Placeholder', 'Identity'].includes(n.op)).map((n) => n.name);
    const { tensors } = await model.forward(input, names);
    const ref = gm.execute(x, names) as tf.Tensor[];
    for (const [k, n] of names.entries()) {
      const e = compareToTf(tensors[n]!, ref[k]!);
      assert.ok(e <= 1e-5, `${act6}: node '${n}' (${g.nodes.find((m) => m.name === n)!.op}) differs by ${e}`);
    }
    assert.equal(model.logitsName, 'logits');
    if (act6 === 'Relu') {
      const sal = await getMethod('saliency').explain(model, input, { target: [1, 3], abs: false });
      const onehot = tf.oneHot(tf.tensor1d([1, 3], 'int32'), 5);
      const grad = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(gm.execute(xx, 'logits') as tf.Tensor, onehot)))(x);
      const e = relErr(sal.attribution.data, nhwcToNchw(grad));
      assert.ok(e <= 1e-4, `saliency ${e}`);
    }
    await model.dispose();
  }
  // every op of the supported list appears in the graph
  const used = new Set(buildGraph('Relu6').nodes.map((n) => n.op));
  const missing = GRAPH_OPS.filter((o) => !used.has(o) && !['BiasAdd', 'LeakyRelu', 'Elu'].includes(o));
  assert.deepEqual(missing, []);
});

test('an unsupported op is named, with its node; a missing shard file is named', async () => {
  const g = new GraphJson(1);
  const x = g.input('image', [-1, 4, 4, 3]);
  g.op('head/erf', 'Erf', [x]);
  g.op('head/cumsum', 'Cumsum', [x]);
  const path = g.write(join(tmp, 'unsupported'));
  await assert.rejects(loadModel(path), (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_OP' && /'Erf' \(node 'head\/erf'\)/.test(e.message) && /also unsupported: Cumsum/.test(e.message));
  const h = buildGraph('Relu');
  const dir = join(tmp, 'noshard');
  const p2 = h.write(dir);
  rmSync(join(dir, 'weights.bin'));
  await assert.rejects(loadModel(p2), (e: unknown) => e instanceof LumenError && e.code === 'FILE_NOT_FOUND' && /weights\.bin/.test(e.message));
});
