import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateShapeSample, MARKER_BOX, SHAPE_IMAGE_SIZE } from '../../../src/datasets/shapes.js';
import { craft } from '../../../src/methods/concepts/craft.js';
import { loadModel } from '../../../src/node/load.js';
import { Tensor } from '../../../src/tensor.js';

const TARGET = 2; // triangle: every image carries the triangle marker, on a shape of any class
const s = SHAPE_IMAGE_SIZE;
const samples = [];
for (let i = 0; samples.length < 12; i++) {
  const x = generateShapeSample(51, i, { markerMode: 'random' });
  if (x.marker.classIndex === TARGET) samples.push(x);
}
const data = new Float32Array(samples.length * 3 * s * s);
samples.forEach((x, i) => {
  for (let p = 0; p < s * s; p++) for (let c = 0; c < 3; c++) data[(i * 3 + c) * s * s + p] = x.image[p * 3 + c]! / 255;
});
const images = new Tensor(data, [samples.length, 3, s, s]);

for (const [name, markerCrops] of [['shortcut', 6], ['clean', 0]] as const) {
  test(`CRAFT on the ${name} model: the most important concept for the marker's class is ${markerCrops ? '' : 'not '}the marker`, async () => {
    const model = await loadModel(`models/shapes-${name}.onnx`);
    try {
      const r = await craft(model, images, { layer: await model.defaultLayer(), k: 5, target: TARGET, seed: 0 });
      assert.equal(r.crops.length, samples.length * 9, '3×3 crops of half the side, stride a quarter');
      assert.ok(r.relativeError < 0.3, `NMF relative error ${r.relativeError}`);
      const top = r.order[0]!;
      assert.equal(r.importance[top], Math.max(...r.importance));
      const containsMarker = (q: number): boolean => {
        const b = r.crops[q]!.box;
        return b[0] <= MARKER_BOX[0] && b[1] <= MARKER_BOX[1] && b[2] >= MARKER_BOX[2] && b[3] >= MARKER_BOX[3];
      };
      // measured: shortcut 6 of 6 atlas crops hold the whole marker, clean 0 of 6
      assert.equal(r.atlas[top]!.filter(containsMarker).length, markerCrops);
      if (name === 'shortcut') await assert.rejects(craft(model, images, { layer: await model.defaultLayer(), k: 65, target: TARGET }), /k = 65 concepts but layer .* has only 64 channels/);
    } finally {
      await model.dispose();
    }
  });
}
