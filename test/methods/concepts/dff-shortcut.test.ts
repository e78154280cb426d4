import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateShapeSample, MARKER_BOX, SHAPE_IMAGE_SIZE } from '../../../src/datasets/shapes.js';
import { deepFeatureFactorization } from '../../../src/methods/concepts/dff.js';
import { loadModel } from '../../../src/node/load.js';
import { headGraph } from '../../../src/onnx/subgraph.js';
import { Tensor } from '../../../src/tensor.js';

test('DFF on the shortcut model: one concept sits on the marker (16×16 layer, k = 8); concept scores through the head equal the classifier on the concept vectors', async () => {
  const s = SHAPE_IMAGE_SIZE;
  const n = 20;
  const data = new Float32Array(n * 3 * s * s);
  for (let i = 0; i < n; i++) {
    const x = generateShapeSample(41, i, { markerMode: 'random' });
    for (let p = 0; p < s * s; p++) for (let c = 0; c < 3; c++) data[(i * 3 + c) * s * s + p] = x.image[p * 3 + c]! / 255;
  }
  const model = await loadModel('models/shapes-shortcut.onnx');
  try {
    const layer = '/features/features.10/Relu_output_0';
    const r = await deepFeatureFactorization(model, new Tensor(data, [n, 3, s, s]), { layer, k: 8, seed: 0 });
    assert.deepEqual([r.h, r.w], [16, 16]);
    // the marker box [2, 8)² in 4-px cells: rows/cols 0–1
    const cell = s / r.w;
    const cells: number[] = [];
    for (let y = Math.floor(MARKER_BOX[1] / cell); y < Math.ceil(MARKER_BOX[3] / cell); y++) for (let x = Math.floor(MARKER_BOX[0] / cell); x < Math.ceil(MARKER_BOX[2] / cell); x++) cells.push(y * r.w + x);
    const hw = r.h * r.w;
    const shares = Array.from({ length: r.k }, (_, j) => {
      let inside = 0, total = 0;
      for (let i = 0; i < n; i++) {
        const m = r.maps.data.subarray((i * r.k + j) * hw, (i * r.k + j + 1) * hw);
        for (const q of cells) inside += m[q]!;
        total += m.reduce((a, b) => a + b, 0);
      }
      return inside / total;
    });
    // uniform would be 4/256 ≈ 1.6 %; measured 41 %
    assert.ok(Math.max(...shares) > 0.3, `marker share per concept: ${shares.map((v) => v.toFixed(3)).join(' ')}`);
    // concept scores: softmax rows of the head's logits, one row per concept, 5 classes
    const probs = r.conceptProbabilities!;
    assert.deepEqual(probs.dims, [8, 5]);
    for (let j = 0; j < 8; j++) {
      const row = r.conceptLogits!.data.subarray(j * 5, (j + 1) * 5);
      const max = Math.max(...row);
      const z = row.reduce((a, v) => a + Math.exp(v - max), 0);
      for (let c = 0; c < 5; c++) assert.ok(Math.abs(probs.data[j * 5 + c]! - Math.exp(row[c]! - max) / z) < 1e-6);
    }
    // at the last conv layer the head is GlobalAveragePool → classifier: the concept scores must equal the classifier
    // applied to the concept vectors themselves (pytorch-grad-cam's classifier(W.T)), run from the pooled tensor
    const last = await model.defaultLayer();
    const d = await deepFeatureFactorization(model, new Tensor(data, [n, 3, s, s]), { layer: last, k: 3, seed: 0 });
    const pooledName = '/pool/GlobalAveragePool_output_0';
    const head = headGraph(model.proto, pooledName, [model.logitsName]);
    const session = await model.session('test-pooled-head', () => head.graph.toBytes());
    const vectors = Float32Array.from({ length: 3 * d.c }, (_, q) => d.concepts[(q % d.c) * 3 + Math.floor(q / d.c)]!);
    const logits = (await session.run({ [pooledName]: new Tensor(vectors, [3, d.c, 1, 1]) }, [model.logitsName]))[model.logitsName]!;
    for (let q = 0; q < logits.size; q++) assert.ok(Math.abs(logits.data[q]! - d.conceptLogits!.data[q]!) < 1e-4 * (1 + Math.abs(logits.data[q]!)));
  } finally {
    await model.dispose();
  }
});
