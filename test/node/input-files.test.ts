/**
 * Input files (images, .npy tensors) and model files are read through one check each (readInputBytes in
 * src/node/image-file.ts, checkModelFile in src/node/load.ts): a missing file, a folder or a device is a named error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LumenError } from '../../src/errors.js';
import { readImageFile } from '../../src/node/image-file.js';
import { readNpyTensor } from '../../src/node/npy-file.js';
import { checkModelFile } from '../../src/node/load.js';

const is = (code: string, text: RegExp) => (e: unknown): boolean => e instanceof LumenError && e.code === code && text.test(e.message);

test('an image, a .npy file and a model file that is missing, a folder or a device are named errors, in one wording per kind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lumen-input-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(readImageFile(join(dir, 'no.png')), is('FILE_NOT_FOUND', /^image not found: .*no\.png$/));
  await assert.rejects(readImageFile(dir), is('BAD_IMAGE', /is a folder, not an image file$/));
  await assert.rejects(readImageFile('/dev/zero'), is('BAD_IMAGE', /^\/dev\/zero is not a regular file \(a device or a pipe\), not an image file$/));
  await assert.rejects(readNpyTensor(join(dir, 'no.npy')), is('FILE_NOT_FOUND', /^\.npy file not found: .*no\.npy$/));
  await assert.rejects(readNpyTensor(dir), is('BAD_IMAGE', /is a folder, not a \.npy file$/));
  await assert.rejects(readNpyTensor('/dev/zero'), is('BAD_IMAGE', /^\/dev\/zero is not a regular file \(a device or a pipe\), not a \.npy file$/));
  assert.throws(() => checkModelFile(join(dir, 'no.onnx')), is('FILE_NOT_FOUND', /^model file not found: /));
  assert.throws(() => checkModelFile(dir), is('NOT_ONNX', /is a folder, not a model file \(give an \.onnx file or a TF\.js model\.json\)$/));
  assert.throws(() => checkModelFile('/dev/zero'), is('NOT_ONNX', /^\/dev\/zero is not a regular file, not a model file \(give an \.onnx file or a TF\.js model\.json\)$/));
  assert.doesNotThrow(() => checkModelFile('models/fashion-cnn.onnx'));
});

test("loadInput reads a .npy input through readNpyTensor: a folder or a file that is not .npy in its words (was loadInput's own 'not a regular file' / 'not a readable .npy tensor')", async (t) => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { loadModel } = await import('../../src/node/load.js');
  const { loadInput } = await import('../../src/node/inputs.js');
  const dir = mkdtempSync(join(tmpdir(), 'lumen-npy-inputs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'folder.npy'));
  writeFileSync(join(dir, 'empty.npy'), '');
  const model = await loadModel('models/fashion-cnn.onnx');
  try {
    await assert.rejects(loadInput(join(dir, 'folder.npy'), model), is('BAD_IMAGE', /folder\.npy is a folder, not a \.npy file$/));
    await assert.rejects(loadInput(join(dir, 'empty.npy'), model), is('BAD_IMAGE', /empty\.npy: not a \.npy file: it is empty$/));
  } finally {
    await model.dispose();
  }
});

test("JSON beside a model (sidecar, Teachable Machine's metadata.json) and a concept output that does not parse: one wording (parseJsonText)", async (t) => {
  const { copyFileSync, writeFileSync, mkdirSync } = await import('node:fs');
  const { loadModel } = await import('../../src/node/load.js');
  const { convertTfjsFile } = await import('../../src/node/tfjs-files.js');
  const { readConceptOutputs } = await import('../../src/node/concepts-report.js');
  const dir = mkdtempSync(join(tmpdir(), 'lumen-json-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync('models/fashion-cnn.onnx', join(dir, 'm.onnx'));
  writeFileSync(join(dir, 'm.json'), '{bad');
  await assert.rejects(loadModel(join(dir, 'm.onnx')), is('BAD_OPTION', /^.*m\.json: not valid JSON \(/));
  const tfjs = join(dir, 'tfjs');
  mkdirSync(tfjs);
  for (const f of ['model.json', 'emotion.bin']) copyFileSync(join('test/fixtures/tfjs/human-emotion', f), join(tfjs, f));
  writeFileSync(join(tfjs, 'metadata.json'), '{bad');
  assert.throws(() => convertTfjsFile(join(tfjs, 'model.json')), is('BAD_OPTION', /metadata\.json: not valid JSON \(/));
  writeFileSync(join(dir, 'concepts.json'), '{bad');
  assert.throws(() => readConceptOutputs(dir), is('BAD_OPTION', /concepts\.json: not valid JSON \(/));
});

test('writeOutputFile: every output write of the CLI and the batch runner fails as one named error, naming the flag and the path the user gave', async (t) => {
  const { writeFileSync, readFileSync } = await import('node:fs');
  const { writeOutputFile } = await import('../../src/node/output-dir.js');
  const dir = mkdtempSync(join(tmpdir(), 'lumen-write-output-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'plain'), 'x');
  assert.throws(() => writeOutputFile(join(dir, 'plain', 'a.json'), '{}', '--cache'), is('OUTPUT_FOLDER', /^--cache .*plain\/a\.json: cannot write there \(a part of the path is a file, not a folder\)$/));
  assert.throws(() => writeOutputFile(join(dir, 'plain', 'a.svg'), '<svg/>', '--out', dir), is('OUTPUT_FOLDER', new RegExp(`^--out ${dir}: cannot write there`)));
  writeOutputFile(join(dir, 'ok.json'), '{"a":1}');
  assert.equal(readFileSync(join(dir, 'ok.json'), 'utf8'), '{"a":1}');
});

test("imageFileDataUri: the concept report's pictures keep the types it embedded before the MIME table moved to paths.ts (.gif, .bmp: bug fix), and a failed atomic write leaves no temp file", async (t) => {
  const { mkdirSync, readdirSync, writeFileSync } = await import('node:fs');
  const { imageFileDataUri } = await import('../../src/node/image-file.js');
  const { writeOutputFile } = await import('../../src/node/output-dir.js');
  const dir = mkdtempSync(join(tmpdir(), 'lumen-data-uri-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');
  writeFileSync(join(dir, 'a.gif'), gif);
  writeFileSync(join(dir, 'a.bmp'), 'BM');
  assert.equal(imageFileDataUri(join(dir, 'missing.png'), join(dir, 'a.gif')), `data:image/gif;base64,${gif.toString('base64')}`);
  assert.equal(imageFileDataUri(join(dir, 'a.bmp')), `data:image/bmp;base64,${Buffer.from('BM').toString('base64')}`);
  assert.equal(imageFileDataUri(join(dir, 'a.txt')), undefined);
  // the rename onto a folder fails after the temp file was written: the temp file is removed
  mkdirSync(join(dir, 'taken', 'inside'), { recursive: true });
  assert.throws(() => writeOutputFile(join(dir, 'taken'), 'x'), is('OUTPUT_FOLDER', /taken/));
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});
