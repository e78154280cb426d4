import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deepFeatureFactorization } from '../../../src/methods/concepts/dff.js';
import { mmdCritic, nearestByCosine } from '../../../src/methods/concepts/examples.js';
import { layerActivations, pooled } from '../../../src/methods/concepts/layer.js';
import { getConceptMethod } from '../../../src/methods/concepts/registry.js';
import type { ProgressEvent } from '../../../src/methods/types.js';
import { loadInput } from '../../../src/node/inputs.js';
import { loadModel } from '../../../src/node/load.js';
import { Tensor } from '../../../src/tensor.js';

test('registered concept methods run the plain functions: same results from images or from pooled embeddings, default layer, progress', async () => {
  const model = await loadModel('models/shapes-shortcut.onnx');
  try {
    const files = readdirSync('samples/shapes').filter((f) => f.endsWith('.png')).sort().slice(0, 8);
    const images = Tensor.concat(await Promise.all(files.map(async (f) => (await loadInput(join('samples/shapes', f), model)).tensor)));
    const layer = await model.defaultLayer();
    const emb = pooled((await layerActivations(model, images, layer)).maps);
    const d = emb.length / 8;

    const events: ProgressEvent[] = [];
    const nb = await getConceptMethod('neighbors').run(model, { query: images.item(3), dataset: images }, { k: 4, batchSize: 3, onProgress: (e) => events.push(e) });
    assert.equal(nb.layer, layer, 'default layer');
    assert.deepEqual(nb.neighbors, nearestByCosine(emb.subarray(3 * d, 4 * d), emb, 8, d, 4));
    assert.equal(nb.neighbors[0]!.index, 3);
    assert.deepEqual(events.map((e) => e.done), [3, 6, 8], 'one event per batch of 3');
    const fromEmbeddings = await getConceptMethod('neighbors').run(model, { query: { data: emb.slice(3 * d, 4 * d), n: 1, d }, dataset: { data: emb, n: 8, d } }, { k: 4 });
    assert.deepEqual(fromEmbeddings.neighbors, nb.neighbors);

    const pr = await getConceptMethod('prototypes').run(model, images, { prototypes: 2, criticisms: 2, witness: 'absolute' });
    const ref = mmdCritic(emb, 8, d, { prototypes: 2, criticisms: 2, witness: 'absolute' });
    assert.deepEqual([pr.prototypes, pr.criticisms], [ref.prototypes, ref.criticisms]);

    const dff = await getConceptMethod('dff').run(model, images.item(0), { k: 3, seed: 1 });
    const direct = await deepFeatureFactorization(model, images.item(0), { layer, k: 3, seed: 1 });
    assert.deepEqual(Array.from(dff.conceptLogits!.data), Array.from(direct.conceptLogits!.data));

    await assert.rejects(getConceptMethod('craft').run(model, images, { k: 2 }), /craft\.run: target \(a class index\) is required/);
    await assert.rejects(getConceptMethod('neighbors').run(model, { query: images.item(0), dataset: { data: emb, n: 8, d: d + 1 } }), /embeddings hold 512 values, not n·d = 8·65/);
    await assert.rejects(getConceptMethod('tcav').run(model, { concept: images, random: images, inputs: 'x' as never }, { target: 2 }), /tcav inputs must be a Tensor of images/);
    const aborted = AbortSignal.abort();
    await assert.rejects(getConceptMethod('craft').run(model, images, { target: 2, signal: aborted }), /cancelled/);
  } finally {
    await model.dispose();
  }
});

test("concept seeds take seedOption's declared range (a seed of 2^32 was accepted and cut to 32 bits)", async () => {
  const model = await loadModel('models/shapes-shortcut.onnx');
  try {
    const files = readdirSync('samples/shapes').filter((f) => f.endsWith('.png')).sort().slice(0, 2);
    const images = Tensor.concat(await Promise.all(files.map(async (f) => (await loadInput(join('samples/shapes', f), model)).tensor)));
    for (const id of ['dff', 'craft', 'tcav'] as const) {
      const seed = getConceptMethod(id).info.options.find((o) => o.name === 'seed');
      assert.deepEqual([seed?.min, seed?.max], [-(2 ** 31), 2 ** 32 - 1], id);
    }
    await assert.rejects(getConceptMethod('dff').run(model, images, { k: 2, seed: 2 ** 32 }), /seed must be within \[-2147483648, 4294967295\], got 4294967296/);
    const ok = await getConceptMethod('dff').run(model, images, { k: 2, seed: 2 ** 32 - 1 });
    assert.equal(ok.upsampled.dims[1], 2, 'k concept maps');
  } finally {
    await model.dispose();
  }
});
