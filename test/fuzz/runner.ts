/**
 * The fuzz cases of test/fuzz/fuzz.test.ts (a model is loaded, predicted, its layers listed and explained; an image
 * or .npy file is loaded and predicted), run in a child process so that a synchronous hang can be stopped: it prints
 * `start <i>` before each case and one JSON line after it; the parent kills it when a case takes too long.
 * Usage: node --import tsx test/fuzz/runner.ts <seed> <first> <count>
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/api.js';
import { isLumenError } from '../../src/errors.js';
import { encodeNpy } from '../../src/io/npy.js';
import { getMethod } from '../../src/methods/registry.js';
import { LumenModel } from '../../src/model.js';
import { loadInput } from '../../src/node/inputs.js';
import { loadModel } from '../../src/node/load.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { Tensor } from '../../src/tensor.js';
import { fuzzCases, type FuzzCase } from '../../scripts/audit/mutants.js';

const [seed, first, count] = process.argv.slice(2).map(Number) as [number, number, number];
const runtime = nodeRuntime({ threads: 1 });
const dir = mkdtempSync(join(tmpdir(), 'lumen-fuzz-'));
const good = await loadModel('models/fashion-cnn.onnx', { runtime });

async function run(c: FuzzCase): Promise<string> {
  if (c.kind === 'model') {
    const model = LumenModel.fromBytes(c.bytes, { runtime, source: `mutant-${c.name}.onnx` });
    try {
      const x = model.zeroInput();
      x.data.fill(0.5);
      const top = await model.predict(x, 3);
      const layers = await model.layers();
      const map = await getMethod(c.method).explain(model, x);
      return `top ${top[0]!.map((p) => p.index).join(',')}, ${layers.length} layers, ${map.attribution.dims.join('x')}`;
    } finally {
      await model.dispose();
    }
  }
  const file = join(dir, `input${c.kind === 'npy' ? '.npy' : '.png'}`);
  writeFileSync(file, c.bytes);
  const { tensor } = await loadInput(file, good);
  const top = await good.predict(tensor, 1);
  return `class ${top[0]![0]!.index}`;
}

const cases = fuzzCases(seed, {
  models: [new Uint8Array(readFileSync('models/fashion-cnn.onnx')), new Uint8Array(readFileSync('models/shapes-clean.onnx'))],
  png: new Uint8Array(readFileSync('samples/fashion/9-ankle-boot.png')),
  npy: encodeNpy(Tensor.filled([1, 1, 28, 28], 0.25).data, [1, 1, 28, 28]),
}).slice(first, first + count);

for (const [k, c] of cases.entries()) {
  process.stdout.write(`start ${first + k} ${c.kind} ${c.name}\n`);
  let line: Record<string, unknown>;
  try {
    line = { i: first + k, kind: c.kind, name: c.name, outcome: 'ok', detail: await run(c) };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    line = isLumenError(e)
      ? { i: first + k, kind: c.kind, name: c.name, outcome: 'error', code: e.code, detail: message }
      : { i: first + k, kind: c.kind, name: c.name, outcome: 'crash', detail: e instanceof Error ? (e.stack ?? message) : message };
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
await good.dispose();
rmSync(dir, { recursive: true, force: true });
process.stdout.write('done\n');
