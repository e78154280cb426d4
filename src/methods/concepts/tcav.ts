import { computeGradients } from '../../autodiff/index.js';
import { LumenError, throwIfCancelled } from '../../errors.js';
import type { LumenModel } from '../../model.js';
import { mulberry32 } from '../../random.js';
import { Tensor } from '../../tensor.js';
import { batchedRows, layerBypass } from './layer.js';
import { logisticRegression } from './linear.js';
import { mean } from '../../metrics/stats.js';
import { studentTTest } from './stats.js';

/** Fewest concept images TCAV accepts: each run trains on a subsample of them (TCAV_SUBSAMPLE). */
export const MIN_CONCEPT_IMAGES = 10;
/** Share of the concept images (and as many random images) each run trains its CAV on. */
export const TCAV_SUBSAMPLE = 0.8;

export interface TcavOptions {
  layer: string;
  /** The class whose logit's sensitivity is tested. */
  target: number;
  /**
   * CAVs per concept. One pooled random set: default 10, and as many random-vs-random CAVs. Several random sets:
   * default (and at most) the number of sets; run r uses set r and the null has runs·(runs − 1) CAVs.
   */
  runs?: number;
  /** Seeds the per-run subsamples of a pooled random set (several random sets use no sampling). */
  seed?: number;
  /** Significance level of the two-sided t-test. Default 0.05. */
  alpha?: number;
  /**
   * How many concepts are tested together (Kim et al. §3.5 correct for multiple hypotheses with Bonferroni): each is
   * significant at p < alpha / tests. Default 1 for `tcav`, the number of concepts for `tcavConcepts`.
   */
  tests?: number;
  signal?: AbortSignal;
  /** Images per forward/backward run. Default 32. */
  batchSize?: number;
  onProgress?: (done: number, total: number, stage: string) => void;
}

/**
 * The random images: one set (pooled; each run draws fresh subsamples from it) or several sets (tensorflow/tcav's
 * random500_0 … random500_N: run r pairs the concept with set r; the null pairs distinct sets).
 */
export type TcavRandom = Tensor | readonly Tensor[];

export interface TcavResult {
  layer: string;
  target: number;
  /** Mean TCAV score of the concept-vs-random CAVs: the share of target inputs whose logit rises along the concept. */
  score: number;
  /** Two-sided Student t-test of the concept scores against the random-vs-random scores. */
  pValue: number;
  /** The level p is compared with: alpha / tests (Bonferroni). */
  threshold: number;
  t: number;
  significant: boolean;
  /** Whether the concept scores lie above or below the random CAVs' (a significant 'below' means the concept lowers the target). */
  direction: 'above' | 'below' | 'equal';
  runs: number;
  conceptScores: number[];
  randomScores: number[];
  /** Training accuracy of each concept CAV (how separable the concept is at this layer). */
  cavAccuracy: number[];
  /**
   * Every target input has the same gradient at the layer (to 1e-6 relative), as at the last feature map before
   * global average pooling and a linear classifier: each CAV then scores 0 or 1 and the test only asks how
   * consistently the concept CAVs fall on one side of one hyperplane (docs/concepts.md). An earlier layer gives
   * input-dependent derivatives.
   */
  sharedGradient: boolean;
  /**
   * Some path from the input to the logits goes around the layer (a skip connection; in a pre-norm transformer the
   * residual stream bypasses each block's LayerNorm outputs, e.g. the default CAM layer `ln_1`). The derivatives then
   * follow only the path through the layer, the bypass held fixed, which can give another verdict than the residual
   * stream: on test/fixtures/transformers/shortcut-vit the marker concept is significantly *below* random at the
   * last block's ln_1 and above at every block output (docs/concepts.md). `cutLayer`: the nearest earlier layer that
   * no path bypasses, when there is one.
   */
  bypassed: boolean;
  cutLayer?: string;
  /** How many random sets were given: 1 = one pooled set subsampled per run; n > 1 = run r used random set r. */
  randomSets: number;
  /** With several random sets: the (positive, negative) set of each random-vs-random CAV, aligned with randomScores. */
  randomPairs?: Array<[number, number]>;
}

/**
 * TCAV (Kim et al., ICML 2018). Each run trains a CAV — a logistic-regression direction separating the concept's
 * layer activations from random images' — and scores it as the share of the target inputs whose directional
 * derivative ∇_layer logit_target · v is positive. Random-vs-random CAVs give the null distribution; a two-sided
 * Student t-test (scipy's ttest_ind, as the reference implementation) compares the two sets of scores.
 *
 * Random images as one set (a Tensor or a one-element array): each run draws a seeded 80 % concept subsample and as
 * many random images, and its null CAV separates two other disjoint random subsamples. As several sets (tensorflow/tcav
 * with `random_concepts`): run r trains the concept against random set r, the null has one CAV per ordered pair (i, j),
 * i ≠ j, of the runs' sets, and each CAV's two sides are cut to the smaller side's size (the reference's
 * `_create_cav_training_set`). runs > sets is an error, as in the reference (it indexes `random_concepts[i]`).
 * Activations are flattened ([C·h·w] per image), as in the paper; the gradients come from Lumen's autodiff.
 */
export async function tcav(model: LumenModel, sets: { concept: Tensor; random: TcavRandom; inputs: Tensor }, options: TcavOptions): Promise<TcavResult> {
  return (await tcavConcepts(model, { concepts: [sets.concept], random: sets.random, inputs: sets.inputs }, { ...options, tests: options.tests ?? 1 }))[0]!;
}

/**
 * TCAV for several concepts against the same random sets and target inputs (their activations and gradients are
 * computed once): one result per concept, in order, Bonferroni-corrected with tests = the number of concepts unless
 * `tests` is given (tensorflow/tcav's utils_plot divides by the number of concepts too).
 */
export async function tcavConcepts(model: LumenModel, sets: { concepts: readonly Tensor[]; random: TcavRandom; inputs: Tensor }, options: TcavOptions): Promise<TcavResult[]> {
  const randomSets: readonly Tensor[] = sets.random instanceof Tensor ? [sets.random] : sets.random;
  const several = randomSets.length > 1;
  if (sets.concepts.length < 1) throw new LumenError('BAD_OPTION', 'TCAV: no concept set given', 2);
  if (randomSets.length < 1) throw new LumenError('BAD_OPTION', 'TCAV: no random set given', 2);
  const runs = options.runs ?? (several ? randomSets.length : 10);
  const alpha = options.alpha ?? 0.05;
  const batch = options.batchSize ?? 32;
  const tests = options.tests ?? sets.concepts.length;
  if (!Number.isInteger(tests) || tests < 1) throw new LumenError('BAD_OPTION', `TCAV: tests must be a positive integer (concepts tested together), got ${tests}`, 2);
  if (!(alpha > 0 && alpha < 1)) throw new LumenError('BAD_OPTION', `TCAV: alpha must be in (0, 1), got ${alpha}`, 2);
  const threshold = alpha / tests;
  if (!Number.isInteger(runs) || runs < 2) throw new LumenError('BAD_OPTION', `TCAV needs at least 2 runs for its t-test, got ${runs}`, 2);
  if (several) requireRunsWithinSets(runs, randomSets.length);
  sets.concepts.forEach((c, k) => {
    const nc = c.dims[0]!;
    const which = sets.concepts.length > 1 ? ` (concept set ${k + 1})` : '';
    if (nc < MIN_CONCEPT_IMAGES) throw new LumenError('BAD_OPTION', `TCAV: ${nc} concept image${nc === 1 ? '' : 's'}${which}; at least ${MIN_CONCEPT_IMAGES} are needed (each run trains on ${Math.round(TCAV_SUBSAMPLE * 100)} % of them; the paper uses 50–100)`, 2);
    if (!several) {
      const nr = randomSets[0]!.dims[0]!;
      const m = Math.floor(TCAV_SUBSAMPLE * nc);
      if (nr < 2 * m) throw new LumenError('BAD_OPTION', `TCAV: ${nr} random images; at least ${2 * m} are needed (two disjoint sets of ${m}, as many as each run's concept sample, for the random-vs-random CAVs)`, 2);
    }
  });
  if (several) randomSets.forEach((r, i) => {
    if (r.dims[0]! < 1) throw new LumenError('BAD_OPTION', `TCAV: random set ${i + 1} holds no images`, 2);
  });
  if (sets.inputs.dims[0]! < 1) throw new LumenError('BAD_OPTION', 'TCAV: no target-class inputs', 2);

  // with several sets, only the runs' sets are used (the reference takes random_concepts[0 … runs − 1])
  const used = several ? randomSets.slice(0, runs) : randomSets;
  const count = (ts: readonly Tensor[]): number => ts.reduce((a, t) => a + t.dims[0]!, 0);
  const total = count(sets.concepts) + count(used) + sets.inputs.dims[0]!;
  let done = 0;
  const progress = (k: number, stage: string): void => {
    throwIfCancelled(options.signal, 'TCAV');
    done += k;
    options.onProgress?.(done, total, stage);
  };
  const concepts: Activations[] = [];
  for (const c of sets.concepts) concepts.push(await flatActivations(model, c, options.layer, batch, (k) => progress(k, 'concept activations')));
  const randoms: Activations[] = [];
  for (const r of used) randoms.push(await flatActivations(model, r, options.layer, batch, (k) => progress(k, 'random activations')));
  const grads = await flatGradients(model, sets.inputs, options.layer, options.target, batch, (k) => progress(k, 'target gradients'));
  const sharedGradient = sameRows(grads.data, grads.n, grads.d);
  const bypass = await layerBypass(model, options.layer);
  const scoreOf = (v: Float64Array): number => score(grads.data, grads.n, grads.d, v);
  const cancelled = (): void => {
    throwIfCancelled(options.signal, 'TCAV');
  };

  // several sets: the null does not depend on the concept, so it is trained once
  let nullScores: number[] = [];
  const randomPairs: Array<[number, number]> = [];
  if (several) {
    for (let i = 0; i < runs; i++) {
      for (let j = 0; j < runs; j++) {
        if (i === j) continue;
        cancelled();
        nullScores.push(scoreOf(cavBetween(randoms[i]!, randoms[j]!).weights));
        randomPairs.push([i, j]);
      }
    }
  }

  return concepts.map((concept) => {
    const conceptScores: number[] = [];
    const cavAccuracy: number[] = [];
    if (several) {
      for (let r = 0; r < runs; r++) {
        cancelled();
        const cav = cavBetween(concept, randoms[r]!);
        conceptScores.push(scoreOf(cav.weights));
        cavAccuracy.push(cav.accuracy);
      }
    } else {
      // one pooled set: the same seeded stream for every concept (a single concept keeps its historical numbers)
      const random = randoms[0]!;
      const d = concept.d;
      const m = Math.floor(TCAV_SUBSAMPLE * concept.n);
      const rand = mulberry32(options.seed ?? 0);
      nullScores = [];
      for (let r = 0; r < runs; r++) {
        cancelled();
        const cIdx = sample(concept.n, m, rand);
        const rIdx = sample(random.n, 2 * m, rand);
        const cav = trainCav(rows(concept.data, d, cIdx), rows(random.data, d, rIdx.slice(0, m)), m, d);
        conceptScores.push(scoreOf(cav.weights));
        cavAccuracy.push(cav.accuracy);
        const null_ = trainCav(rows(random.data, d, rIdx.slice(m)), rows(random.data, d, rIdx.slice(0, m)), m, d);
        nullScores.push(scoreOf(null_.weights));
      }
    }
    const test = studentTTest(conceptScores, nullScores);
    const gap = mean(conceptScores) - mean(nullScores);
    return {
      direction: gap > 0 ? 'above' : gap < 0 ? 'below' : 'equal',
      layer: options.layer,
      target: options.target,
      score: mean(conceptScores),
      pValue: test.pValue,
      threshold,
      t: test.t,
      significant: test.pValue < threshold,
      runs,
      conceptScores,
      randomScores: [...nullScores],
      cavAccuracy,
      sharedGradient,
      bypassed: bypass.bypassed,
      ...(bypass.cutLayer !== undefined ? { cutLayer: bypass.cutLayer } : {}),
      randomSets: randomSets.length,
      ...(several ? { randomPairs: randomPairs.map(([i, j]): [number, number] => [i, j]) } : {}),
    };
  });
}

/**
 * With several random sets, run r is trained against set r, so runs > sets is an error (the reference indexes
 * `random_concepts[i]`). Exported so the web app can say so before it reads any image.
 */
export function requireRunsWithinSets(runs: number, sets: number): void {
  if (sets > 1 && runs > sets) {
    throw new LumenError('BAD_OPTION', `TCAV: ${runs} runs need ${runs} random sets (run r is trained against random set r, as tensorflow/tcav); ${sets} given: ask for at most ${sets} runs, or give one random set to subsample per run`, 2);
  }
}

type Activations = { data: Float32Array; n: number; d: number };

/** A CAV of `pos` (label 1) against `neg`, both cut to the smaller one's first rows (balanced, as tensorflow/tcav). */
function cavBetween(pos: Activations, neg: Activations): { weights: Float64Array; accuracy: number } {
  const m = Math.min(pos.n, neg.n);
  const d = pos.d;
  return trainCav(Float64Array.from(pos.data.subarray(0, m * d)), Float64Array.from(neg.data.subarray(0, m * d)), m, d);
}

function trainCav(pos: Float64Array, neg: Float64Array, m: number, d: number): { weights: Float64Array; accuracy: number } {
  const X = new Float64Array(2 * m * d);
  X.set(pos, 0);
  X.set(neg, m * d);
  const y = Float64Array.from({ length: 2 * m }, (_, i) => (i < m ? 1 : 0));
  return logisticRegression(X, 2 * m, d, y);
}

/** Whether all n rows of d values are equal to the first within 1e-6 of its largest magnitude. */
function sameRows(G: Float32Array, n: number, d: number): boolean {
  let scale = 0;
  for (let j = 0; j < d; j++) scale = Math.max(scale, Math.abs(G[j]!));
  for (let i = 1; i < n; i++) for (let j = 0; j < d; j++) if (Math.abs(G[i * d + j]! - G[j]!) > 1e-6 * scale) return false;
  return true;
}

/** Share of the gradients with a positive dot product with v. */
function score(G: Float32Array, n: number, d: number, v: Float64Array): number {
  let positive = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += G[i * d + j]! * v[j]!;
    if (s > 0) positive++;
  }
  return positive / n;
}

/** `count` distinct indices of [0, n), seeded partial Fisher–Yates. */
function sample(n: number, count: number, rand: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rand() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, count);
}

function rows(data: Float32Array, d: number, idx: readonly number[]): Float64Array {
  const out = new Float64Array(idx.length * d);
  idx.forEach((r, i) => {
    for (let j = 0; j < d; j++) out[i * d + j] = data[r * d + j]!;
  });
  return out;
}

/** The layer's activations, one flattened row per image. */
export async function flatActivations(model: LumenModel, images: Tensor, layer: string, batch: number, progress?: (k: number) => void): Promise<Activations> {
  return batchedRows(images, batch, async (chunk) => {
    const { tensors } = await model.forward(chunk, [layer]);
    progress?.(chunk.dims[0]!);
    return tensors[layer]!.data;
  });
}

/** ∇_layer logit_target for each image, flattened like `flatActivations`. */
async function flatGradients(model: LumenModel, images: Tensor, layer: string, target: number, batch: number, progress?: (k: number) => void): Promise<{ data: Float32Array; n: number; d: number }> {
  const classes = (await model.forward(images.item(0))).logits.dims[1]!;
  if (!Number.isInteger(target) || target < 0 || target >= classes) throw new LumenError('TARGET_RANGE', `target class ${target}: the model has ${classes} classes (0…${classes - 1})`, 2);
  return batchedRows(images, batch, async (chunk) => {
    const count = chunk.dims[0]!;
    const seed = new Float32Array(count * classes);
    for (let i = 0; i < count; i++) seed[i * classes + target] = 1;
    const r = await computeGradients(model, chunk, new Tensor(seed, [count, classes]), { wrt: [layer] });
    progress?.(count);
    return r.gradients[layer]!.data;
  });
}
