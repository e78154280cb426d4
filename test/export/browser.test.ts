/**
 * An exported explanation graph in onnxruntime-web (WASM) in Debian's headless Chromium: the page imports only
 * onnxruntime-web's own ES module and runs the file; its outputs equal `explain` in Node (≤ 1e-5 relative).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { exportExplanation } from '../../src/export/index.js';
import { EXPORTABLE_METHODS } from '../../src/export/graph.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { Tensor } from '../../src/tensor.js';
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../helpers/chromium.js';
import { model as conformanceModel, relErr } from '../helpers/conformance.js';

await loadAllMethods();
const ORT = join('node_modules', 'onnxruntime-web', 'dist');

// Every exportable method whose file takes only the image and the class: SmoothGrad (its noise is a third input) and
// RISE (equal to explain image by image, not on a batch) are checked with bare onnxruntime-node in export.test.ts and
// rise.test.ts; their graphs use no op the others do not.
const BROWSER_METHODS = EXPORTABLE_METHODS.filter((id) => id !== 'smoothgrad' && id !== 'rise');

test('every exportable method (but SmoothGrad and RISE) runs in onnxruntime-web in Chromium with Lumen\'s numbers', async (t) => {
  requireChromium();
  const model = await conformanceModel('tiny_resnet');
  const methods = [...BROWSER_METHODS];
  assert.ok(methods.includes('gradcam') && methods.includes('fullgrad') && methods.includes('occlusion'), methods.join(','));
  const options = { 'integrated-gradients': { steps: 4 }, occlusion: { slidingWindowShapes: '16', strides: '12', baselines: 0.5 } };
  const ex = await exportExplanation(model, { methods, methodOptions: options });
  const input = new Tensor(Float32Array.from({ length: 2 * 3 * 64 * 64 }, (_, i) => 1.5 * Math.sin(i * 0.37)), [2, 3, 64, 64]);
  const classes = [3, 7];
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0]!;
    const file = url === '/model.onnx' ? Buffer.from(ex.bytes) : url.startsWith('/ort/') && /^[\w.-]+$/.test(url.slice(5)) ? readFileSync(join(ORT, url.slice(5))) : undefined;
    if (url === '/') return res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>export</title>');
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': url.endsWith('.wasm') ? 'application/wasm' : url.endsWith('.mjs') ? 'text/javascript' : 'application/octet-stream' }).end(file);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const out = await page.evaluate(
      async ({ x, dims, classes }) => {
        const ort = await import('/ort/ort.wasm.min.mjs' as string);
        ort.env.wasm.numThreads = 1;
        ort.env.wasm.wasmPaths = '/ort/';
        const bytes = new Uint8Array(await (await fetch('/model.onnx')).arrayBuffer());
        const session = await ort.InferenceSession.create(bytes);
        const result = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x), dims), target_class: new ort.Tensor('int64', BigInt64Array.from(classes.map(BigInt)), [classes.length]) });
        return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Array.from((v as { data: Float32Array }).data)]));
      },
      { x: Array.from(input.data), dims: [...input.dims], classes },
    );
    assert.deepEqual(errors, []);
    const { logits } = await model.forward(input);
    assert.ok(relErr(out.logits!, logits.data) <= 1e-5, 'logits');
    for (const id of methods) {
      const e = await getMethod(id).explain(model, input, { target: classes, ...(options as Record<string, object>)[id] });
      const err = relErr(out[ex.attributions[id]!]!, e.attribution.data);
      t.diagnostic(`${id} in Chromium: ${err.toExponential(2)}`);
      assert.ok(err <= 1e-5, `${id} in Chromium: ${err.toExponential(2)}`);
    }
  } finally {
    await browser.close();
    server.close();
  }
});
