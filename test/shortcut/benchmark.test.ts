import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MARKER_BOX } from '../../src/datasets/shapes.js';
import { loadShortcutItems, type LoadedShortcutItem } from '../../src/node/shortcut.js';
import { runShortcutBenchmark, summarizeModel } from '../../src/shortcut/benchmark.js';
import { revealsShortcut, shortcutSectionHtml } from '../../src/shortcut/html.js';
import { OBJECT_BOX_COLOR, outlineBox, shortcutExampleGrid } from '../../src/shortcut/figures.js';
import { displayMap, renderOverlay } from '../../src/render/display.js';
import { makeGrid } from '../../src/render/grid.js';
import { parseShortcutSplit } from '../../src/shortcut/split.js';
import type { Method } from '../../src/methods/types.js';
import { Tensor } from '../../src/tensor.js';
import { SPLIT_DIR, contributionsMethod, markerReaderModel, readSplit } from './helpers.js';

describe('shapes split file', () => {
  it('has 100 images, 50 with a consistent and 50 with a swapped marker, boxes inside 64×64 and away from the marker', () => {
    const split = readSplit();
    assert.equal(split.entries.length, 100);
    assert.deepEqual(split.classes, ['circle', 'square', 'triangle', 'star', 'cross']);
    assert.equal(split.entries.filter((e) => e.marker.present && e.marker.consistent).length, 50);
    assert.equal(split.entries.filter((e) => e.marker.present && !e.marker.consistent).length, 50);
    for (const e of split.entries) {
      assert.deepEqual(e.marker.box, MARKER_BOX);
      const [x0, y0, x1, y1] = e.box;
      assert.ok(x0 >= 0 && y0 >= 0 && x1 <= 64 && y1 <= 64 && x1 > x0 && y1 > y0, e.file);
      // the object never overlaps the marker box, so the two relevance masses never count the same pixel
      assert.ok(x0 >= 8 || y0 >= 8, `${e.file} overlaps the marker`);
    }
  });

  it('rejects a split without boxes', () => {
    assert.throws(() => parseShortcutSplit({ classes: ['a'], images: [{ file: 'x.png', label: 0 }] }), /needs file, label and box/);
  });
});

describe('benchmark on a stand-in model that reads only the marker', () => {
  const { model, weights } = markerReaderModel();
  const method = contributionsMethod(weights);
  let items: LoadedShortcutItem[] = [];
  before(async () => {
    items = await loadShortcutItems(model, SPLIT_DIR, 20);
  });
  after(() => model.dispose());

  it('follows the marker: right on consistent images, the marker class on every swapped one', async () => {
    const s = await summarizeModel(model, items);
    assert.equal(s.images, 20);
    assert.equal(s.consistentAccuracy, 1);
    assert.equal(s.swappedAccuracy, 0);
    assert.equal(s.followsMarker, 1);
    assert.equal(s.accuracy, 0.5);
  });

  it('exact contributions put all relevance on the marker and none on the object', async () => {
    const { rows } = await runShortcutBenchmark(model, items, { methods: [method], batchSize: 7, keepAttributions: [items[3]!.id] });
    const row = rows[0]!;
    assert.equal(row.error, undefined);
    assert.equal(row.images, 20);
    assert.equal(row.markerImages, 20);
    assert.equal(row.marker!.relevanceMass, 1);
    assert.equal(row.marker!.pointingGame, 1);
    assert.equal(row.object.relevanceMass, 0);
    assert.equal(row.object.pointingGame, 0);
    assert.equal(row.markerBeatsObject, 1);
    assert.equal(row.markerDenser, 1);
    assert.equal(row.perImage[0]!.densityRatio, Infinity);
    assert.equal(revealsShortcut(row), true);
    // explained class = the prediction = the marker's class
    assert.deepEqual(row.perImage.map((p) => p.target), items.map((it) => it.marker!.classIndex));
    assert.deepEqual(Object.keys(row.attributions), [items[3]!.id]);
    assert.deepEqual(row.attributions[items[3]!.id]!.dims, [1, 3, 64, 64]);
  });

  it("target 'label' explains the true class; a map uniform over the image gives mass = box area / image area", async () => {
    const uniform: Method = {
      info: { ...method.info, id: 'uniform', output: 'map' },
      async explain(_m, input, options = {}) {
        const n = input.dims[0]!;
        const targets = Array.isArray(options.target) ? (options.target as number[]) : new Array<number>(n).fill(0);
        return { method: 'uniform', attribution: Tensor.filled([n, 1, 64, 64], 1), targets, extras: {}, timings: { compileMs: 0, runMs: 0 } };
      },
    };
    const { rows } = await runShortcutBenchmark(model, items, { methods: [uniform], target: 'label' });
    const row = rows[0]!;
    assert.deepEqual(row.perImage.map((p) => p.target), items.map((it) => it.label));
    for (const [i, p] of row.perImage.entries()) {
      const [x0, y0, x1, y1] = items[i]!.objectBox;
      assert.ok(Math.abs(p.objectMass - ((x1 - x0) * (y1 - y0)) / 4096) < 1e-9);
      assert.ok(Math.abs(p.markerMass! - 36 / 4096) < 1e-9);
    }
    // a 6×6 marker never outweighs an object box under a flat map; ties go to pixel (0, 0), within 3 px of the marker
    assert.equal(row.markerBeatsObject, 0);
    assert.equal(row.markerDenser, 0);
    assert.ok(row.perImage.every((p) => Math.abs(p.densityRatio! - 1) < 1e-9));
    assert.equal(row.marker!.pointingGame, 1);
  });

  it('records a failing method and still returns the other rows; the HTML table lists both', async () => {
    const broken: Method = { info: { ...method.info, id: 'broken' }, explain: async () => Promise.reject(new Error('no gradients here')) };
    const result = await runShortcutBenchmark(model, items.slice(0, 4), { methods: [broken, method] });
    assert.equal(result.rows[0]!.error, 'no gradients here');
    assert.ok(Number.isNaN(result.rows[0]!.object.relevanceMass));
    assert.equal(result.rows[1]!.markerBeatsObject, 1);
    const html = shortcutSectionHtml([{ name: 'stand-in', source: 'marker-reader', result }]);
    assert.match(html, /failed: no gradients here/);
    assert.match(html, /<td>0 %<\/td><td>100 %<\/td><td>0\.00<\/td><td>1\.00<\/td>/); // PG object, PG marker, mass object, mass marker
  });

  it('deletion of the marker pixels first kills the prediction faster than insertion brings it back', async () => {
    const { rows } = await runShortcutBenchmark(model, items.slice(0, 4), { methods: [method], faithfulness: { images: 2 } });
    const row = rows[0]!;
    assert.equal(row.faithfulnessImages, 2);
    // 41 px per step: the 16 marker-interior pixels go in the first step, after which all logits equal the biases
    assert.ok(row.deletion! < 0.3, `deletion ${row.deletion}`);
    assert.ok(row.insertion! > 0.6, `insertion ${row.insertion}`);
  });
});

describe('example figure helpers', () => {
  it('outlineBox draws just outside the box and leaves the input untouched', () => {
    const image = { width: 10, height: 10, channels: 3 as const, data: new Uint8Array(300) };
    const out = outlineBox(image, [2, 2, 5, 5], [255, 0, 0]);
    assert.equal(image.data.reduce((a, b) => a + b, 0), 0);
    const red = (x: number, y: number): boolean => out.data[(y * 10 + x) * 3] === 255;
    assert.equal(red(1, 1), true);
    assert.equal(red(5, 5), true);
    assert.equal(red(3, 1), true);
    assert.equal(red(2, 2), false);
    assert.equal(red(4, 4), false);
    let count = 0;
    for (let p = 0; p < 100; p++) if (out.data[p * 3] === 255) count++;
    assert.equal(count, 16); // the ring of a 5×5 square
  });

  it('the example grid draws each attribution by the one display policy (src/render/display.ts)', () => {
    const image = { width: 8, height: 8, channels: 3 as const, data: Uint8Array.from({ length: 192 }, (_, i) => (i * 7) % 256) };
    // a signed method's map of one sign far from 0 (RISE logits): min–max, the whole colour scale
    const attribution = new Tensor(Float32Array.from({ length: 64 }, (_, p) => 3.2 + (1.9 * p) / 63), [1, 1, 8, 8]);
    const info = { signed: true, family: 'perturbation' };
    assert.equal(displayMap(attribution, info, image).scale, 'min-max');
    const grid = shortcutExampleGrid([{ id: 'a', image, objectBox: [2, 2, 5, 5], caption: 'a' }], ['m'], [{ method: 'rise', info, attributions: { m: { a: attribution } } }]);
    const expected = makeGrid(
      [[{ image: outlineBox(image, [2, 2, 5, 5], OBJECT_BOX_COLOR) }], [{ image: renderOverlay(image, attribution, info, { upscale: false }) }]],
      { rowHeaders: ['input', 'rise'], columnHeaders: ['#1 m'], upscale: 2, padding: 4 },
    );
    assert.deepEqual([grid.width, grid.height], [expected.width, expected.height]);
    assert.deepEqual(Buffer.from(grid.data), Buffer.from(expected.data));
  });
});
