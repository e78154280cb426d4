/**
 * Dev check (issue 3): Lumen's Integrated Gradients, in float32 and with precision float64, against Captum's IG
 * arithmetic run by PyTorch in float64 on the same exported graphs (written by `scripts/ig_reference_probe.py
 * conformance --save DIR`). Usage: npx tsx scripts/compare-ig-float64.ts DIR
 */
import { readFileSync } from 'node:fs';
import { npyToTensor, parseNpy } from '../src/io/npy.js';
import { loadAllMethods } from '../src/methods/load-all.js';
import { getMethod } from '../src/methods/registry.js';
import { loadModel } from '../src/node/load.js';

interface Row { model: string; input_file: string; target: number; method: string; computed_in: string; params: { method?: string; n_steps: number } }

/** The float64 values of a .npy file (the probe keeps them in double). */
function readFloat64Npy(path: string): Float64Array {
  const { data } = parseNpy(new Uint8Array(readFileSync(path)));
  if (!(data instanceof Float64Array)) throw new Error(`${path}: expected float64 data`);
  return data;
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: npx tsx scripts/compare-ig-float64.ts DIR (from ig_reference_probe.py --save DIR)');
await loadAllMethods();
const manifest = JSON.parse(readFileSync('conformance/manifest.json', 'utf8')) as { references: Row[] };
for (const r of manifest.references) {
  if (r.method !== 'IntegratedGradients' || r.computed_in !== 'float32') continue;
  const method = r.params.method ?? 'gausslegendre';
  const exact = readFloat64Npy(`${dir}/ig64_${r.model}_${method}.npy`);
  const scale = exact.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const model = await loadModel(`conformance/models/${r.model}.onnx`);
  const x = npyToTensor(new Uint8Array(readFileSync(`conformance/${r.input_file}`)));
  const line = [r.model, method];
  for (const precision of ['float32', 'float64']) {
    const e = await getMethod('integrated-gradients').explain(model, x, { target: r.target, steps: r.params.n_steps, method, baseline: 'zeros', internalBatchSize: r.params.n_steps, precision });
    let worst = 0;
    e.attribution.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - exact[i]!))));
    line.push(`Lumen ${precision}: ${(worst / scale).toExponential(2)}`);
  }
  console.log(line.join('  '));
  await model.dispose();
}
