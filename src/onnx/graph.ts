import { create } from '@bufbuild/protobuf';
import {
  NodeProtoSchema,
  ValueInfoProtoSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorProto_DataType,
  type ModelProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './proto.js';
import { makeAttribute, attrTensor, type AttrMap } from './attributes.js';
import { cloneModel, defaultOpset, encodeModel } from './io.js';
import { makeTensorProto, tensorNumbers, tensorValues, type NumericArray } from './tensor-proto.js';

/** A dimension: a known size, or a symbolic name (e.g. the batch dimension 'batch'). */
export type Dim = number | string;

/**
 * Editable view of an ONNX model: lookups by tensor name, and builders that append nodes, initializers,
 * inputs and outputs. Explanation graphs are built on a copy (`OnnxGraph.copyOf`) so the user's model is never
 * changed.
 */
export class OnnxGraph {
  readonly model: ModelProto;
  readonly graph: GraphProto;
  /**
   * Position of each value's producer in `graph.node`, checked at every lookup and re-read when the list was edited
   * behind the view's back (nodes moved, removed or added); an output renamed in place goes through `renameOutput`.
   */
  private readonly producerAt = new Map<string, number>();
  /** The node list (and its length) `producerAt` was last read from. */
  private indexedNodes: NodeProto[] = [];
  private indexedLength = 0;
  /** Position of each initializer in `graph.initializer` (kept in step by setInitializer / removeInitializers). */
  private readonly initializerAt = new Map<string, number>();
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(model: ModelProto) {
    if (!model.graph) throw new Error('model has no graph');
    this.model = model;
    this.graph = model.graph;
    this.indexInitializers();
    this.indexProducers();
    for (const n of this.graph.node) {
      if (n.name) this.names.add(n.name);
      for (const o of n.output) this.names.add(o);
    }
    for (const v of [...this.graph.input, ...this.graph.output, ...this.graph.valueInfo]) this.names.add(v.name);
    for (const t of this.graph.initializer) this.names.add(t.name);
  }

  static copyOf(model: ModelProto): OnnxGraph {
    return new OnnxGraph(cloneModel(model));
  }

  get opset(): number {
    return defaultOpset(this.model);
  }

  get nodes(): readonly NodeProto[] {
    return this.graph.node;
  }

  /** Graph inputs that are real feeds (not initializers listed as inputs, as old exporters do). */
  get feedInputs(): ValueInfoProto[] {
    return this.graph.input.filter((i) => this.initializerIndex(i.name) === undefined);
  }

  producer(tensor: string): NodeProto | undefined {
    const i = this.producerAt.get(tensor);
    const node = i === undefined ? undefined : this.graph.node[i];
    if (node?.output.includes(tensor)) return node;
    // a miss is final while the list is the one indexed (addNode keeps it so); anything else re-reads it once
    if (i === undefined && this.graph.node === this.indexedNodes && this.graph.node.length === this.indexedLength) return undefined;
    this.indexProducers();
    const j = this.producerAt.get(tensor);
    return j === undefined ? undefined : this.graph.node[j];
  }

  /** Rename output `k` of `node`, a node of this graph, keeping `producer` in step (e.g. to put a Cast after it). */
  renameOutput(node: NodeProto, k: number, name: string): void {
    node.output[k] = name;
    this.names.add(name);
    const i = this.graph.node.indexOf(node);
    if (i >= 0) this.producerAt.set(name, i);
  }

  private indexProducers(): void {
    this.producerAt.clear();
    this.graph.node.forEach((n, i) => n.output.forEach((o) => o && this.producerAt.set(o, i)));
    this.indexedNodes = this.graph.node;
    this.indexedLength = this.graph.node.length;
  }

  consumers(tensor: string): NodeProto[] {
    return this.graph.node.filter((n) => n.input.includes(tensor));
  }

  initializer(name: string): TensorProto | undefined {
    const i = this.initializerIndex(name);
    return i === undefined ? undefined : this.graph.initializer[i];
  }

  /**
   * Add an initializer under its own name, or replace the one of that name where it stands (e.g. float64 conversion
   * retyping a weight). With `addInitializer` and `removeInitializers`, the way to change the graph's initializers:
   * a pass that edits `graph.initializer` itself leaves `initializer(name)`, `constantTensor` and `feedInputs` behind.
   */
  setInitializer(tensor: TensorProto): void {
    const i = this.initializerIndex(tensor.name);
    if (i !== undefined) {
      this.graph.initializer[i] = tensor;
      return;
    }
    this.initializerAt.set(tensor.name, this.graph.initializer.length);
    this.graph.initializer.push(tensor);
    this.names.add(tensor.name);
  }

  /**
   * Remove the initializers `drop` picks, and the graph inputs that declared them (old exporters list weights as
   * inputs too; left alone, such an input would become a feed).
   */
  removeInitializers(drop: (t: TensorProto) => boolean): void {
    const gone = new Set<string>();
    const kept: TensorProto[] = [];
    for (const t of this.graph.initializer) {
      if (drop(t)) gone.add(t.name);
      else kept.push(t);
    }
    if (!gone.size) return;
    this.graph.initializer.splice(0, this.graph.initializer.length, ...kept);
    const inputs = this.graph.input.filter((v) => !gone.has(v.name));
    this.graph.input.splice(0, this.graph.input.length, ...inputs);
    this.indexInitializers();
  }

  /** Where `name` stands in `graph.initializer`; re-indexed once if the list was edited behind the view's back. */
  private initializerIndex(name: string): number | undefined {
    const i = this.initializerAt.get(name);
    if (i === undefined || this.graph.initializer[i]?.name === name) return i;
    this.indexInitializers();
    return this.initializerAt.get(name);
  }

  private indexInitializers(): void {
    this.initializerAt.clear();
    this.graph.initializer.forEach((t, i) => this.initializerAt.set(t.name, i));
  }

  /**
   * A tensor whose value is known without running the model: an initializer or a Constant node output, also through
   * Identity nodes (torch.onnx shares equal parameters, e.g. two zero biases, as an Identity of one initializer).
   */
  constantTensor(name: string, seen?: Set<string>): TensorProto | undefined {
    const init = this.initializer(name);
    if (init) return init;
    const p = this.producer(name);
    if (p && p.opType === 'Constant') return attrTensor(p, 'value');
    const from = p?.opType === 'Identity' ? p.input[0] : undefined;
    if (!from) return undefined;
    // a malformed graph may loop Identities: stop there
    const visited = seen ?? new Set<string>();
    if (visited.has(from)) return undefined;
    visited.add(name);
    return this.constantTensor(from, visited);
  }

  constantValues(name: string): NumericArray | undefined {
    const t = this.constantTensor(name);
    return t ? tensorValues(t) : undefined;
  }

  constantNumbers(name: string): number[] | undefined {
    const t = this.constantTensor(name);
    return t ? tensorNumbers(t) : undefined;
  }

  /** A fresh tensor/node name starting with `prefix`. */
  uniqueName(prefix: string): string {
    let name: string;
    do {
      name = `${prefix}__${this.counter++}`;
    } while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  /**
   * Append a node. `outputs` is either the output names or how many fresh outputs to create. Returns the output
   * names. Empty-string inputs mean "optional input omitted", as in ONNX.
   */
  addNode(opType: string, inputs: readonly string[], outputs: readonly string[] | number = 1, attrs: AttrMap = {}, domain = ''): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.uniqueName(`lumen_${opType}`)) : [...outputs];
    for (const o of outs) this.names.add(o);
    const node = create(NodeProtoSchema, {
      name: this.uniqueName(`lumen_${opType}_node`),
      opType,
      domain,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs)
        .filter((e): e is [string, NonNullable<(typeof e)[1]>] => e[1] !== undefined)
        .map(([k, v]) => makeAttribute(k, v)),
    });
    const synced = this.graph.node === this.indexedNodes && this.graph.node.length === this.indexedLength;
    this.graph.node.push(node);
    for (const o of outs) this.producerAt.set(o, this.graph.node.length - 1);
    if (synced) this.indexedLength++;
    return outs;
  }

  /** Append a node with one output and return that output's name. */
  op(opType: string, inputs: readonly string[], attrs: AttrMap = {}): string {
    return this.addNode(opType, inputs, 1, attrs)[0]!;
  }

  addInitializer(values: NumericArray | number[], dims: readonly number[], prefix = 'lumen_const', type?: TensorProto_DataType): string {
    const name = this.uniqueName(prefix);
    this.setInitializer(makeTensorProto(name, values, dims, type));
    return name;
  }

  /** An int64 1-D constant (axes, shapes, starts/ends). */
  int64s(values: readonly number[], prefix = 'lumen_i64'): string {
    return this.addInitializer(BigInt64Array.from(values.map((v) => BigInt(v))), [values.length], prefix);
  }

  /**
   * Type of `scalar()` constants: 'float64' while a graph that will run in double is built (src/onnx/float64.ts),
   * so that e.g. a gradient's 1/n is not rounded to float32 first.
   */
  scalarPrecision: 'float32' | 'float64' = 'float32';

  /** A float scalar constant (float32, or double under `scalarPrecision = 'float64'`). */
  scalar(value: number, prefix = 'lumen_scalar'): string {
    return this.addInitializer(this.scalarPrecision === 'float64' ? Float64Array.of(value) : Float32Array.of(value), [], prefix);
  }

  addInput(name: string, dims: readonly Dim[], elemType: TensorProto_DataType = TensorProto_DataType.FLOAT): string {
    this.names.add(name);
    this.graph.input.push(makeValueInfo(name, dims, elemType));
    return name;
  }

  /** Expose a tensor as a graph output (no-op if it already is one), declared as `elemType` (FLOAT by default). */
  addOutput(name: string, dims?: readonly Dim[], elemType: TensorProto_DataType = TensorProto_DataType.FLOAT): void {
    if (this.graph.output.some((o) => o.name === name)) return;
    this.graph.output.push(makeValueInfo(name, dims, elemType));
  }

  /**
   * Make the named tensors the graph's outputs (the runtime then prunes unused nodes). An output the graph already
   * declares keeps its declaration; a new one is declared without a type: ORT gives it its producer's, and
   * `inferElemTypes` (src/onnx/shapes.ts) reads the nodes. (A type written here could only be a guess, and ORT refuses
   * a graph whose declared output type differs from what its node makes, e.g. float for a Shape's int64.) A graph
   * saved for other tools needs typed outputs (`onnx.checker` refuses untyped ones): declare them with `addOutput`.
   */
  setOutputs(names: readonly string[]): void {
    const keep = this.graph.output.filter((o) => names.includes(o.name));
    this.graph.output.splice(0, this.graph.output.length, ...keep);
    for (const n of names) if (!this.graph.output.some((o) => o.name === n)) this.graph.output.push(create(ValueInfoProtoSchema, { name: n }));
  }

  toBytes(): Uint8Array {
    return encodeModel(this.model);
  }
}

export function makeValueInfo(name: string, dims: readonly Dim[] | undefined, elemType: TensorProto_DataType): ValueInfoProto {
  const tensorType = create(TypeProto_TensorSchema, {
    elemType,
    shape: dims
      ? create(TensorShapeProtoSchema, {
          dim: dims.map((d) =>
            create(TensorShapeProto_DimensionSchema, {
              value: typeof d === 'number' && d >= 0 ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: typeof d === 'string' ? d : '' },
            }),
          ),
        })
      : undefined,
  });
  return create(ValueInfoProtoSchema, { name, type: create(TypeProtoSchema, { value: { case: 'tensorType', value: tensorType } }) });
}

/** Declared shape of a value (graph input/output/value_info); undefined when not declared. */
export function valueInfoDims(v: ValueInfoProto): Dim[] | undefined {
  const t = v.type?.value;
  if (!t || t.case !== 'tensorType' || !t.value.shape) return undefined;
  return t.value.shape.dim.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value || '?' : '?'));
}

export function valueInfoElemType(v: ValueInfoProto): number {
  const t = v.type?.value;
  return t && t.case === 'tensorType' ? t.value.elemType : 0;
}
