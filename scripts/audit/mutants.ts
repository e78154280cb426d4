/**
 * Seeded fuzz cases built at test time from the bundled models, a sample PNG and a .npy tensor: byte-level mutants
 * (truncations, flips, insertions, deletions) and structural ONNX mutants (unknown ops, missing initializers and
 * inputs, cycles, wrong element types, bad Conv attributes, huge or negative declared sizes, broken outputs, odd
 * opsets). Deterministic for a seed, so a failure names a case that can be replayed.
 */
import { makeAttribute } from '../../src/onnx/attributes.js';
import { OnnxGraph } from '../../src/onnx/graph.js';
import { decodeModel } from '../../src/onnx/io.js';
import { TensorProto_DataType } from '../../src/onnx/proto.js';
import { mulberry32 } from '../../src/random.js';

export interface FuzzCase {
  kind: 'model' | 'png' | 'npy';
  name: string;
  bytes: Uint8Array;
  /** The method a model case explains with (cycled over families). */
  method: string;
}

export interface FuzzSources {
  models: Uint8Array[];
  png: Uint8Array;
  npy: Uint8Array;
}

/** How many cases of each kind (a few hundred in all, within the suite's budget). */
export const FUZZ_COUNTS = { modelBytes: 130, modelStructure: 110, png: 30, npy: 30 };

const METHODS = ['saliency', 'gradcam', 'occlusion'];

type Rand = () => number;

export function byteMutant(src: Uint8Array, rnd: Rand): { name: string; bytes: Uint8Array } {
  const pick = (n: number): number => Math.floor(rnd() * n);
  const kind = pick(5);
  if (kind === 0) {
    const cut = pick(src.length);
    return { name: `truncate@${cut}`, bytes: src.slice(0, cut) };
  }
  if (kind === 1 || kind === 2) {
    const out = src.slice();
    const flips = 1 + pick(kind === 1 ? 3 : 24);
    for (let f = 0; f < flips; f++) out[pick(out.length)] ^= 1 << pick(8);
    return { name: `flip×${flips}`, bytes: out };
  }
  if (kind === 3) {
    const at = pick(src.length);
    const extra = Uint8Array.from({ length: 1 + pick(16) }, () => pick(256));
    const out = new Uint8Array(src.length + extra.length);
    out.set(src.subarray(0, at));
    out.set(extra, at);
    out.set(src.subarray(at), at + extra.length);
    return { name: `insert${extra.length}@${at}`, bytes: out };
  }
  const len = Math.min(src.length, 1 + pick(32));
  const at = pick(src.length - len + 1);
  const out = new Uint8Array(src.length - len);
  out.set(src.subarray(0, at));
  out.set(src.subarray(at + len), at);
  return { name: `delete${len}@${at}`, bytes: out };
}

/** One structural change of a decoded model; returns its name. */
export const STRUCTURAL: ((g: OnnxGraph, rnd: Rand) => string)[] = [
  (g, rnd) => {
    const n = g.graph.node[Math.floor(rnd() * g.graph.node.length)]!;
    n.opType = rnd() < 0.5 ? 'FrobnicateXYZ' : `${n.opType}X`;
    return `unknown op on ${n.name}`;
  },
  (g, rnd) => {
    const t = g.graph.initializer.splice(Math.floor(rnd() * g.graph.initializer.length), 1)[0]!;
    return `missing initializer ${t.name}`;
  },
  (g, rnd) => {
    const n = g.graph.node[Math.floor(rnd() * g.graph.node.length)]!;
    n.input[0] = 'no_such_tensor';
    return `dangling input of ${n.name}`;
  },
  (g, rnd) => {
    // a cycle: an early node reads a later node's output
    const i = Math.floor(rnd() * (g.graph.node.length - 1));
    const j = i + 1 + Math.floor(rnd() * (g.graph.node.length - i - 1));
    g.graph.node[i]!.input[0] = g.graph.node[j]!.output[0]!;
    return `cycle ${i}←${j}`;
  },
  (g) => {
    const out = g.graph.output[0]!.name;
    g.producer(out)!.output[0] = 'cut';
    g.addNode('Identity', ['loop'], [out]);
    g.addNode('Identity', [out], ['loop']);
    return 'identity cycle at the output';
  },
  (g, rnd) => {
    const types = [TensorProto_DataType.INT64, TensorProto_DataType.STRING, TensorProto_DataType.BOOL, TensorProto_DataType.DOUBLE, 99];
    const type = types[Math.floor(rnd() * types.length)]!;
    const input = g.graph.input[0]!.type!.value as { value: { elemType: number } };
    input.value.elemType = type;
    return `input element type ${type}`;
  },
  (g, rnd) => {
    const t = g.graph.initializer[Math.floor(rnd() * g.graph.initializer.length)]!;
    t.dataType = [TensorProto_DataType.INT64, TensorProto_DataType.DOUBLE, TensorProto_DataType.UINT8, 0, 77][Math.floor(rnd() * 5)]!;
    return `initializer ${t.name} type ${t.dataType}`;
  },
  (g, rnd) => {
    const t = g.graph.initializer[Math.floor(rnd() * g.graph.initializer.length)]!;
    const huge = [2n ** 40n, 2n ** 62n, -5n, 0n, 3n][Math.floor(rnd() * 5)]!;
    t.dims = [...t.dims.slice(0, -1), huge];
    return `initializer ${t.name} dims [${t.dims.join(',')}]`;
  },
  (g, rnd) => {
    const dims = (g.graph.input[0]!.type!.value as { value: { shape: { dim: { value: { case: string; value: bigint | string } }[] } } }).value.shape.dim;
    const axis = 1 + Math.floor(rnd() * (dims.length - 1));
    const value = [2n ** 40n, 2n ** 31n, 0n, -7n, 100000n][Math.floor(rnd() * 5)]!;
    dims[axis]!.value = { case: 'dimValue', value };
    return `input dim ${axis} = ${value}`;
  },
  (g, rnd) => {
    const convs = g.graph.node.filter((n) => n.opType === 'Conv');
    const n = convs[Math.floor(rnd() * convs.length)]!;
    const bad = [
      makeAttribute('kernel_shape', { ints: [0, 0] }),
      makeAttribute('strides', { ints: [0, 1] }),
      makeAttribute('pads', { ints: [-3, 0, 0, 0] }),
      makeAttribute('dilations', { ints: [1000, 1000] }),
      makeAttribute('group', { i: 7 }),
      makeAttribute('kernel_shape', { ints: [3] }),
      makeAttribute('auto_pad', { s: 'SIDEWAYS' }),
    ][Math.floor(rnd() * 7)]!;
    n.attribute = [...n.attribute.filter((a) => a.name !== bad.name), bad];
    return `Conv ${n.name} ${bad.name}`;
  },
  (g, rnd) => {
    const r = rnd();
    if (r < 0.33) g.graph.output[0]!.name = 'not_produced';
    else if (r < 0.66) g.graph.output[0]!.name = g.graph.input[0]!.name;
    else g.graph.output.splice(0);
    return 'broken output';
  },
  (g, rnd) => {
    const n = g.graph.node[Math.floor(rnd() * g.graph.node.length)]!;
    const m = g.graph.node[Math.floor(rnd() * g.graph.node.length)]!;
    m.output[0] = n.output[0]!;
    return `duplicate output ${n.output[0]}`;
  },
  (g, rnd) => {
    const op = g.model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')!;
    op.version = [0n, 1n, 6n, 999n, -1n][Math.floor(rnd() * 5)]!;
    return `opset ${op.version}`;
  },
  (g, rnd) => {
    const i = Math.floor(rnd() * g.graph.node.length);
    const n = g.graph.node.splice(i, 1)[0]!;
    return `deleted node ${n.name}`;
  },
  (g, rnd) => {
    const n = g.graph.node[Math.floor(rnd() * g.graph.node.length)]!;
    n.input.push(...Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => n.input[0] ?? 'x'));
    return `extra inputs on ${n.name}`;
  },
  (g) => {
    const t = g.graph.initializer.find((x) => x.rawData.length >= 8)!;
    const values = new Float32Array(t.rawData.slice().buffer);
    values[0] = Number.NaN;
    values[1] = Number.POSITIVE_INFINITY;
    t.rawData = new Uint8Array(values.buffer);
    return `non-finite weights in ${t.name}`;
  },
  (g, rnd) => {
    // a chain through the graph reordered: nodes out of topological order (legal only if sorted again)
    const nodes = g.graph.node;
    for (let i = nodes.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!];
    }
    return 'nodes shuffled';
  },
  (g) => {
    // a 4-D feature map as the model's output (was read as "32 classes")
    const relu = g.graph.node.filter((n) => n.opType === 'Relu').at(-1) ?? g.graph.node[0]!;
    g.setOutputs([relu.output[0]!]);
    return `4-D output ${relu.output[0]}`;
  },
  (g) => {
    g.graph.output[0]!.name = g.graph.input[0]!.name;
    return 'output = input';
  },
];

/** One or two structural edits (the first is `STRUCTURAL[kind]` when given, so a caller can cover every kind). */
export function structuralMutant(src: Uint8Array, rnd: Rand, kind?: number): { name: string; bytes: Uint8Array } {
  const g = new OnnxGraph(decodeModel(src));
  const names: string[] = [];
  const edits = 1 + (rnd() < 0.2 ? 1 : 0);
  for (let e = 0; e < edits; e++) {
    // a second edit may not apply to what the first left (e.g. no output any more): then it is skipped
    try {
      names.push(STRUCTURAL[e === 0 && kind !== undefined ? kind : Math.floor(rnd() * STRUCTURAL.length)]!(g, rnd));
    } catch {
      names.push('(edit not applicable)');
    }
  }
  return { name: names.join(' + '), bytes: g.toBytes() };
}

export function npyMutant(src: Uint8Array, rnd: Rand): { name: string; bytes: Uint8Array } {
  const r = rnd();
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  const header = (dict: string): Uint8Array => {
    const body = `${dict}${' '.repeat(Math.max(0, 117 - dict.length))}\n`;
    const out = new Uint8Array(10 + body.length + 3136);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, body.length & 255, body.length >> 8]);
    out.set(text(body), 10);
    return out;
  };
  if (r < 0.3) {
    const m = byteMutant(src, rnd);
    return { name: `npy bytes ${m.name}`, bytes: m.bytes };
  }
  const dicts = [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1099511627776, 28), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1, 28, 28), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 1, 28, 28), }",
    "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1, 28, 28), }",
    "{'descr': '<c8', 'fortran_order': False, 'shape': (1, 1, 28, 28), }",
    "{'descr': '|O', 'fortran_order': False, 'shape': (1, 1, 28, 28), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 28, 28), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (28, 28), }",
    "{'descr': '<f4', 'shape': (1, 1, 28, 28), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 28), '__class__': 1}",
    "__import__('os').system('true')",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 28, 28), }",
  ];
  const dict = dicts[Math.floor(rnd() * dicts.length)]!;
  const bytes = header(dict);
  if (rnd() < 0.5) new DataView(bytes.buffer).setFloat32(bytes.length - 4, [Number.NaN, Number.POSITIVE_INFINITY, 3e38][Math.floor(rnd() * 3)]!, true);
  return { name: `npy ${dict.slice(0, 60)}`, bytes };
}

/** The seeded list of every case: model byte mutants, model structural mutants, PNG mutants, .npy mutants. */
export function fuzzCases(seed: number, sources: FuzzSources): FuzzCase[] {
  const rnd = mulberry32(seed);
  const cases: FuzzCase[] = [];
  const model = (i: number): Uint8Array => sources.models[i % sources.models.length]!;
  for (let i = 0; i < FUZZ_COUNTS.modelBytes; i++) cases.push({ kind: 'model', method: METHODS[i % METHODS.length]!, ...byteMutant(model(i), rnd) });
  // (the first edit of structural case i is STRUCTURAL[i mod kinds]: every kind — unknown op, missing initializer,
  // cycle, wrong element type, bad Conv attribute, huge dims, 4-D output, output = input, … — runs on both models)
  for (let i = 0; i < FUZZ_COUNTS.modelStructure; i++) cases.push({ kind: 'model', method: METHODS[i % METHODS.length]!, ...structuralMutant(model(i), rnd, i % STRUCTURAL.length) });
  for (let i = 0; i < FUZZ_COUNTS.png; i++) cases.push({ kind: 'png', method: '', ...byteMutant(sources.png, rnd) });
  for (let i = 0; i < FUZZ_COUNTS.npy; i++) cases.push({ kind: 'npy', method: '', ...npyMutant(sources.npy, rnd) });
  return cases;
}
