/**
 * The concept- and example-based methods as registered methods: one metadata record each (id, title, paper, options
 * as `OptionSpec`) that drives the CLI flags of their commands, the web app's forms and the docs table, and one
 * `run(model, inputs, options)` that checks and parses the options once, as `registerMethod` does for `explain`
 * (checkOptionValues, then parseOptionValues: the one wording, flag text converted, declared defaults applied), and
 * hands the plain function (`deepFeatureFactorization`, `craft`, `tcav`, `nearestByCosine`, `mmdCritic`) typed values.
 */
import { LumenError, closestNames, throwIfCancelled } from '../../errors.js';
import type { LumenModel } from '../../model.js';
import { Tensor } from '../../tensor.js';
import type { ExplainOptions, OptionSpec, OptionValues } from '../types.js';
import { checkNumber, checkOptionValues, parseOptionValues } from '../validate.js';
import { seedOption } from '../common-options.js';
import { craft, type CraftResult } from './craft.js';
import { deepFeatureFactorization, type DffResult } from './dff.js';
import { mmdCritic, nearestByCosine, type MmdCriticResult, type Neighbor } from './examples.js';
import { batchedRows, layerActivations, pooled } from './layer.js';
import { tcavConcepts, type TcavResult } from './tcav.js';

export type ConceptMethodId = 'dff' | 'craft' | 'tcav' | 'neighbors' | 'prototypes';

/** An option of a concept method; `flag` is its CLI flag when it is not `--<kebab-case name> <value>`. */
export interface ConceptOptionSpec extends OptionSpec {
  flag?: string;
}

export interface ConceptMethodInfo {
  id: ConceptMethodId;
  /** The `lumen` command that runs it. */
  command: string;
  title: string;
  /** What it answers that a heatmap cannot (docs/concepts.md). */
  summary: string;
  paper: string;
  /** The implementation it follows. */
  reference: string;
  /** What `inputs` holds. */
  inputs: string;
  needsLayer: boolean;
  /** Needs `target` (a class index). */
  needsTarget: boolean;
  cost: string;
  options: readonly ConceptOptionSpec[];
}

/** Pooled layer embeddings, one row of d values per image (what `lumen neighbors` caches). */
export interface Embeddings {
  data: Float32Array;
  n: number;
  d: number;
}

/**
 * Options every concept method takes — explain's generic options (batchSize: images per run, default 32; signal;
 * onProgress) with one layer (default: the model's default layer) and a class index as target (methods with
 * needsTarget); its own options (info.options) sit beside them.
 */
export type ConceptOptions = Pick<ExplainOptions, 'batchSize' | 'signal' | 'onProgress'> & { layer?: string; target?: number; [option: string]: unknown };

export interface NeighborsResult {
  layer: string;
  /** Dataset rows nearest to the query by cosine, best first. */
  neighbors: Neighbor[];
}

export interface PrototypesResult extends MmdCriticResult {
  layer: string;
}

/** Input and result types of each method. */
export interface ConceptMethodTypes {
  dff: { inputs: Tensor; result: DffResult };
  craft: { inputs: Tensor; result: CraftResult };
  /**
   * `random` as several Tensors: one random set each (run r against set r); `concept` as several Tensors: one result
   * per concept in `concepts` (Bonferroni over them), the top-level fields being the first concept's.
   */
  tcav: { inputs: { concept: Tensor | readonly Tensor[]; random: Tensor | readonly Tensor[]; inputs: Tensor }; result: TcavResult & { concepts?: TcavResult[] } };
  neighbors: { inputs: { query: Tensor | Embeddings; dataset: Tensor | Embeddings }; result: NeighborsResult };
  prototypes: { inputs: Tensor | Embeddings; result: PrototypesResult };
}

export interface ConceptMethod<Id extends ConceptMethodId = ConceptMethodId> {
  readonly info: ConceptMethodInfo & { id: Id };
  run(model: LumenModel, inputs: ConceptMethodTypes[Id]['inputs'], options?: ConceptOptions): Promise<ConceptMethodTypes[Id]['result']>;
}

// the seed range every seeded method declares (seedOption): a larger seed was cut to 32 bits silently
const seedSpec = seedOption('seed of the random initialization / subsamples') satisfies ConceptOptionSpec;
const kSpec = (description: string, fallback: number, flag: string) => ({ name: 'k', type: 'integer', min: 1, max: 4096, default: fallback, description, flag }) as const satisfies ConceptOptionSpec;

// `as const`: the option lists keep their literal names and types, so each runner reads its parsed options typed
const INFO = {
  dff: {
    id: 'dff',
    command: 'concepts',
    title: 'Deep Feature Factorization',
    summary: "Splits a layer's activations over one or more images into k non-negative concepts (NMF): a map per concept over each image and, through the network's head, each concept's class scores — what the parts of the image are, not only where the class evidence is.",
    paper: 'Collins, Achanta & Süsstrunk, ECCV 2018',
    reference: "pytorch-grad-cam's DeepFeatureFactorization / run_dff_on_image",
    inputs: 'images [N, C, H, W]',
    needsLayer: true,
    needsTarget: false,
    cost: '1 forward per image + NMF + 1 head run',
    options: [kSpec('number of concepts', 5, '-k, --concepts <k>'), { ...seedSpec, description: 'NMF initialization seed' }],
  },
  craft: {
    id: 'craft',
    command: 'craft',
    title: 'CRAFT concept discovery and importance',
    summary: "Crops of a folder of images → the layer's pooled activations → an NMF bank of k concepts; each concept's importance for a class (total-order Sobol indices of the concept coefficients, or gradient × concept) and an atlas of the crops that express it most.",
    paper: 'Fel et al., CVPR 2023 (CRAFT)',
    reference: 'deel-ai/Craft craft_torch.py (HaltonSequence, JansenEstimator), Xplique Craft',
    inputs: 'images [N, C, H, W]',
    needsLayer: true,
    needsTarget: true,
    cost: '9 forwards per image (crops) + NMF; Sobol: (k + 2)·designs head runs per image; gradient: 1 forward + backward per image',
    options: [
      kSpec('number of concepts', 5, '-k, --concepts <k>'),
      { ...seedSpec, description: 'NMF initialization seed' },
      { name: 'importance', type: 'enum', choices: ['sobol', 'gradient'], default: 'sobol', description: 'concept importance: total-order Sobol indices (the paper) or gradient × concept' },
      { name: 'designs', type: 'integer', min: 2, max: 4096, default: 32, description: 'Sobol: points per design matrix (Craft nb_design); (k + 2)·designs head runs per image' },
      { name: 'cropSize', type: 'number', min: 0.05, max: 1, default: 0.5, description: 'crop side as a share of the image side' },
      { name: 'stride', type: 'number', min: 0.05, max: 1, default: 0.25, description: 'crop stride as a share of the image side' },
      { name: 'atlasSize', type: 'integer', min: 1, max: 64, default: 6, description: 'crops per concept in the atlas' },
    ],
  },
  tcav: {
    id: 'tcav',
    command: 'tcav',
    title: 'TCAV',
    summary: "Is a class sensitive to a human-chosen concept (a folder of examples) at a layer? CAVs (linear classifiers concept vs random), the share of class inputs whose logit rises along each, and a two-sided t-test against random-vs-random CAVs.",
    paper: 'Kim et al., ICML 2018 (TCAV)',
    reference: "tensorflow/tcav; Captum's captum.concept.TCAV",
    inputs: '{ concept, random, inputs }: concept examples (one Tensor, or several: one result each), random images (one pooled Tensor, or several random sets), target-class images',
    needsLayer: true,
    needsTarget: true,
    cost: '1 forward per concept/random image, 1 forward + backward per target input; logistic regressions: 2·runs per concept (one random set), runs per concept + runs·(runs − 1) (several)',
    options: [
      { name: 'runs', type: 'integer', min: 2, max: 1000, default: 10, description: 'CAVs per concept; one random set: default 10, as many random-vs-random CAVs; several random sets: default and at most their number, run r against set r' },
      { ...seedSpec, description: 'seed of the per-run subsamples' },
      { name: 'alpha', type: 'number', min: 1e-6, max: 0.5, default: 0.05, description: 'significance level of the two-sided t-test (divided by tests: Bonferroni)' },
      { name: 'tests', type: 'integer', min: 1, max: 1000, description: 'concepts tested together (Bonferroni: each at alpha / tests); default: the number of concept sets given' },
    ],
  },
  neighbors: {
    id: 'neighbors',
    command: 'neighbors',
    title: 'Nearest examples',
    summary: "The dataset images nearest to a query in a layer's global-average-pooled embedding (cosine similarity): which training examples the network sees as alike.",
    paper: 'example-based explanation (e.g. Caruana et al. 1999; Papernot & McDaniel 2018, DkNN)',
    reference: 'cosine k-nearest neighbours on pooled embeddings',
    inputs: '{ query, dataset }: images [N, C, H, W] or pooled embeddings',
    needsLayer: true,
    needsTarget: false,
    cost: '1 forward per image (embeddings; the CLI caches them)',
    options: [{ name: 'k', type: 'integer', min: 1, default: 8, description: 'neighbours to list', flag: '-k, --count <k>' }],
  },
  prototypes: {
    id: 'prototypes',
    command: 'prototypes',
    title: 'MMD-critic prototypes and criticisms',
    summary: 'The images that best represent a set (prototypes, greedy MMD²) and those the prototypes represent worst (criticisms, witness function with a log-det diversity term).',
    paper: 'Kim, Khanna & Koyejo, NeurIPS 2016',
    reference: 'BeenKim/MMD-critic',
    inputs: 'images [N, C, H, W] or pooled embeddings',
    needsLayer: true,
    needsTarget: false,
    cost: '1 forward per image (embeddings) + O(n²) kernel',
    options: [
      { name: 'prototypes', type: 'integer', min: 1, default: 6, description: 'how many prototypes' },
      { name: 'criticisms', type: 'integer', min: 0, default: 3, description: 'how many criticisms' },
      { name: 'witness', type: 'enum', choices: ['positive', 'absolute'], default: 'positive', description: "criticisms maximise w(x) (under-represented data) or |w(x)| (the paper's)" },
      { name: 'gamma', type: 'number', min: 0, exclusiveMin: true, description: 'RBF kernel γ; default 1 / median squared distance' },
    ],
  },
} as const satisfies { [Id in ConceptMethodId]: ConceptMethodInfo & { id: Id } };

/** The options a runner gets: the caller's, with its declared ones parsed (parseOptionValues) and typed. */
type ParsedOptions<Id extends ConceptMethodId> = ConceptOptions & OptionValues<(typeof INFO)[Id]['options']>;

const bad = (message: string): LumenError => new LumenError('BAD_OPTION', message, 2);

/**
 * The generic and declared options of one call, checked once: the declared ones by `explain`'s checkOptionValues
 * (numbers, enums, booleans in the one wording), and the model/inputs' types. Returns the options object to use.
 */
export function validateConceptCall(info: ConceptMethodInfo, model: LumenModel, options: ConceptOptions | undefined): ConceptOptions {
  const who = `${info.id}.run`;
  if (!model || typeof model !== 'object' || typeof (model as Partial<LumenModel>).checkInput !== 'function') throw bad(`${who}: the first argument must be a loaded model (loadModel / LumenModel.fromBytes)`);
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw bad(`${who}: options must be an object`);
  const { layer, target, batchSize, signal, onProgress } = options;
  if (layer !== undefined && typeof layer !== 'string') throw bad(`${who}: layer must be a tensor name (see model.layers())`);
  if (target !== undefined) checkNumber({ name: 'target', type: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, description: '' }, target, who);
  if (batchSize !== undefined) checkNumber({ name: 'batchSize', type: 'integer', min: 1, description: '' }, batchSize, who);
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof (signal as AbortSignal).aborted !== 'boolean')) throw bad(`${who}: signal must be an AbortSignal`);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw bad(`${who}: onProgress must be a function`);
  checkOptionValues(info.options, options, who);
  throwIfCancelled(signal, info.title);
  return options;
}

function images(model: LumenModel, t: unknown, what: string): Tensor {
  if (!(t instanceof Tensor)) throw bad(`${what} must be a Tensor of images [N, C, H, W]`);
  model.checkInput(t);
  return t;
}

function isEmbeddings(x: unknown): x is Embeddings {
  return !!x && typeof x === 'object' && (x as Embeddings).data instanceof Float32Array && Number.isInteger((x as Embeddings).n) && Number.isInteger((x as Embeddings).d);
}

/** Pooled embeddings of images (in batches, with progress) or the given embeddings, checked. */
async function embeddingsOf(model: LumenModel, x: Tensor | Embeddings, layer: string, what: string, o: ConceptOptions): Promise<Embeddings> {
  if (isEmbeddings(x)) {
    if (x.data.length !== x.n * x.d || x.n < 1) throw bad(`${what}: embeddings hold ${x.data.length} values, not n·d = ${x.n}·${x.d} with n ≥ 1`);
    return x;
  }
  const t = images(model, x, what);
  const n = t.dims[0]!;
  let done = 0;
  return batchedRows(t, o.batchSize ?? 32, async (chunk) => {
    throwIfCancelled(o.signal, 'embeddings');
    const rows = pooled((await layerActivations(model, chunk, layer)).maps);
    done += chunk.dims[0]!;
    o.onProgress?.({ done, total: n, stage: `${what} embeddings` });
    return rows;
  });
}

/** The options every runner passes on as they are: batch size, cancellation, progress as (done, total, stage). */
function runtime(o: ConceptOptions): { batchSize?: number; signal?: AbortSignal; onProgress?: (done: number, total: number, stage: string) => void } {
  return {
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: (done: number, total: number, stage: string) => o.onProgress!({ done, total, stage }) } : {}),
  };
}

async function layerOf(model: LumenModel, o: ConceptOptions): Promise<string> {
  return o.layer ?? (await model.defaultLayer());
}

function targetOf(info: ConceptMethodInfo, o: ConceptOptions): number {
  if (o.target === undefined) throw bad(`${info.id}.run: target (a class index) is required`);
  return o.target;
}

/** Each method's runner: `o` holds the parsed options, `given` the caller's (where a default depends on the inputs). */
const RUN: { [Id in ConceptMethodId]: (model: LumenModel, inputs: ConceptMethodTypes[Id]['inputs'], o: ParsedOptions<Id>, given: ConceptOptions) => Promise<ConceptMethodTypes[Id]['result']> } = {
  async dff(model, inputs, o) {
    return deepFeatureFactorization(model, images(model, inputs, 'dff inputs'), { layer: await layerOf(model, o), k: o.k, seed: o.seed });
  },
  async craft(model, inputs, o) {
    return craft(model, images(model, inputs, 'craft inputs'), {
      layer: await layerOf(model, o),
      target: targetOf(INFO.craft, o),
      k: o.k,
      seed: o.seed,
      importance: o.importance,
      designs: o.designs,
      cropSize: o.cropSize,
      stride: o.stride,
      atlasSize: o.atlasSize,
      ...runtime(o),
    });
  },
  async tcav(model, inputs, o, given) {
    if (!inputs || typeof inputs !== 'object') throw bad('tcav inputs must be { concept, random, inputs } Tensors');
    const list = (x: unknown, what: string): Tensor[] => (Array.isArray(x) ? x.map((t: unknown, i) => images(model, t, `${what}[${i}]`)) : [images(model, x, what)]);
    const concepts = list(inputs.concept, 'tcav concept');
    const random = list(inputs.random, 'tcav random');
    // several random sets: runs defaults to their number (one run per set), not the metadata's 10
    const runs = (given.runs === undefined || given.runs === null) && random.length > 1 ? undefined : o.runs;
    const tests = o.tests ?? concepts.length;
    const results = await tcavConcepts(model, { concepts, random, inputs: images(model, inputs.inputs, 'tcav inputs') }, {
      layer: await layerOf(model, o), target: targetOf(INFO.tcav, o), ...(runs === undefined ? {} : { runs }), seed: o.seed, alpha: o.alpha, tests, ...runtime(o),
    });
    return Array.isArray(inputs.concept) ? { ...results[0]!, concepts: results } : results[0]!;
  },
  async neighbors(model, inputs, o) {
    if (!inputs || typeof inputs !== 'object') throw bad('neighbors inputs must be { query, dataset }');
    const layer = await layerOf(model, o);
    const dataset = await embeddingsOf(model, inputs.dataset, layer, 'dataset', o);
    const query = await embeddingsOf(model, inputs.query, layer, 'query', {});
    if (query.n !== 1 || query.d !== dataset.d) throw bad(`neighbors: the query must be one image (or one embedding of ${dataset.d} values), got ${query.n} × ${query.d}`);
    return { layer, neighbors: nearestByCosine(query.data, dataset.data, dataset.n, dataset.d, Math.min(o.k, dataset.n)) };
  },
  async prototypes(model, inputs, o) {
    const layer = await layerOf(model, o);
    const e = await embeddingsOf(model, inputs, layer, 'dataset', o);
    // gamma > 0 is declared (exclusiveMin): checked with the other options
    const { gamma } = o;
    return {
      layer,
      ...mmdCritic(e.data, e.n, e.d, {
        prototypes: o.prototypes,
        criticisms: o.criticisms,
        witness: o.witness,
        ...(gamma === undefined ? {} : { gamma }),
      }),
    };
  },
};

const METHODS = Object.fromEntries(
  (Object.keys(INFO) as ConceptMethodId[]).map((id) => {
    const info = INFO[id];
    const run = RUN[id] as (model: LumenModel, inputs: unknown, o: ConceptOptions, given: ConceptOptions) => Promise<unknown>;
    return [id, {
      info,
      run: async (model: LumenModel, inputs: unknown, options?: ConceptOptions) => {
        const given = validateConceptCall(info, model, options);
        return run(model, inputs, parseOptionValues(info.options, given) as ConceptOptions, given);
      },
    }];
  }),
) as unknown as { [Id in ConceptMethodId]: ConceptMethod<Id> };

/** Every concept method's metadata, in a fixed order (dff, craft, tcav, neighbors, prototypes). */
/**
 * The class a target field names (TCAV's and CRAFT's `--target`, the web app's target fields): an index, or one of
 * the model's class names. `where` names the field in the error.
 */
export function conceptTargetClass(model: LumenModel, text: string, where: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const names = model.classNames;
  const i = names?.indexOf(t) ?? -1;
  if (i < 0) throw new LumenError('TARGET_RANGE', `${where} '${t}': not a class index${names ? ` or one of the class names (${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''})` : ' (the model has no class names)'}`, 2);
  return i;
}

export function listConceptMethods(): ConceptMethodInfo[] {
  return Object.values(INFO);
}

/** A concept method by id (ids: see ConceptMethodId). */
export function getConceptMethod<Id extends ConceptMethodId>(id: Id): ConceptMethod<Id>;
export function getConceptMethod(id: string): ConceptMethod;
export function getConceptMethod(id: string): ConceptMethod {
  const m = (METHODS as Record<string, ConceptMethod | undefined>)[id];
  if (!m) throw new LumenError('UNKNOWN_METHOD', `unknown concept method '${id}'. Available: ${Object.keys(INFO).join(', ')} (closest: ${closestNames(id, Object.keys(INFO), 2).join(', ')})`, 2);
  return m;
}
