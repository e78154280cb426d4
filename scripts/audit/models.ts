/**
 * Audit categories `models` and `files`: mutated ONNX models (byte-level and structural) loaded, predicted, their
 * layers listed and explained; mutated PNG and .npy inputs loaded and predicted. A result must hold only finite numbers
 * (a NaN map returned as a result is a failure); the mutants that must be refused say so (`expect: 'error'`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '../../src/api.js';
import { isLumenError } from '../../src/errors.js';
import { encodeNpy } from '../../src/io/npy.js';
import { getMethod } from '../../src/methods/registry.js';
import { LumenModel } from '../../src/model.js';
import { loadInput } from '../../src/node/inputs.js';
import { loadModel } from '../../src/node/load.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { mulberry32 } from '../../src/random.js';
import { Tensor } from '../../src/tensor.js';
import { attempt, MODEL, SAMPLE, SHAPES_MODEL, tempDir, type AuditCase, type Category } from './common.js';
import { byteMutant, npyMutant, STRUCTURAL, structuralMutant } from './mutants.js';

interface BytesCase extends AuditCase {
  bytes: Uint8Array;
  method?: string;
  /** files: the name the bytes are written under (its extension picks the decoder). */
  file?: string;
  /** files: a path read as it is (a device, a folder) instead of written bytes. */
  path?: string;
}

/** A model case's explain call is cancelled after this long (the case's hang limit is larger: `timeoutMs`). */
const ABORT_MS = 15_000;
const METHODS = ['saliency', 'gradcam', 'occlusion', 'integrated-gradients'];
/** Structural kinds that must be refused, by the name their edit returns. */
const MUST_REFUSE = /identity cycle at the output|^4-D output|^output = input|^input dim \d+ = (1099511627776|-7|0)$/;

const runtime = (() => {
  let r: ReturnType<typeof nodeRuntime> | undefined;
  return () => (r ??= nodeRuntime({ threads: 1 }));
})();

const finite = (t: Tensor, what: string): void => {
  const bad = t.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`${what} holds non-finite values (index ${bad}) but was returned as a result`);
};

export const models: Category<BytesCase> = {
  name: 'models',
  title: 'mutated ONNX models: byte-level truncations/flips/insertions/deletions, structural edits (unknown ops, missing initializers, cycles, wrong dtypes, bad Conv attributes, huge dims, Identity cycle at the output, 4-D output, output = input)',
  // a 100000×28 input takes ~10 s to predict on a loaded machine, and occlusion sees its signal between batches
  timeoutMs: 180_000,
  slice: 8,
  plan(seed) {
    const rnd = mulberry32(seed);
    const sources = [new Uint8Array(readFileSync(MODEL)), new Uint8Array(readFileSync(SHAPES_MODEL))];
    const cases: BytesCase[] = [];
    for (let i = 0; i < 300; i++) {
      const m = byteMutant(sources[i % 2]!, rnd);
      cases.push({ id: `models/${cases.length}`, name: `bytes ${m.name}`, bytes: m.bytes, method: METHODS[i % METHODS.length] });
    }
    for (let i = 0; i < 145; i++) {
      const m = structuralMutant(sources[i % 2]!, rnd, i % STRUCTURAL.length);
      const refuse = m.name.split(' + ').some((n) => MUST_REFUSE.test(n));
      cases.push({ id: `models/${cases.length}`, name: `structure ${m.name}`, bytes: m.bytes, method: METHODS[i % METHODS.length], ...(refuse ? { expect: 'error' as const } : {}) });
    }
    return cases;
  },
  run: (c) =>
    attempt(async () => {
      const model = LumenModel.fromBytes(c.bytes, { runtime: runtime(), source: 'mutant.onnx' });
      try {
        const x = model.zeroInput();
        x.data.fill(0.5);
        const top = await model.predict(x, 3);
        for (const p of top[0]!) if (!Number.isFinite(p.probability)) throw new Error(`a prediction of probability ${p.probability} was returned`);
        const layers = await model.layers();
        // A huge declared input makes honest work long (occlusion of 100000×28: 150 000 passes): such a run must stop
        // on its AbortSignal; one that does not is a hang.
        const signal = AbortSignal.timeout(ABORT_MS);
        let map;
        try {
          map = await getMethod(c.method!).explain(model, x, { signal, ...(c.method === 'integrated-gradients' ? { steps: 8 } : {}) });
        } catch (e) {
          if (signal.aborted && isLumenError(e) && e.code === 'CANCELLED') return `long run, stopped by its AbortSignal after ${ABORT_MS / 1000} s`;
          throw e;
        }
        finite(map.attribution, 'the attribution');
        return `top ${top[0]!.map((p) => p.index).join(',')}, ${layers.length} layers, ${c.method} ${map.attribution.dims.join('x')}`;
      } finally {
        await model.dispose();
      }
    }),
};

let fileDir: string | undefined;
let good: Promise<LumenModel> | undefined;

export const files: Category<BytesCase> = {
  name: 'files',
  title: 'mutated inputs: PNG byte mutants, .npy mutants (hostile headers, 2^40 shapes, NaN data), empty files, folders and devices given as inputs',
  timeoutMs: 30_000,
  slice: 6,
  plan(seed) {
    const rnd = mulberry32(seed + 1);
    const png = new Uint8Array(readFileSync(SAMPLE));
    const npy = encodeNpy(Tensor.filled([1, 1, 28, 28], 0.25).data, [1, 1, 28, 28]);
    const cases: BytesCase[] = [];
    const add = (c: Omit<BytesCase, 'id'>): void => void cases.push({ id: `files/${cases.length}`, ...c });
    for (let i = 0; i < 60; i++) {
      const m = byteMutant(png, rnd);
      add({ name: `png ${m.name}`, bytes: m.bytes, file: 'input.png' });
    }
    for (let i = 0; i < 45; i++) {
      const m = npyMutant(npy, rnd);
      add({ name: m.name, bytes: m.bytes, file: 'input.npy', ...(/NaN|Infinity/.test(m.name) ? { expect: 'error' as const } : {}) });
    }
    const nan = Tensor.filled([1, 1, 28, 28], 0.5);
    nan.data[3] = Number.NaN;
    add({ name: '.npy with a NaN pixel', bytes: encodeNpy(nan.data, nan.dims), file: 'nan.npy', expect: 'error' });
    add({ name: 'empty .png', bytes: new Uint8Array(0), file: 'empty.png', expect: 'error' });
    add({ name: 'empty .npy', bytes: new Uint8Array(0), file: 'empty.npy', expect: 'error' });
    add({ name: 'a PNG named .npy', bytes: png, file: 'png.npy' });
    add({ name: 'a .npy named .png', bytes: npy, file: 'npy.png' });
    add({ name: 'a folder named x.png', bytes: new Uint8Array(0), path: 'folder.png', expect: 'error' });
    add({ name: '/dev/zero as an input', bytes: new Uint8Array(0), path: '/dev/zero', expect: 'error' });
    // (missing under the case's temp folder: the audit touches nothing outside its temp folders)
    add({ name: 'a missing input', bytes: new Uint8Array(0), path: 'missing/x.png', expect: 'error' });
    return cases;
  },
  run: (c) =>
    attempt(async () => {
      fileDir ??= tempDir('files');
      good ??= loadModel(MODEL, { runtime: runtime() });
      const model = await good;
      let path: string;
      if (c.path === 'folder.png') {
        path = join(fileDir, 'folder.png');
        mkdirSync(path, { recursive: true });
      } else if (c.path === 'missing/x.png') path = join(fileDir, c.path);
      else if (c.path) path = c.path;
      else {
        path = join(fileDir, c.file!);
        writeFileSync(path, c.bytes);
      }
      const { tensor } = await loadInput(path, model);
      const top = await model.predict(tensor, 1);
      if (!Number.isFinite(top[0]![0]!.probability)) throw new Error('a non-finite probability was returned');
      return `class ${top[0]![0]!.index}`;
    }),
};
