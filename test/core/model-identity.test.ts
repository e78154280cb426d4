/**
 * What identifies a model's content where Lumen checks it (the embedding cache of lumen neighbors/prototypes, the
 * settings.json lumen merge compares): an ONNX file's bytes; a TF.js model.json together with its weight shards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/node/load.js';
import { runSettings } from '../../src/node/shard.js';
import { modelFileSha256 } from '../../src/node/tfjs-files.js';

const settingsOf = async (path: string): Promise<string> => {
  const model = await loadModel(path);
  try {
    return runSettings(model, { methods: [], targets: [], methodOptions: () => ({}) }).modelSha256;
  } finally {
    await model.dispose();
  }
};

test('model identity: an ONNX file is its bytes; a TF.js model.json includes its weight shards (run settings too)', async () => {
  const onnx = 'models/shapes-shortcut.onnx';
  assert.equal(modelFileSha256(onnx), createHash('sha256').update(readFileSync(onnx)).digest('hex'));
  assert.equal(await settingsOf(onnx), modelFileSha256(onnx));
  const dir = mkdtempSync(join(tmpdir(), 'lumen-identity-'));
  try {
    const model = join(dir, 'emotion', 'model.json');
    mkdirSync(join(dir, 'emotion'));
    for (const f of ['model.json', 'emotion.bin']) copyFileSync(join('test/fixtures/tfjs/human-emotion', f), join(dir, 'emotion', f));
    const before = modelFileSha256(model);
    assert.equal(await settingsOf(model), before);
    // halve the first weight (float32 [3, 3, 128, 1]); model.json is unchanged
    const bin = readFileSync(join(dir, 'emotion', 'emotion.bin'));
    const w = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    for (let i = 0; i < 3 * 3 * 128; i++) w[i] = w[i]! * 0.5;
    writeFileSync(join(dir, 'emotion', 'emotion.bin'), new Uint8Array(w.buffer));
    assert.notEqual(modelFileSha256(model), before);
    assert.notEqual(await settingsOf(model), before, 'lumen merge would take runs of different weights for one model');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
