/**
 * The concept views over picked folders (docs/concepts.md): TCAV, prototypes and criticisms (MMD-critic), a CRAFT
 * concept atlas and nearest dataset images. Each runs the library's registered concept method
 * (`getConceptMethod(id).run`, the same code as `lumen tcav|prototypes|craft|neighbors`) on onnxruntime-web, with
 * its form generated from the method's OptionSpec metadata; only the folder reading and the drawing are the page's.
 */
import {
  LumenError,
  decodeImageBlob,
  getConceptMethod,
  layerActivations,
  pooledEmbeddings,
  prepareImage,
  Tensor,
  type ConceptOptions,
  type LumenModel,
  type PreparedImage,
} from '../../src/browser.js';
import { requireSameSize } from '../../src/methods/concepts/layer.js';
import { meanVar } from '../../src/methods/concepts/stats.js';
import { conceptTargetClass } from '../../src/methods/concepts/registry.js';
import { mean } from '../../src/metrics/stats.js';
import { tcavNotes } from '../../src/methods/concepts/notes.js';
import { requireRunsWithinSets } from '../../src/methods/concepts/tcav.js';
import { $ } from './dom.js';
import { folderOf, inClass, loadFolder, pathOf, requireImages, subfolders, type Folder } from './folders.js';
import { optionFields, type OptionValues } from './forms.js';
import { rawToImageData } from './view.js';

export interface ConceptViewContext {
  model?: LumenModel;
  /** The layer chosen under "Target layer". */
  layer: string;
  label(c: number): string;
  /** The selected image, the neighbours' query. */
  image?: PreparedImage;
  /** Every loaded image (TCAV's target-class inputs when no inputs folder is picked). */
  loaded(): PreparedImage[];
}

interface ViewHook<R> {
  runs: number;
  busy: boolean;
  /** The message of the last run's error (shown in the view), cleared by a run that succeeds. */
  error?: string;
  result?: R;
}

/** One concept folder's TCAV result as the view shows it (sd: sample sd of the per-run scores). */
export interface TcavRow {
  concept: string;
  score: number;
  sd: number;
  pValue: number;
  t: number;
  threshold: number;
  significant: boolean;
  direction: string;
  conceptScores: number[];
  randomScores: number[];
  cavAccuracy: number[];
}

/** Test hook (window.__lumenConceptViews): the last result of each view, compared with the Node API by test/web/concept-views.test.ts. */
export interface ConceptViewsHook {
  tcav: ViewHook<{ layer: string; target: number; runs: number; randomSets: number; randomPairs?: Array<[number, number]>; concepts: TcavRow[]; counts: { concepts: number[]; random: number[]; inputs: number } }>;
  prototypes: ViewHook<{ layer: string; files: string[]; prototypes: number[]; criticisms: number[]; witness: number[]; gamma: number; cached: number; computed: number }>;
  craft: ViewHook<{ layer: string; target: number; k: number; files: string[]; crops: number; importanceMethod: string; importance: number[]; order: number[]; atlas: number[][]; relativeError: number }>;
  neighbors: ViewHook<{ layer: string; files: string[]; hits: { index: number; similarity: number }[]; cached: number; computed: number }>;
}

declare global {
  interface Window {
    __lumenConceptViews?: ConceptViewsHook;
  }
}

type Progress = (fraction: number, text: string) => void;

/**
 * One view's run: its button, Cancel, progress bar and status line. An error is shown in the view's status (and
 * reported by `onError`); Cancel aborts between model runs.
 */
function job<R>(view: string, hook: ViewHook<R>, onError: (e: unknown) => void, body: (signal: AbortSignal, progress: Progress) => Promise<R>): void {
  // the run/Stop buttons, progress bar and status line, built into #<view>-job (labels from its data attributes)
  const box = $<HTMLDivElement>(`${view}-job`);
  const element = <K extends keyof HTMLElementTagNameMap>(tag: K, id: string, text = ''): HTMLElementTagNameMap[K] => Object.assign(document.createElement(tag), { id: `${view}-${id}`, textContent: text });
  const button = Object.assign(element('button', 'run', box.dataset.run), { type: 'button' });
  const cancel = Object.assign(element('button', 'cancel', 'Stop'), { type: 'button', disabled: true });
  const bar = Object.assign(element('progress', 'progress'), { max: 1, value: 0 });
  bar.setAttribute('aria-label', box.dataset.progress ?? `${view} progress`);
  const status = Object.assign(element('p', 'status'), { className: 'muted' });
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  const actions = document.createElement('div');
  actions.className = 'actions';
  actions.append(button, ' ', cancel);
  box.append(actions, bar, status);
  let controller: AbortController | undefined;
  cancel.addEventListener('click', () => controller?.abort(new LumenError('CANCELLED', 'cancelled')));
  button.addEventListener('click', () => {
    const c = new AbortController();
    controller = c;
    hook.busy = true;
    button.disabled = true;
    cancel.disabled = false;
    status.classList.remove('failed');
    bar.value = 0;
    bar.max = 1;
    const progress: Progress = (f, text) => {
      c.signal.throwIfAborted();
      bar.value = Math.max(0, Math.min(1, f));
      status.textContent = text;
    };
    void body(c.signal, progress)
      .then((r) => {
        hook.result = r;
        hook.error = undefined;
        bar.value = 1;
      })
      .catch((e: unknown) => {
        if (c.signal.aborted) {
          status.textContent = 'Cancelled';
          bar.value = 0;
          return;
        }
        const message = e instanceof Error ? e.message : String(e);
        hook.error = message;
        status.textContent = message;
        status.classList.add('failed');
        onError(e);
      })
      .finally(() => {
        hook.runs++;
        hook.busy = false;
        button.disabled = false;
        cancel.disabled = true;
        if (controller === c) controller = undefined;
      });
  });
}

/** Sample standard deviation (n − 1), the spread the t-test uses. */
const sd = (v: readonly number[]): number => (v.length < 2 ? 0 : Math.sqrt(meanVar(v).variance));

/**
 * Pooled layer embeddings of picked files, kept in memory per model, layer and file (path, size, modification
 * time): a second query over the same folder runs no inference (the page's version of `lumen neighbors`' cache file).
 * They are the model's derived values (DEVELOPERS.md "Where each concept lives"), so `dispose` drops them.
 */
export const embeddingCache = (model: LumenModel): Map<string, Float32Array> =>
  model.derived('web:embeddings', () => new Map<string, Float32Array>(), (m) => m.clear());
const EMBED_BATCH = 8;

async function embedFiles(model: LumenModel, layer: string, files: readonly File[], what: string, progress: (done: number, total: number) => void, signal: AbortSignal): Promise<{ data: Float32Array; d: number; cached: number; computed: number }> {
  const perModel = embeddingCache(model);
  const keyOf = (f: File): string => `${layer}\0${pathOf(f)}\0${f.size}\0${f.lastModified}`;
  const rows = files.map((f) => perModel.get(keyOf(f)));
  const missing = files.map((_, i) => i).filter((i) => !rows[i]);
  let done = files.length - missing.length;
  progress(done, files.length);
  let first: { name: string; dims: readonly number[] } | undefined;
  for (let s = 0; s < missing.length; s += EMBED_BATCH) {
    const idx = missing.slice(s, s + EMBED_BATCH);
    const prepared: PreparedImage[] = [];
    for (const i of idx) prepared.push(prepareImage(await decodeImageBlob(files[i]!), model));
    signal.throwIfAborted();
    const named = prepared.map((p, j) => ({ name: pathOf(files[idx[j]!]!), dims: p.tensor.dims }));
    first ??= named[0];
    requireSameSize([first!, ...named], what);
    const e = pooledEmbeddings((await layerActivations(model, Tensor.concat(prepared.map((p) => p.tensor)), layer)).maps);
    const d = e.length / idx.length;
    idx.forEach((i, j) => {
      rows[i] = e.slice(j * d, (j + 1) * d);
      perModel.set(keyOf(files[i]!), rows[i]!);
    });
    done += idx.length;
    progress(done, files.length);
  }
  const d = rows[0]!.length;
  const data = new Float32Array(files.length * d);
  rows.forEach((r, i) => data.set(r!, i * d));
  return { data, d, cached: files.length - missing.length, computed: missing.length };
}

/** A figure with a thumbnail of `file` and a caption. */
function thumb(file: File, caption: string, urls: string[]): HTMLElement {
  const fig = document.createElement('figure');
  const img = document.createElement('img');
  const url = URL.createObjectURL(file);
  urls.push(url);
  img.src = url;
  img.alt = pathOf(file);
  img.width = 72;
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  fig.append(img, cap);
  return fig;
}

/** Object URLs of a view's thumbnails, revoked when the view is redrawn. */
function urlsOf(): { list: string[]; reset(): void } {
  const list: string[] = [];
  return { list, reset: () => list.splice(0).forEach((u) => URL.revokeObjectURL(u)) };
}

/**
 * The concept scores of each run against the random-vs-random ones, as two rows of dots on [0, 1]: the
 * distribution the t-test compares. Numbers only (no user text) go into the SVG.
 */
function distributionSvg(concept: readonly number[], random: readonly number[]): HTMLElement {
  const [w, h, left, right] = [320, 74, 70, 10];
  const x = (v: number): number => left + v * (w - left - right);
  const row = (vals: readonly number[], y: number, color: string): string =>
    vals.map((v) => `<circle cx="${x(v).toFixed(1)}" cy="${y}" r="4" fill="${color}" fill-opacity="0.6"/>`).join('') +
    `<line x1="${x(mean(vals)).toFixed(1)}" x2="${x(mean(vals)).toFixed(1)}" y1="${y - 9}" y2="${y + 9}" stroke="${color}" stroke-width="2"/>`;
  const ticks = [0, 0.5, 1].map((t) => `<text x="${x(t)}" y="${h - 2}" font-size="10" text-anchor="middle">${t}</text>`).join('');
  const figure = document.createElement('figure');
  figure.className = 'distribution';
  figure.setAttribute('role', 'img');
  figure.setAttribute('aria-label', `TCAV scores per run: concept ${concept.map((v) => v.toFixed(2)).join(', ')}; random ${random.map((v) => v.toFixed(2)).join(', ')}`);
  figure.innerHTML =
    `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg">` +
    `<line x1="${x(0)}" x2="${x(1)}" y1="${h - 14}" y2="${h - 14}" stroke="#888"/>` +
    `<text x="2" y="22" font-size="11">concept</text><text x="2" y="46" font-size="11">random</text>` +
    row(concept, 18, '#c0392b') +
    row(random, 42, '#1f5fbf') +
    ticks +
    '</svg>';
  return figure;
}

/**
 * The TCAV result: a header (runs, how the random folders were used, the Bonferroni threshold), one row per concept
 * folder, then each concept's per-run scores as a strip plot and a table; with several random folders, the null's
 * ordered pairs of folders in their own table (they are shared by the concepts).
 */
function tcavView(rows: readonly TcavRow[], how: { target: string; layer: string; runs: number; tests: number; randomFolders: readonly string[]; randomPairs?: ReadonlyArray<readonly [number, number]>; notes: readonly string[] }): HTMLElement[] {
  const several = how.randomFolders.length > 1;
  const threshold = rows[0]!.threshold;
  const summary = document.createElement('p');
  summary.className = 'tcav-summary';
  summary.textContent =
    `TCAV for ${how.target} at ${how.layer}: ${how.runs} runs, ` +
    (several
      ? `run r against random folder r (${how.randomFolders.slice(0, how.runs).join(', ')}); null: ${how.runs * (how.runs - 1)} random-vs-random CAVs, one per ordered pair of distinct folders. `
      : `each against a subsample of ${how.randomFolders[0]}; null: ${how.runs} random-vs-random CAVs of disjoint subsamples. `) +
    `Significant at p < ${threshold.toPrecision(3)} (alpha / ${how.tests}${how.tests > 1 ? `, Bonferroni over ${how.tests} concepts` : ''}; two-sided t-test).` +
    how.notes.map((n) => ` ${n}`).join('');
  const table = document.createElement('table');
  table.className = 'tcav-concepts';
  table.innerHTML = '<tr><th>concept</th><th>TCAV score (mean ± sd)</th><th>random CAVs (mean ± sd)</th><th>p</th><th>t</th><th>verdict</th></tr>';
  for (const r of rows) {
    const verdict = r.significant ? `significant, ${r.direction} random` : `not significant (${r.direction} random)`;
    const cells = [r.concept, `${r.score.toFixed(3)} ± ${r.sd.toFixed(3)}`, `${mean(r.randomScores).toFixed(3)} ± ${sd(r.randomScores).toFixed(3)}`, r.pValue.toPrecision(3), r.t.toFixed(2), verdict];
    const tr = table.insertRow();
    for (const v of cells) tr.insertCell().textContent = v;
  }
  const out: HTMLElement[] = [summary, table];
  for (const r of rows) {
    const runs = document.createElement('table');
    runs.className = 'tcav-runs';
    runs.createCaption().textContent = `${r.concept}: per run`;
    const head = ['run', several ? 'random folder' : '', 'TCAV score', 'CAV accuracy', several ? '' : 'random-vs-random score'].filter((h) => h !== '');
    runs.innerHTML += `<tr>${head.map(() => '<th></th>').join('')}</tr>`;
    runs.querySelectorAll('th').forEach((th, i) => (th.textContent = head[i]!));
    r.conceptScores.forEach((v, i) => {
      const cells = [String(i), ...(several ? [how.randomFolders[i]!] : []), v.toFixed(3), r.cavAccuracy[i]!.toFixed(3), ...(several ? [] : [r.randomScores[i]!.toFixed(3)])];
      const tr = runs.insertRow();
      for (const c of cells) tr.insertCell().textContent = c;
    });
    out.push(distributionSvg(r.conceptScores, r.randomScores), runs);
  }
  if (several && how.randomPairs) {
    const nul = document.createElement('table');
    nul.className = 'tcav-null';
    nul.createCaption().textContent = 'random-vs-random CAVs (shared by the concepts)';
    nul.innerHTML += '<tr><th>positive folder</th><th>negative folder</th><th>TCAV score</th></tr>';
    how.randomPairs.forEach(([i, j], k) => {
      const tr = nul.insertRow();
      for (const c of [how.randomFolders[i]!, how.randomFolders[j]!, rows[0]!.randomScores[k]!.toFixed(3)]) tr.insertCell().textContent = c;
    });
    out.push(nul);
  }
  return out;
}

/** The class select of a dataset view: "(whole folder)" plus each class subfolder of the picked folder. */
function fillClasses(select: HTMLSelectElement, folder: Folder | undefined): void {
  const names = folder ? subfolders(folder) : [];
  select.replaceChildren(new Option('(whole folder)', ''), ...names.map((n) => new Option(n, n)));
}

export function setupConceptViews(context: () => ConceptViewContext, onError: (e: unknown) => void): { modelChanged(model: LumenModel | undefined): void } {
  const hook: ConceptViewsHook = { tcav: { runs: 0, busy: false }, prototypes: { runs: 0, busy: false }, craft: { runs: 0, busy: false }, neighbors: { runs: 0, busy: false } };
  window.__lumenConceptViews = hook;
  // each view's options: form fields generated from the concept method's metadata (ids as in listConceptMethods)
  const views = ['tcav', 'prototypes', 'craft', 'neighbors'] as const;
  const forms = Object.fromEntries(
    views.map((id) => {
      const f = optionFields(`concept-${id}`, getConceptMethod(id).info.options);
      $(`${id === 'neighbors' ? 'dataset' : id}-options`).append(f.element);
      return [id, f.read] as const;
    }),
  ) as Record<(typeof views)[number], () => OptionValues>;
  /** The generic options of a run: layer, cancel signal, progress mapped onto [from, to] of the view's bar. */
  const generic = (layer: string, signal: AbortSignal, progress: Progress, from: number, to: number, what: string): ConceptOptions => ({
    layer,
    signal,
    onProgress: (e) => progress(from + ((to - from) * e.done) / Math.max(1, e.total ?? 1), `${what}: ${e.stage ?? 'step'} ${e.done}/${e.total ?? '?'}`),
  });
  const need = (): { model: LumenModel; layer: string; label(c: number): string; image?: PreparedImage; loaded(): PreparedImage[] } => {
    const c = context();
    if (!c.model) throw new Error('load a model first');
    if (!c.layer) throw new Error('pick a layer under "Target layer"');
    return { ...c, model: c.model };
  };

  // ------------------------------------------------------------ TCAV
  // Folders as `lumen tcav --concept DIR… --random DIR…`: each concept folder gets a result (Bonferroni over them),
  // each random folder is one random set (run r against folder r); one random folder is subsampled per run.
  const concepts: Folder[] = [];
  const randoms: Folder[] = [];
  let inputs: Folder | undefined;
  const folderList = (id: string, folders: readonly Folder[]) => (): void =>
    $<HTMLUListElement>(id).replaceChildren(
      ...folders.map((r) => {
        const li = document.createElement('li');
        li.textContent = `${r.label}: ${r.files.length} image${r.files.length === 1 ? '' : 's'}`;
        return li;
      }),
    );
  // the runs field follows the random folders: several → default and at most their number; one → the metadata's
  const runsField = $<HTMLInputElement>('opt-concept-tcav-runs');
  const [runsMax, runsDefault] = [runsField.max, runsField.value];
  let runsAuto = runsField.value;
  const showConcepts = folderList('tcav-concept-list', concepts);
  const showRandoms = (): void => {
    folderList('tcav-random-list', randoms)();
    const auto = randoms.length > 1 ? String(randoms.length) : runsDefault;
    runsField.max = randoms.length > 1 ? String(randoms.length) : runsMax;
    if (runsField.value === runsAuto) runsField.value = auto; // a value the user typed is kept (and checked on Run)
    runsAuto = auto;
  };
  const addFolder = (input: string, folders: Folder[], label: string, show: () => void): void =>
    $<HTMLInputElement>(input).addEventListener('change', (e) => {
      const el = e.target as HTMLInputElement;
      folders.push(folderOf(el.files, `${label} ${folders.length + 1}`));
      el.value = ''; // the same folder can be added again after Clear
      show();
    });
  const clearFolders = (button: string, folders: Folder[], show: () => void): void =>
    $<HTMLButtonElement>(button).addEventListener('click', () => {
      folders.splice(0);
      show();
    });
  addFolder('tcav-concept', concepts, 'concept', showConcepts);
  addFolder('tcav-random', randoms, 'random', showRandoms);
  clearFolders('tcav-concept-clear', concepts, showConcepts);
  clearFolders('tcav-random-clear', randoms, showRandoms);
  $<HTMLInputElement>('tcav-inputs').addEventListener('change', (e) => (inputs = folderOf((e.target as HTMLInputElement).files, 'inputs')));
  job('tcav', hook.tcav, onError, async (signal, progress) => {
    const { model, layer, loaded } = need();
    const target = conceptTargetClass(model, $<HTMLInputElement>('tcav-target').value, 'TCAV target class');
    const options = forms.tcav();
    if (concepts.length === 0) throw new LumenError('FILE_NOT_FOUND', 'TCAV: add at least one concept folder (examples of the concept)', 2);
    if (randoms.length === 0) throw new LumenError('FILE_NOT_FOUND', 'TCAV: add at least one random folder (images without the concept)', 2);
    // runs > random folders is the library's error; said before any image is read
    if (typeof options.runs === 'number') requireRunsWithinSets(options.runs, randoms.length);
    const cs = concepts.map((f) => requireImages(f, `TCAV concept folder ${f.label}`));
    const rs = randoms.map((f) => requireImages(f, `TCAV random folder ${f.label}`));
    const count = (fs: readonly Folder[]): number => fs.reduce((a, f) => a + f.files.length, 0);
    const total = count(cs) + count(rs) + (inputs?.files.length ?? 0);
    let base = 0;
    const read = async (f: Folder, what: string): Promise<Tensor> => {
      const set = await loadFolder(model, f, what, (done) => progress((0.3 * (base + done)) / total, `Reading ${what} images ${done}…`), signal);
      base += f.files.length;
      return set.batch;
    };
    const conceptSets: Tensor[] = [];
    for (const f of cs) conceptSets.push(await read(f, `TCAV concept folder ${f.label}`));
    const randomSets: Tensor[] = [];
    for (const f of rs) randomSets.push(await read(f, `TCAV random folder ${f.label}`));
    const inputBatch = inputs ? await read(requireImages(inputs, 'TCAV target-class inputs folder'), 'TCAV inputs folder') : Tensor.concat(loaded().map((p) => p.tensor));
    if (inputBatch.dims[0] === 0) throw new LumenError('FILE_NOT_FOUND', 'TCAV: no target-class inputs: pick an inputs folder or load images', 2);
    requireSameSize(
      [
        ...cs.map((f, i) => ({ name: pathOf(f.files[0]!), dims: conceptSets[i]!.dims.slice(1) })),
        ...rs.map((f, i) => ({ name: pathOf(f.files[0]!), dims: randomSets[i]!.dims.slice(1) })),
        { name: inputs ? pathOf(inputs.files[0]!) : 'the loaded images', dims: inputBatch.dims.slice(1) },
      ],
      'TCAV',
    );
    const res = await getConceptMethod('tcav').run(model, { concept: conceptSets, random: randomSets.length === 1 ? randomSets[0]! : randomSets, inputs: inputBatch }, { ...options, ...generic(layer, signal, progress, 0.3, 1, 'TCAV'), target });
    signal.throwIfAborted();
    const results = res.concepts ?? [res];
    const rows = results.map((r, k) => ({
      concept: cs[k]!.label,
      score: r.score,
      sd: sd(r.conceptScores),
      pValue: r.pValue,
      t: r.t,
      threshold: r.threshold,
      significant: r.significant,
      direction: r.direction,
      conceptScores: r.conceptScores,
      randomScores: r.randomScores,
      cavAccuracy: r.cavAccuracy,
    }));
    $('tcav-out').replaceChildren(...tcavView(rows, { target: context().label(target), layer, runs: res.runs, tests: typeof options.tests === 'number' ? options.tests : rows.length, randomFolders: rs.map((f) => f.label), randomPairs: res.randomPairs, notes: tcavNotes(res) }));
    progress(1, `Done: ${cs.map((f) => f.files.length).join(' + ')} concept, ${rs.map((f) => f.files.length).join(' + ')} random, ${inputBatch.dims[0]} target-class images.`);
    return {
      layer,
      target,
      runs: res.runs,
      randomSets: res.randomSets,
      ...(res.randomPairs ? { randomPairs: res.randomPairs } : {}),
      concepts: rows,
      counts: { concepts: cs.map((f) => f.files.length), random: rs.map((f) => f.files.length), inputs: inputBatch.dims[0]! },
    };
  });

  // ------------------------------------------------------------ prototypes and criticisms
  let protoFolder: Folder | undefined;
  const protoUrls = urlsOf();
  $<HTMLInputElement>('prototypes-dataset').addEventListener('change', (e) => {
    protoFolder = folderOf((e.target as HTMLInputElement).files, 'dataset');
    fillClasses($<HTMLSelectElement>('prototypes-class'), protoFolder);
  });
  job('prototypes', hook.prototypes, onError, async (signal, progress) => {
    const { model, layer } = need();
    const options = forms.prototypes();
    const cls = $<HTMLSelectElement>('prototypes-class').value || undefined;
    const folder = requireImages(inClass(requireImages(protoFolder, 'Prototypes dataset folder'), cls), `Prototypes ${cls ? `class folder ${cls}` : 'dataset folder'}`);
    const e = await embedFiles(model, layer, folder.files, 'prototypes dataset', (done, total) => progress(done / total, `Embedding ${done}/${total} images at ${layer}`), signal);
    const r = await getConceptMethod('prototypes').run(model, { data: e.data, n: folder.files.length, d: e.d }, { ...options, layer, signal });
    protoUrls.reset();
    const protos = document.createElement('div');
    protos.className = 'row prototypes';
    protos.append(...r.prototypes.map((i, j) => thumb(folder.files[i]!, `prototype ${j + 1}: ${pathOf(folder.files[i]!)}`, protoUrls.list)));
    const crits = document.createElement('div');
    crits.className = 'row criticisms';
    crits.append(...r.criticisms.map((i, j) => thumb(folder.files[i]!, `witness ${r.witness[j]!.toFixed(4)}: ${pathOf(folder.files[i]!)}`, protoUrls.list)));
    const h1 = document.createElement('h4');
    h1.textContent = 'Prototypes';
    const h2 = document.createElement('h4');
    h2.textContent = 'Criticisms (largest witness first; witness > 0: under-represented by the prototypes)';
    $('prototypes-out').replaceChildren(h1, protos, h2, crits);
    progress(1, `MMD-critic over ${folder.files.length} images of ${folder.label} at ${layer} (${e.cached} embeddings cached, ${e.computed} computed; γ = ${r.gamma.toPrecision(3)}).`);
    return { layer, files: folder.files.map(pathOf), prototypes: r.prototypes, criticisms: r.criticisms, witness: r.witness, gamma: r.gamma, cached: e.cached, computed: e.computed };
  });

  // ------------------------------------------------------------ CRAFT
  let craftFolder: Folder | undefined;
  $<HTMLInputElement>('craft-dataset').addEventListener('change', (e) => {
    craftFolder = folderOf((e.target as HTMLInputElement).files, 'dataset');
    fillClasses($<HTMLSelectElement>('craft-class'), craftFolder);
  });
  job('craft', hook.craft, onError, async (signal, progress) => {
    const { model, layer } = need();
    const target = conceptTargetClass(model, $<HTMLInputElement>('craft-target').value, 'CRAFT target class');
    const o = forms.craft();
    const cls = $<HTMLSelectElement>('craft-class').value || undefined;
    const folder = requireImages(inClass(requireImages(craftFolder, 'CRAFT dataset folder'), cls), `CRAFT ${cls ? `class folder ${cls}` : 'dataset folder'}`);
    const set = await loadFolder(model, folder, 'CRAFT dataset', (done, total) => progress((0.1 * done) / total, `Reading images ${done}/${total}`), signal);
    const r = await getConceptMethod('craft').run(model, set.batch, { ...o, ...generic(layer, signal, progress, 0.1, 1, 'CRAFT'), target });
    const k = r.k;
    signal.throwIfAborted();
    const { label } = context();
    const atlas = document.createElement('div');
    atlas.className = 'atlas';
    for (const j of r.order) {
      const row = document.createElement('div');
      row.className = 'atlas-row';
      const head = document.createElement('p');
      head.textContent = `concept ${j}: importance ${r.importance[j]!.toPrecision(3)}`;
      const crops = document.createElement('div');
      crops.className = 'row';
      for (const q of r.atlas[j]!) {
        const c = r.crops[q]!;
        const [x0, y0, x1, y1] = c.box;
        const image = set.images[c.image]!.image;
        const canvas = document.createElement('canvas');
        canvas.width = x1 - x0;
        canvas.height = y1 - y0;
        canvas.getContext('2d')!.putImageData(rawToImageData(image), -x0, -y0, x0, y0, x1 - x0, y1 - y0);
        canvas.setAttribute('role', 'img');
        canvas.setAttribute('aria-label', `concept ${j} crop of ${pathOf(folder.files[c.image]!)} at ${x0},${y0}–${x1},${y1}`);
        canvas.title = `${pathOf(folder.files[c.image]!)} [${x0}, ${y0}, ${x1}, ${y1}]`;
        crops.append(canvas);
      }
      row.append(head, crops);
      atlas.append(row);
    }
    const caption = document.createElement('p');
    caption.className = 'muted';
    caption.textContent = `${r.crops.length} crops of ${folder.files.length} images of ${folder.label} → ${layer} pooled activations → NMF bank of ${k} concepts (relative error ${r.relativeError.toFixed(3)}). Concepts by importance for ${label(target)} (${r.importanceMethod === 'sobol' ? 'total-order Sobol index' : 'gradient × concept'}), each with the crops that express it most.`;
    $('craft-out').replaceChildren(caption, atlas);
    progress(1, `Done: ${k} concepts.`);
    return { layer, target, k, files: folder.files.map(pathOf), crops: r.crops.length, importanceMethod: r.importanceMethod, importance: r.importance, order: r.order, atlas: r.atlas, relativeError: r.relativeError };
  });

  // ------------------------------------------------------------ nearest dataset images
  let nbFolder: Folder | undefined;
  const nbUrls = urlsOf();
  $<HTMLInputElement>('dataset-folder').addEventListener('change', (e) => (nbFolder = folderOf((e.target as HTMLInputElement).files, 'dataset')));
  job('dataset', hook.neighbors, onError, async (signal, progress) => {
    const { model, layer, image } = need();
    if (!image) throw new Error('select an image to query with');
    const options = forms.neighbors();
    const folder = requireImages(nbFolder, 'Neighbours dataset folder');
    const e = await embedFiles(model, layer, folder.files, 'neighbours dataset', (done, total) => progress(done / total, `Embedding ${done}/${total} images at ${layer}`), signal);
    const hits = (await getConceptMethod('neighbors').run(model, { query: image.tensor, dataset: { data: e.data, n: folder.files.length, d: e.d } }, { ...options, layer, signal })).neighbors;
    nbUrls.reset();
    $('dataset-out').replaceChildren(...hits.map((h) => thumb(folder.files[h.index]!, `${h.similarity.toFixed(3)} ${pathOf(folder.files[h.index]!)}`, nbUrls.list)));
    progress(1, `${hits.length} nearest of ${folder.files.length} images in ${folder.label} at ${layer} (cosine; ${e.cached} embeddings cached, ${e.computed} computed).`);
    return { layer, files: folder.files.map(pathOf), hits, cached: e.cached, computed: e.computed };
  });

  return {
    modelChanged(model) {
      // the target fields offer the model's class names; the default is the first class
      const names = model?.classNames ?? [];
      $<HTMLDataListElement>('concept-classes').replaceChildren(...names.map((n, i) => new Option(`#${i}`, n)));
      for (const id of ['tcav-target', 'craft-target']) {
        const input = $<HTMLInputElement>(id);
        if (!model || (input.value && targetOk(model, input.value))) continue;
        input.value = '0';
      }
    },
  };
}

function targetOk(model: LumenModel, text: string): boolean {
  try {
    conceptTargetClass(model, text, '');
    return true;
  } catch {
    return false;
  }
}
