import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { generateShapeSample, type MarkerMode } from '../../src/datasets/shapes.js';
import { encodePng } from '../../src/node/image-file.js';
import { loadModel } from '../../src/node/load.js';
import { explainFiles } from '../../src/node/explain-files.js';
import { writeReport, writeRunInfo } from '../../src/node/report.js';
import { getMethod } from '../../src/methods/registry.js';
import '../../src/methods/cam/index.js';
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../helpers/chromium.js';
import { escapeXml } from '../../src/render/chart.js';

const MODEL = 'models/shapes-shortcut.onnx';

function lumen(...args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const imgCount = (html: string): number => (html.match(/<img src="data:image\/png;base64,/g) ?? []).length;

test('lumen report includes the concepts, CRAFT atlas, TCAV, neighbours and prototypes saved in its folder', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'lumen-concepts-report-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const shapes = readdirSync('samples/shapes').filter((f) => f.endsWith('.png')).sort().slice(0, 6);
  const dataset = join(out, 'data');
  mkdirSync(dataset);
  for (const f of shapes) copyFileSync(join('samples/shapes', f), join(dataset, f));
  const files = shapes.map((f) => join(dataset, f));

  const model = await loadModel(MODEL);
  await writeRunInfo(model, MODEL, out);
  const result = await explainFiles(model, files.slice(0, 2), { methods: [getMethod('gradcam')], targets: ['top1'], methodOptions: () => ({}), outDir: out });
  await model.dispose();
  assert.equal(result.failed, 0);
  const plain = readFileSync(writeReport(out), 'utf8');
  assert.equal(imgCount(plain), 4, '2 inputs + 2 overlays');
  assert.doesNotMatch(plain, /Deep Feature Factorization|TCAV|Nearest examples/);

  lumen('concepts', MODEL, ...files.slice(0, 4), '-k', '3', '--out', join(out, 'concepts'));
  lumen('craft', MODEL, '--dataset', dataset, '--target', '0', '-k', '3', '--out', join(out, 'craft'));
  const cache = join(out, 'emb.json');
  writeFileSync(join(out, 'neighbors.json'), lumen('neighbors', MODEL, files[0]!, '--dataset', dataset, '-k', '3', '--cache', cache, '--json'));
  writeFileSync(join(out, 'prototypes.json'), lumen('prototypes', MODEL, '--dataset', dataset, '--prototypes', '2', '--criticisms', '1', '--cache', cache, '--json'));
  // a real (small) TCAV run: 10 concept images (the fewest it takes), 16 random, 4 inputs, 3 runs
  const write = async (folder: string, seed: number, count: number, mode: MarkerMode, label?: number, keep: (s: ReturnType<typeof generateShapeSample>) => boolean = () => true): Promise<void> => {
    mkdirSync(folder, { recursive: true });
    for (let i = 0, n = 0; n < count; i++) {
      const s = generateShapeSample(seed, i, { markerMode: mode, ...(label !== undefined ? { label } : {}) });
      if (!keep(s)) continue;
      writeFileSync(join(folder, `${String(n++).padStart(3, '0')}.png`), await encodePng({ width: s.width, height: s.height, channels: 3, data: s.image }));
    }
  };
  await write(join(out, 'tcav', 'concept'), 41, 10, 'random', undefined, (s) => s.marker.classIndex === 2);
  await write(join(out, 'tcav', 'random'), 42, 16, 'none');
  await write(join(out, 'tcav', 'inputs'), 43, 4, 'none', 2);
  const tcavArgs = ['--concept', join(out, 'tcav', 'concept'), '--random', join(out, 'tcav', 'random'), '--inputs', join(out, 'tcav', 'inputs'), '--target', 'triangle', '--runs', '3', '--json'];
  writeFileSync(join(out, 'tcav.json'), lumen('tcav', MODEL, ...tcavArgs));

  const path = writeReport(out);
  const html = readFileSync(path, 'utf8');
  const dff = JSON.parse(readFileSync(join(out, 'concepts', 'concepts.json'), 'utf8')) as { layer: string; images: { share: number[] }[]; concepts: { topClasses: { label: string; probability: number }[] }[] };
  const nb = JSON.parse(readFileSync(join(out, 'neighbors.json'), 'utf8')) as { neighbors: { file: string; similarity: number }[] };
  const pr = JSON.parse(readFileSync(join(out, 'prototypes.json'), 'utf8')) as { prototypes: string[]; criticisms: { witness: number }[] };
  const craft = JSON.parse(readFileSync(join(out, 'craft', 'craft.json'), 'utf8')) as { importance: string; concepts: { importance: number }[] };
  const tcav = JSON.parse(readFileSync(join(out, 'tcav.json'), 'utf8')) as { score: number; pValue: number; significant: boolean; direction: string; threshold: number; layer: string; target: number; runs: number; randomScores: number[] };

  assert.match(html, new RegExp(`Concepts \\(Deep Feature Factorization, 3 concepts of ${dff.layer.replace(/[/.]/g, '\\$&')}\\)`));
  for (const s of dff.images[0]!.share) assert.ok(html.includes(`<td>${s.toFixed(3)}</td>`), `share ${s}`);
  const top = dff.concepts[0]!.topClasses[0]!;
  assert.ok(html.includes(`${top.label} ${top.probability.toFixed(3)}`));
  assert.match(html, /Concept atlas \(CRAFT-style, 3 concepts/);
  for (const c of craft.concepts) assert.ok(html.includes(`<td>${c.importance.toPrecision(3)}</td>`));
  assert.equal(craft.importance, 'sobol');
  assert.match(html, /ranked by total-order Sobol index/);
  // the TCAV row holds exactly the numbers `lumen tcav --json` printed
  assert.equal(tcav.runs, 3);
  assert.equal(tcav.target, 2);
  const randomMean = tcav.randomScores.reduce((a, b) => a + b, 0) / tcav.randomScores.length;
  const verdict = tcav.significant ? `significant (${tcav.direction} random)` : `not significant at ${tcav.threshold.toPrecision(3)}`;
  const esc = escapeXml;
  assert.ok(
    html.includes(`<td>${esc(tcav.layer)}</td><td>2</td><td>${tcav.score.toFixed(3)}</td><td>${randomMean.toFixed(3)}</td><td>${tcav.pValue.toPrecision(3)}</td><td>${verdict}</td>`),
    `TCAV row for ${JSON.stringify(tcav)}`,
  );
  assert.equal(nb.neighbors.length, 3);
  assert.ok(nb.neighbors[0]!.similarity > 0.9999, 'the query itself is in the dataset');
  for (const h of nb.neighbors) assert.ok(html.includes(`<td>${h.similarity.toFixed(4)}</td>`));
  assert.equal(pr.prototypes.length, 2);
  assert.ok(html.includes(`<td>${pr.criticisms[0]!.witness.toFixed(4)}</td>`));
  // 4 from the explain run + 4 concept maps + 1 atlas + 3 neighbours + 2 prototypes + 1 criticism
  assert.equal(imgCount(html), 4 + 4 + 1 + 3 + 2 + 1);

  requireChromium();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(pathToFileURL(path).href);
    const decoded = await page.$$eval('img', (imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length);
    assert.equal(decoded, 15, 'every inline image decodes');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
