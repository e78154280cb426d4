import { LumenError } from '../errors.js';
import { attrFloat, attrFloats, attrInt, attrInts, attrString, getAttribute, makeAttribute } from './attributes.js';
import { OnnxGraph } from './graph.js';
import { MIN_OPSET, OLDEST_OPSET } from './io.js';
import { TensorProto_DataType, type ModelProto, type NodeProto } from './proto.js';
import { inferElemTypes } from './shapes.js';

/** The opset old graphs are upgraded to: the oldest one explanation graphs are built for. */
const UPGRADE_TARGET = MIN_OPSET;

/** What loading an old graph changed, for `lumen predict --json` and the model info. */
export interface OpsetUpgrade {
  fromOpset: number;
  toOpset: number;
  /** One line per kind of change, e.g. "Pad ×3: pads and value attributes → inputs". */
  changes: string[];
}

/**
 * Rewrite a graph of opset 7–10 into opset 11, in place: every op whose signature changed since is rewritten to
 * the opset-11 form with the same results (attributes that became inputs, Upsample → Resize, BatchNormalization's
 * `spatial`, Dropout at inference, TopK's k, experimental ImageScaler); ops whose opset-11 version accepts the
 * old form unchanged are left alone. Returns undefined when the graph is already at MIN_OPSET or newer.
 */
export function upgradeOpset(model: ModelProto, source = 'model'): OpsetUpgrade | undefined {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  const from = entry ? Number(entry.version) : 1;
  if (from >= UPGRADE_TARGET) return undefined;
  if (from < OLDEST_OPSET) {
    throw new LumenError('UNSUPPORTED_OPSET', `${source}: opset ${from} of the default ONNX domain is too old (Lumen upgrades opsets ${OLDEST_OPSET}–10 on load); re-export the model with e.g. torch.onnx.export(..., opset_version=17)`);
  }
  const g = new OnnxGraph(model);
  const types = inferElemTypes(g);
  const counts = new Map<string, number>();
  const note = (change: string): void => void counts.set(change, (counts.get(change) ?? 0) + 1);
  const used = new Set(g.nodes.flatMap((n) => n.input).concat(g.graph.output.map((o) => o.name)));
  const nodes = g.graph.node;
  const rewritten: NodeProto[] = [];
  for (const node of nodes) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') {
      rewritten.push(node);
      continue;
    }
    const before = g.graph.node.length;
    upgradeNode(g, node, from, { types, used, note, source });
    // nodes added by the rewrite (e.g. ImageScaler's Mul/Add) were appended: move them in front of this node
    rewritten.push(...g.graph.node.splice(before), node);
  }
  g.graph.node.splice(0, g.graph.node.length, ...rewritten.filter((n) => n.opType !== ''));
  entry!.version = BigInt(UPGRADE_TARGET);
  // IR 6 goes with opset 11. Before IR 4 every initializer was also a graph input; from IR 4 on such an input is
  // one the caller may override, which stops ORT from folding constants (and it warns once per weight)
  if (model.irVersion < 4n) {
    const weights = new Set(g.graph.initializer.map((t) => t.name));
    g.graph.input = g.graph.input.filter((i) => !weights.has(i.name));
  }
  if (model.irVersion < 6n) model.irVersion = 6n;
  const changes = [...counts].map(([c, n]) => `${c.split(':')[0]}${n > 1 ? ` ×${n}` : ''}:${c.split(':').slice(1).join(':')}`);
  return { fromOpset: from, toOpset: UPGRADE_TARGET, changes };
}

interface UpgradeContext {
  types: Map<string, number>;
  used: Set<string>;
  note: (change: string) => void;
  source: string;
}

function dropAttributes(node: NodeProto, names: readonly string[]): void {
  node.attribute = node.attribute.filter((a) => !names.includes(a.name));
}

/** A scalar constant of the element type of `like` (Clip's and Pad's bounds must match their input's type). */
function scalarLike(g: OnnxGraph, value: number, like: string, types: Map<string, number>): string {
  const type = types.get(like) ?? TensorProto_DataType.FLOAT;
  if (type === TensorProto_DataType.DOUBLE) return g.addInitializer(Float64Array.of(value), [], 'lumen_upgrade');
  if (type === TensorProto_DataType.INT64) return g.addInitializer(BigInt64Array.of(BigInt(Math.trunc(value))), [], 'lumen_upgrade');
  if (type === TensorProto_DataType.INT32) return g.addInitializer(Int32Array.of(Math.trunc(value)), [], 'lumen_upgrade');
  return g.addInitializer(Float32Array.of(value), [], 'lumen_upgrade');
}

function upgradeNode(g: OnnxGraph, node: NodeProto, from: number, c: UpgradeContext): void {
  const x = node.input[0] ?? '';
  switch (node.opType) {
    case 'Pad': {
      // Pad-2: pads (or opset 1's paddings) and value attributes → Pad-11 inputs
      const pads = attrInts(node, 'pads') ?? attrInts(node, 'paddings');
      if (!pads) return;
      const value = attrFloat(node, 'value', 0);
      node.input = [x, g.int64s(pads, 'lumen_upgrade_pads'), scalarLike(g, value, x, c.types)];
      dropAttributes(node, ['pads', 'paddings', 'value']);
      c.note('Pad: pads and value attributes → inputs');
      return;
    }
    case 'Clip': {
      const min = getAttribute(node, 'min');
      const max = getAttribute(node, 'max');
      node.input = [x, min ? scalarLike(g, min.f, x, c.types) : '', max ? scalarLike(g, max.f, x, c.types) : ''];
      while (node.input[node.input.length - 1] === '') node.input.pop();
      dropAttributes(node, ['min', 'max']);
      c.note('Clip: min and max attributes → inputs');
      return;
    }
    case 'Slice': {
      if (from >= 10) return;
      const starts = attrInts(node, 'starts', []);
      const ends = attrInts(node, 'ends', []);
      const axes = attrInts(node, 'axes');
      node.input = [x, g.int64s(starts, 'lumen_upgrade_starts'), g.int64s(ends, 'lumen_upgrade_ends'), ...(axes ? [g.int64s(axes, 'lumen_upgrade_axes')] : [])];
      dropAttributes(node, ['starts', 'ends', 'axes']);
      c.note('Slice: starts, ends and axes attributes → inputs');
      return;
    }
    case 'Upsample':
    case 'Resize': {
      if (node.opType === 'Resize' && from >= 11) return;
      // Upsample-7 has a scales attribute, Upsample-9 and Resize-10 a scales input; Resize-11 adds roi before it
      const scales = node.opType === 'Upsample' && from < 9 ? g.addInitializer(Float32Array.from(attrFloats(node, 'scales') ?? []), [attrFloats(node, 'scales')?.length ?? 0], 'lumen_upgrade_scales') : node.input[1] ?? '';
      const mode = attrString(node, 'mode', 'nearest');
      const roi = g.addInitializer(new Float32Array(0), [0], 'lumen_upgrade_roi');
      node.input = [x, roi, scales];
      dropAttributes(node, ['scales', 'mode']);
      // Upsample and Resize-10 sample at x_in = x_out / scale (asymmetric); nearest rounds down
      node.attribute.push(
        makeAttribute('mode', { s: mode === 'bilinear' ? 'linear' : mode }),
        makeAttribute('coordinate_transformation_mode', { s: 'asymmetric' }),
        ...(mode === 'nearest' ? [makeAttribute('nearest_mode', { s: 'floor' })] : []),
      );
      c.note(node.opType === 'Upsample' ? 'Upsample: → Resize (asymmetric coordinates, as Upsample computes them)' : 'Resize: opset-10 form → opset 11 (roi input, asymmetric coordinates)');
      node.opType = 'Resize';
      return;
    }
    case 'BatchNormalization': {
      const spatial = attrInt(node, 'spatial', 1);
      if (spatial !== 1) {
        throw new LumenError('UNSUPPORTED_MODEL', `${c.source}: BatchNormalization '${node.name}' normalizes per activation (spatial=0), which no opset from 9 on expresses; re-export the model with a newer exporter`);
      }
      const had = node.attribute.some((a) => ['spatial', 'is_test', 'consumed_inputs'].includes(a.name));
      dropAttributes(node, ['spatial', 'is_test', 'consumed_inputs']);
      // training outputs (running mean/var, saved statistics) are not computed at inference
      const extra = node.output.slice(1).some((o) => o && c.used.has(o));
      if (!extra && node.output.length > 1) node.output = node.output.slice(0, 1);
      if (had) c.note('BatchNormalization: spatial/is_test attributes removed');
      return;
    }
    case 'Dropout': {
      // inference: the identity (its ratio attribute moves to an input at opset 12; the mask is not used)
      if (node.output.slice(1).some((o) => o && c.used.has(o))) return;
      node.opType = 'Identity';
      node.input = [x];
      node.output = node.output.slice(0, 1);
      node.attribute = [];
      c.note('Dropout: → Identity (inference)');
      return;
    }
    case 'Scatter': {
      // deprecated at opset 11 under its new name
      node.opType = 'ScatterElements';
      c.note('Scatter: → ScatterElements');
      return;
    }
    case 'TopK': {
      if (from >= 10) return;
      node.input = [x, g.int64s([attrInt(node, 'k', 1)], 'lumen_upgrade_k')];
      dropAttributes(node, ['k']);
      c.note('TopK: k attribute → input');
      return;
    }
    case 'ImageScaler': {
      // experimental op, removed at opset 10: y = scale · x + bias[c]
      const scale = attrFloat(node, 'scale', 1);
      const bias = attrFloats(node, 'bias') ?? [];
      const scaled = g.op('Mul', [x, g.addInitializer(Float32Array.of(scale), [], 'lumen_upgrade_scale')]);
      const out = node.output[0]!;
      g.addNode('Add', [scaled, g.addInitializer(Float32Array.from(bias), [1, bias.length, 1, 1], 'lumen_upgrade_bias')], [out]);
      node.opType = ''; // removed by the caller
      c.note('ImageScaler: → Mul and Add');
      return;
    }
    default:
      return;
  }
}
