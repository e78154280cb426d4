/**
 * The web app's concept views over picked folders, in Debian's Chromium on onnxruntime-web: TCAV, prototypes and
 * criticisms, CRAFT and nearest dataset images give the Node library's numbers on the same image files (the
 * shapes-shortcut benchmark model, generated shapes), and each names its bad input (too few images, empty folder).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateShapeSample, type ShapeSampleOptions } from '../../src/datasets/shapes.js';
import { craft } from '../../src/methods/concepts/craft.js';
import { getConceptMethod } from '../../src/methods/concepts/registry.js';
import { deepFeatureFactorization } from '../../src/methods/concepts/dff.js';
import { mmdCritic, nearestByCosine } from '../../src/methods/concepts/examples.js';
import { layerActivations, pooled } from '../../src/methods/concepts/layer.js';
import { tcavConcepts } from '../../src/methods/concepts/tcav.js';
import { encodePng } from '../../src/node/image-file.js';
import { loadInput } from '../../src/node/inputs.js';
import { loadModel } from '../../src/node/load.js';
import type { LumenModel } from '../../src/model.js';
import { Tensor } from '../../src/tensor.js';
import { openWebApp, requireChromium, webAppDist } from '../helpers/chromium.js';
import type { ConceptViewsHook } from '../../web/src/concept-views.js';

type Dff = { runs: number; busy: boolean; result?: { layer: string; k: number; dims: number[]; maps: number[]; probabilities: number[]; canvases: number; input?: { dims: number[]; data: number[] } } };
type Hooks = { __lumen?: { ready: boolean; model(): { name: string } | undefined; input(): { dims: number[] } | undefined }; __lumenConceptViews?: ConceptViewsHook; __lumenConcepts?: Dff };
type View = keyof ConceptViewsHook;

const MODEL = resolve('models/shapes-shortcut.onnx');
const TRIANGLE = 2;

/** `count` generated shapes as PNGs in `dir` (the first that pass `keep`), named so they sort in generation order. */
async function writeShapes(dir: string, seed: number, count: number, options: ShapeSampleOptions, keep: (s: ReturnType<typeof generateShapeSample>) => boolean = () => true, prefix = 'img'): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const s = generateShapeSample(seed, i, options);
    if (!keep(s)) continue;
    const path = join(dir, `${prefix}-${String(out.length).padStart(3, '0')}.png`);
    writeFileSync(path, await encodePng({ width: s.width, height: s.height, channels: 3, data: s.image }));
    out.push(path);
  }
  return out;
}

/** Files as the page orders a picked folder: by relative path. */
const sorted = (paths: string[]): string[] => [...paths].sort();

async function batchOf(model: LumenModel, files: readonly string[]): Promise<Tensor> {
  const parts: Tensor[] = [];
  for (const f of files) parts.push((await loadInput(f, model)).tensor);
  return Tensor.concat(parts);
}

const relClose = (a: number, b: number, tol: number): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));

test('web app concept views: TCAV, prototypes/criticisms, CRAFT and dataset neighbours equal the Node library; bad folders are named', { timeout: 600_000 }, async (t) => {
  requireChromium();
  const dir = mkdtempSync(join(tmpdir(), 'lumen-concept-views-'));
  const dist = await webAppDist();
  const app = await openWebApp(dist, { viewport: { width: 1280, height: 900 } });
  const model = await loadModel(MODEL);
  try {
    // the image sets: the triangle's marker as the concept (on any shape), unmarked random images, triangles as inputs
    const concept = sorted(await writeShapes(join(dir, 'marker'), 11, 10, { markerMode: 'random' }, (s) => s.marker.classIndex === TRIANGLE));
    const few = sorted(await writeShapes(join(dir, 'few'), 11, 3, { markerMode: 'random' }, (s) => s.marker.classIndex === TRIANGLE));
    const random = sorted(await writeShapes(join(dir, 'random'), 12, 16, { markerMode: 'none' }));
    // a second concept: unmarked circles (a concept the triangle does not rise along)
    const circlesConcept = sorted(await writeShapes(join(dir, 'circles'), 15, 10, { markerMode: 'none', label: 0 }));
    // two random folders of 8: two random sets (run r against folder r), as `lumen tcav --random A --random B`
    mkdirSync(join(dir, 'random-b'));
    for (const f of random.slice(8)) renameSync(f, join(dir, 'random-b', f.split('/').pop()!));
    const inputs = sorted(await writeShapes(join(dir, 'triangles'), 13, 4, { markerMode: 'none', label: TRIANGLE }));
    // a class folder of circles with 2 stars planted in it, and a star class folder of 3
    const circles = await writeShapes(join(dir, 'protos', 'circle'), 21, 8, { markerMode: 'none', label: 0 });
    const planted = await writeShapes(join(dir, 'protos', 'circle'), 22, 2, { markerMode: 'none', label: 3 }, () => true, 'odd');
    await writeShapes(join(dir, 'protos', 'star'), 23, 3, { markerMode: 'none', label: 3 });
    const craftFiles = sorted(await writeShapes(join(dir, 'craft'), 14, 4, { markerMode: 'consistent', label: TRIANGLE }));
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'README.txt'), 'no images here\n');
    const dataset = join(dir, 'dataset');
    mkdirSync(dataset);
    const datasetFiles = readdirSync('samples/shapes').filter((f) => f.endsWith('.png')).sort().slice(0, 8).map((f) => {
      copyFileSync(join('samples/shapes', f), join(dataset, f));
      return join(dataset, f);
    });
    const query = resolve('samples/shapes/003-star.png');

    const { page, pageErrors } = app;
    const hooks = (): Promise<ConceptViewsHook> => page.evaluate(() => (window as unknown as Hooks).__lumenConceptViews!);
    const run = async <V extends View>(view: V, button: string): Promise<ConceptViewsHook[V]> => {
      const before = (await hooks())[view].runs;
      await page.getByRole('button', { name: button, exact: true }).click();
      await page.waitForFunction(([v, n]) => { const h = (window as unknown as Hooks).__lumenConceptViews![v as View]; return h.runs > (n as number) && !h.busy; }, [view, before] as const, { timeout: 300_000 });
      return (await hooks())[view];
    };

    await page.goto(app.server.url);
    await page.waitForFunction(() => (window as unknown as Hooks).__lumen?.ready === true, undefined, { timeout: 180_000 });
    await page.locator('#model-file').setInputFiles([MODEL, resolve('models/shapes-shortcut.json')]);
    await page.waitForFunction(() => (window as unknown as Hooks).__lumen!.model()?.name === 'shapes-shortcut.onnx', undefined, { timeout: 60_000 });
    await page.locator('#image-files').setInputFiles(query);
    await page.waitForFunction(() => document.querySelector('#thumbs [aria-checked="true"]')?.getAttribute('aria-label') === '003-star');
    const layer = await page.locator('#layer').inputValue();
    // each view's form is generated from its concept method's metadata: one field per declared option
    for (const [id, box] of [['tcav', 'tcav'], ['prototypes', 'prototypes'], ['craft', 'craft'], ['neighbors', 'dataset']] as const) {
      const names = getConceptMethod(id).info.options.map((o) => o.name);
      assert.deepEqual(await page.locator(`#${box}-options [name]`).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).name)), names, id);
    }
    assert.equal(layer, await model.defaultLayer());

    // ---- TCAV: 2 concept folders (10 marker, 10 circles), 2 random folders of 8 (two random sets, so 2 runs, the
    // null = the 2 ordered pairs of folders), 4 target-class images, at the 8×8 max-pool (the last conv layer's
    // gradient is the same for every input behind a GAP→Gemm head, so its scores are all 0 or 1: docs/concepts.md)
    const tcavLayer = '/features/features.11/MaxPool_output_0';
    await page.locator('#layer').selectOption(tcavLayer);
    const runsField = page.locator('#opt-concept-tcav-runs');
    assert.equal(await runsField.inputValue(), '10', 'no random folder: the metadata default');
    await page.locator('#tcav-concept').setInputFiles(join(dir, 'marker'));
    await page.locator('#tcav-concept').setInputFiles(join(dir, 'circles'));
    assert.deepEqual(await page.locator('#tcav-concept-list li').allTextContents(), ['marker: 10 images', 'circles: 10 images']);
    await page.locator('#tcav-random').setInputFiles(join(dir, 'random'));
    assert.deepEqual([await runsField.inputValue(), await runsField.getAttribute('max')], ['10', '1000'], 'one random folder: subsampled per run');
    await page.locator('#tcav-random').setInputFiles(join(dir, 'random-b'));
    assert.deepEqual(await page.locator('#tcav-random-list li').allTextContents(), ['random: 8 images', 'random-b: 8 images']);
    assert.deepEqual([await runsField.inputValue(), await runsField.getAttribute('max')], ['2', '2'], 'runs follow the random folders');
    await page.locator('#tcav-inputs').setInputFiles(join(dir, 'triangles'));
    await page.locator('#tcav-target').fill('triangle');
    const tv = await run('tcav', 'Run TCAV');
    assert.equal(tv.error, undefined);
    const tb = tv.result!;
    assert.deepEqual(tb.counts, { concepts: [10, 10], random: [8, 8], inputs: 4 });
    const randomB = random.slice(8).map((f) => join(dir, 'random-b', f.split('/').pop()!));
    const tn = await tcavConcepts(model, { concepts: [await batchOf(model, concept), await batchOf(model, circlesConcept)], random: [await batchOf(model, random.slice(0, 8)), await batchOf(model, randomB)], inputs: await batchOf(model, inputs) }, { layer: tcavLayer, target: TRIANGLE });
    t.diagnostic(`TCAV browser ${tb.concepts.map((c) => `${c.concept}: [${c.conceptScores}] vs [${c.randomScores}] p ${c.pValue}`).join('; ')}; node p ${tn.map((r) => r.pValue).join(', ')}; threshold ${tb.concepts[0]!.threshold}`);
    assert.equal(tb.layer, tcavLayer);
    assert.deepEqual([tb.runs, tb.randomSets, tb.randomPairs], [2, 2, [[0, 1], [1, 0]]]);
    assert.deepEqual(tb.randomPairs, tn[0]!.randomPairs);
    assert.deepEqual(tb.concepts.map((c) => c.concept), ['marker', 'circles']);
    assert.equal(tn.length, 2);
    tn.forEach((n, k) => {
      const b = tb.concepts[k]!;
      assert.deepEqual(b.conceptScores, n.conceptScores, `concept ${k} scores`);
      assert.deepEqual(b.randomScores, n.randomScores, `concept ${k} random scores`);
      assert.deepEqual(b.cavAccuracy, n.cavAccuracy);
      assert.equal(b.score, n.score);
      assert.equal(b.pValue, n.pValue, `concept ${k} p`);
      assert.equal(b.t, n.t);
      assert.equal(b.threshold, n.threshold);
      assert.equal(b.significant, n.significant);
      assert.equal(b.direction, n.direction);
    });
    // Bonferroni over the 2 concepts; the two concepts' numbers differ (the view did not show one concept twice)
    assert.equal(tb.concepts[0]!.threshold, 0.05 / 2);
    assert.notDeepEqual(tb.concepts[0]!.conceptScores, tb.concepts[1]!.conceptScores);
    assert.ok(tb.concepts.every((c) => Number.isFinite(c.pValue) && c.pValue > 0 && c.pValue <= 1));
    assert.equal(await page.locator('#tcav-out table.tcav-concepts tr').count(), 1 + 2);
    assert.deepEqual(await page.locator('#tcav-out table.tcav-concepts tr td:first-child').allTextContents(), ['marker', 'circles']);
    assert.equal(await page.locator('#tcav-out table.tcav-runs').count(), 2);
    assert.equal(await page.locator('#tcav-out table.tcav-null tr').count(), 1 + 2);
    assert.equal(await page.locator('#tcav-out figure.distribution circle').count(), 2 * (2 + 2));
    const summary = (await page.locator('#tcav-out .tcav-summary').textContent())!;
    assert.match(summary, /2 runs, run r against random folder r \(random, random-b\)/);
    assert.match(summary, /p < 0\.0250 \(alpha \/ 2, Bonferroni over 2 concepts/);
    assert.match((await page.locator('#tcav-out table.tcav-concepts tr').nth(1).textContent())!, new RegExp(`${tn[0]!.score.toFixed(3)} ± `));
    assert.equal(await page.locator('#tcav-progress').evaluate((e) => (e as HTMLProgressElement).value), 1);
    // Cancel: clicked in the same task as Run, so the run stops at its first check (after decoding the first image)
    const runsBefore = (await hooks()).tcav.runs;
    await page.evaluate(() => {
      (document.getElementById('tcav-run') as HTMLButtonElement).click();
      (document.getElementById('tcav-cancel') as HTMLButtonElement).click();
    });
    await page.waitForFunction((n) => { const h = (window as unknown as Hooks).__lumenConceptViews!.tcav; return h.runs > n && !h.busy; }, runsBefore);
    const cancelled = (await hooks()).tcav;
    assert.equal(await page.locator('#tcav-status').textContent(), 'Cancelled');
    assert.equal(cancelled.error, undefined);
    assert.deepEqual(cancelled.result, tb, 'a cancelled run leaves the last result');
    assert.equal(await page.locator('#tcav-progress').evaluate((e) => (e as HTMLProgressElement).value), 0);
    // bad input: more runs than random folders, in the library's words (before any image is read)
    await runsField.fill('3');
    const tRuns = await run('tcav', 'Run TCAV');
    assert.equal(tRuns.error, 'TCAV: 3 runs need 3 random sets (run r is trained against random set r, as tensorflow/tcav); 2 given: ask for at most 2 runs, or give one random set to subsample per run');
    await assert.rejects(tcavConcepts(model, { concepts: [await batchOf(model, concept)], random: [await batchOf(model, random.slice(0, 8)), await batchOf(model, randomB)], inputs: await batchOf(model, inputs) }, { layer: tcavLayer, target: TRIANGLE, runs: 3 }), { message: tRuns.error });
    // the random list cleared: the runs field (at its automatic 2) goes back to the metadata default
    await runsField.fill('2');
    await page.getByRole('button', { name: 'Clear random folders' }).click();
    assert.equal(await runsField.inputValue(), '10');
    await page.locator('#tcav-random').setInputFiles(join(dir, 'random'));
    await page.locator('#tcav-random').setInputFiles(join(dir, 'random-b'));
    // bad input: 3 concept images
    await page.getByRole('button', { name: 'Clear concept folders' }).click();
    assert.equal(await page.locator('#tcav-concept-list li').count(), 0);
    // bad input: 3 concept images
    await page.locator('#tcav-concept').setInputFiles(join(dir, 'few'));
    const tBad = await run('tcav', 'Run TCAV');
    assert.match(tBad.error ?? '', /3 concept images; at least 10 are needed/);
    assert.match((await page.locator('#tcav-status').textContent())!, /at least 10 are needed/);
    assert.equal(few.length, 3);
    await page.locator('#layer').selectOption(layer);

    // ---- prototypes and criticisms over the circle class folder
    await page.locator('#prototypes-dataset').setInputFiles(join(dir, 'protos'));
    await page.locator('#prototypes-class').selectOption('circle');
    await page.locator('#opt-concept-prototypes-prototypes').fill('2');
    await page.locator('#opt-concept-prototypes-criticisms').fill('2');
    const pv = await run('prototypes', 'Find prototypes');
    assert.equal(pv.error, undefined);
    const pb = pv.result!;
    const circleFiles = sorted([...circles, ...planted]);
    assert.deepEqual(pb.files, circleFiles.map((f) => `protos/circle/${f.split('/').pop()}`));
    const pe = pooled((await layerActivations(model, await batchOf(model, circleFiles), layer)).maps);
    const pn = mmdCritic(pe, circleFiles.length, pe.length / circleFiles.length, { prototypes: 2, criticisms: 2 });
    t.diagnostic(`MMD-critic prototypes ${pb.prototypes} criticisms ${pb.criticisms} witness ${pb.witness.map((w) => w.toFixed(5))}`);
    assert.deepEqual(pb.prototypes, pn.prototypes);
    assert.deepEqual(pb.criticisms, pn.criticisms);
    pb.witness.forEach((w, i) => assert.ok(Math.abs(w - pn.witness[i]!) < 1e-5, `witness ${i}: ${w} vs ${pn.witness[i]}`));
    assert.ok(relClose(pb.gamma, pn.gamma, 1e-4));
    // the planted stars are the criticisms
    assert.deepEqual(pb.criticisms.map((i) => pb.files[i]!.split('/').pop()!.slice(0, 3)).sort(), ['odd', 'odd']);
    assert.equal(await page.locator('#prototypes-out .prototypes figure').count(), 2);
    assert.equal(await page.locator('#prototypes-out .criticisms figure').count(), 2);
    // bad input: the star class folder has 3 images for 2 + 2
    await page.locator('#prototypes-class').selectOption('star');
    const pBad = await run('prototypes', 'Find prototypes');
    assert.match(pBad.error ?? '', /MMD-critic: 2 prototypes \+ 2 criticisms, but only 3 images/);

    // ---- CRAFT over 4 marked triangles, k = 3
    await page.locator('#craft-dataset').setInputFiles(join(dir, 'craft'));
    await page.locator('#craft-target').fill(String(TRIANGLE));
    await page.locator('#opt-concept-craft-k').fill('3');
    const cv = await run('craft', 'Find CRAFT concepts');
    assert.equal(cv.error, undefined);
    const cb = cv.result!;
    const cn = await craft(model, await batchOf(model, craftFiles), { layer, k: 3, target: TRIANGLE, seed: 0 });
    assert.equal(cb.importanceMethod, 'sobol');
    t.diagnostic(`CRAFT importance browser ${cb.importance.map((v) => v.toPrecision(5))} node ${cn.importance.map((v) => v.toPrecision(5))}; relative error ${cb.relativeError.toFixed(5)}`);
    assert.equal(cb.crops, cn.crops.length);
    assert.deepEqual(cb.order, cn.order);
    assert.deepEqual(cb.atlas, cn.atlas);
    cb.importance.forEach((v, j) => assert.ok(relClose(v, cn.importance[j]!, 1e-3), `importance ${j}: ${v} vs ${cn.importance[j]}`));
    assert.ok(Math.abs(cb.relativeError - cn.relativeError) < 1e-4);
    assert.equal(await page.locator('#craft-out .atlas-row').count(), 3);
    assert.equal(await page.locator('#craft-out .atlas canvas').count(), cn.atlas.reduce((a, r) => a + r.length, 0));
    // bad input: a folder without images
    await page.locator('#craft-dataset').setInputFiles(empty);
    const cBad = await run('craft', 'Find CRAFT concepts');
    assert.match(cBad.error ?? '', /CRAFT dataset folder: the folder empty holds no images \(1 other file/);

    // ---- nearest dataset images to the selected star, then again from the in-memory cache
    await page.locator('#dataset-folder').setInputFiles(dataset);
    await page.locator('#opt-concept-neighbors-k').fill('4');
    const nv = await run('neighbors', 'Search the folder');
    assert.equal(nv.error, undefined);
    const nb = nv.result!;
    assert.deepEqual([nb.cached, nb.computed], [0, 8]);
    const de = pooled((await layerActivations(model, await batchOf(model, datasetFiles), layer)).maps);
    const qe = pooled((await layerActivations(model, (await loadInput(query, model)).tensor, layer)).maps);
    const nn = nearestByCosine(qe, de, datasetFiles.length, qe.length, 4);
    t.diagnostic(`neighbours ${nb.hits.map((h) => `${nb.files[h.index]}:${h.similarity.toFixed(4)}`).join(' ')}`);
    assert.deepEqual(nb.hits.map((h) => h.index), nn.map((h) => h.index));
    nb.hits.forEach((h, i) => assert.ok(Math.abs(h.similarity - nn[i]!.similarity) < 1e-5, `similarity ${i}`));
    assert.equal(nb.files[nb.hits[0]!.index], 'dataset/003-star.png', 'the query file itself is nearest');
    assert.ok(nb.hits[0]!.similarity > 0.9999);
    assert.equal(await page.locator('#dataset-out figure').count(), 4);
    const again = (await run('neighbors', 'Search the folder')).result!;
    assert.deepEqual([again.cached, again.computed], [8, 0], 'second query: every embedding from the cache');
    assert.deepEqual(again.hits, nb.hits);
    // bad input: a folder without images
    await page.locator('#dataset-folder').setInputFiles(empty);
    const nBad = await run('neighbors', 'Search the folder');
    assert.match(nBad.error ?? '', /Neighbours dataset folder: the folder empty holds no images/);

    // ---- DFF over every loaded image (the bundled samples and the star): one concept bank for the set
    await page.locator('#concept-all').check();
    await page.locator('#opt-concept-dff-k').fill('3');
    await page.getByRole('button', { name: 'Find concepts' }).click();
    await page.waitForFunction(() => ((window as unknown as Hooks).__lumenConcepts?.runs ?? 0) >= 1 && !(window as unknown as Hooks).__lumenConcepts!.busy, undefined, { timeout: 300_000 });
    const dff = (await page.evaluate(() => (window as unknown as Hooks).__lumenConcepts!.result))!;
    const n = dff.input!.dims[0]!;
    assert.ok(n >= 2, `${n} loaded images`);
    assert.equal(dff.canvases, n);
    assert.equal(await page.locator('#concepts-out canvas').count(), n);
    const dn = await deepFeatureFactorization(model, new Tensor(Float32Array.from(dff.input!.data), dff.input!.dims), { layer, k: 3, seed: 0 });
    assert.deepEqual(dff.dims, [...dn.upsampled.dims]);
    const pd = Math.max(...dn.conceptProbabilities!.data.map((v, i) => Math.abs(v - dff.probabilities[i]!)));
    let md = 0;
    dn.upsampled.data.forEach((v, i) => (md = Math.max(md, Math.abs(v - dff.maps[i]!))));
    t.diagnostic(`DFF over ${n} images: max |browser − node| probabilities ${pd.toExponential(2)}, maps ${md.toExponential(2)}`);
    assert.ok(pd <= 1e-5 && md <= 1e-4, `DFF differs: ${pd}, ${md}`);

    assert.deepEqual(pageErrors, []);
  } finally {
    await model.dispose();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
