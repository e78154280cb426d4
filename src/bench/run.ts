/**
 * The benchmark suite (`npm run bench`, `lumen bench`): times a plain ONNX Runtime forward pass and every method
 * family on torchvision-shaped models built in TypeScript (src/bench/models.ts), and checks the performance targets
 * of issue 9 as ratios measured in one run (interleaved repeats, medians), against PyTorch figures measured on the
 * reference machine (REFERENCE_MS). Node-only.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { spawnSync } from 'node:child_process';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeGradients } from '../autodiff/index.js';
import { loadAllMethods } from '../methods/load-all.js';
import { getMethod } from '../methods/registry.js';
import type { ExplainOptions, Explanation } from '../methods/types.js';
import { LumenModel } from '../model.js';
import { nodeRuntime } from '../node/runtime.js';
import { writeFileAtomic } from '../node/image-file.js';
import { makeDirs, outputFolderError } from '../node/output-dir.js';
import type { Runtime, Session } from '../runtime/types.js';
import { Tensor } from '../tensor.js';
import { buildBenchModel, type BenchModelName, type BenchSection } from './models.js';
import { interleaved, median, peakRssDuring } from './timing.js';
import { exportedGradcamTiming } from './export.js';

/** PyTorch 1.13 CPU, 2 threads, 224×224, random weights, median of 5, measured on the reference machine (issue 9). */
export const REFERENCE_MS = {
  forward: { resnet50: { 1: 60, 8: 283 }, mobilenet_v2: { 1: 11, 8: 122 }, vgg16: { 1: 174, 8: 1124 } },
  gradcam: { resnet50: { 1: 160, 8: 765 } },
  saliency: { resnet50: { 1: 99 } },
  integratedGradients50: { resnet50: { 1: 10_300 } },
  /** Captum Occlusion, window (3,16,16), stride 8: 730 forward passes. */
  occlusion: { resnet50: { 1: 24_100 } },
  /** pytorch-grad-cam ScoreCAM, 2048 passes, batch 16. */
  scorecam: { resnet50: { 1: 74_800 } },
} as const;

/** Multiply-accumulates of one 224×224 forward pass (torchvision's published figures), for a throughput line. */
const FORWARD_GMACS: Record<BenchModelName, number> = { resnet50: 4.09, mobilenet_v2: 0.3, vgg16: 15.47, vit_b_16: 17.56 };

/** PyTorch timings measured on this machine by scripts/bench_pytorch.py (bench/pytorch-local.json), when present. */
interface LocalPytorch {
  date: string;
  loadavg: number[];
  ms: Record<string, Record<string, Record<string, number>>>;
}

/** How checks against bench/pytorch-local.json name their reference. */
function localLabel(local: LocalPytorch): string {
  return `PyTorch on this machine (scripts/bench_pytorch.py ${local.date}, load ${local.loadavg[0]?.toFixed(1)})`;
}

function localPytorch(): LocalPytorch | undefined {
  const file = join('bench', 'pytorch-local.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalPytorch;
  } catch {
    return undefined;
  }
}

export type BenchMode = 'quick' | 'full';

export interface BenchOptions {
  mode?: BenchMode;
  models?: readonly BenchModelName[];
  /** Timed repeats per measurement (after one warm-up). */
  repeats?: number;
  /** ORT intra-op threads (the PyTorch reference used 2). */
  threads?: number;
  /** Run the headless-Chromium case (needs /usr/bin/chromium). */
  browser?: boolean;
  /** Where results.json is written. */
  out?: string;
  /** Only sections whose name contains one of these ('forward', 'ig', 'perturbation', 'compile', 'memory', 'export', 'scale', 'browser'). */
  only?: readonly BenchSection[];
  log?: (line: string) => void;
}

/** One measured check: a value, its target and whether it passed (undefined = informational). */
export interface BenchCheck {
  id: string;
  model: string;
  batch: number;
  what: string;
  /** The measured value: a ratio ('×') or milliseconds ('ms') or megabytes ('MB'). */
  value: number;
  unit: '×' | 'ms' | 'MB' | 'GFLOP/s';
  /** e.g. '≤ 1.2' or '≥ 4'. */
  target?: string;
  pass?: boolean;
  note?: string;
}

export interface BenchTiming {
  model: string;
  batch: number;
  what: string;
  medianMs: number;
  samplesMs: number[];
  /** Forward passes (or head passes) one call runs, when known. */
  passes?: number;
  compileMs?: number;
}

export interface BenchResults {
  date: string;
  mode: BenchMode;
  machine: { cpu: string; cores: number; memoryGB: number; node: string; threads: number; loadAverageStart: number; loadAverageEnd: number };
  timings: BenchTiming[];
  checks: BenchCheck[];
  missing: string[];
}

const CACHE_DIR = join('bench', '.cache');

/** Model bytes, cached on disk (VGG16 takes ~15 s to generate). */
function modelBytes(name: BenchModelName): { bytes: Uint8Array; camLayer: string } {
  const file = join(CACHE_DIR, `${name}-224-seed1234.onnx`);
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) {
    return { bytes: new Uint8Array(readFileSync(file)), camLayer: (JSON.parse(readFileSync(meta, 'utf8')) as { camLayer: string }).camLayer };
  }
  const m = buildBenchModel(name, { seed: 1234 });
  mkdirSync(CACHE_DIR, { recursive: true });
  writeFileSync(file, m.bytes);
  writeFileSync(meta, JSON.stringify({ camLayer: m.camLayer, parameters: m.parameters }));
  return { bytes: m.bytes, camLayer: m.camLayer };
}

/** Deterministic pseudo-random image batch in roughly normalized range. */
function randomInput(batch: number, seed = 7): Tensor {
  const data = new Float32Array(batch * 3 * 224 * 224);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 4294967296) * 4 - 2;
  }
  return new Tensor(data, [batch, 3, 224, 224]);
}

function check(c: BenchCheck, limit: { max?: number; min?: number }): BenchCheck {
  if (limit.max !== undefined) return { ...c, target: `≤ ${limit.max}`, pass: c.value <= limit.max };
  if (limit.min !== undefined) return { ...c, target: `≥ ${limit.min}`, pass: c.value >= limit.min };
  return c;
}

class Bench {
  readonly timings: BenchTiming[] = [];
  readonly checks: BenchCheck[] = [];
  readonly missing: string[] = [];
  readonly mode: BenchMode;
  readonly repeats: number;
  readonly threads: number;
  readonly runtime: Runtime;
  readonly log: (line: string) => void;
  /** PyTorch timed on this machine (bench/pytorch-local.json), read once per run. */
  readonly pytorchLocal = localPytorch();

  constructor(options: BenchOptions) {
    this.mode = options.mode ?? 'quick';
    this.repeats = options.repeats ?? (this.mode === 'quick' ? 11 : 15);
    this.threads = options.threads ?? 2;
    this.runtime = nodeRuntime({ threads: this.threads });
    this.log = options.log ?? ((l) => process.stdout.write(`${l}\n`));
  }

  record(t: BenchTiming): BenchTiming {
    this.timings.push(t);
    this.log(`  ${t.model} b${t.batch} ${t.what}: ${t.medianMs.toFixed(1)} ms${t.passes ? ` (${t.passes} passes, ${(t.medianMs / t.passes).toFixed(2)} ms/pass)` : ''}${t.compileMs ? `, compile ${t.compileMs.toFixed(0)} ms` : ''}`);
    return t;
  }

  add(c: BenchCheck): void {
    this.checks.push(c);
    this.log(`  ${c.pass === undefined ? '·' : c.pass ? 'PASS' : 'FAIL'} ${c.model} b${c.batch} ${c.what}: ${c.value.toFixed(2)}${c.unit} ${c.target ?? ''}`);
  }

  async model(name: BenchModelName): Promise<{ model: LumenModel; raw: Session; camLayer: string; bytes: Uint8Array }> {
    const { bytes, camLayer } = modelBytes(name);
    const model = LumenModel.fromBytes(bytes, { runtime: this.runtime, source: name });
    const raw = await this.runtime.createSession(bytes);
    return { model, raw, camLayer, bytes };
  }
}

/** A method call (an unregistered id fails by name: a renamed method is an error, not a shorter bench). */
function explainer(id: string, model: LumenModel, input: Tensor, options: ExplainOptions = {}): () => Promise<Explanation | unknown> {
  const method = getMethod(id);
  return () => method.explain(model, input, options);
}

async function forwardAndGradients(bench: Bench, name: BenchModelName, batch: number): Promise<Record<string, number>> {
  const { model, raw } = await bench.model(name);
  const input = randomInput(batch);
  const feeds = { [model.inputName]: input };
  const fns: Record<string, () => Promise<unknown>> = { forward: () => raw.run(feeds, [model.outputName]) };
  const methods = ['gradcam', 'gradcam++', 'xgradcam', 'layercam', 'hirescam', 'saliency', 'input-x-gradient'];
  if (name === 'vit_b_16') methods.push('attention-rollout', 'attention-relevance');
  for (const id of methods) {
    fns[id] = explainer(id, model, input);
  }
  // Compile happens in the warm-up round; timed rounds hit the session cache. Fast models get 3× the repeats: at
  // ~10 ms per call, thread wake-ups and GC move single samples by 20 % or more.
  const t0 = performance.now();
  await fns.forward!();
  const repeats = performance.now() - t0 < 25 ? 3 * bench.repeats : bench.repeats;
  const res = await interleaved(fns, repeats);
  const fwd = res.forward!.median;
  bench.record({ model: name, batch, what: 'ORT forward', medianMs: fwd, samplesMs: res.forward!.samples });
  const out: Record<string, number> = { forward: fwd };
  for (const id of Object.keys(fns)) {
    if (id === 'forward') continue;
    const r = res[id]!;
    out[id] = r.median;
    bench.record({ model: name, batch, what: id, medianMs: r.median, samplesMs: r.samples });
    const ratio = r.median / fwd;
    const base = { id: `${id}/forward`, model: name, batch, what: `${id} ÷ forward`, value: ratio, unit: '×' as const };
    // issue 16's targets for a ViT-B/16: Grad-CAM ≤ 1.3×, Saliency ≤ 3×, Attention Rollout ≤ 1.2× the forward pass
    const vit = name === 'vit_b_16';
    if (id === 'gradcam') bench.add(check(base, { max: vit ? 1.3 : 1.2 }));
    else if (id === 'saliency' || id === 'input-x-gradient') bench.add(check(base, { max: vit ? 3 : name === 'mobilenet_v2' ? 4 : 2.5 }));
    else if (id === 'attention-rollout') bench.add(check(base, { max: 1.2 }));
    else bench.add(base);
  }
  const refGradcam = (REFERENCE_MS.gradcam as Record<string, Record<number, number>>)[name]?.[batch];
  if (refGradcam && out.gradcam) bench.add(check({ id: 'gradcam/pytorch-grad-cam', model: name, batch, what: 'speed-up vs pytorch-grad-cam Grad-CAM', value: refGradcam / out.gradcam, unit: '×' }, { min: 4 }));
  const refSal = (REFERENCE_MS.saliency as Record<string, Record<number, number>>)[name]?.[batch];
  if (refSal && out.saliency) bench.add(check({ id: 'saliency/captum', model: name, batch, what: 'speed-up vs Captum Saliency', value: refSal / out.saliency, unit: '×' }, { min: 1.5 }));
  if (refSal && out['input-x-gradient']) bench.add(check({ id: 'ixg/captum', model: name, batch, what: 'speed-up vs Captum Saliency (I×G)', value: refSal / out['input-x-gradient'], unit: '×' }, { min: 1.5 }));
  const gmacs = FORWARD_GMACS[name];
  bench.add({ id: 'forward/throughput', model: name, batch, what: 'ORT forward throughput (2 × torchvision MACs ÷ time)', value: (2 * gmacs * batch) / (fwd / 1000), unit: 'GFLOP/s' });
  // The same comparisons against PyTorch timed on this machine (another process, not interleaved: see its load)
  const local = bench.pytorchLocal;
  const mine = (what: string): number | undefined => local?.ms[what]?.[name]?.[String(batch)];
  if (local && mine('forward')) {
    const label = localLabel(local);
    bench.add({ id: 'forward/pytorch-local', model: name, batch, what: `ORT forward speed-up vs ${label}`, value: mine('forward')! / fwd, unit: '×' });
    // issue 16: ≥ 3× pytorch-grad-cam (with vit_reshape_transform) on vit_b_16; issue 9: ≥ 4× on the CNNs
    if (mine('gradcam') && out.gradcam) bench.add(check({ id: 'gradcam/pytorch-local', model: name, batch, what: `Grad-CAM speed-up vs pytorch-grad-cam's computation, ${label}`, value: mine('gradcam')! / out.gradcam, unit: '×' }, { min: name === 'vit_b_16' ? 3 : 4 }));
    if (mine('saliency') && out.saliency) bench.add(check({ id: 'saliency/pytorch-local', model: name, batch, what: `Saliency speed-up vs Captum's computation, ${label}`, value: mine('saliency')! / out.saliency, unit: '×' }, { min: 1.5 }));
  }
  const refFwd = (REFERENCE_MS.forward as Record<string, Record<number, number>>)[name]?.[batch];
  if (refFwd) {
    bench.add({ id: 'forward/pytorch', model: name, batch, what: 'ORT forward speed-up vs PyTorch forward (absolute: needs a quiet machine)', value: refFwd / fwd, unit: '×' });
    // Load-independent view: each framework's method cost in units of its own forward pass.
    if (refGradcam && out.gradcam) bench.add({ id: 'gradcam/pytorch-grad-cam/relative', model: name, batch, what: 'Grad-CAM overhead advantage vs pytorch-grad-cam ((their Grad-CAM ÷ their forward) ÷ (ours ÷ ours))', value: (refGradcam / refFwd) / (out.gradcam / fwd), unit: '×' });
    if (refSal && out.saliency) bench.add({ id: 'saliency/captum/relative', model: name, batch, what: 'Saliency overhead advantage vs Captum ((their Saliency ÷ their forward) ÷ (ours ÷ ours))', value: (refSal / refFwd) / (out.saliency / fwd), unit: '×' });
  }
  await model.dispose();
  await raw.dispose();
  return out;
}

async function integratedGradients(bench: Bench, name: BenchModelName, saliencyMs: number | undefined): Promise<void> {
  const { model, raw } = await bench.model(name);
  const input = randomInput(1);
  const ig = getMethod('integrated-gradients');
  // warm-up compiles the graph at a tiny step count (the cache key does not depend on the batch)
  await ig.explain(model, input, { steps: 2, internalBatchSize: 2 });
  let saliency = saliencyMs;
  const reps = bench.mode === 'quick' ? 1 : 3;
  const samples: number[] = [];
  const salSamples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await ig.explain(model, input, { steps: 50, internalBatchSize: 50 });
    samples.push(performance.now() - t0);
    const t1 = performance.now();
    await getMethod('saliency').explain(model, input);
    salSamples.push(performance.now() - t1);
  }
  const ms = median(samples);
  if (salSamples.length) saliency = median(salSamples);
  bench.record({ model: name, batch: 1, what: 'integrated-gradients (50 steps, internal batch 50)', medianMs: ms, samplesMs: samples, passes: 50 });
  if (saliency) bench.add(check({ id: 'ig50/saliency', model: name, batch: 1, what: 'IG-50 ÷ batch-1 saliency', value: ms / saliency, unit: '×' }, { max: 50 }));
  const ref = (REFERENCE_MS.integratedGradients50 as Record<string, Record<number, number>>)[name]?.[1];
  if (ref) bench.add(check({ id: 'ig50/captum', model: name, batch: 1, what: 'IG-50 speed-up vs Captum', value: ref / ms, unit: '×' }, { min: 1.5 }));
  const local = bench.pytorchLocal;
  const localIg = local?.ms.ig50?.[name]?.['1'];
  if (local && localIg) bench.add(check({ id: 'ig50/pytorch-local', model: name, batch: 1, what: `IG-50 speed-up vs Captum's computation, ${localLabel(local)}`, value: localIg / ms, unit: '×' }, { min: 1.5 }));
  await model.dispose();
  await raw.dispose();
}

/**
 * Peak memory of IG, each configuration in a fresh process (peak RSS = `maxRSS` of that process, so earlier runs'
 * arenas do not hide or inflate it): 4× the steps at the same internal batch must not grow the peak much, and a 4×
 * larger internal batch shows what the batch costs.
 */
async function igMemory(bench: Bench, name: BenchModelName): Promise<void> {
  modelBytes(name); // make sure the cached model exists before the children read it
  const configs: [number, number][] = [[16, 8], [64, 8], [32, 32]];
  const peaks: number[] = [];
  for (const [steps, ib] of configs) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(new URL('./ig-memory.js', import.meta.url)).replace(/\.js$/, extname(fileURLToPath(import.meta.url))), name, String(steps), String(ib), String(bench.threads)], { encoding: 'utf8' });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    const parsed = /^peakMB=([\d.]+) baseMB=([\d.]+)$/.exec(line);
    if (r.status !== 0 || !parsed) {
      bench.log(`  memory run failed: ${r.stderr.slice(-400)}`);
      return;
    }
    const peak = Number(parsed[1]) - Number(parsed[2]);
    peaks.push(peak);
    bench.add({ id: `ig/memory/${steps}x${ib}`, model: name, batch: 1, what: `IG peak RSS over the loaded model, ${steps} steps, internal batch ${ib}`, value: peak, unit: 'MB' });
  }
  const [small, many] = [peaks[0]!, peaks[1]!];
  bench.add({ id: 'ig/memory/bounded', model: name, batch: 1, what: 'IG peak memory, 64 steps ÷ 16 steps at internal batch 8', value: many / Math.max(small, 1), unit: '×', target: '≤ 1.25', pass: many <= 1.25 * small });
}

/** Perturbation methods: ms per forward pass vs ORT's batched forward per image at the same batch size. */
async function perturbation(bench: Bench, name: BenchModelName, batch: number): Promise<void> {
  const { model, raw, camLayer } = await bench.model(name);
  const one = randomInput(1);
  const batched = randomInput(batch, 11);
  const feeds = { [model.inputName]: batched };
  const full = bench.mode === 'full';
  // passes = forward passes of the whole model one call runs (the first one finds the target / score).
  const cases: { id: string; what: string; options: ExplainOptions; passes: number; ref?: number }[] = [];
  if (full && name === 'resnet50') {
    cases.push({ id: 'occlusion', what: 'occlusion (3,16,16)/8, Captum setting', options: { slidingWindowShapes: '3,16,16', strides: '3,8,8', batchSize: batch }, passes: 1 + 27 * 27, ref: REFERENCE_MS.occlusion.resnet50[1] });
  } else {
    // 12 × 12 = 144 windows: whole batches of 16, so a ragged last batch does not count against the per-pass cost
    cases.push({ id: 'occlusion', what: 'occlusion (3,48,48)/16', options: { slidingWindowShapes: '3,48,48', strides: '3,16,16', batchSize: batch }, passes: 1 + 12 * 12 });
  }
  const masks = full ? 256 : 64;
  cases.push({ id: 'rise', what: `rise (${masks} masks)`, options: { numMasks: masks, batchSize: batch }, passes: 1 + masks });
  // LIME and KernelSHAP: random coalitions of 8×8 grid cells, one forward pass each (SLIC on the random bench input
  // would find almost no superpixels, and KernelSHAP caps its samples at 2^M − 2)
  const coalitions = full ? 256 : 64;
  const cells = { segmentation: 'grid', gridSize: 8 };
  cases.push({ id: 'lime', what: `lime (${coalitions} samples, 8×8 grid)`, options: { ...cells, numSamples: coalitions, batchSize: batch }, passes: 1 + coalitions });
  cases.push({ id: 'kernel-shap', what: `kernel-shap (${coalitions} samples, 8×8 grid)`, options: { ...cells, numSamples: coalitions, batchSize: batch }, passes: 2 + coalitions });
  const channels = name === 'resnet50' ? 2048 : name === 'mobilenet_v2' ? 1280 : 512;
  if (full) {
    cases.push({ id: 'scorecam', what: `scorecam (${channels} channels)`, options: { batchSize: batch, layer: camLayer }, passes: 1 + channels, ...(name === 'resnet50' && batch === 16 ? { ref: REFERENCE_MS.scorecam.resnet50[1] } : {}) });
  } else if (name === 'mobilenet_v2') {
    // quick: a 320-channel layer (the last projection) keeps the per-pass cost measurable in ~1/4 of the time
    cases.push({ id: 'scorecam', what: 'scorecam (320 channels of features.17.project)', options: { batchSize: batch, layer: 'features.17.project' }, passes: 1 + 320 });
  }

  const fwdSamples: number[] = [];
  const fwd = async (): Promise<void> => {
    const t0 = performance.now();
    await raw.run(feeds, [model.outputName]);
    fwdSamples.push(performance.now() - t0);
  };
  await fwd();
  fwdSamples.length = 0;
  for (const c of cases) {
    const method = getMethod(c.id);
    const reps = 3;
    const samples: number[] = [];
    const fwdBefore = fwdSamples.length;
    // warm-up of the method's own sessions (Score-CAM: its masked forward, without running every channel)
    if (c.id === 'scorecam') await model.forwardMasked(one, Tensor.zeros([1, 1, ...one.dims.slice(2)]));
    else await method.explain(model, one, { ...c.options, ...(c.id === 'rise' ? { numMasks: batch } : c.id === 'lime' || c.id === 'kernel-shap' ? { numSamples: batch } : {}) });
    // passes actually run: the method's progress reports (KernelSHAP caps its samples at 2^M − 2), + the first pass
    let reported = 0;
    const onProgress = (p: { done: number }): void => {
      reported = Math.max(reported, p.done);
    };
    for (let r = 0; r < reps; r++) {
      await fwd();
      reported = 0;
      const t0 = performance.now();
      await method.explain(model, one, { ...c.options, onProgress });
      samples.push(performance.now() - t0);
      await fwd();
    }
    const passes = reported > 0 ? reported + 1 : c.passes;
    const ms = median(samples);
    const perImageFwd = median(fwdSamples.slice(fwdBefore)) / batch;
    bench.record({ model: name, batch, what: c.what, medianMs: ms, samplesMs: samples, passes });
    bench.add(check({ id: `${c.id}/pass`, model: name, batch, what: `${c.id} ms per pass ÷ ORT forward ms per image at batch ${batch}`, value: ms / passes / perImageFwd, unit: '×' }, { max: 1.2 }));
    if (c.ref) bench.add({ id: `${c.id}/reference`, model: name, batch, what: `${c.id} speed-up vs PyTorch reference (${(c.ref / 1000).toFixed(1)} s)`, value: c.ref / ms, unit: '×' });
  }
  // Ablation-CAM re-runs only the head after the layer: per-pass cost is not comparable with a full forward.
  {
    const m = getMethod('ablationcam');
    await m.explain(model, one, { batchSize: Math.max(batch, 32) });
    const samples: number[] = [];
    for (let r = 0; r < (full ? 3 : 1); r++) {
      const t0 = performance.now();
      await m.explain(model, one, { batchSize: Math.max(batch, 32) });
      samples.push(performance.now() - t0);
    }
    const ms = median(samples);
    bench.record({ model: name, batch: Math.max(batch, 32), what: `ablationcam (${channels} head passes)`, medianMs: ms, samplesMs: samples, passes: channels });
    bench.add({ id: 'ablationcam/forward', model: name, batch: 1, what: 'ablationcam ÷ batch-1 forward', value: ms / (perImageForward1(bench, name) ?? ms), unit: '×' });
  }
  await model.dispose();
  await raw.dispose();
}

function perImageForward1(bench: Bench, name: string): number | undefined {
  return bench.timings.find((t) => t.model === name && t.batch === 1 && t.what === 'ORT forward')?.medianMs;
}

/** First-call cost of a gradient method on a fresh model: graph building + encoding + session creation. */
async function compile(bench: Bench, name: BenchModelName): Promise<void> {
  const { bytes } = modelBytes(name);
  const input = randomInput(1);
  // The issue's 1 s target is for ResNet-50. Other models get ORT's own session creation for the plain model as a
  // yardstick (VGG16's 550 MB of weights take seconds to load whatever builds the graph).
  const created = performance.now();
  const plain = await bench.runtime.createSession(bytes);
  const plainMs = performance.now() - created;
  await plain.dispose();
  bench.record({ model: name, batch: 1, what: 'ORT session creation for the plain model', medianMs: plainMs, samplesMs: [plainMs] });
  for (const id of ['gradcam', 'saliency']) {
    const model = LumenModel.fromBytes(bytes, { runtime: bench.runtime, source: name });
    await model.tensorShapes(); // layer discovery is a one-off per model, not per method
    const t0 = performance.now();
    const first = await getMethod(id).explain(model, input);
    const firstMs = performance.now() - t0;
    const second = await getMethod(id).explain(model, input);
    bench.record({ model: name, batch: 1, what: `${id} first call`, medianMs: firstMs, samplesMs: [firstMs], compileMs: first.timings.compileMs });
    const reported = { id: `${id}/compile`, model: name, batch: 1, what: `${id} compile (autodiff + encode + session), reported`, value: first.timings.compileMs, unit: 'ms' as const };
    bench.add(name === 'resnet50' ? check(reported, { max: 1000 }) : reported);
    bench.add({ id: `${id}/compile/session`, model: name, batch: 1, what: `${id} compile ÷ ORT session creation for the plain model`, value: first.timings.compileMs / plainMs, unit: '×' });
    bench.add(check({ id: `${id}/cached`, model: name, batch: 1, what: `${id} compile on the second call (cached)`, value: second.timings.compileMs, unit: 'ms' }, { max: 0 }));
    await model.dispose();
  }
  // The backward graph alone, for the report: nodes differentiated.
  const model = LumenModel.fromBytes(bytes, { runtime: bench.runtime, source: name });
  const layer = await model.defaultLayer();
  const t0 = performance.now();
  const r = await computeGradients(model, input, { rank: 1 }, { wrt: [layer], fetch: [layer] });
  bench.record({ model: name, batch: 1, what: 'computeGradients to the CAM layer, first call', medianMs: performance.now() - t0, samplesMs: [], compileMs: r.compileMs });
  await model.dispose();
}

export async function runBench(options: BenchOptions = {}): Promise<BenchResults> {
  await loadAllMethods();
  const bench = new Bench(options);
  const loadAverageStart = loadavg()[0]!;
  bench.log(`load average ${loadAverageStart.toFixed(1)} on ${cpus().length} cores${loadAverageStart > cpus().length ? ' (busy machine: absolute times are inflated; the ratios are measured interleaved)' : ''}`);
  const full = bench.mode === 'full';
  const models = options.models ?? (full ? ['resnet50', 'mobilenet_v2', 'vgg16', 'vit_b_16'] : ['resnet50', 'mobilenet_v2', 'vit_b_16']);
  const batches = full ? [1, 8] : [1];
  const wants = (section: BenchSection): boolean => !options.only || options.only.includes(section);
  const saliencyB1: Record<string, number> = {};

  for (const name of models) {
    for (const b of batches) {
      if (!wants('forward')) continue;
      bench.log(`[forward + gradient methods] ${name}, batch ${b}`);
      const r = await forwardAndGradients(bench, name, b);
      if (b === 1 && r.saliency) saliencyB1[name] = r.saliency;
    }
  }
  for (const name of models) {
    if (!wants('compile')) continue;
    bench.log(`[compile] ${name}`);
    await compile(bench, name);
  }
  for (const name of models) {
    // IG-50 on ResNet-50 takes ≥ 10 s even on a quiet machine: --full only
    if (name === 'vgg16' || name === 'vit_b_16' || !wants('ig') || (!full && name === 'resnet50')) continue;
    bench.log(`[integrated gradients] ${name}`);
    await integratedGradients(bench, name, saliencyB1[name]);
  }
  if (wants('memory')) {
    bench.log('[memory] integrated gradients, mobilenet_v2');
    await igMemory(bench, 'mobilenet_v2');
  }
  for (const name of models) {
    if (name === 'vgg16' || name === 'vit_b_16' || !wants('perturbation')) continue;
    bench.log(`[perturbation] ${name}`);
    await perturbation(bench, name, 16);
  }
  for (const name of models) {
    // issue 19: the exported Grad-CAM graph in plain onnxruntime-node at batch 8 (report only)
    if (name === 'vgg16' || name === 'vit_b_16' || !wants('export')) continue;
    bench.log(`[export] ${name}, batch 8: exported Grad-CAM graph vs the plain forward`);
    const { model, camLayer, bytes } = await bench.model(name);
    const t = await exportedGradcamTiming(model, bytes, camLayer, randomInput(8), bench.threads, bench.repeats);
    bench.record({ model: name, batch: 8, what: 'plain model forward (onnxruntime-node)', medianMs: t.forwardMs, samplesMs: t.forwardSamplesMs });
    bench.record({ model: name, batch: 8, what: 'exported Grad-CAM graph (onnxruntime-node)', medianMs: t.exportedMs, samplesMs: t.exportedSamplesMs });
    bench.add({ id: 'export/gradcam', model: name, batch: 8, what: 'exported Grad-CAM graph ÷ plain forward (issue 19 aims at ≤ 1.2)', value: t.exportedMs / t.forwardMs, unit: '×' });
    await model.dispose();
  }
  if (wants('scale')) {
    bench.log('[scale] Saliency on dense Sigmoid chains of 2 500 and 5 000 nodes: session-creation growth per doubling (issue 23)');
    const { scaleSection } = await import('./scale.js');
    const r = await scaleSection(bench.runtime);
    r.timings.forEach((t) => bench.record(t));
    r.checks.forEach((c) => bench.add(c));
  }
  if (options.browser !== false && wants('browser')) {
    bench.log('[browser] Grad-CAM on mobilenet_v2 in headless Chromium (onnxruntime-web WASM)');
    const { browserGradcam } = await import('./browser.js');
    const { model, raw } = await bench.model('mobilenet_v2');
    const input = randomInput(1);
    const gradcam = getMethod('gradcam');
    const r = await browserGradcam({
      repeats: bench.repeats,
      threads: bench.threads,
      log: bench.log,
      node: async (what) => {
        if (what === 'forward') await raw.run({ [model.inputName]: input }, [model.outputName]);
        else await gradcam.explain(model, input);
      },
    });
    await model.dispose();
    await raw.dispose();
    if (r.skipped) {
      bench.missing.push(`browser (${r.skipped})`);
    } else {
      const how = `WASM, ${r.threads} thread${r.threads === 1 ? '' : 's'}`;
      bench.record({ model: 'mobilenet_v2', batch: 1, what: `gradcam in Chromium (${how})`, medianMs: r.browser.gradcamMs, samplesMs: r.browser.gradcamSamplesMs });
      bench.record({ model: 'mobilenet_v2', batch: 1, what: 'gradcam in Node, interleaved with the browser runs', medianMs: r.node.gradcamMs, samplesMs: r.node.gradcamSamplesMs });
      bench.add(check({ id: 'browser/gradcam', model: 'mobilenet_v2', batch: 1, what: `Grad-CAM in Chromium (${how}) ÷ onnxruntime-node`, value: r.browser.gradcamMs / r.node.gradcamMs, unit: '×' }, { max: 3 }));
      bench.add({ id: 'browser/forward', model: 'mobilenet_v2', batch: 1, what: `forward in Chromium (${how}) ÷ onnxruntime-node`, value: r.browser.forwardMs / r.node.forwardMs, unit: '×' });
    }
  }

  const results: BenchResults = {
    date: new Date().toISOString(),
    mode: bench.mode,
    machine: { cpu: cpus()[0]?.model ?? '?', cores: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version, threads: bench.threads, loadAverageStart, loadAverageEnd: loadavg()[0]! },
    timings: bench.timings,
    checks: bench.checks,
    missing: [...new Set(bench.missing)],
  };
  const out = options.out ?? join('bench', 'results.json');
  try {
    makeDirs(dirname(out));
    writeFileAtomic(out, `${JSON.stringify(results, null, 1)}\n`);
  } catch (e) {
    throw outputFolderError(e, out, '-o');
  }
  bench.log('');
  bench.log(formatTable(results));
  bench.log(`results written to ${out}`);
  return results;
}

/** The checks as a Markdown table (also used in docs/benchmarks.md). */
export function formatTable(results: BenchResults): string {
  const rows = results.checks.map((c) => `| ${c.model} | ${c.batch} | ${c.what} | ${c.unit === 'ms' || c.unit === 'MB' || c.unit === 'GFLOP/s' ? c.value.toFixed(0) : c.value.toFixed(2)} ${c.unit} | ${c.target ?? ''} | ${c.pass === undefined ? '' : c.pass ? 'pass' : '**FAIL**'} |`);
  const m = results.machine;
  const lines = [
    `${results.mode} run, ${results.date}; ${m.cpu}, ${m.cores} cores, ORT threads ${m.threads}, load average ${m.loadAverageStart.toFixed(1)} → ${m.loadAverageEnd.toFixed(1)}`,
    '',
    '| model | batch | check | measured | target | result |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ];
  if (results.missing.length) lines.push('', `Not measured (not available in this build): ${results.missing.join(', ')}`);
  return lines.join('\n');
}
