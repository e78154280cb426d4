import { LumenError } from '../errors.js';
import type { ExportedExplanation, ExportedTensor } from './graph.js';

export interface TritonOptions {
  /** The model's name in the repository (a folder name). */
  name: string;
  /** Largest batch Triton forms (default 8). */
  maxBatchSize?: number;
  /** How long Triton waits to fill a batch, in microseconds (default 100). */
  maxQueueDelayMicroseconds?: number;
  /** Model instances per device (default 1); kind CPU unless 'gpu'. */
  instances?: number;
  device?: 'cpu' | 'gpu';
}

const TRITON_TYPES: Readonly<Record<ExportedTensor['type'], string>> = { float32: 'TYPE_FP32', int64: 'TYPE_INT64', uint8: 'TYPE_UINT8' };

/**
 * `config.pbtxt` for Triton's ONNX Runtime backend: the batch dimension left to Triton (max_batch_size), dynamic
 * batching on. A per-image scalar (the class index, [batch]) is declared as dims [1] reshaped to [], Triton's idiom for
 * a tensor that is only the batch dimension. Open sizes are -1.
 */
export function tritonConfig(exported: Pick<ExportedExplanation, 'inputs' | 'outputs'>, options: TritonOptions): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(options.name)) throw new LumenError('BAD_OPTION', `Triton model name '${options.name}': use letters, digits, '_', '-' and '.' only`, 2);
  const maxBatch = options.maxBatchSize ?? 8;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new LumenError('BAD_OPTION', `Triton max batch size must be a positive integer, got ${maxBatch}`, 2);
  const tensor = (t: ExportedTensor): string => {
    // a size left open (raw pixels of any size) is -1 for Triton
    const dims = t.dims.slice(1).map((d) => (typeof d === 'number' ? d : -1));
    const body = dims.length === 0 ? 'dims: [ 1 ]\n    reshape: { shape: [ ] }' : `dims: [ ${dims.join(', ')} ]`;
    return `  {\n    name: "${t.name}"\n    data_type: ${TRITON_TYPES[t.type]}\n    ${body}\n  }`;
  };
  return [
    `name: "${options.name}"`,
    'platform: "onnxruntime_onnx"',
    `max_batch_size: ${maxBatch}`,
    `input [\n${exported.inputs.map(tensor).join(',\n')}\n]`,
    `output [\n${exported.outputs.map(tensor).join(',\n')}\n]`,
    `dynamic_batching {\n  max_queue_delay_microseconds: ${options.maxQueueDelayMicroseconds ?? 100}\n}`,
    `instance_group [\n  {\n    count: ${options.instances ?? 1}\n    kind: ${options.device === 'gpu' ? 'KIND_GPU' : 'KIND_CPU'}\n  }\n]`,
    '',
  ].join('\n');
}
