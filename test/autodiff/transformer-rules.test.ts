import { test } from 'node:test';
import type { OnnxGraph } from '../../src/onnx/graph.js';
import { checkRuleCase, randomTensor, rng, type RuleCase } from './helpers.js';

// The ops vision transformers (torchvision ViT, Swin, MaxViT; DeiT-style class tokens) put between the image and
// the logits, as PyTorch 1.13 exports them at opset 17, against central finite differences. `feedDims` makes the
// batch symbolic where the exporter's graphs have it, so the rules see the shapes they see in real models.

/** dim `axis` of x as a 1-element int64 tensor, as exporters compute it (Shape → Gather → Unsqueeze). */
function dimOf(g: OnnxGraph, x: string, axis: number): string {
  const d = g.op('Gather', [g.op('Shape', [x]), g.addInitializer(BigInt64Array.of(BigInt(axis)), [], 'axis')], { axis: { i: 0 } });
  return g.op('Unsqueeze', [d, g.int64s([0])]);
}

const r = rng(1600);
const cases: RuleCase[] = [
  {
    name: 'Einsum "bghid,bghjd->bghij" (MaxViT q·kᵀ), both operands',
    inputs: { q: randomTensor([2, 2, 3, 4, 5], r), k: randomTensor([2, 2, 3, 4, 5], r) },
    build: (g) => g.op('Einsum', ['q', 'k'], { equation: { s: 'bghid,bghjd->bghij' } }),
  },
  {
    name: 'Einsum "bghij,bghjd->bghid" (attention × values)',
    inputs: { a: randomTensor([1, 2, 2, 4, 4], r), v: randomTensor([1, 2, 2, 4, 3], r) },
    build: (g) => g.op('Einsum', ['a', 'v'], { equation: { s: 'bghij,bghjd->bghid' } }),
  },
  {
    name: 'Einsum implicit output "ij,jk", a label summed from one operand only "ij->i", three operands',
    inputs: { a: randomTensor([3, 4], r), b: randomTensor([4, 2], r), c: randomTensor([2, 5], r) },
    build: (g) => g.op('Add', [
      g.op('Einsum', ['a', 'b'], { equation: { s: 'ij,jk' } }),
      g.op('Unsqueeze', [g.op('Einsum', [g.op('Einsum', ['a', 'b', 'c'], { equation: { s: 'ij,jk,kl->il' } })], { equation: { s: 'ij->i' } }), g.int64s([1])]),
    ]),
  },
  {
    name: 'Gather scalar index on axis 0 with a symbolic axis after it (Swin qkv[0]: ScatterND path)',
    inputs: { x: randomTensor([3, 2, 2, 4], r) },
    feedDims: { x: [3, 'N', 2, 4] },
    build: (g) => g.op('Add', [g.op('Gather', ['x', g.addInitializer(BigInt64Array.of(1n), [], 'i1')], { axis: { i: 0 } }), g.op('Mul', [g.op('Gather', ['x', g.addInitializer(BigInt64Array.of(2n), [], 'i2')], { axis: { i: 0 } }), g.scalar(0.5)])]),
  },
  {
    name: 'Gather 1-D repeated indices on axis 1 with a symbolic axis after it',
    inputs: { x: randomTensor([2, 4, 3], r) },
    feedDims: { x: [2, 4, 'N'] },
    build: (g) => g.op('Gather', ['x', g.int64s([3, 0, 3])], { axis: { i: 1 } }),
  },
  {
    name: 'Gather of the class token (index 0, axis 1) after class-token Concat and positional-embedding Add',
    inputs: { x: randomTensor([2, 4, 3], r), cls: randomTensor([1, 1, 3], r), pos: randomTensor([1, 5, 3], r) },
    feedDims: { x: ['N', 4, 3] },
    build: (g) => {
      const n = dimOf(g, 'x', 0);
      const shape = g.op('Concat', [n, g.int64s([1, 3])], { axis: { i: 0 } });
      const tokens = g.op('Concat', [g.op('Expand', ['cls', shape]), 'x'], { axis: { i: 1 } });
      const y = g.op('Add', [tokens, 'pos']);
      return g.op('Add', [g.op('Gather', [y, g.addInitializer(BigInt64Array.of(0n), [], 'c0')], { axis: { i: 1 } }), g.op('ReduceSum', [y, g.int64s([1])], { keepdims: { i: 0 } })]);
    },
  },
  {
    name: 'Slice with starts/ends from shape arithmetic (PyTorch MultiheadAttention q/k/v split)',
    inputs: { x: randomTensor([2, 3, 12], r) },
    feedDims: { x: ['N', 3, 12] },
    build: (g) => {
      const e = g.op('Div', [dimOf(g, 'x', 2), g.int64s([3])]);
      const q = g.op('Slice', ['x', g.int64s([0]), e, g.int64s([2])]);
      const k = g.op('Slice', ['x', e, g.op('Mul', [e, g.int64s([2])]), g.int64s([2])]);
      return g.op('MatMul', [q, g.op('Transpose', [k], { perm: { ints: [0, 2, 1] } })]);
    },
  },
  {
    name: 'Pad with amounts from shape arithmetic (Swin: pad_r = (4 − W mod 4) mod 4 = 2 here)',
    inputs: { x: randomTensor([1, 6, 6, 3], r) },
    feedDims: { x: ['N', 6, 6, 3] },
    build: (g) => {
      const four = g.int64s([4]);
      const w = dimOf(g, 'x', 2);
      const padR = g.op('Mod', [g.op('Sub', [four, g.op('Mod', [w, four])]), four]);
      const pads = g.op('Concat', [g.int64s([0, 0, 0]), g.int64s([0]), g.int64s([0]), padR, padR, g.int64s([0])], { axis: { i: 0 } });
      const p = g.op('Pad', ['x', pads]);
      return g.op('Mul', [p, g.addInitializer(Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => 1 + (i % 7) * 0.1), [8, 8, 3])]);
    },
  },
  {
    name: "Swin's cyclic shift torch.roll(x, (-1, -2), (1, 2)) as Slice + Concat",
    inputs: { x: randomTensor([2, 4, 5, 3], r) },
    feedDims: { x: ['N', 4, 5, 3] },
    build: (g) => {
      const big = 2 ** 62;
      const a = g.op('Concat', [g.op('Slice', ['x', g.int64s([1]), g.int64s([big]), g.int64s([1])]), g.op('Slice', ['x', g.int64s([0]), g.int64s([1]), g.int64s([1])])], { axis: { i: 1 } });
      const b = g.op('Concat', [g.op('Slice', [a, g.int64s([2]), g.int64s([big]), g.int64s([2])]), g.op('Slice', [a, g.int64s([0]), g.int64s([2]), g.int64s([2])])], { axis: { i: 2 } });
      return g.op('Mul', [b, g.addInitializer(Float32Array.from({ length: 60 }, (_, i) => Math.cos(i)), [4, 5, 3])]);
    },
  },
  {
    name: 'Window partition and reverse (Reshape/Transpose with computed shapes)',
    inputs: { x: randomTensor([1, 4, 4, 2], r) },
    feedDims: { x: ['N', 4, 4, 2] },
    build: (g) => {
      const n = dimOf(g, 'x', 0);
      const split = g.op('Reshape', ['x', g.op('Concat', [n, g.int64s([2, 2, 2, 2, 2])], { axis: { i: 0 } })]);
      const windows = g.op('Reshape', [g.op('Transpose', [split], { perm: { ints: [0, 1, 3, 2, 4, 5] } }), g.int64s([-1, 4, 2])]);
      const mixed = g.op('MatMul', [g.op('Softmax', [g.op('MatMul', [windows, g.op('Transpose', [windows], { perm: { ints: [0, 2, 1] } })])], { axis: { i: -1 } }), windows]);
      return g.op('Reshape', [mixed, g.op('Concat', [n, g.int64s([4, 4, 2])], { axis: { i: 0 } })]);
    },
  },
  {
    name: 'Attention with relative-position-bias Gather, shifted-window mask (Where + Add) and Softmax over the last axis',
    inputs: { q: randomTensor([2, 2, 4, 3], r), k: randomTensor([2, 2, 4, 3], r), table: randomTensor([7, 2], r) },
    build: (g) => {
      const idx = g.addInitializer(BigInt64Array.from({ length: 16 }, (_, i) => BigInt(((i >> 2) - (i & 3) + 3) % 7)), [16], 'rel_idx');
      const bias = g.op('Transpose', [g.op('Reshape', [g.op('Gather', ['table', idx], { axis: { i: 0 } }), g.int64s([4, 4, 2])])], { perm: { ints: [2, 0, 1] } });
      const region = g.addInitializer(Float32Array.from({ length: 16 }, (_, i) => ((i >> 2) < 2) === ((i & 3) < 2) ? 0 : 1), [4, 4], 'region');
      const mask = g.op('Where', [g.op('Equal', [region, g.scalar(0)]), g.scalar(0), g.scalar(-100)]);
      const scores = g.op('Add', [g.op('Add', [g.op('MatMul', ['q', g.op('Transpose', ['k'], { perm: { ints: [0, 1, 3, 2] } })]), bias]), mask]);
      return g.op('Softmax', [scores], { axis: { i: -1 } });
    },
  },
  {
    name: 'GELU as exported: exact (x·½·(1 + erf(x/√2))) and tanh form (½x(1 + tanh(√(2/π)(x + 0.044715x³))))',
    inputs: { x: randomTensor([2, 3, 4], r, 1.5) },
    build: (g) => {
      const exact = g.op('Mul', [g.op('Mul', ['x', g.scalar(0.5)]), g.op('Add', [g.op('Erf', [g.op('Div', ['x', g.scalar(Math.SQRT2)])]), g.scalar(1)])]);
      const inner = g.op('Mul', [g.scalar(Math.sqrt(2 / Math.PI)), g.op('Add', ['x', g.op('Mul', [g.scalar(0.044715), g.op('Pow', ['x', g.scalar(3)])])])]);
      const tanhForm = g.op('Mul', [g.op('Mul', [g.scalar(0.5), 'x']), g.op('Add', [g.scalar(1), g.op('Tanh', [inner])])]);
      return g.op('Add', [exact, g.op('Mul', [tanhForm, g.scalar(0.7)])]);
    },
  },
  {
    name: 'ScatterND (data and updates), ScatterElements (data and updates)',
    inputs: { d: randomTensor([4, 3], r), u: randomTensor([2, 3], r), e: randomTensor([2, 3], r) },
    build: (g) => {
      const nd = g.op('ScatterND', ['d', g.addInitializer(BigInt64Array.of(2n, 0n), [2, 1], 'nd_idx'), 'u']);
      const el = g.op('ScatterElements', ['d', g.addInitializer(BigInt64Array.of(1n, 3n, 0n, 2n, 2n, 1n), [2, 3], 'el_idx'), 'e'], { axis: { i: 0 } });
      return g.op('Add', [nd, g.op('Mul', [el, g.scalar(0.5)])]);
    },
  },
  {
    name: 'Expand to a computed shape, Tile, Flatten of tokens',
    inputs: { x: randomTensor([2, 1, 3], r) },
    feedDims: { x: ['N', 1, 3] },
    build: (g) => {
      const shape = g.op('Concat', [dimOf(g, 'x', 0), g.int64s([4, 3])], { axis: { i: 0 } });
      const e = g.op('Expand', ['x', shape]);
      return g.op('Flatten', [g.op('Tile', [e, g.int64s([1, 1, 2])])], { axis: { i: 1 } });
    },
  },
];

for (const c of cases) test(`transformer gradient rule: ${c.name}`, () => checkRuleCase(c));
