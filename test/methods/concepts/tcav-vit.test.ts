/**
 * TCAV on a transformer that learned the shortcut (test/fixtures/transformers/shortcut-vit: a ViT trained on the
 * shapes with the class-coding marker, scripts/train_shortcut_vit.py). Its default CAM layer, the last block's ln_1,
 * is bypassed by the residual stream: TCAV there measures only the attention branch, and the result says so, naming
 * the layer every path goes through (the previous block's output), where the marker is significantly above random.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layerBypass } from '../../../src/methods/concepts/layer.js';
import { tcav } from '../../../src/methods/concepts/tcav.js';
import { loadModel } from '../../../src/node/load.js';
import { shapesBatch } from '../../helpers/shapes.js';

const batch = shapesBatch;

test('TCAV on the shortcut ViT: the default ln_1 layer is bypassed (and said so); at the block output every path goes through, the marker is significantly above random', async (t) => {
  const TARGET = 2;
  const model = await loadModel('test/fixtures/transformers/shortcut-vit/model.onnx');
  try {
    const ln1 = await model.defaultLayer();
    assert.equal(ln1, '/encoder/layers/encoder_layer_2/ln_1/LayerNormalization_output_0');
    const cut = '/encoder/layers/encoder_layer_1/Add_1_output_0';
    assert.deepEqual(await layerBypass(model, ln1), { bypassed: true, cutLayer: cut });
    assert.deepEqual(await layerBypass(model, cut), { bypassed: false });
    const seen: string[] = [];
    for (const seed of [0, 1]) {
      const sets = {
        concept: batch(11 + 100 * seed, 20, 'random', (s) => s.marker.classIndex === TARGET),
        random: batch(12 + 100 * seed, 60, 'none'),
        inputs: batch(13 + 100 * seed, 20, 'none', () => true, TARGET),
      };
      const atLn = await tcav(model, sets, { layer: ln1, target: TARGET, runs: 10, seed });
      const atCut = await tcav(model, sets, { layer: cut, target: TARGET, runs: 10, seed });
      seen.push(`seed ${seed}: ln_1 ${atLn.score.toFixed(2)} p ${atLn.pValue.toPrecision(2)} ${atLn.direction}; block output ${atCut.score.toFixed(2)} p ${atCut.pValue.toPrecision(2)} ${atCut.direction}`);
      assert.equal(atLn.bypassed, true);
      assert.equal(atLn.cutLayer, cut);
      assert.equal(atCut.bypassed, false);
      assert.ok(atCut.significant && atCut.direction === 'above' && atCut.score >= 0.9, seen.join('; '));
    }
    t.diagnostic(seen.join('; '));
  } finally {
    await model.dispose();
  }
});
