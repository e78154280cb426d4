/**
 * The web app's dataset-neighbour embeddings are one of the model's derived values (`model.derived`), not a
 * module-level side cache: one store per model, and `dispose` empties it (a WeakMap keyed by the model kept the
 * embeddings of a disposed model until it was collected, and gave them back if the model was used again).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { loadModel } from '../../src/node/load.js';
import { embeddingCache } from '../../web/src/concept-views.js';

test('web neighbour embeddings live in model.derived: one store per model, emptied by dispose', async () => {
  const a = await loadModel(resolve('models/shapes-shortcut.onnx'));
  const b = await loadModel(resolve('models/shapes-shortcut.onnx'));
  try {
    const store = embeddingCache(a);
    store.set('layer\0dataset/0.png\u0000120\u00001', Float32Array.of(1, 2, 3));
    assert.equal(embeddingCache(a), store, 'one store per model');
    assert.equal(embeddingCache(a).size, 1);
    assert.equal(embeddingCache(b).size, 0, 'another model has its own store');
    await a.dispose();
    assert.equal(store.size, 0, 'dispose releases the embeddings held by the old store');
    assert.notEqual(embeddingCache(a), store);
    assert.equal(embeddingCache(a).size, 0, 'a disposed model computes its embeddings again');
  } finally {
    await a.dispose();
    await b.dispose();
  }
});
