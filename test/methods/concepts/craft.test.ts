import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateShapeSample, MARKER_BOX, SHAPE_IMAGE_SIZE } from '../../../src/datasets/shapes.js';
import { craft, sobolConceptImportance } from '../../../src/methods/concepts/craft.js';
import { headLogits } from '../../../src/methods/concepts/dff.js';
import { layerActivations } from '../../../src/methods/concepts/layer.js';
import { jansenTotalIndices, sobolDesign } from '../../../src/methods/concepts/sobol.js';
import { loadInput } from '../../../src/node/inputs.js';
import { loadModel } from '../../../src/node/load.js';
import { Tensor } from '../../../src/tensor.js';

const TARGET = 2; // triangle: every image carries the triangle marker, on a shape of any class
const s = SHAPE_IMAGE_SIZE;
const samples = [];
for (let i = 0; samples.length < 12; i++) {
  const x = generateShapeSample(51, i, { markerMode: 'random' });
  if (x.marker.classIndex === TARGET) samples.push(x);
}
const data = new Float32Array(samples.length * 3 * s * s);
samples.forEach((x, i) => {
  for (let p = 0; p < s * s; p++) for (let c = 0; c < 3; c++) data[(i * 3 + c) * s * s + p] = x.image[p * 3 + c]! / 255;
});
const images = new Tensor(data, [samples.length, 3, s, s]);

for (const [name, markerCrops] of [['shortcut', 6], ['clean', 0]] as const) {
  test(`CRAFT on the ${name} model: the most important concept for the marker's class is ${markerCrops ? '' : 'not '}the marker`, async () => {
    const model = await loadModel(`models/shapes-${name}.onnx`);
    try {
      const r = await craft(model, images, { layer: await model.defaultLayer(), k: 5, target: TARGET, seed: 0 });
      assert.equal(r.importanceMethod, 'sobol', "the paper's Sobol indices are the default");
      assert.ok(r.importance.every((v) => v >= 0 && v <= 1.5), `total indices ${r.importance}`);
      assert.equal(r.crops.length, samples.length * 9, '3×3 crops of half the side, stride a quarter');
      assert.ok(r.relativeError < 0.3, `NMF relative error ${r.relativeError}`);
      const top = r.order[0]!;
      assert.equal(r.importance[top], Math.max(...r.importance));
      const containsMarker = (q: number): boolean => {
        const b = r.crops[q]!.box;
        return b[0] <= MARKER_BOX[0] && b[1] <= MARKER_BOX[1] && b[2] >= MARKER_BOX[2] && b[3] >= MARKER_BOX[3];
      };
      // measured: shortcut 6 of 6 atlas crops hold the whole marker, clean 0 of 6
      assert.equal(r.atlas[top]!.filter(containsMarker).length, markerCrops);
      // gradient × concept ranks the same concept first here (measured: shortcut and clean)
      const g = await craft(model, images, { layer: await model.defaultLayer(), k: 5, target: TARGET, seed: 0, importance: 'gradient' });
      assert.equal(g.importanceMethod, 'gradient');
      assert.equal(g.order[0], top);
      if (name === 'shortcut') await assert.rejects(craft(model, images, { layer: await model.defaultLayer(), k: 65, target: TARGET }), /k = 65 concepts but layer .* has only 64 channels/);
    } finally {
      await model.dispose();
    }
  });
}

test('CRAFT Sobol importance through a real head equals the closed form of an additive model', async () => {
  // shapes-shortcut's head after the last ReLU is GlobalAveragePool → Gemm: affine in the layer, so with the layer
  // written as Σ_j m_j·U_j ⊗ bank_j the target logit is b + Σ_j a_j m_j, a_j = head(U_j ⊗ bank_j) − head(0). Its total
  // indices on the design are Jansen's estimate of that additive f, and tend to a_j² / Σ a² (m_j ~ U[0, 1]).
  const model = await loadModel('models/shapes-shortcut.onnx');
  try {
    const layer = await model.defaultLayer();
    const image = images.item(0);
    const acts = await layerActivations(model, image, layer);
    const [C, h, w] = [acts.maps.dims[1]!, acts.maps.dims[2]!, acts.maps.dims[3]!];
    const hw = h * w;
    const k = 3;
    // a made-up bank and coefficients (non-negative), deterministic
    const bank = Float64Array.from({ length: k * C }, (_, q) => ((q * 7919) % 13) / 13);
    const U = Float64Array.from({ length: k * hw }, (_, q) => ((q * 104729) % 17) / 17 / (1 + Math.floor(q / hw)));
    const layerOf = (weights: number[]): Float32Array => {
      const v = new Float32Array(C * hw);
      for (let j = 0; j < k; j++) for (let c = 0; c < C; c++) for (let p = 0; p < hw; p++) v[c * hw + p]! += weights[j]! * bank[j * C + c]! * U[j * hw + p]!;
      return v;
    };
    const units = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]].map(layerOf);
    const stacked = new Float32Array(4 * C * hw);
    units.forEach((v, i) => stacked.set(v, i * C * hw));
    const logits = await headLogits(model, acts, new Tensor(stacked, [4, C, h, w]), image);
    const classes = logits.dims[1]!;
    const at = (i: number): number => logits.data[i * classes + TARGET]!;
    const a = [at(1) - at(0), at(2) - at(0), at(3) - at(0)];
    const opts = { k, C, h, w, target: TARGET, batch: 64, image };
    const st = await sobolConceptImportance(model, acts, U, bank, { ...opts, designs: 32 });
    const masks = sobolDesign(k, 32);
    const additive = jansenTotalIndices(Array.from({ length: masks.length / k }, (_, r) => at(0) + a.reduce((s, aj, j) => s + aj * masks[r * k + j]!, 0)), k, 32);
    st.forEach((v, j) => assert.ok(Math.abs(v - additive[j]!) < 1e-3, `ST_${j} ${v} vs additive-model estimate ${additive[j]}`));
    const fine = await sobolConceptImportance(model, acts, U, bank, { ...opts, designs: 1024 });
    const total = a.reduce((s, v) => s + v * v, 0);
    fine.forEach((v, j) => assert.ok(Math.abs(v - (a[j]! * a[j]!) / total) < 0.03, `ST_${j} ${v} vs closed form ${(a[j]! * a[j]!) / total}`));
    assert.ok(Math.max(...a.map(Math.abs)) > 0.1, `the concepts move the logit: a = ${a}`);
  } finally {
    await model.dispose();
  }
});

test('CRAFT at a layer that can be negative: the error names the last ReLU-type layer before it (TF.js human-emotion, default layer a BiasAdd)', async () => {
  const model = await loadModel('test/fixtures/tfjs/human-emotion/model.json');
  try {
    const layer = await model.defaultLayer();
    assert.match(layer, /BiasAdd$/);
    const x = (await loadInput('samples/shapes/000-circle.png', model)).tensor;
    await assert.rejects(craft(model, x, { layer, k: 2, target: 0 }), /CRAFT needs non-negative activations; layer '.*BiasAdd' has -[\d.]+ \(pick a layer after a ReLU, e\.g\. '.*block3_sepconv2_act\/Relu', a Relu output\)/);
    // that layer works
    const r = await craft(model, Tensor.concat([x, x]), { layer: 'StatefulPartitionedCall/model_1/block3_sepconv2_act/Relu', k: 2, target: 0, designs: 8 });
    assert.equal(r.importance.length, 2);
  } finally {
    await model.dispose();
  }
});
