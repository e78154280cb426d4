/**
 * Issue 22: one validator for option values. The same bad value gets the same words from `explain` (library), the
 * CLI flag, a metric option (library and CLI) and the web app's form field; each names the place before them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { conceptOptionsFromFlags } from '../../src/cli/concept-flags.js';
import { integerFlag, methodOptionsFromFlags } from '../../src/cli/method-flags.js';
import { getConceptMethod, type ConceptMethodId } from '../../src/methods/concepts/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { getMethod, listMethods } from '../../src/methods/registry.js';
import { slic } from '../../src/methods/perturbation/segmentation.js';
import { booleanOptionValue, enumOptionProblem, numberOptionProblem } from '../../src/methods/validate.js';
import { evaluate } from '../../src/metrics/evaluate.js';
import { getMetric, parseMetricOptions, registerMetric } from '../../src/metrics/index.js';
import type { LumenModel } from '../../src/model.js';
import { loadModel } from '../../src/node/load.js';
import { Tensor } from '../../src/tensor.js';
import { readNumberField } from '../../web/src/forms.js';
import { messageOf } from '../helpers/errors.js';

let model: LumenModel;
const x = new Tensor(new Float32Array(28 * 28).fill(0.5), [1, 1, 28, 28]);
before(async () => {
  await loadAllMethods();
  model = await loadModel('models/fashion-cnn.onnx');
});
after(() => model.dispose());


const CASES: [method: string, option: string, flag: string, label: string, value: number | string, words: string][] = [
  ['rise', 'numMasks', '--num-masks', 'num masks', 0, 'must be within [1, 100000], got 0'],
  ['rise', 'numMasks', '--num-masks', 'num masks', '2.5', "must be an integer, got '2.5'"],
  ['rise', 'numMasks', '--num-masks', 'num masks', 'many', "must be an integer, got 'many'"],
  ['integrated-gradients', 'steps', '--steps', 'steps', 1e9, 'must be within [2, 100000], got 1000000000'],
  ['smoothgrad', 'stdev', '--stdev', 'stdev', -1, 'must be within [0, ∞], got -1'],
  ['smoothgrad', 'stdev', '--stdev', 'stdev', 'abc', "must be a finite number, got 'abc'"],
];

test('a bad method option value reads the same from explain, the CLI flag and the web form', async () => {
  for (const [id, option, flag, label, value, words] of CASES) {
    const method = getMethod(id);
    const spec = method.info.options.find((o) => o.name === option)!;
    assert.ok(spec, `${id} declares ${option}`);
    assert.equal(numberOptionProblem(spec, String(value), true), words);
    assert.equal(await messageOf(() => method.explain(model, x, { [option]: value })), `${id}.explain: ${option} ${words}`);
    assert.equal(await messageOf(() => methodOptionsFromFlags(method, { [option]: String(value) })), `${flag} (${id}) ${words}`);
    assert.equal(await messageOf(() => readNumberField(spec, String(value)), false), `${label} ${words}`);
  }
  // a blank value: the library and the flag refuse it alike (a blank form field means the default)
  const rise = getMethod('rise');
  assert.equal(await messageOf(() => rise.explain(model, x, { numMasks: ' ' })), "rise.explain: numMasks must be an integer, got ' '");
  assert.equal(await messageOf(() => methodOptionsFromFlags(rise, { numMasks: ' ' })), "--num-masks (rise) must be an integer, got ' '");
  // the web form's good values and blanks
  const steps = getMethod('integrated-gradients').info.options.find((o) => o.name === 'steps')!;
  assert.equal(readNumberField(steps, ' '), undefined);
  assert.equal(readNumberField(steps, '64'), 64);
});

test('a bad enum value reads the same from explain and the CLI flag (the web form offers only the choices)', async () => {
  const method = getMethod('lrp');
  const choices = method.info.options.find((o) => o.name === 'composite')!.choices!;
  assert.ok(choices.includes('epsilon-plus-flat') && !choices.includes('zplus'));
  const words = `must be one of ${choices.join(', ')}, got 'zplus'`;
  assert.equal(await messageOf(() => method.explain(model, x, { composite: 'zplus' })), `lrp.explain: composite ${words}`);
  assert.equal(await messageOf(() => methodOptionsFromFlags(method, { composite: 'zplus' })), `--composite (lrp) ${words}`);
  // a non-string is named, not turned into '[object Object]'
  assert.equal(await messageOf(() => method.explain(model, x, { composite: 3 as never })), `lrp.explain: composite must be one of ${choices.join(', ')}, got number 3`);
});

test('a bad metric option value reads the same from evaluate and from a CLI metric option', async () => {
  for (const [text, words] of [
    ['0', 'must be within [1, ∞], got 0'],
    ['2.5', "must be an integer, got '2.5'"],
    ['x', "must be an integer, got 'x'"],
  ] as const) {
    assert.equal(await messageOf(() => parseMetricOptions([`deletion.pixelsPerStep=${text}`])), `deletion.pixelsPerStep ${words}`);
    // library: refused before the explanation or any metric work
    let explained = 0;
    const explainer = async (): Promise<never> => {
      explained++;
      throw new Error('not reached');
    };
    assert.equal(
      await messageOf(() => evaluate(model, x, { explainer, metrics: ['deletion'], metricOptions: { deletion: { pixelsPerStep: text } } })),
      `deletion.pixelsPerStep ${words}`,
    );
    assert.equal(explained, 0);
  }
  const baseline = "deletion.baseline must be one of zero, mean, got 'blue'";
  assert.equal(await messageOf(() => parseMetricOptions(['deletion.baseline=blue'])), baseline);
  assert.equal(await messageOf(() => evaluate(model, x, { method: 'saliency', metrics: ['deletion'], metricOptions: { deletion: { baseline: 'blue' } } })), baseline);
  // a metric count is not capped at the methods' MAX_COUNT (pixelsPerStep grows with the image)
  assert.deepEqual(parseMetricOptions(['deletion.pixelsPerStep=200000']), { deletion: { pixelsPerStep: 200000 } });
});

test("baseline names: IG and DeepLIFT read only 'baseline', GradientSHAP only 'baselines'; the other spelling is refused, not aliased or ignored", async () => {
  const tensor = Tensor.zeros([1, 1, 28, 28]);
  for (const [id, other, declared] of [['integrated-gradients', 'baselines', 'baseline'], ['deeplift', 'baselines', 'baseline'], ['gradient-shap', 'baseline', 'baselines']] as const) {
    assert.ok(getMethod(id).info.options.some((o) => o.name === declared), `${id} declares ${declared}`);
    assert.equal(await messageOf(() => getMethod(id).explain(model, x, { [other]: tensor, steps: 2, samples: 2 })), `${id} has no option '${other}'; its option is '${declared}'`);
  }
});

test('CAM and attention options: the same words from explain, the CLI flag and the web form (numbers, enums, booleans)', async () => {
  for (const [id, option, label, value, words] of [
    ['scorecam', 'batchSize', 'batch size', 0, 'must be within [1, 100000], got 0'],
    ['ablationcam', 'batchSize', 'batch size', '1.5', "must be an integer, got '1.5'"],
    ['attention-rollout', 'discardRatio', 'discard ratio', 2, 'must be within [0, 1], got 2'],
  ] as const) {
    const method = getMethod(id);
    const spec = method.info.options.find((o) => o.name === option)!;
    assert.ok(spec, `${id} declares ${option}`);
    // checked before the model is looked at, so the CNN serves for the attention method too
    assert.equal(await messageOf(() => method.explain(model, x, { [option]: value })), `${id}.explain: ${option} ${words}`);
    assert.equal(await messageOf(() => readNumberField(spec, String(value)), false), `${label} ${words}`);
  }
  // the CLI: a method flag, and the command's --batch-size that CAMs read (integerFlag: same bounds, same words)
  assert.equal(await messageOf(() => methodOptionsFromFlags(getMethod('attention-rollout'), { discardRatio: '2' })), '--discard-ratio (attention-rollout) must be within [0, 1], got 2');
  assert.equal(await messageOf(() => integerFlag('batchSize', '0', 1)), '--batch-size must be within [1, 100000], got 0');
  const fusion = getMethod('attention-rollout');
  const choices = fusion.info.options.find((o) => o.name === 'headFusion')!.choices!;
  const enumWords = `must be one of ${choices.join(', ')}, got 'median'`;
  assert.equal(await messageOf(() => fusion.explain(model, x, { headFusion: 'median' })), `attention-rollout.explain: headFusion ${enumWords}`);
  assert.equal(await messageOf(() => methodOptionsFromFlags(fusion, { headFusion: 'median' })), `--head-fusion (attention-rollout) ${enumWords}`);
  // a boolean: explain and the CLI flag (the web form is a checkbox)
  const gradcam = getMethod('gradcam');
  assert.equal(await messageOf(() => gradcam.explain(model, x, { raw: 'maybe' })), "gradcam.explain: raw must be true or false, got 'maybe'");
  assert.equal(await messageOf(() => methodOptionsFromFlags(gradcam, { raw: 'maybe' })), "--raw (gradcam) must be true or false, got 'maybe'");
});

test("a metric's compute checks and parses its options itself (registerMetric), in evaluate's words; declared defaults applied", async () => {
  const attribution = new Tensor(Float32Array.from({ length: 28 * 28 }, (_, p) => p % 7), [1, 1, 28, 28]);
  const ctx = (options: Record<string, unknown>) => ({ model, input: x, attribution, target: 0, seed: 0, batchSize: 8, progress: () => {}, options });
  const cases: [metric: string, options: Record<string, unknown>, words: string][] = [
    ['infidelity', { samples: 0 }, 'infidelity.samples must be within [1, 1000000], got 0'],
    ['infidelity', { output: 'softmax' }, "infidelity.output must be one of logit, probability, got 'softmax'"],
    ['faithfulness-correlation', { runs: '1e7' }, 'faithfulness-correlation.runs must be within [2, 1000000], got 10000000'],
    ['max-sensitivity', { samples: 2e5 }, 'max-sensitivity.samples must be within [1, 100000], got 200000'],
    ['road', { noise: -1 }, 'road.noise must be within [0, ∞], got -1'],
  ];
  for (const [id, options, words] of cases) {
    assert.equal(await messageOf(() => getMetric(id).compute(ctx(options))), words, `${id} compute`);
    assert.equal(await messageOf(() => evaluate(model, x, { explanation: { method: 'test', attribution, targets: [0], extras: {}, timings: { compileMs: 0, runMs: 0 } }, target: 0, metrics: [id], metricOptions: { [id]: options } })), words, `${id} evaluate`);
    const [name, value] = Object.entries(options)[0]!;
    assert.equal(await messageOf(() => parseMetricOptions([`${id}.${name}=${String(value)}`])), words, `${id} CLI`);
  }
  // an input-dependent bound (subsets no larger than the image) in the same words
  assert.equal(await messageOf(() => getMetric('faithfulness-correlation').compute(ctx({ subsetSize: 1000, runs: 2 }))), 'subsetSize must be within [1, 784], got 1000');
  // declared defaults reach compute: infidelity reports the samples and σ it used
  const scored = await getMetric('infidelity').compute(ctx({}));
  assert.deepEqual([scored.details.samples, scored.details.sigma], [10, 0.003]);
  const flagged = await getMetric('infidelity').compute(ctx({ samples: '3', sigma: '0.01' }));
  assert.deepEqual([flagged.details.samples, flagged.details.sigma], [3, 0.01]);
});

test('a boolean option takes the same text forms from every entry point (true/false, 1/0, yes/no) and refuses the rest in the same words', async () => {
  const saliency = getMethod('saliency');
  // a metric with a boolean option (no built-in metric declares one), through compute, evaluate and --metric-option
  const seenFlip: unknown[] = [];
  const metric = registerMetric({
    info: {
      id: 'test-boolean-option', title: 'test', category: 'complexity', higherIsBetter: true, summary: '', passes: '0', source: '',
      needsExplainer: false, needsRegions: false,
      options: [{ name: 'flip', type: 'boolean', default: false, description: 'a boolean' }] as const,
    },
    compute: async (ctx) => {
      seenFlip.push(ctx.options.flip);
      return { value: ctx.options.flip ? 1 : 0, details: {} };
    },
  });
  const attribution = new Tensor(new Float32Array(28 * 28).fill(1), [1, 1, 28, 28]);
  const ctx = (options: Record<string, unknown>) => ({ model, input: x, attribution, target: 0, seed: 0, batchSize: 8, progress: () => {}, options });
  const signed = (await saliency.explain(model, x, { abs: false, target: 0 })).attribution.data;
  const absolute = (await saliency.explain(model, x, { abs: true, target: 0 })).attribution.data;
  assert.ok(signed.some((v) => v < 0), 'the signed map differs from the absolute one');
  for (const [text, value] of [['true', true], ['1', true], ['yes', true], ['false', false], ['0', false], ['no', false]] as const) {
    assert.equal(booleanOptionValue(text), value);
    // explain (library): the text is read as its boolean
    assert.deepEqual((await saliency.explain(model, x, { abs: text, target: 0 })).attribution.data, value ? absolute : signed, `abs: '${text}'`);
    // the CLI flag
    assert.deepEqual(methodOptionsFromFlags(saliency, { abs: text }), { abs: value });
    // a metric option: parsed by --metric-option, and by compute itself
    assert.deepEqual(parseMetricOptions([`test-boolean-option.flip=${text}`]), { 'test-boolean-option': { flip: value } });
    assert.equal((await metric.compute(ctx({ flip: text }))).value, value ? 1 : 0);
  }
  assert.deepEqual(seenFlip, [true, true, true, false, false, false]);
  // `--abs` alone (commander passes true) is true
  assert.deepEqual(methodOptionsFromFlags(saliency, { abs: true }), { abs: true });
  // the web form is a checkbox (a boolean, no text to read): nothing to refuse there
  for (const bad of ['maybe', 'YES', 'on', '']) {
    const words = `must be true or false, got '${bad}'`;
    assert.equal(booleanOptionValue(bad), undefined);
    assert.equal(await messageOf(() => saliency.explain(model, x, { abs: bad })), `saliency.explain: abs ${words}`);
    assert.equal(await messageOf(() => methodOptionsFromFlags(saliency, { abs: bad })), `--abs (saliency) ${words}`);
    assert.equal(await messageOf(() => parseMetricOptions([`test-boolean-option.flip=${bad}`])), `test-boolean-option.flip ${words}`);
    assert.equal(await messageOf(() => metric.compute(ctx({ flip: bad }))), `test-boolean-option.flip ${words}`);
    assert.equal(await messageOf(() => evaluate(model, x, { method: 'saliency', metrics: ['test-boolean-option'], metricOptions: { 'test-boolean-option': { flip: bad } } })), `test-boolean-option.flip ${words}`);
  }
});

test("SLIC compactness: its spec declares the exclusive minimum the code needs (> 0), so 0 reads like any other bad value from explain, the CLI, the web form and slic()", async () => {
  for (const id of ['lime', 'kernel-shap', 'feature-ablation']) {
    const method = getMethod(id);
    const spec = method.info.options.find((o) => o.name === 'compactness')!;
    assert.equal(spec.min, 0);
    assert.equal(spec.exclusiveMin, true);
    for (const [value, words] of [[0, 'must be within (0, ∞], got 0'], [-1, 'must be within (0, ∞], got -1'], ['x', "must be a finite number, got 'x'"]] as const) {
      // (was 'compactness must be within [1e-9, ∞], got 0', without the method's name, while -1 gave '[0, ∞]')
      assert.equal(await messageOf(() => method.explain(model, x, { compactness: value })), `${id}.explain: compactness ${words}`);
      assert.equal(await messageOf(() => methodOptionsFromFlags(method, { compactness: String(value) })), `--compactness (${id}) ${words}`);
      assert.equal(await messageOf(() => readNumberField(spec, String(value)), false), `compactness ${words}`);
    }
    assert.deepEqual(methodOptionsFromFlags(method, { compactness: '0.5' }), { compactness: 0.5 });
  }
  // the library function itself (was 'SLIC compactness must be > 0 (got 0)')
  const image = Float32Array.from({ length: 3 * 8 * 8 }, (_, i) => (i * 37 % 64) / 64);
  assert.equal(await messageOf(() => slic(image, 3, 8, 8, { compactness: 0 })), 'slic: compactness must be within (0, ∞], got 0');
  // any positive value is a value (1e-10 was refused by a hidden 1e-9 floor): finite labels, all pixels labelled
  const { labels, count } = slic(image, 3, 8, 8, { nSegments: 4, compactness: 1e-10 });
  assert.ok(count >= 1 && labels.every((l) => l >= 0 && l < count));
});

test("a bad concept option reads as explain's: the concept registry checks and parses with checkOptionValues/parseOptionValues, the CLI flag with parseOption", async () => {
  const cases: [id: ConceptMethodId, option: string, flag: string, value: number | string, words: string][] = [
    ['craft', 'designs', 'designs', 1, 'must be within [2, 4096], got 1'],
    ['craft', 'importance', 'importance', 'rise', "must be one of sobol, gradient, got 'rise'"],
    ['dff', 'k', 'concepts', '2.5', "must be an integer, got '2.5'"],
    ['tcav', 'runs', 'runs', 'many', "must be an integer, got 'many'"],
    ['neighbors', 'k', 'count', 0, 'must be within [1, 100000], got 0'],
    // (was 'prototypes.run: gamma must be > 0, got 0', and the flag took 0)
    ['prototypes', 'gamma', 'gamma', 0, 'must be within (0, ∞], got 0'],
  ];
  for (const [id, option, flag, value, words] of cases) {
    const spec = getConceptMethod(id).info.options.find((o) => o.name === option)!;
    // the words are the shared validator's, as for a method option of explain
    assert.equal(spec.type === 'enum' ? enumOptionProblem(spec, value) : numberOptionProblem(spec, value, true), words);
    assert.equal(await messageOf(() => getConceptMethod(id).run(model, x as never, { [option]: value })), `${id}.run: ${option} ${words}`);
    assert.equal(await messageOf(() => conceptOptionsFromFlags(id, { [flag]: String(value) })), `--${flag} ${words}`);
  }
  // the same number refused by a method and by a concept method: one wording after the name
  assert.equal(await messageOf(() => getMethod('rise').explain(model, x, { numMasks: 0 })), 'rise.explain: numMasks must be within [1, 100000], got 0');
  // parsed once: flag or form text is read as its number, a declared default applies (neighbors k: 8)
  const dataset = Tensor.concat(Array.from({ length: 10 }, (_, i) => new Tensor(new Float32Array(28 * 28).map((_, p) => ((p * (i + 3)) % 17) / 17), [1, 1, 28, 28])));
  const neighbors = getConceptMethod('neighbors');
  assert.equal((await neighbors.run(model, { query: dataset.item(4), dataset }, { k: '3' as never })).neighbors.length, 3);
  assert.equal((await neighbors.run(model, { query: dataset.item(4), dataset })).neighbors.length, 8);
  assert.equal((await neighbors.run(model, { query: dataset.item(4), dataset }, { k: '3' as never })).neighbors[0]!.index, 4);
});

test('options that must be > 0 declare it (exclusiveMin), so 0 reads like -1 from explain, the flag, the form, a metric and --metric-option', async () => {
  // (before, 0 passed the spec's [0, …] and met a hidden floor: 'lime.explain: kernelWidth must be within [1e-12, ∞], got 0')
  for (const [id, option, flag, label, range] of [
    ['lime', 'kernelWidth', '--kernel-width', 'kernel width', '(0, ∞]'],
    // (RISE declares its real limit instead: p from 2⁻⁵³, the resolution of its mask draw)
    ['rise', 'keepProbability', '--keep-probability', 'keep probability', '[1.1102230246251565e-16, 1]'],
  ] as const) {
    const method = getMethod(id);
    const spec = method.info.options.find((o) => o.name === option)!;
    for (const value of [0, -1]) {
      const words = `must be within ${range}, got ${value}`;
      assert.equal(await messageOf(() => method.explain(model, x, { [option]: value })), `${id}.explain: ${option} ${words}`);
      assert.equal(await messageOf(() => methodOptionsFromFlags(method, { [option]: String(value) })), `${flag} (${id}) ${words}`);
      assert.equal(await messageOf(() => readNumberField(spec, String(value)), false), `${label} ${words}`);
    }
  }
  const attribution = new Tensor(Float32Array.from({ length: 28 * 28 }, (_, p) => p % 5), [1, 1, 28, 28]);
  const ctx = (options: Record<string, unknown>) => ({ model, input: x, attribution, target: 0, seed: 0, batchSize: 8, progress: () => {}, options });
  // (lipschitz declares its real limit instead: σ from 2⁻¹²⁶, as its δ are float32)
  for (const [metric, option, range] of [['insertion', 'blurSigma', '(0, ∞]'], ['lipschitz', 'sigma', '[1.1754943508222875e-38, ∞]']] as const) {
    const words = `${metric}.${option} must be within ${range}, got 0`;
    assert.equal(await messageOf(() => getMetric(metric).compute(ctx({ [option]: 0 }))), words);
    assert.equal(await messageOf(() => parseMetricOptions([`${metric}.${option}=0`])), words);
  }
  // infidelity shares lipschitz's σ option and still takes σ = 0
  assert.deepEqual(parseMetricOptions(['infidelity.sigma=0']), { infidelity: { sigma: 0 } });
});

test("the seed's range is seedOption's declaration: [−2³¹, 2³² − 1] refused beyond it by every method that takes a seed, from explain and the web form", async () => {
  const seeded = listMethods().filter((m) => m.options.some((o) => o.name === 'seed'));
  assert.deepEqual(seeded.map((m) => m.id).sort(), ['deeplift', 'deeplift-shap', 'gradient-shap', 'integrated-gradients', 'kernel-shap', 'lime', 'noise-tunnel', 'rise', 'smoothgrad']);
  for (const info of seeded) {
    const spec = info.options.find((o) => o.name === 'seed')!;
    for (const value of [2 ** 32, -(2 ** 31) - 1]) {
      const words = `must be within [-2147483648, 4294967295], got ${value}`;
      assert.equal(await messageOf(() => getMethod(info.id).explain(model, x, { seed: value })), `${info.id}.explain: seed ${words}`);
      assert.equal(await messageOf(() => readNumberField(spec, String(value)), false), `seed ${words}`);
    }
  }
  // a method that declares no seed checks a given one against the same spec (as batchSize), in the same words (a
  // non-integer read so before too)
  assert.equal(await messageOf(() => getMethod('gradcam').explain(model, x, { seed: 2 ** 32 })), 'gradcam.explain: seed must be within [-2147483648, 4294967295], got 4294967296');
  assert.equal(await messageOf(() => getMethod('gradcam').explain(model, x, { seed: 1.5 })), 'gradcam.explain: seed must be an integer, got number 1.5');
  // the bounds themselves run; the generators take 32 bits, so 2³² − 1 draws what −1 draws
  const rise = getMethod('rise');
  const map = async (seed: number) => Array.from((await rise.explain(model, x, { numMasks: 4, seed })).attribution.data);
  assert.deepEqual(await map(2 ** 32 - 1), await map(-1));
  assert.notDeepEqual(await map(-(2 ** 31)), await map(0));
});
