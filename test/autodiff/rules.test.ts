import { test } from 'node:test';
import type { AttrMap } from '../../src/onnx/attributes.js';
import { Tensor } from '../../src/tensor.js';
import { checkRuleCase as check, randomTensor, rng, separatedValues, type RuleCase } from './helpers.js';

type Case = RuleCase;

function unaryCase(op: string, attrs: AttrMap = {}, values?: (n: number, r: () => number) => Float32Array, opset = 17): Case {
  const r = rng(op.length * 31 + 5);
  const shape = [2, 3, 4, 3];
  const n = shape.reduce((a, b) => a * b, 1);
  const data = values ? values(n, r) : separatedValues(n, r, 0.1);
  return { name: `${op} ${JSON.stringify(attrs)}`, inputs: { x: new Tensor(data, shape) }, build: (g) => g.op(op, ['x'], attrs), opset };
}

/** Move values within 0.03 of a kink 0.06 away, so h = 1e-2 differences stay on one side. */
function awayFrom(values: Float32Array, kinks: number[]): Float32Array {
  return values.map((v) => (kinks.some((k) => Math.abs(v - k) < 0.03) ? v + 0.06 : v));
}

const positive = (n: number, r: () => number): Float32Array => Float32Array.from({ length: n }, () => 0.5 + 2 * r());

const cases: Case[] = [
  unaryCase('Relu'),
  unaryCase('LeakyRelu', { alpha: { f: 0.3 } }),
  unaryCase('Sigmoid'),
  unaryCase('Tanh'),
  unaryCase('HardSigmoid', { alpha: { f: 0.4 }, beta: { f: 0.3 } }, (n, r) => awayFrom(Float32Array.from(separatedValues(n, r, 0.1), (v) => v * 1.3), [-0.75, 1.75])),
  unaryCase('HardSwish', {}, (n, r) => awayFrom(Float32Array.from(separatedValues(n, r, 0.1), (v) => v * 2.1), [-3, 3])),
  unaryCase('Softplus'),
  unaryCase('Elu', { alpha: { f: 0.7 } }),
  unaryCase('Erf'),
  unaryCase('Exp'),
  unaryCase('Log', {}, positive),
  unaryCase('Sqrt', {}, positive),
  unaryCase('Neg'),
  unaryCase('Abs'),
  unaryCase('Identity'),
  unaryCase('Dropout'),
  unaryCase('Cast', { to: { i: 1 } }),
  unaryCase('Softmax', { axis: { i: 1 } }),
  unaryCase('Softmax', { axis: { i: -1 } }),
  unaryCase('Softmax', { axis: { i: 2 } }, undefined, 11), // old semantics: softmax over the flattened axes 2..3
  unaryCase('LogSoftmax', { axis: { i: 1 } }),
  unaryCase('LogSoftmax', { axis: { i: 1 } }, undefined, 12),
  unaryCase('Flatten', { axis: { i: 2 } }),
  unaryCase('Transpose', { perm: { ints: [2, 0, 3, 1] } }),
  unaryCase('Transpose'),
  unaryCase('GlobalAveragePool'),
  unaryCase('GlobalMaxPool'),
  unaryCase('ReduceMean', { axes: { ints: [1, 3] }, keepdims: { i: 0 } }, undefined, 13),
  unaryCase('ReduceMax', { axes: { ints: [-1] }, keepdims: { i: 1 } }, undefined, 13),
  unaryCase('ReduceSum', { axes: { ints: [0, 2] }, keepdims: { i: 0 } }, undefined, 11),
  unaryCase('Clip', { min: { f: -0.4 }, max: { f: 0.7 } }, undefined, 10),
  {
    name: 'Clip with min/max inputs (ReLU6 as exported) and with only max',
    inputs: { x: new Tensor(Float32Array.from(separatedValues(60, rng(3), 0.1), (v) => v * 3 + 3.013), [1, 5, 3, 4]) },
    build: (g) => {
      const a = g.op('Clip', ['x', g.scalar(0), g.scalar(6)]);
      const b = g.op('Clip', ['x', '', g.scalar(4.5)]);
      return g.op('Add', [a, g.op('Mul', [b, g.scalar(0.5)])]);
    },
  },
  {
    name: 'Pow with constant exponents 3 and 2.5',
    inputs: { x: new Tensor(positive(24, rng(4)), [2, 3, 4]) },
    build: (g) => g.op('Add', [g.op('Pow', ['x', g.scalar(3)]), g.op('Pow', ['x', g.scalar(2.5)])]),
  },
  {
    name: 'PRelu with per-channel slope (broadcast [C,1,1]), w.r.t. x and slope',
    inputs: { x: new Tensor(separatedValues(72, rng(5), 0.1), [2, 3, 4, 3]), slope: randomTensor([3, 1, 1], rng(6), 0.5) },
    build: (g) => g.op('PRelu', ['x', 'slope']),
  },
  {
    name: 'BatchNormalization (inference)',
    inputs: { x: randomTensor([2, 3, 4, 5], rng(8)) },
    build: (g) => g.op('BatchNormalization', ['x', g.addInitializer(Float32Array.of(0.5, -1.5, 2), [3]), g.addInitializer(Float32Array.of(0.1, 0.2, -0.3), [3]), g.addInitializer(Float32Array.of(0.3, -0.2, 0), [3]), g.addInitializer(Float32Array.of(0.5, 2, 0.1), [3])], { epsilon: { f: 1e-3 } }),
  },
];

// Broadcasting on every axis, both operands differentiated
const shapesB: [number[], number[]][] = [
  [[2, 3, 4, 5], [2, 3, 4, 5]],
  [[2, 3, 4, 5], [1, 3, 1, 5]],
  [[2, 3, 4, 5], [5]],
  [[2, 3, 4, 5], [4, 1]],
  [[2, 1, 4, 1], [1, 3, 1, 5]],
  [[2, 3, 4, 5], []],
];
for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
  shapesB.forEach(([sa, sb], k) => {
    const r = rng(100 + k);
    const b = randomTensor(sb, r);
    if (op === 'Div') for (let i = 0; i < b.size; i++) b.data[i] = Math.sign(b.data[i]! || 1) * (0.5 + Math.abs(b.data[i]!));
    cases.push({ name: `${op} [${sa}] ∘ [${sb}]`, inputs: { a: randomTensor(sa, r), b }, build: (g) => g.op(op, ['a', 'b']) });
    cases.push({ name: `${op} [${sb}] ∘ [${sa}] (swapped)`, inputs: { a: b, b: randomTensor(sa, r) }, build: (g) => g.op(op, ['a', 'b']), ...(op === 'Div' ? { wrt: ['a'] } : {}) });
  });
}
cases.push({ name: 'Expand [3,1] → [2,3,4]', inputs: { x: randomTensor([3, 1], rng(9)) }, build: (g) => g.op('Expand', ['x', g.int64s([2, 3, 4])]) });

// Gemm: every trans combination, alpha, beta, bias shapes
for (const transA of [0, 1]) {
  for (const transB of [0, 1]) {
    for (const cShape of [[3, 5], [5], [1, 5], [3, 1]]) {
      const r = rng(200 + transA * 2 + transB + cShape.length * 7 + (cShape[0] ?? 0));
      const [m, k, n] = [3, 4, 5];
      cases.push({
        name: `Gemm transA=${transA} transB=${transB} C[${cShape}]`,
        inputs: { a: randomTensor(transA ? [k, m] : [m, k], r), b: randomTensor(transB ? [n, k] : [k, n], r), c: randomTensor(cShape, r) },
        build: (g) => g.op('Gemm', ['a', 'b', 'c'], { transA: { i: transA }, transB: { i: transB }, alpha: { f: 0.7 }, beta: { f: -1.3 } }),
      });
    }
  }
}

// MatMul: batched, broadcast batch, 1-D operands
for (const [sa, sb] of [[[2, 3, 4], [4, 5]], [[3, 4], [2, 4, 5]], [[2, 1, 3, 4], [3, 4, 2]], [[4], [4, 5]], [[3, 4], [4]], [[4], [2, 4, 3]], [[4], [4]]] as [number[], number[]][]) {
  const r = rng(300 + sa.length * 10 + sb.length);
  cases.push({ name: `MatMul [${sa}] × [${sb}]`, inputs: { a: randomTensor(sa, r), b: randomTensor(sb, r) }, build: (g) => g.op('MatMul', ['a', 'b']) });
}

// Conv: strides, asymmetric pads, dilations, groups, depthwise, auto_pad, odd sizes, 1-D and 3-D
interface ConvSpec { x: number[]; w: number[]; attrs: AttrMap; bias?: boolean }
const convs: ConvSpec[] = [
  { x: [2, 3, 7, 6], w: [4, 3, 3, 3], attrs: { pads: { ints: [1, 1, 1, 1] } }, bias: true },
  { x: [1, 3, 9, 8], w: [5, 3, 3, 2], attrs: { strides: { ints: [2, 3] }, pads: { ints: [0, 1, 2, 0] } } },
  { x: [1, 2, 10, 9], w: [3, 2, 3, 3], attrs: { dilations: { ints: [2, 3] }, pads: { ints: [2, 1, 1, 3] }, strides: { ints: [1, 2] } } },
  { x: [2, 4, 6, 7], w: [6, 2, 3, 3], attrs: { group: { i: 2 }, pads: { ints: [1, 0, 1, 2] } } },
  { x: [1, 4, 7, 7], w: [4, 1, 3, 3], attrs: { group: { i: 4 }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } } },
  { x: [1, 4, 7, 7], w: [8, 1, 3, 3], attrs: { group: { i: 4 }, pads: { ints: [1, 1, 1, 1] } } },
  { x: [1, 3, 8, 7], w: [2, 3, 3, 4], attrs: { auto_pad: { s: 'SAME_UPPER' }, strides: { ints: [2, 2] } } },
  { x: [1, 3, 8, 7], w: [2, 3, 4, 3], attrs: { auto_pad: { s: 'SAME_LOWER' }, strides: { ints: [3, 2] } } },
  { x: [1, 3, 8, 7], w: [2, 3, 3, 3], attrs: { auto_pad: { s: 'VALID' }, strides: { ints: [2, 2] } } },
  { x: [2, 3, 11], w: [4, 3, 3], attrs: { strides: { ints: [2] }, pads: { ints: [1, 0] } } },
  { x: [2, 3, 11], w: [4, 3, 3], attrs: { pads: { ints: [2, 0] }, dilations: { ints: [2] } } },
  { x: [1, 4, 9, 8], w: [6, 2, 3, 2], attrs: { group: { i: 2 }, dilations: { ints: [2, 3] }, pads: { ints: [0, 3, 4, 1] } } },
  { x: [1, 6, 7, 7], w: [6, 1, 5, 5], attrs: { group: { i: 6 }, pads: { ints: [2, 2, 2, 2] } } },
  { x: [1, 3, 7, 6], w: [2, 3, 3, 3], attrs: { pads: { ints: [3, 0, 1, 2] } } },
  { x: [1, 4, 9, 8], w: [6, 2, 3, 3], attrs: { group: { i: 2 }, strides: { ints: [2, 3] }, pads: { ints: [1, 0, 2, 1] }, dilations: { ints: [1, 2] } } },
  { x: [2, 6, 8, 9], w: [6, 1, 5, 5], attrs: { group: { i: 6 }, strides: { ints: [2, 2] }, auto_pad: { s: 'SAME_UPPER' } } },
  { x: [1, 3, 8, 7], w: [2, 3, 4, 3], attrs: { auto_pad: { s: 'SAME_UPPER' } } },
  { x: [1, 2, 4, 5, 4], w: [3, 2, 2, 3, 2], attrs: { strides: { ints: [1, 2, 1] }, pads: { ints: [0, 1, 1, 1, 0, 0] } } },
];
convs.forEach((c, k) => {
  const r = rng(400 + k);
  const inputs: Record<string, Tensor> = { x: randomTensor(c.x, r), w: randomTensor(c.w, r, 0.5) };
  if (c.bias) inputs.b = randomTensor([c.w[0]!], r);
  cases.push({
    name: `Conv x[${c.x}] w[${c.w}] ${JSON.stringify(c.attrs)}`,
    inputs,
    build: (g) => g.op('Conv', c.bias ? ['x', 'w', 'b'] : ['x', 'w'], c.attrs),
    wrt: c.bias ? ['x', 'b'] : ['x'],
  });
});

// Pools: overlapping windows, pads, ceil_mode, dilations, count_include_pad both ways
const pools: [string, number[], AttrMap][] = [
  ['MaxPool', [2, 3, 8, 8], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }],
  ['MaxPool', [1, 2, 9, 7], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } }],
  ['MaxPool', [1, 2, 8, 7], { kernel_shape: { ints: [3, 2] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } }],
  ['MaxPool', [1, 2, 9, 9], { kernel_shape: { ints: [2, 3] }, strides: { ints: [1, 2] }, dilations: { ints: [2, 1] }, pads: { ints: [0, 1, 1, 0] } }],
  ['MaxPool', [1, 2, 7, 8], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, auto_pad: { s: 'SAME_UPPER' } }],
  ['AveragePool', [2, 3, 8, 8], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }],
  ['AveragePool', [1, 2, 9, 7], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } }],
  ['AveragePool', [1, 2, 9, 7], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] }, count_include_pad: { i: 1 } }],
  ['AveragePool', [1, 2, 8, 7], { kernel_shape: { ints: [3, 2] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } }],
  ['AveragePool', [1, 2, 8, 7], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 0, 0, 1] }, ceil_mode: { i: 1 }, count_include_pad: { i: 1 } }],
  ['AveragePool', [1, 2, 7, 8], { kernel_shape: { ints: [3, 2] }, strides: { ints: [2, 3] }, auto_pad: { s: 'SAME_LOWER' } }],
  // ceil_mode with end pads where the last window would start in the padding: ORT's kernels drop it, ONNX's shape
  // inference keeps it (the gradient must not depend on the latter)
  ['AveragePool', [1, 2, 6, 7], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, pads: { ints: [0, 0, 1, 1] }, ceil_mode: { i: 1 } }],
  ['AveragePool', [1, 2, 8, 8], { kernel_shape: { ints: [3, 3] }, strides: { ints: [3, 3] }, pads: { ints: [0, 0, 2, 2] }, ceil_mode: { i: 1 }, count_include_pad: { i: 1 } }],
  ['MaxPool', [1, 2, 6, 7], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, pads: { ints: [0, 0, 1, 1] }, ceil_mode: { i: 1 } }],
];
pools.forEach(([op, shape, attrs], k) => {
  const n = shape.reduce((a, b) => a * b, 1);
  cases.push({ name: `${op} [${shape}] ${JSON.stringify(attrs)}`, inputs: { x: new Tensor(separatedValues(n, rng(500 + k), 0.05), shape) }, build: (g) => g.op(op, ['x'], attrs), h: 1e-2 });
});
// the same dropped-window pools followed by more ops: every shape after the pool must agree with ORT's graph checks
for (const op of ['AveragePool', 'MaxPool']) {
  const attrs: AttrMap = { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, pads: { ints: [0, 0, 1, 1] }, ceil_mode: { i: 1 } };
  cases.push({
    name: `${op} (ceil_mode, dropped last window) → Relu → GlobalAveragePool`,
    inputs: { x: new Tensor(separatedValues(2 * 8 * 6, rng(590), 0.05), [1, 2, 8, 6]) },
    build: (g) => g.op('GlobalAveragePool', [g.op('Relu', [g.op(op, ['x'], attrs)])]),
    h: 1e-2,
  });
}

// Layout ops
const r7 = rng(700);
cases.push(
  { name: 'Reshape with a -1', inputs: { x: randomTensor([2, 3, 4], r7) }, build: (g) => g.op('Reshape', ['x', g.int64s([4, -1])]) },
  { name: 'Squeeze / Unsqueeze (opset 13 inputs)', inputs: { x: randomTensor([2, 1, 4], r7) }, build: (g) => g.op('Unsqueeze', [g.op('Squeeze', ['x', g.int64s([1])]), g.int64s([0, 3])]), opset: 13 },
  { name: 'Squeeze / Unsqueeze (opset 11 attributes)', inputs: { x: randomTensor([2, 1, 4], r7) }, build: (g) => g.op('Unsqueeze', [g.op('Squeeze', ['x'], { axes: { ints: [1] } })], { axes: { ints: [0, 3] } }), opset: 11 },
  { name: 'Concat of three along axis 1 (one input not differentiated)', inputs: { a: randomTensor([2, 2, 3], r7), b: randomTensor([2, 3, 3], r7), c: randomTensor([2, 1, 3], r7) }, build: (g) => g.op('Concat', ['a', 'b', 'c'], { axis: { i: 1 } }), wrt: ['a', 'c'] },
  { name: 'Split into three (opset 13), one part unused', inputs: { x: randomTensor([2, 6, 3], r7) }, build: (g) => { const [p, , q] = g.addNode('Split', ['x', g.int64s([1, 2, 3])], 3, { axis: { i: 1 } }); return g.op('Concat', [q!, p!], { axis: { i: 1 } }); } },
  { name: 'Split evenly (opset 11 attribute form)', inputs: { x: randomTensor([2, 6, 3], r7) }, build: (g) => { const [p, q] = g.addNode('Split', ['x'], 2, { axis: { i: -2 } }); return g.op('Mul', [p!, q!]); }, opset: 11 },
  { name: 'Slice step 1, negative start, two axes', inputs: { x: randomTensor([2, 5, 6], r7) }, build: (g) => g.op('Slice', ['x', g.int64s([1, -4]), g.int64s([4, 100]), g.int64s([1, 2])]) },
  { name: 'Slice step 2 and 3', inputs: { x: randomTensor([2, 7, 8], r7) }, build: (g) => g.op('Slice', ['x', g.int64s([1, 0]), g.int64s([7, 8]), g.int64s([1, 2]), g.int64s([2, 3])]) },
  { name: 'Pad constant with negative pads', inputs: { x: randomTensor([2, 3, 4, 5], r7) }, build: (g) => g.op('Pad', ['x', g.int64s([0, 1, -1, 2, 0, 0, 2, -2])]) },
  { name: 'Pad with axes input (opset 18)', inputs: { x: randomTensor([2, 3, 4, 5], r7) }, build: (g) => g.op('Pad', ['x', g.int64s([1, 2, 0, 1]), '', g.int64s([2, 3])]), opset: 18 },
  { name: 'Gather constant repeated and negative indices, axis 1', inputs: { x: randomTensor([2, 5, 3], r7) }, build: (g) => g.op('Gather', ['x', g.int64s([4, -1, 0, 2])], { axis: { i: 1 } }) },
  { name: 'Gather 2-D indices, axis 2', inputs: { x: randomTensor([2, 3, 5], r7) }, build: (g) => g.op('Gather', ['x', g.addInitializer(BigInt64Array.of(0n, 4n, 4n, 1n), [2, 2])], { axis: { i: 2 } }) },
  { name: 'Gather scalar index', inputs: { x: randomTensor([2, 5, 3], r7) }, build: (g) => g.op('Gather', ['x', g.addInitializer(BigInt64Array.of(3n), [])], { axis: { i: 1 } }) },
  { name: 'ReduceSum axes input, keepdims 0 (opset 13)', inputs: { x: randomTensor([2, 3, 4], r7) }, build: (g) => g.op('ReduceSum', ['x', g.int64s([1, 2])], { keepdims: { i: 0 } }), opset: 13 },
  { name: 'ReduceMean axes input (opset 18)', inputs: { x: randomTensor([2, 3, 4], r7) }, build: (g) => g.op('ReduceMean', ['x', g.int64s([-1])], { keepdims: { i: 0 } }), opset: 18 },
);

// Resize: nearest & linear, integer scales and sizes
const resizes: [AttrMap, number[] | undefined, number[] | undefined][] = [
  [{ mode: { s: 'nearest' } }, [1, 1, 2, 2], undefined],
  [{ mode: { s: 'nearest' }, coordinate_transformation_mode: { s: 'asymmetric' }, nearest_mode: { s: 'floor' } }, [1, 1, 3, 2], undefined],
  [{ mode: { s: 'linear' } }, [1, 1, 2, 2], undefined],
  [{ mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'align_corners' } }, undefined, [2, 3, 9, 7]],
  [{ mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'pytorch_half_pixel' } }, [1, 1, 3, 4], undefined],
  [{ mode: { s: 'nearest' }, coordinate_transformation_mode: { s: 'align_corners' }, nearest_mode: { s: 'round_prefer_ceil' } }, undefined, [2, 3, 7, 10]],
];
resizes.forEach(([attrs, scales, sizes], k) => {
  cases.push({
    name: `Resize ${JSON.stringify(attrs)} ${scales ? `scales ${scales}` : `sizes ${sizes}`}`,
    inputs: { x: randomTensor([2, 3, 4, 5], rng(800 + k)) },
    build: (g) => g.op('Resize', ['x', '', scales ? g.addInitializer(Float32Array.from(scales), [4]) : '', sizes ? g.int64s(sizes) : ''], attrs),
  });
});

// Ops found in other architectures (ViT, ConvNeXt, AlexNet/GoogLeNet, decoders)
const r9 = rng(900);
cases.push(
  unaryCase('Selu'),
  unaryCase('Celu', { alpha: { f: 0.8 } }),
  unaryCase('Softsign'),
  unaryCase('Mish', {}, undefined, 18),
  unaryCase('Gelu', {}, undefined, 20),
  unaryCase('Gelu', { approximate: { s: 'tanh' } }, undefined, 20),
  unaryCase('LRN', { size: { i: 3 }, alpha: { f: 0.3 }, beta: { f: 0.75 }, bias: { f: 1.5 } }),
  unaryCase('LRN', { size: { i: 5 }, alpha: { f: 0.5 }, beta: { f: 0.6 }, bias: { f: 2 } }), // ORT supports odd sizes only
  {
    name: 'LayerNormalization over the last two axes',
    inputs: { x: randomTensor([2, 3, 4, 5], r9) },
    build: (g) => g.op('LayerNormalization', ['x', g.addInitializer(Float32Array.from({ length: 20 }, () => 0.5 + r9()), [4, 5]), g.addInitializer(Float32Array.from({ length: 20 }, () => r9()), [4, 5])], { axis: { i: -2 }, epsilon: { f: 1e-3 } }),
  },
  {
    name: 'InstanceNormalization',
    inputs: { x: randomTensor([2, 3, 4, 5], r9) },
    build: (g) => g.op('InstanceNormalization', ['x', g.addInitializer(Float32Array.of(0.5, -1, 2), [3]), g.addInitializer(Float32Array.of(0.1, 0.2, 0.3), [3])], { epsilon: { f: 1e-3 } }),
  },
  {
    name: 'Where with broadcast branches',
    inputs: { a: randomTensor([2, 3, 4], r9), b: randomTensor([4], r9) },
    build: (g) => g.op('Where', [g.op('Greater', ['a', g.scalar(0.2)]), 'a', 'b']),
  },
  { name: 'Sum of three with broadcasting', inputs: { a: randomTensor([2, 3, 4], r9), b: randomTensor([3, 1], r9), c: randomTensor([4], r9) }, build: (g) => g.op('Sum', ['a', 'b', 'c']) },
  { name: 'Mean of two', inputs: { a: randomTensor([2, 3], r9), b: randomTensor([2, 3], r9) }, build: (g) => g.op('Mean', ['a', 'b']) },
  { name: 'Max and Min of two (broadcast)', inputs: { a: new Tensor(separatedValues(24, r9, 0.1), [2, 3, 4]), b: new Tensor(separatedValues(4, r9, 0.13), [4]) }, build: (g) => g.op('Add', [g.op('Max', ['a', 'b']), g.op('Mul', [g.op('Min', ['a', 'b']), g.scalar(0.5)])]) },
  { name: 'Tile', inputs: { x: randomTensor([2, 3, 2], r9) }, build: (g) => g.op('Tile', ['x', g.int64s([1, 2, 3])]) },
  {
    name: 'ConvTranspose stride 2, pads, output_padding, groups',
    inputs: { x: randomTensor([1, 4, 4, 5], r9) },
    build: (g) => g.op('ConvTranspose', ['x', g.addInitializer(Float32Array.from({ length: 4 * 3 * 3 * 3 }, () => r9() - 0.5), [4, 3, 3, 3])], { strides: { ints: [2, 2] }, pads: { ints: [1, 0, 0, 1] }, output_padding: { ints: [1, 0] }, group: { i: 2 } }),
  },
);

for (const c of cases) test(`gradient rule: ${c.name}`, () => check(c));
