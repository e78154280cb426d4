// The browser entry's TF.js loader (picked/dropped files) equals loadModel('model.json').
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadTfjsModelFromFiles } from '../../src/browser.js';
import { LumenError } from '../../src/errors.js';
import { loadModel } from '../../src/node/load.js';
import { nodeRuntime } from '../../src/node/runtime.js';

const DIR = 'test/fixtures/tfjs/human-emotion';
const file = (name: string, bytes: Uint8Array | string): File => new File([typeof bytes === 'string' ? bytes : (bytes.slice().buffer as ArrayBuffer)], name);

test('loadTfjsModelFromFiles: model.json + shard + Teachable Machine metadata.json, in any order', async () => {
  const files = [
    file('emotion.bin', new Uint8Array(readFileSync(`${DIR}/emotion.bin`))),
    file('metadata.json', JSON.stringify({ packageName: '@teachablemachine/image', labels: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] })),
    file('model.json', readFileSync(`${DIR}/model.json`, 'utf8')),
  ];
  const web = await loadTfjsModelFromFiles(files, { runtime: nodeRuntime() });
  const node = await loadModel(`${DIR}/model.json`);
  assert.deepEqual(web.classNames, ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  assert.deepEqual(web.normalization, { mean: [0.5], std: [0.5] });
  const x = node.zeroInput();
  for (let i = 0; i < x.size; i++) x.data[i] = Math.cos(i / 7);
  assert.deepEqual(Array.from((await web.forward(x)).logits.data), Array.from((await node.forward(x)).logits.data));
  await web.dispose();
  await node.dispose();
  await assert.rejects(loadTfjsModelFromFiles([files[2]!], { runtime: nodeRuntime() }), (e: unknown) => e instanceof LumenError && /weight file 'emotion\.bin' was not picked/.test(e.message));
  await assert.rejects(loadTfjsModelFromFiles([files[0]!], { runtime: nodeRuntime() }), (e: unknown) => e instanceof LumenError && /no TensorFlow\.js model\.json/.test(e.message));
});
