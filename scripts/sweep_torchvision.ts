/**
 * Dev script (not a test): run Lumen on the full-size torchvision exports of `scripts/export_torchvision.py sweep`
 * (.cache/torchvision) and print one markdown row per file: load (opset upgrade, batch opening), predict vs
 * PyTorch's logits, layers, Saliency vs PyTorch's input gradient, Grad-CAM, Integrated Gradients (completeness) and
 * RISE. Results also go to .cache/torchvision/results.json.
 *
 *   npx tsx scripts/sweep_torchvision.ts [name,name…]
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadModel } from '../src/node/load.js';
import { npyToTensor } from '../src/io/npy.js';
import { getMethod } from '../src/methods/registry.js';
import '../src/methods/cam/index.js';
import '../src/methods/gradient/index.js';
import '../src/methods/perturbation/index.js';
import { Tensor } from '../src/tensor.js';
import { relErr } from '../test/autodiff/helpers.js';

const DIR = '.cache/torchvision';
const read = (p: string): Tensor => npyToTensor(new Uint8Array(readFileSync(p)));
/** A little-endian '<f8' .npy (the float64 references) as numbers. */
function read64(path: string): Float64Array {
  const buf = readFileSync(path);
  const headerLen = buf.readUInt16LE(8);
  const start = 10 + headerLen;
  return new Float64Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
}
const short = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 160);

interface Row { file: string; [k: string]: string | number }

async function sweep(file: string, name: string): Promise<Row> {
  const row: Row = { file };
  const t0 = Date.now();
  let model;
  try {
    model = await loadModel(`${DIR}/${file}`, { session: { threads: 1 } });
  } catch (e) {
    row.load = `FAIL ${short(e)}`;
    return row;
  }
  row.load = `ok${model.opsetUpgrade ? ` (opset ${model.opsetUpgrade.fromOpset}→11)` : ''}${model.batchOpening ? ` (batch 1 opened, ${model.batchOpening.reshapes} reshapes)` : ''}`;
  const x = read(`${DIR}/${name}.input.npy`);
  const step = async (key: string, f: () => Promise<string>): Promise<void> => {
    try {
      row[key] = await f();
    } catch (e) {
      row[key] = `FAIL ${short(e)}`;
    }
  };
  await step('predict', async () => `${relErr((await model.forward(x)).logits.data, read(`${DIR}/${name}.logits.npy`).data).toExponential(1)}`);
  await step('layers', async () => {
    const layers = await model.layers();
    return `${layers.length}, default ${layers.find((l) => l.isDefault)?.name}`;
  });
  await step('saliency', async () => {
    const ours = (await getMethod('saliency').explain(model, x, { abs: false })).attribution.data;
    // against PyTorch's float32 gradient, and its float64 one where the floor pass saved it (*.saliency64.npy)
    const f64 = `${DIR}/${name}.saliency64.npy`;
    return `${relErr(ours, read(`${DIR}/${name}.saliency.npy`).data).toExponential(1)}${existsSync(f64) ? ` (f64 ref ${relErr(ours, read64(f64)).toExponential(1)})` : ''}`;
  });
  await step('gradcam', async () => {
    const a = (await getMethod('gradcam').explain(model, x)).attribution.data;
    return a.every((v) => Number.isFinite(v)) && Math.max(...a) > Math.min(...a) ? 'ok' : 'flat/NaN';
  });
  await step('ig', async () => {
    const one = x.item(0);
    const ig = await getMethod('integrated-gradients').explain(model, one, { steps: 16, internalBatchSize: 8, baseline: '0' });
    const k = ig.targets[0]!;
    const fx = (await model.forward(one)).logits.data[k]!;
    const f0 = (await model.forward(Tensor.zeros(one.dims))).logits.data[k]!;
    const sum = ig.attribution.data.reduce((a, b) => a + b, 0);
    return `completeness ${(Math.abs(sum - (fx - f0)) / Math.abs(fx - f0)).toFixed(3)}`;
  });
  await step('rise', async () => {
    const a = (await getMethod('rise').explain(model, x.item(0), { numMasks: 100, seed: 1 })).attribution.data;
    return a.every((v) => Number.isFinite(v)) ? 'ok' : 'NaN';
  });
  row.seconds = Math.round((Date.now() - t0) / 100) / 10;
  await model.dispose();
  return row;
}

async function main(): Promise<void> {
  // the exported files (index.json, written when the export script ends, adds the export failures)
  const index: Record<string, Record<string, string>> = existsSync(`${DIR}/index.json`) ? (JSON.parse(readFileSync(`${DIR}/index.json`, 'utf8')) as Record<string, Record<string, string>>) : {};
  for (const f of readdirSync(DIR)) {
    const m = /^(.+)\.opset\d+_(dynamic|fixed)\.onnx$/.exec(f);
    if (m) (index[m[1]!] ??= {})[f] = 'exported';
  }
  const only = process.argv[2]?.split(',');
  const resultsPath = `${DIR}/results.json`;
  const results: Record<string, Row> = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, Row>) : {};
  for (const [name, files] of Object.entries(index)) {
    if (only && !only.includes(name)) continue;
    for (const [file, status] of Object.entries(files)) {
      const row = status === 'exported' ? await sweep(file, name) : { file, load: status };
      results[file] = row;
      writeFileSync(resultsPath, JSON.stringify(results, null, 1));
      console.log(`| ${[row.file, row.load, row.predict, row.layers, row.saliency, row.gradcam, row.ig, row.rise, row.seconds].map((v) => v ?? '').join(' | ')} |`);
    }
  }
}

await main();
