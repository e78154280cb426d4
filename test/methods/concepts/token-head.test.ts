/**
 * The concept methods run the network's head (layer → logits) on made-up layer values: DFF on the k concept vectors,
 * CRAFT's Sobol importance on the design rows of one image. At a token layer with special tokens (a ViT's class
 * token) only the patch tokens are made up; the class token is the real one of the image the head is run for
 * (DFF: the first image, as the skip-connection input; CRAFT: the image whose importance is estimated), never the
 * token of whichever image happens to share its position in the batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { craft } from '../../../src/methods/concepts/craft.js';
import { conceptScores, deepFeatureFactorization } from '../../../src/methods/concepts/dff.js';
import { layerActivations } from '../../../src/methods/concepts/layer.js';
import { loadInput } from '../../../src/node/inputs.js';
import { conceptReportSections } from '../../../src/report/concepts-html.js';
import { loadModel } from '../../../src/node/load.js';
import type { LumenModel } from '../../../src/model.js';
import { Tensor } from '../../../src/tensor.js';
import { relErr } from '../../autodiff/helpers.js';

const VIT = 'conformance/models/tiny_vit.onnx';

async function images(model: LumenModel): Promise<Tensor> {
  const files = ['conformance/inputs/chelsea64.png', 'samples/shapes/002-triangle.png', 'samples/shapes/003-star.png'];
  return Tensor.concat(await Promise.all(files.map(async (f) => (await loadInput(f, model)).tensor)));
}

test('ViT token layer (class token + 8×8 patches): DFF concept scores take the first image\'s class token for every concept', async () => {
  const model = await loadModel(VIT);
  try {
    const x = await images(model);
    const layer = await model.defaultLayer();
    const r = await deepFeatureFactorization(model, x, { layer, k: 3, seed: 0 });
    assert.deepEqual(r.maps.dims, [3, 3, 8, 8], 'one map per concept on the 8×8 patch grid');
    // the same concept vectors scored with the first image's activations alone: the same logits
    const alone = await conceptScores(model, x.item(0), await layerActivations(model, x.item(0), layer), r.concepts, 3);
    assert.ok(relErr(r.conceptLogits!.data, alone.data) < 1e-5, `concept logits vs first image alone: ${relErr(r.conceptLogits!.data, alone.data)}`);
    assert.equal(r.scoresIgnoreConcepts, false, 'the last block\'s attention still mixes the patch tokens into the class token');
    // the default layer (the last block's ln_1) is bypassed by the residual stream, and the result says so
    assert.equal(r.bypassed, true);
    assert.equal(r.cutLayer, '/encoder/layers/encoder_layer_0/Add_1_output_0');
    // after the last attention block the classifier reads the class token only: every concept gets the same logits, and the result says so
    const late = await deepFeatureFactorization(model, x, { layer: '/encoder/ln/LayerNormalization_output_0', k: 3, seed: 0 });
    const cls = late.conceptLogits!.dims[1]!;
    for (let j = 1; j < 3; j++) assert.deepEqual(Array.from(late.conceptLogits!.data.subarray(j * cls, (j + 1) * cls)), Array.from(late.conceptLogits!.data.subarray(0, cls)));
    assert.equal(late.scoresIgnoreConcepts, true);
    // the main report's DFF section (from concepts.json) says so
    const section = (flag: boolean): string =>
      conceptReportSections({ dff: { layer: 'L', k: 2, relativeError: 0.1, scoresIgnoreConcepts: flag, concepts: [], images: [] } })[0]!.html;
    assert.match(section(true), /Every concept gets the same class scores: the network&apos;s head does not read L&apos;s positions/);
    assert.doesNotMatch(section(false), /same class scores/);
  } finally {
    await model.dispose();
  }
});

test('ViT token layer: CRAFT Sobol importance does not depend on which images share a batch', async () => {
  const model = await loadModel(VIT);
  try {
    const x = await images(model);
    // 1 + erf(·) inside the first block's GELU: a non-negative token layer, as CRAFT needs (the last block's MLP
    // cannot move the logits: the classifier reads the class token, which no later attention mixes patches into)
    const layer = '/encoder/layers/encoder_layer_0/mlp/mlp.1/Add_output_0';
    const opts = { layer, k: 3, target: 0, seed: 0, designs: 8 };
    const [one, all] = [await craft(model, x, { ...opts, batchSize: 1 }), await craft(model, x, { ...opts, batchSize: 3 })];
    assert.ok(relErr(one.bank, all.bank) < 1e-6, 'same concept bank');
    one.importance.forEach((v, j) => assert.ok(Math.abs(v - all.importance[j]!) <= 1e-5 * Math.max(1, Math.abs(v)), `Sobol ${j}: batch 1 ${v} vs batch 3 ${all.importance[j]}`));
    assert.ok(one.importance.some((v) => v > 0.01), `importance ${one.importance}`);
  } finally {
    await model.dispose();
  }
});
