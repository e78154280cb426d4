import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateShapeSample, SHAPE_IMAGE_SIZE, type MarkerMode } from '../../../src/datasets/shapes.js';
import { studentTTest, studentTwoSided } from '../../../src/methods/concepts/stats.js';
import { tcav } from '../../../src/methods/concepts/tcav.js';
import { loadModel } from '../../../src/node/load.js';
import { Tensor } from '../../../src/tensor.js';

/** Shapes images as an NCHW batch in [0, 1] (the shapes models' 'unit' normalization). */
function batch(samples: readonly { image: Uint8Array }[]): Tensor {
  const s = SHAPE_IMAGE_SIZE;
  const out = new Float32Array(samples.length * 3 * s * s);
  samples.forEach((x, i) => {
    for (let p = 0; p < s * s; p++) for (let c = 0; c < 3; c++) out[(i * 3 + c) * s * s + p] = x.image[p * 3 + c]! / 255;
  });
  return new Tensor(out, [samples.length, 3, s, s]);
}

function samples(seed: number, count: number, mode: MarkerMode, keep: (s: ReturnType<typeof generateShapeSample>) => boolean = () => true, label?: number): ReturnType<typeof generateShapeSample>[] {
  const out = [];
  for (let i = 0; out.length < count; i++) {
    const s = generateShapeSample(seed, i, { markerMode: mode, ...(label !== undefined ? { label } : {}) });
    if (keep(s)) out.push(s);
  }
  return out;
}

test('Student t-test and t distribution match scipy', () => {
  // scipy.stats.t.sf(t, df) * 2
  assert.ok(Math.abs(studentTwoSided(2, 10) - 0.07338803477074039) < 1e-10);
  assert.ok(Math.abs(studentTwoSided(0.5, 3) - 0.651447964848151) < 1e-10);
  assert.ok(Math.abs(studentTwoSided(5, 30) - 2.3296685467007786e-5) < 1e-12);
  // scipy.stats.ttest_ind (equal_var=True)
  const r = studentTTest([0.9, 0.8, 0.85, 0.95, 0.7], [0.5, 0.6, 0.4, 0.55, 0.45, 0.52]);
  assert.ok(Math.abs(r.t - 6.680754035091719) < 1e-9);
  assert.ok(Math.abs(r.pValue - 9.05008483828155e-5) < 1e-11);
  assert.equal(studentTTest([0.5, 0.4, 0.6], [0.55, 0.45, 0.5]).pValue, 1);
});

const TARGET = 2; // triangle; the concept: the marker that codes it, on any shape
const concept = batch(samples(11, 20, 'random', (s) => s.marker.classIndex === TARGET));
const random = batch(samples(12, 60, 'none'));
const inputs = batch(samples(13, 20, 'none', () => true, TARGET));

for (const [name, expectSignificant] of [['shortcut', true], ['clean', false]] as const) {
  test(`TCAV on the shortcut benchmark: the class-coding marker is ${expectSignificant ? '' : 'not '}significant for the ${name} model`, async () => {
    const model = await loadModel(`models/shapes-${name}.onnx`);
    try {
      const layer = await model.defaultLayer();
      const r = await tcav(model, { concept, random, inputs }, { layer, target: TARGET, runs: 10, seed: 0 });
      assert.equal(r.significant, expectSignificant, `p = ${r.pValue}`);
      if (expectSignificant) {
        assert.ok(r.score > 0.9 && r.pValue < 0.05, `score ${r.score}`);
        assert.equal(r.direction, 'above');
        // bad input: too few concept images, too few random images (each message says how many are needed)
        await assert.rejects(tcav(model, { concept: concept.item(0), random, inputs }, { layer, target: TARGET }), /1 concept image; at least 10 are needed/);
        await assert.rejects(tcav(model, { concept, random: concept, inputs }, { layer, target: TARGET }), /20 random images; at least 32 are needed/);
        await assert.rejects(tcav(model, { concept, random, inputs }, { layer, target: 9 }), /target class 9: the model has 5 classes/);
      } else {
        assert.ok(r.pValue > 0.2, `p = ${r.pValue}`);
      }
    } finally {
      await model.dispose();
    }
  });
}
