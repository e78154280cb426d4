/**
 * The web app says why a fixed-batch model runs one item at a time: the model line (which already names the opset
 * upgrade and the opened batch at load) gains the reason once a run has found that ONNX Runtime refuses the batch
 * (src/batch.ts). The model: a [1, 1, 8] class token concatenated as a constant, built as test/core/batch-fallback;
 * the app's SmoothGrad is the first batched run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeModel } from '../../src/onnx/io.js';
import { emptyModel, randn, rng } from '../autodiff/helpers.js';
import { openWebApp, requireChromium, webAppDist } from '../helpers/chromium.js';

type Hooks = { __lumen?: { ready: boolean; runs: number; busy: boolean; errors: string[]; model(): { name: string } | undefined; input(): { dims: number[] } | undefined } };

/** Conv → Relu → sequence with a constant [1, 1, 8] token in front → Reshape [1, -1] → Gemm: batch fixed at 1. */
function tokenModel(): Uint8Array {
  const r = rng(41);
  const g = emptyModel({ input: [1, 3, 6, 6] }, 13);
  const w = (dims: number[], s: number): string => g.addInitializer(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => s * randn(r)), dims);
  const features = g.op('Relu', [g.op('Conv', ['input', w([8, 3, 3, 3], 0.4), w([8], 0.1)], { pads: { ints: [1, 1, 1, 1] } })]);
  const seq = g.op('Transpose', [g.op('Reshape', [features, g.int64s([1, 8, 36])])], { perm: { ints: [0, 2, 1] } });
  const flat = g.op('Reshape', [g.op('Concat', [w([1, 1, 8], 0.5), seq], { axis: { i: 1 } }), g.int64s([1, -1])]);
  g.setOutputs([g.op('Gemm', [flat, w([5, 8 * 37], 0.1), w([5], 0.1)], { transB: { i: 1 } })]);
  return encodeModel(g.model);
}

test('web app: the model line gives the reason a fixed-batch model runs one item at a time', { timeout: 300_000 }, async () => {
  requireChromium();
  const dir = mkdtempSync(join(tmpdir(), 'lumen-fixed-batch-web-'));
  const file = join(dir, 'fixed-token.onnx');
  writeFileSync(file, tokenModel());
  const app = await openWebApp(await webAppDist());
  try {
    const { page } = app;
    await page.goto(app.server.url);
    await page.waitForFunction(() => (window as unknown as Hooks).__lumen?.ready === true, undefined, { timeout: 180_000 });
    await page.setInputFiles('#model-file', file);
    await page.waitForFunction(() => (window as unknown as Hooks).__lumen!.model()?.name === 'fixed-token.onnx' && (window as unknown as Hooks).__lumen!.input()?.dims.join(',') === '1,3,6,6', undefined, { timeout: 120_000 });
    const before = await page.locator('#model-info').textContent();
    assert.match(before!, /The file fixes the batch at 1: opened for batched runs\.$/);
    for (const box of await page.locator('#methods input[type=checkbox][id^="method-"]').all()) await box.uncheck();
    await page.locator('#method-smoothgrad').check();
    const runs = await page.evaluate(() => (window as unknown as Hooks).__lumen!.runs);
    await page.locator('#run').click();
    await page.waitForFunction((n) => (window as unknown as Hooks).__lumen!.runs > n && !(window as unknown as Hooks).__lumen!.busy, runs, { timeout: 240_000 });
    assert.deepEqual(await page.evaluate(() => (window as unknown as Hooks).__lumen!.errors), []);
    const after = await page.locator('#model-info').textContent();
    // SmoothGrad's gradient graph is the first to run a batch: ORT refuses its seed input, declared at batch 1
    assert.match(after!, /The file fixes the batch at 1: opened for batched runs, but a batch of (\d+) failed in ONNX Runtime while one item runs: .*Got invalid dimensions for input: lumen_seed__0 .*Got: \1 Expected: 1.*; the model runs one item at a time\.$/);
    // onnxruntime-web logs each refused batched run to the console (a session made before the switch tries once too)
    assert.deepEqual(app.pageErrors.filter((e) => !/\[E:onnxruntime:.*Non concat axis dimensions must match: Axis 0 has mismatched dimensions of \d+ and 1/.test(e)), []);
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
