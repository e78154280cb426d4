/**
 * Runs an ONNX file with onnxruntime-node and nothing else (no Lumen import): what a user of an exported explanation
 * graph does in any runtime.
 */
import * as ort from 'onnxruntime-node';

export interface PlainTensor {
  data: Float32Array | BigInt64Array | Uint8Array;
  dims: number[];
}

export async function runPlainOnnx(bytes: Uint8Array, feeds: Record<string, PlainTensor>): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = t.data instanceof BigInt64Array ? new ort.Tensor('int64', t.data, t.dims) : t.data instanceof Uint8Array ? new ort.Tensor('uint8', t.data, t.dims) : new ort.Tensor('float32', t.data, t.dims);
    const out = await session.run(ortFeeds);
    const result: Record<string, { data: Float32Array; dims: number[] }> = {};
    for (const [name, t] of Object.entries(out)) result[name] = { data: t.data as Float32Array, dims: [...t.dims] };
    return result;
  } finally {
    await session.release();
  }
}
