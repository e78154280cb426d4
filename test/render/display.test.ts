/** The one display policy (src/render/display.ts): the CLI's PNG and the web app's pixels agree; the scaling rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/node/load.js';
import { explainFiles } from '../../src/node/explain-files.js';
import { readImageFile } from '../../src/node/image-file.js';
import { npyToTensor } from '../../src/io/npy.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { prepareImage } from '../../src/browser.js';
import { colormap } from '../../src/render/colormaps.js';
import { displayMap, renderOverlay, viewScale } from '../../src/render/display.js';
import { upscaleNearest } from '../../src/render/canvas.js';
import { Tensor } from '../../src/tensor.js';
import { overlayPicture } from '../../web/src/view.js';

const MODEL = 'models/fashion-cnn.onnx';
const SAMPLE = 'samples/fashion/9-ankle-boot.png';

test("lumen explain's PNG equals the web app's download and on-screen overlay pixel for pixel", async (t) => {
  await loadAllMethods();
  const out = mkdtempSync(join(tmpdir(), 'lumen-display-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const model = await loadModel(MODEL);
  t.after(() => model.dispose());
  // one method per display rule: CAM (min–max), unsigned per-channel (from 0), signed per-channel and signed map
  const ids = ['gradcam', 'saliency', 'input-x-gradient', 'occlusion'];
  const result = await explainFiles(model, [SAMPLE], { methods: ids.map(getMethod), targets: ['top1'], methodOptions: () => ({}), outDir: out, npy: true });
  assert.equal(result.failed, 0);
  // the web app's base image: the browser entry's prepareImage of the decoded file
  const base = prepareImage(await readImageFile(SAMPLE), model).image;
  const scales = new Set<string>();
  for (const row of result.rows) {
    const cli = await readImageFile(join(out, row.png!));
    const attribution = npyToTensor(readFileSync(join(out, row.npy!)));
    const info = getMethod(row.method).info;
    scales.add(displayMap(attribution, info, base).scale);
    const download = overlayPicture(base, attribution, info, 'auto', true);
    assert.deepEqual([download.width, download.height], [cli.width, cli.height], row.method);
    assert.equal(cli.channels, 3);
    assert.deepEqual(Buffer.from(download.data), Buffer.from(cli.data), `${row.method}: download PNG differs from the CLI PNG`);
    const screen = overlayPicture(base, attribution, info, 'auto', false);
    assert.equal(screen.width, base.width);
    const factor = viewScale(base.width, base.height);
    assert.ok(factor > 1, 'the 28×28 sample is scaled up');
    assert.deepEqual(Buffer.from(upscaleNearest(screen, factor).data), Buffer.from(cli.data), `${row.method}: on-screen overlay`);
    // a colormap picked in the web app is the CLI's --colormap
    const viridis = overlayPicture(base, attribution, info, 'viridis', true);
    assert.deepEqual(Buffer.from(viridis.data), Buffer.from(renderOverlay(base, attribution, info, 'viridis').data));
  }
  assert.deepEqual([...scales].sort(), ['from-zero', 'min-max', 'symmetric'], 'the four methods exercise every rule');
});

test('a RISE-like logit map in [3.2, 5.1] spans the whole colour scale (it was almost uniformly red)', async () => {
  const w = 16;
  const h = 16;
  const data = Float32Array.from({ length: w * h }, (_, p) => 3.2 + (1.9 * p) / (w * h - 1));
  // RISE's own metadata (signed perturbation map): all values positive, so rule 3 (min–max), not rule 1 or 2
  await loadAllMethods();
  const rise = getMethod('rise').info;
  assert.deepEqual([rise.signed, rise.family, rise.output], [true, 'perturbation', 'map']);
  const map = displayMap(new Tensor(data, [1, 1, h, w]), rise);
  assert.equal(map.scale, 'min-max');
  assert.equal(map.signed, false);
  assert.equal(map.data[0], 0);
  assert.equal(map.data[w * h - 1], 1);
  assert.ok(Math.abs(map.data[(w * h) / 2]! - 0.5) < 0.01);
  // the overlay: the lowest pixel gets jet's blue end, the highest its red end (image black, weight 0.5, /max)
  const black = { width: w, height: h, channels: 3 as const, data: new Uint8Array(w * h * 3) };
  const pic = renderOverlay(black, new Tensor(data, [1, 1, h, w]), rise, { upscale: false });
  const jet = colormap('jet');
  const hue = (p: number): [number, number, number] => [pic.data[3 * p]!, pic.data[3 * p + 1]!, pic.data[3 * p + 2]!];
  const [r0, , b0] = hue(0);
  const [r1, , b1] = hue(w * h - 1);
  assert.ok(b0 > 100 && r0 === 0, `lowest pixel ${hue(0)} should be blue (jet[0] = ${Array.from(jet.subarray(0, 3))})`);
  assert.ok(r1 > 100 && b1 === 0, `highest pixel ${hue(w * h - 1)} should be red`);
  // the old policy (|v| / 99% cumulative-sum threshold, from 0) kept every pixel above 0.6 of the scale
  const distinct = new Set(Array.from({ length: w * h }, (_, p) => hue(p).join())).size;
  assert.ok(distinct > 40, `${distinct} colours`);
});

test('display rules: CAM passed through bit for bit, signed maps symmetric around 0, flat maps 0, layer maps resized', () => {
  const cam = Float32Array.from({ length: 64 }, (_, p) => Math.fround((p * 37) % 64) / 63);
  const camMap = displayMap(new Tensor(cam, [1, 1, 8, 8]), getMethodInfoLike(false));
  assert.deepEqual(Array.from(camMap.data), Array.from(cam));
  // both signs: v / threshold; 0 stays 0 and the sign is kept
  const signed = Float32Array.from({ length: 64 }, (_, p) => (p - 16) / 10);
  const s = displayMap(new Tensor(signed, [1, 1, 8, 8]), getMethodInfoLike(true));
  assert.equal(s.scale, 'symmetric');
  assert.equal(s.data[16], 0);
  assert.ok(s.data[0]! < 0 && s.data[63] === 1);
  // a signed method's map with no negative value is shown as one sign (min–max), not half of a diverging scale
  assert.equal(displayMap(new Tensor(cam, [1, 1, 8, 8]), getMethodInfoLike(true)).scale, 'min-max');
  const flat = displayMap(new Tensor(new Float32Array(64).fill(4), [1, 1, 8, 8]), getMethodInfoLike(false));
  assert.equal(flat.scale, 'flat');
  assert.ok(flat.data.every((v) => v === 0));
  const layer = displayMap(new Tensor(Float32Array.from([0, 1, 2, 3]), [1, 1, 2, 2]), getMethodInfoLike(false), { width: 8, height: 8 });
  assert.deepEqual([layer.width, layer.height, layer.data.length], [8, 8, 64]);
  assert.equal(layer.data[0], 0);
  assert.equal(layer.data[63], 1);
});

function getMethodInfoLike(signed: boolean): { signed: boolean } {
  return { signed };
}
