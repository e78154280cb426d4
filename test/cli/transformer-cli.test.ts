/**
 * Issue 16: the CLI end to end on a vision transformer (the conformance tiny ViT, class token + 8×8 patch grid).
 * `lumen explain` with a CAM on the default token layer, a gradient method and the two attention methods writes ok
 * rows whose .npy files equal the library's explain() for the same image and class.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from '../helpers/cli.js';
import { loadModel } from '../../src/node/load.js';
import { loadInput } from '../../src/node/inputs.js';
import { readNpyTensor } from '../../src/node/npy-file.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import type { ManifestRow } from '../../src/node/explain-files.js';

const MODEL = 'conformance/models/tiny_vit.onnx';
const IMAGE = 'conformance/inputs/chelsea64.png';
const METHODS = ['gradcam', 'saliency', 'attention-rollout', 'attention-relevance'];

test('lumen explain on a ViT: CAM on the token layer, Saliency and the attention methods equal the library', async () => {
  await loadAllMethods();
  const out = mkdtempSync(join(tmpdir(), 'lumen-vit-cli-'));
  try {
    const { code, stderr } = await runCliInProcess(['explain', MODEL, IMAGE, '-m', METHODS.join(','), '--target', '3', '--npy', '-o', out, '--threads', '1']);
    assert.equal(code, 0, stderr);
    const rows = readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ManifestRow);
    assert.deepEqual(rows.map((r) => r.method).sort(), [...METHODS].sort());
    const model = await loadModel(MODEL);
    try {
      const { tensor } = await loadInput(IMAGE, model);
      for (const row of rows) {
        assert.equal(row.status, 'ok', `${row.method}: ${row.error}`);
        assert.equal(row.class, 3);
        const fromCli = await readNpyTensor(join(out, row.npy!));
        const fromApi = (await getMethod(row.method).explain(model, tensor, { target: 3 })).attribution;
        assert.deepEqual(fromCli.dims, fromApi.dims, row.method);
        let diff = 0;
        let scale = 0;
        fromApi.data.forEach((v, i) => {
          diff = Math.max(diff, Math.abs(v - fromCli.data[i]!));
          scale = Math.max(scale, Math.abs(v));
        });
        assert.ok(scale > 0, `${row.method}: an all-zero map`);
        assert.ok(diff / scale <= 1e-5, `${row.method}: CLI and API differ by ${diff / scale}`);
      }
    } finally {
      await model.dispose();
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
