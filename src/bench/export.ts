/**
 * Bench section 'export': the exported Grad-CAM graph (`lumen export`, src/export/) run by plain onnxruntime-node,
 * against the plain model's forward pass at the same batch, interleaved. Report only (issue 19 names ≤ 1.2× as the
 * aim). Node-only.
 */
import * as ort from 'onnxruntime-node';
import { exportExplanation } from '../export/index.js';
import type { LumenModel } from '../model.js';
import type { Tensor } from '../tensor.js';
import { interleaved } from './timing.js';

export interface ExportTiming {
  forwardMs: number;
  exportedMs: number;
  forwardSamplesMs: number[];
  exportedSamplesMs: number[];
}

export async function exportedGradcamTiming(model: LumenModel, modelBytes: Uint8Array, layer: string, input: Tensor, threads: number, repeats: number): Promise<ExportTiming> {
  const exported = await exportExplanation(model, { methods: ['gradcam'], layer });
  // the same session settings for both, as a serving system would use them
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', intraOpNumThreads: threads, extra: { session: { intra_op: { allow_spinning: '0' } } } };
  const plain = await ort.InferenceSession.create(modelBytes, options);
  const explain = await ort.InferenceSession.create(exported.bytes, options);
  const n = input.dims[0]!;
  const image = new ort.Tensor('float32', input.data, [...input.dims]);
  const classes = new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 10)), [n]);
  try {
    const res = await interleaved(
      {
        forward: () => plain.run({ [model.inputName]: image }),
        exported: () => explain.run({ [model.inputName]: image, target_class: classes }),
      },
      repeats,
    );
    return { forwardMs: res.forward!.median, exportedMs: res.exported!.median, forwardSamplesMs: res.forward!.samples, exportedSamplesMs: res.exported!.samples };
  } finally {
    await plain.release();
    await explain.release();
  }
}
