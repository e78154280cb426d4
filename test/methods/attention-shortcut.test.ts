/**
 * The attention methods on the "spot the shortcut" benchmark (docs/shortcut.md): a small torchvision ViT trained with
 * the class-coding marker in every training image (scripts/train_shortcut_vit.py; 8×8 patches, so the 6×6 marker at
 * [2, 8) lies in patch (0, 0)), run on the committed test split (samples/shapes, 100 images, 50 with a swapped
 * marker). Numbers in comments were measured with the committed model; the assertions keep a margin below them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { loadModel } from '../../src/node/load.js';
import { loadShortcutItems } from '../../src/node/shortcut.js';
import { runShortcutBenchmark } from '../../src/shortcut/benchmark.js';
import { SPLIT_DIR } from '../shortcut/helpers.js';

const MODEL = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'transformers', 'shortcut-vit', 'model.onnx');

test('a ViT that reads the marker: attention rollout and relevance point at the marker', async () => {
  await loadAllMethods();
  const model = await loadModel(MODEL);
  try {
    const items = await loadShortcutItems(model, SPLIT_DIR);
    const { summary, rows } = await runShortcutBenchmark(model, items, { methods: ['attention-rollout', 'attention-relevance'] });
    // measured: right on all 50 consistent images, predicts the marker's class on all 50 swapped ones
    assert.equal(summary.followsMarker, 1);
    assert.equal(summary.consistentAccuracy, 1);
    const row = (id: string) => {
      const r = rows.find((x) => x.method === id)!;
      assert.equal(r.error, undefined, `${id}: ${r.error}`);
      return r;
    };
    // measured: rollout's most relevant pixel is on the marker for 100 of 100 images (0 on the object), its relevance
    // per pixel is higher on the marker than on the object on all of them, marker mass 0.26 (72× a flat map's 36/4096)
    const rollout = row('attention-rollout');
    assert.ok(rollout.marker!.pointingGame >= 0.95, `rollout: pointing game on the marker ${rollout.marker!.pointingGame}`);
    assert.ok(rollout.markerDenser! >= 0.95, `rollout: marker denser on ${rollout.markerDenser}`);
    assert.ok(rollout.object.pointingGame <= 0.05, `rollout: pointing game on the object ${rollout.object.pointingGame}`);
    // measured: relevance points at the marker on 78 of 100 images (17 at the object), denser on the marker on 84
    const relevance = row('attention-relevance');
    assert.ok(relevance.marker!.pointingGame >= 0.65, `relevance: pointing game on the marker ${relevance.marker!.pointingGame}`);
    assert.ok(relevance.markerDenser! >= 0.7, `relevance: marker denser on ${relevance.markerDenser}`);
  } finally {
    await model.dispose();
  }
});
