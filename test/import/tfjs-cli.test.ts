// The TF.js importer through the CLI (convert, predict, explain, layers) and lumen serve --model model.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModel } from '../../src/onnx/io.js';
import { metadataFromProps } from '../../src/metadata.js';
import { LumenModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { loadModel } from '../../src/node/load.js';
import { serveWebApp } from '../../src/node/serve.js';

const EMOTION = 'test/fixtures/tfjs/human-emotion/model.json';
const CLASSES = 'angry,disgust,fear,happy,sad,surprise,neutral';
const FACE = 'samples/faces/astronaut-face.png';
const dir = mkdtempSync(join(tmpdir(), 'lumen-tfjs-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function lumen(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('lumen convert writes an ONNX file with the metadata; it predicts what the in-memory conversion predicts', async () => {
  const out = join(dir, 'emotion.onnx');
  const r = lumen('convert', EMOTION, '-o', out, '--classes', CLASSES, '--normalization', '{"mean":[0.5],"std":[0.5]}', '--json');
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { format: string; classes: number };
  assert.equal(summary.format, 'graph-model');
  assert.equal(summary.classes, 7);
  const proto = decodeModel(new Uint8Array(readFileSync(out)));
  const meta = metadataFromProps(proto.metadataProps);
  assert.deepEqual(meta.classes, CLASSES.split(','));
  assert.deepEqual(meta.normalization, { mean: [0.5], std: [0.5] });
  // the saved file and loadModel('model.json') give the same logits
  const fromFile = LumenModel.fromProto(proto, { runtime: nodeRuntime() });
  const fromJson = await loadModel(EMOTION);
  const x = fromJson.zeroInput();
  for (let i = 0; i < x.size; i++) x.data[i] = Math.sin(i);
  assert.deepEqual(Array.from((await fromFile.forward(x)).logits.data), Array.from((await fromJson.forward(x)).logits.data));
  await fromFile.dispose();
  await fromJson.dispose();
  // an existing output needs --force
  const again = lumen('convert', EMOTION, '-o', out);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^lumen: -o .*: the file exists \(add --force to overwrite it\)/);
});

test("lumen convert on a folder named x.json: checkModelFile's one-line error, not 'internal error: EISDIR' with a stack trace (bug fix)", () => {
  const folder = join(dir, 'x.json');
  mkdirSync(folder);
  const r = lumen('convert', folder, '-o', join(dir, 'x.onnx'));
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `lumen: ${folder} is a folder, not a model file (give an .onnx file or a TF.js model.json)\n`);
  assert.equal(existsSync(join(dir, 'x.onnx')), false);
});

test('lumen convert refuses an existing -o before any conversion: a broken model.json with an existing -o is OUTPUT_EXISTS, the file kept (bug fix)', () => {
  const broken = join(dir, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, 'model.json'), '{');
  const out = join(broken, 'kept.onnx');
  writeFileSync(out, 'earlier');
  const r = lumen('convert', join(broken, 'model.json'), '-o', out);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `lumen: -o ${out}: the file exists (add --force to overwrite it)\n`);
  assert.equal(readFileSync(out, 'utf8'), 'earlier');
  // with --force the conversion runs and its own error is reported; the file is still kept
  const forced = lumen('convert', join(broken, 'model.json'), '-o', out, '--force');
  assert.equal(forced.code, 1);
  assert.match(forced.stderr, /not valid JSON/);
  assert.equal(readFileSync(out, 'utf8'), 'earlier');
});

test('predict, layers and explain take a model.json; Teachable Machine metadata.json gives the labels', () => {
  const p = lumen('predict', EMOTION, FACE, '--top', '1', '--classes', CLASSES, '--normalization', '{"mean":[0.5],"std":[0.5]}', '--json');
  assert.equal(p.code, 0, p.stderr);
  assert.equal((JSON.parse(p.stdout) as { predictions: { label: string }[] }[])[0]!.predictions[0]!.label, 'happy');
  const l = lumen('layers', EMOTION, '--json');
  assert.equal(l.code, 0, l.stderr);
  const layers = JSON.parse(l.stdout) as { name: string; isDefault: boolean }[];
  assert.equal(layers.find((x) => x.isDefault)?.name, 'StatefulPartitionedCall/model_1/conv2d_5/BiasAdd');
  const outDir = join(dir, 'explained');
  const e = lumen('explain', EMOTION, FACE, '-m', 'gradcam,saliency,occlusion', '--out', outDir, '--npy');
  assert.equal(e.code, 0, e.stderr);
  for (const m of ['gradcam', 'saliency', 'occlusion']) assert.ok(readdirHas(outDir, m), `${m} output`);
  // a Teachable Machine export: model.json, weights, metadata.json with labels
  const tm = join(dir, 'tm');
  mkdirSync(tm);
  cpSync('test/fixtures/tfjs/human-emotion', tm, { recursive: true });
  writeFileSync(join(tm, 'metadata.json'), JSON.stringify({ tfjsVersion: '1.3.1', packageName: '@teachablemachine/image', labels: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], imageSize: 64 }));
  const t = lumen('predict', join(tm, 'model.json'), FACE, '--top', '1', '--json');
  assert.equal(t.code, 0, t.stderr);
  assert.equal((JSON.parse(t.stdout) as { predictions: { label: string }[] }[])[0]!.predictions[0]!.label, 'd');
});

function readdirHas(d: string, text: string): boolean {
  return existsSync(d) && JSON.stringify(spawnSync('find', [d], { encoding: 'utf8' }).stdout).includes(text);
}

test('lumen serve --model model.json serves the converted ONNX model', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lumen-serve-tfjs-'));
  mkdirSync(join(root, 'bundled'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(root, 'bundled', 'manifest.json'), JSON.stringify({ model: { name: 'm.onnx', url: 'bundled/model.onnx' }, samples: [] }));
  const server = await serveWebApp({ port: 0, root, model: EMOTION });
  try {
    const manifest = (await (await fetch(new URL('bundled/manifest.json', server.url))).json()) as { model: { name: string; url: string } };
    assert.deepEqual(manifest.model, { name: 'human-emotion.onnx', url: 'bundled/user-model.onnx' });
    const bytes = new Uint8Array(await (await fetch(new URL(manifest.model.url, server.url))).arrayBuffer());
    const model = LumenModel.fromBytes(bytes, { runtime: nodeRuntime() });
    assert.deepEqual(model.inputDims.slice(1), [1, 64, 64]);
    assert.equal(model.fileLayout, 'NHWC');
    await model.dispose();
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
