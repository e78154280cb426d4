/**
 * A 'topK' target beyond the model's K classes is refused in one wording (checkTopRank, src/targets/resolve.ts) by
 * every path that can meet it: the in-graph rank of the gradient methods and the gradient CAMs (rankTarget), the
 * forward-resolved rank (resolveTargets: gradient-free CAMs, perturbation methods) and the backward graph builder's
 * RankSeed (computeGradients). Grad-CAM used to say it without the '(top1…top10)' hint (the builder's own copy).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { computeGradients } from '../../src/autodiff/index.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { getMethod } from '../../src/methods/registry.js';
import type { LumenModel } from '../../src/model.js';
import { loadModel } from '../../src/node/load.js';
import { Tensor } from '../../src/tensor.js';
import { LumenError } from '../../src/errors.js';

/** The message of the TARGET_RANGE LumenError that `f` throws. */
async function rangeMessage(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (e) {
    assert.ok(e instanceof LumenError && e.code === 'TARGET_RANGE', String(e));
    return e.message;
  }
  assert.fail('no error');
}

let model: LumenModel;
const x = new Tensor(Float32Array.from({ length: 28 * 28 }, (_, p) => Math.sin(p * 0.37)), [1, 1, 28, 28]);
before(async () => {
  await loadAllMethods();
  model = await loadModel('models/fashion-cnn.onnx');
});
after(() => model.dispose());

test('a top-k target beyond K reads the same from every method and from computeGradients', async () => {
  for (const [target, words] of [
    ['top0', 'target top0: the model has 10 classes (top1…top10)'],
    ['top11', 'target top11: the model has 10 classes (top1…top10)'],
    [{ class: 'top12', output: 'probability' }, 'target top12: the model has 10 classes (top1…top10)'],
  ] as const) {
    for (const id of ['gradcam', 'gradcam++', 'scorecam', 'saliency', 'integrated-gradients', 'occlusion']) {
      assert.equal(await rangeMessage(() => getMethod(id).explain(model, x, { target })), words, id);
    }
  }
  assert.equal(await rangeMessage(() => computeGradients(model, x, { rank: 11 }, { wrt: [model.inputName] })), 'target top11: the model has 10 classes (top1…top10)');
  // in range: the in-graph rank explains the same class as the resolved one
  const cam = await getMethod('gradcam').explain(model, x, { target: 'top2' });
  const occ = await getMethod('occlusion').explain(model, x, { target: 'top2' });
  assert.deepEqual(cam.targets, occ.targets);
});
