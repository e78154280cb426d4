// registerMethod hands explain the options parsed against info.options: defaults applied, flag/form text converted,
// enums narrowed (typed from the declared list), and a bad boolean refused in the shared wording.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerMethod } from '../../src/methods/registry.js';
import type { ExplainOptions, MethodInfo } from '../../src/methods/types.js';
import type { LumenModel } from '../../src/model.js';
import { Tensor } from '../../src/tensor.js';

const OPTIONS = [
  { name: 'steps', type: 'integer', default: 5, min: 1, description: '' },
  { name: 'scale', type: 'number', min: 0, description: '' },
  { name: 'mode', type: 'enum', choices: ['a', 'b'], default: 'a', description: '' },
  { name: 'flag', type: 'boolean', default: true, description: '' },
  { name: 'baseline', type: 'string', default: 'zeros', description: '' },
] as const;

const info = {
  id: 'test-option-values', aliases: [], title: 'test', family: 'gradient', summary: '', needsGradients: false, needsBaseline: false,
  needsLayer: false, output: 'map', signed: false, cost: '', options: OPTIONS,
} as const satisfies MethodInfo;

let seen: Record<string, unknown> = {};
const method = registerMethod({
  info,
  async explain(_model, input, options) {
    // compile-time: the declared list types the values (a wrong type here fails `tsc`)
    const steps: number = options.steps;
    const scale: number | undefined = options.scale;
    const mode: 'a' | 'b' = options.mode;
    const flag: boolean = options.flag;
    seen = { steps, scale, mode, flag, baseline: options.baseline, target: options.target };
    return { method: info.id, attribution: new Tensor(new Float32Array(input.size), input.dims), targets: [0], extras: {}, timings: { compileMs: 0, runMs: 0 } };
  },
});

const model = { checkInput: () => undefined } as unknown as LumenModel;
const x = new Tensor(new Float32Array(4), [1, 1, 2, 2]);
const run = async (options?: ExplainOptions): Promise<Record<string, unknown>> => {
  await method.explain(model, x, options);
  return seen;
};

test('explain receives declared defaults, converted text and the caller’s other options', async () => {
  // a missing 'string' option gets its declared default too (a given one is passed as given: the method parses it)
  assert.deepEqual(await run(), { steps: 5, scale: undefined, mode: 'a', flag: true, baseline: 'zeros', target: undefined });
  assert.deepEqual(await run({ steps: null as unknown as number }), { steps: 5, scale: undefined, mode: 'a', flag: true, baseline: 'zeros', target: undefined });
  assert.deepEqual(await run({ steps: '12', scale: ' 0.5 ', mode: 'b', flag: 'false', baseline: 'blur', target: 3 }), { steps: 12, scale: 0.5, mode: 'b', flag: false, baseline: 'blur', target: 3 });
  assert.equal((await run({ flag: '1' })).flag, true);
  assert.equal((await run({ flag: '0' })).flag, false);
  // the CLI's text forms too (one accepted set: booleanOptionValue)
  assert.equal((await run({ flag: 'yes' })).flag, true);
  assert.equal((await run({ flag: 'no' })).flag, false);
});

test('a bad value is refused before explain runs, in the one wording', async () => {
  seen = {};
  await assert.rejects(method.explain(model, x, { flag: 'maybe' }), /^LumenError: test-option-values\.explain: flag must be true or false, got 'maybe'$/);
  await assert.rejects(method.explain(model, x, { steps: '2.5' }), /test-option-values\.explain: steps must be an integer, got '2\.5'/);
  await assert.rejects(method.explain(model, x, { mode: 'c' }), /test-option-values\.explain: mode must be one of a, b, got 'c'/);
  assert.deepEqual(seen, {});
});

test('limits that depend on the input stay in the method, in the same wording', async () => {
  const { getMethod } = await import('../../src/methods/registry.js');
  await import('../../src/methods/perturbation/index.js');
  const { segmentModel } = await import('./perturbation/helpers.js');
  const m = segmentModel(1, 8, 8, new Float32Array(64).fill(1), 1, (_g, sums) => sums);
  const x8 = Tensor.filled([1, 1, 8, 8], 1);
  // a RISE grid finer than the 8×8 image; a SLIC count above its 64 pixels; keep probability and kernel width 0
  // (declared minimum 2⁻⁵³ and exclusive minimum 0: refused by the spec, in the same wording as the input-dependent limits)
  await assert.rejects(getMethod('rise').explain(m, x8, { target: 0, gridSize: 9, numMasks: 4 }), /^LumenError: rise\.explain: gridSize must be within \[1, 8\], got 9$/);
  await assert.rejects(getMethod('rise').explain(m, x8, { target: 0, keepProbability: '0', numMasks: 4 }), /rise\.explain: keepProbability must be within \[1\.1102230246251565e-16, 1\], got 0/);
  await assert.rejects(getMethod('feature-ablation').explain(m, x8, { target: 0, nSegments: '65' }), /^LumenError: nSegments must be within \[1, 64\], got 65$/);
  await assert.rejects(getMethod('lime').explain(m, x8, { target: 0, kernelWidth: 0, numSamples: 4 }), /lime\.explain: kernelWidth must be within \(0, ∞\], got 0/);
  // and the typed values reach the method: a grid given as flag text runs like the number
  const a = await getMethod('rise').explain(m, x8, { target: 0, gridSize: '2', numMasks: '8', seed: 1 });
  const b = await getMethod('rise').explain(m, x8, { target: 0, gridSize: 2, numMasks: 8, seed: 1 });
  assert.deepEqual(Array.from(a.attribution.data), Array.from(b.attribution.data));
  assert.equal(a.extras.numMasks, 8);
});
