/**
 * A feature-vector model seen by the tabular methods: a LumenModel with an [N, F] input, the dataset's feature
 * encoding and the explained response (one output column, as a class probability or the raw output). Every method
 * hands it a matrix of column values and gets one response per row; rows go to ONNX Runtime in large batches
 * (a whole grid of a feature in one run), with progress and cancellation.
 */
import { LumenError, throwIfCancelled } from '../../errors.js';
import type { LumenModel } from '../../model.js';
import { softmaxRows } from '../../targets/index.js';
import { Tensor } from '../../tensor.js';
import { inferElemTypes } from '../../onnx/shapes.js';
import { TensorProto_DataType } from '../../onnx/proto.js';
import { encodeRows, featureEncoding, type FeatureEncoding, type TabularDataset } from '../../tabular/dataset.js';
import type { OptionValues, ProgressEvent } from '../types.js';
import { TABULAR_MODEL_OPTIONS, tabularOptions } from './options.js';

/**
 * TabularModel.create's options: `encoding`, `output` and `maxBatchRows` typed from TABULAR_MODEL_OPTIONS (options.ts,
 * which states their defaults and bounds; `output` 'probability' is the softmax of the logits, equal to the output of
 * a model that ends in Softmax, and 'raw' the output as it is: a regression value, a logit, or an output that already
 * is a probability, as scikit-learn exports' probability output), and:
 */
export type TabularModelOptions = Partial<OptionValues<typeof TABULAR_MODEL_OPTIONS>> & {
  /**
   * The model output explained. Default: the first float output (scikit-learn exports through skl2onnx put an
   * int64 label first and the probabilities second).
   */
  outputName?: string;
  /** Output column (class) explained. Default: 1 for two columns (the positive class, as scikit-learn), 0 for one; required for more. */
  target?: number | string;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
};

export type TabularOutput = NonNullable<TabularModelOptions['output']>;

export class TabularModel {
  readonly model: LumenModel;
  readonly dataset: TabularDataset;
  readonly encoding: FeatureEncoding;
  readonly output: TabularOutput;
  /** The model output read. */
  readonly outputName: string;
  /** Output columns of the model. */
  readonly outputs: number;
  readonly target: number;
  /** What the response is, for plot labels: 'P(malignant)', 'output[0]'. */
  readonly responseLabel: string;
  /** Most rows per ONNX Runtime run (methods also size the matrices they build by it). */
  readonly maxBatchRows: number;
  private readonly fixedBatch: number | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly onProgress: ((e: ProgressEvent) => void) | undefined;
  private progress = { done: 0, total: 0, stage: '' };

  private constructor(
    model: LumenModel,
    dataset: TabularDataset,
    encoding: FeatureEncoding,
    probe: { name: string; outputs: number; distribution: boolean },
    options: TabularModelOptions & OptionValues<typeof TABULAR_MODEL_OPTIONS>,
  ) {
    this.model = model;
    this.dataset = dataset;
    this.encoding = encoding;
    const outputs = probe.outputs;
    this.outputs = outputs;
    this.outputName = probe.name;
    this.output = options.output ?? (outputs > 1 && !probe.distribution ? 'probability' : 'raw');
    if (this.output === 'probability' && outputs === 1) {
      throw new LumenError('BAD_OPTION', `${model.source} has one output column: a probability needs class scores (use output 'raw', which is the output itself)`, 2);
    }
    const names = model.classNames;
    let target: number;
    if (options.target === undefined) {
      if (outputs > 2) throw new LumenError('TARGET_RANGE', `${model.source} has ${outputs} output columns: say which one to explain (--target 0…${outputs - 1})`, 2);
      target = outputs === 2 ? 1 : 0;
    } else if (typeof options.target === 'string' && !/^\d+$/.test(options.target.trim())) {
      target = names?.indexOf(options.target) ?? -1;
      if (target < 0) throw new LumenError('TARGET_RANGE', `target '${options.target}' is not a class name of ${model.source}${names ? ` (${names.join(', ')})` : ' (the model has no class names; give an index)'}`, 2);
    } else {
      target = Number(options.target);
    }
    if (!(Number.isInteger(target) && target >= 0 && target < outputs)) {
      throw new LumenError('TARGET_RANGE', `target ${String(options.target)} is out of range: the model has ${outputs} output columns (0…${outputs - 1})`, 2);
    }
    this.target = target;
    const name = names?.[target] ?? (this.output === 'probability' ? `class ${target}` : `output[${target}]`);
    this.responseLabel = this.output === 'probability' || probe.distribution ? `P(${names?.[target] ?? `class ${target}`})` : name;
    this.maxBatchRows = options.maxBatchRows;
    const b = model.inputDims[0];
    this.fixedBatch = typeof b === 'number' && b > 0 ? b : undefined;
    this.signal = options.signal;
    this.onProgress = options.onProgress;
  }

  /** Check the model's input against the dataset, choose the encoding and count the outputs (one probe run). */
  static async create(model: LumenModel, dataset: TabularDataset, options: TabularModelOptions = {}): Promise<TabularModel> {
    const o = { ...options, ...tabularOptions(TABULAR_MODEL_OPTIONS, options, 'TabularModel.create') };
    if (model.inputKind !== 'features') {
      throw new LumenError('UNSUPPORTED_MODEL', `${model.source} takes images ([${model.inputDims.join(', ')}]); the tabular methods need a feature-vector model with one [N, F] input`);
    }
    const f = model.inputDims[1];
    const encoding = featureEncoding(dataset, typeof f === 'number' && f > 0 ? f : undefined, o.encoding);
    const probe = new Float64Array(dataset.values.subarray(0, dataset.columns.length));
    const batch = model.inputDims[0];
    const rows = typeof batch === 'number' && batch > 0 ? batch : 1;
    const x = encodeRows(dataset, encoding, repeatRows(probe, dataset.columns.length, rows), rows);
    const name = o.outputName ?? firstFloatOutput(model);
    const out = await runOutput(model, name, new Tensor(x, [rows, encoding.width]));
    const K = out.dims.length === 1 ? 1 : out.size / rows;
    let distribution = K > 1;
    for (let i = 0; i < rows * K && distribution; i += K) {
      const row = out.data.subarray(i, i + K);
      distribution = row.every((v) => v >= 0) && Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4;
    }
    return new TabularModel(model, dataset, encoding, { name, outputs: K, distribution }, o);
  }

  get featureCount(): number {
    return this.dataset.columns.length;
  }

  /** Start a piece of work of `total` model rows (for progress events). */
  begin(total: number, stage: string): void {
    this.progress = { done: 0, total, stage };
    this.onProgress?.({ done: 0, total, stage });
  }

  /** Every output column for `n` rows of column values: [n × outputs] (probabilities or raw outputs). */
  async predictAll(values: Float64Array, n: number): Promise<Float64Array> {
    const c = this.featureCount;
    const K = this.outputs;
    const result = new Float64Array(n * K);
    const step = this.fixedBatch ?? this.maxBatchRows;
    for (let start = 0; start < n; start += step) {
      throwIfCancelled(this.signal);
      const rows = Math.min(step, n - start);
      // a model with a fixed batch size gets full batches (the last one padded with its last row)
      const fed = this.fixedBatch ?? rows;
      const chunk = fed === rows ? values.subarray(start * c, (start + rows) * c) : padRows(values.subarray(start * c, (start + rows) * c), c, fed);
      const x = encodeRows(this.dataset, this.encoding, chunk, fed);
      const out = await runOutput(this.model, this.outputName, new Tensor(x, [fed, this.encoding.width]), this.output);
      for (let i = 0; i < rows * K; i++) result[start * K + i] = out.data[i]!;
      this.progress.done += rows;
      this.onProgress?.({ ...this.progress });
    }
    return result;
  }

  /** The explained response for `n` rows of column values. */
  async predict(values: Float64Array, n: number): Promise<Float64Array> {
    const all = await this.predictAll(values, n);
    const K = this.outputs;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = all[i * K + this.target]!;
    return out;
  }
}

/**
 * Output `name` for a batch, as it is ('raw') or through a softmax ('probability': of the logits before a final
 * Softmax for the model's first output, so a Softmax model gives its own output).
 */
async function runOutput(model: LumenModel, name: string, x: Tensor, output: TabularOutput = 'raw'): Promise<Tensor> {
  const { logits, tensors } = await model.forward(x, [name]);
  const out = name === model.outputName && output === 'probability' ? logits : tensors[name]!;
  if (output === 'raw') return out;
  return softmaxRows(out.dims.length === 1 ? out.reshape([out.dims[0]!, 1]) : out.reshape([out.dims[0]!, out.size / out.dims[0]!]));
}

/** The first graph output of type float: declared by the file, or (an output declared without a type) inferred from its producer. */
function firstFloatOutput(model: LumenModel): string {
  const outputs = model.proto.graph!.output;
  const types = inferElemTypes(model.graph);
  const float = outputs.find((o) => types.get(o.name) === TensorProto_DataType.FLOAT);
  if (!float) throw new LumenError('UNSUPPORTED_MODEL', `${model.source}: no float output to explain (outputs: ${outputs.map((o) => o.name).join(', ')})`);
  return float.name;
}

function repeatRows(row: Float64Array, c: number, times: number): Float64Array {
  const out = new Float64Array(c * times);
  for (let i = 0; i < times; i++) out.set(row, i * c);
  return out;
}

function padRows(values: Float64Array, c: number, rows: number): Float64Array {
  const out = new Float64Array(rows * c);
  out.set(values);
  const have = values.length / c;
  for (let i = have; i < rows; i++) out.set(values.subarray((have - 1) * c, have * c), i * c);
  return out;
}
