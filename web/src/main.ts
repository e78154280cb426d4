import './style.css';
import {
  LumenError,
  LumenModel,
  classColor,
  classMapImage,
  decodeImageBlob,
  describeLayout,
  displayMap,
  explain,
  forwardTarget,
  listMethods,
  loadModelFromFile,
  loadModelFromURL,
  loadTfjsModelFromFiles,
  maskFromImage,
  maskFromNpy,
  parseTargetSpec,
  TARGET_SYNTAX_TEXT,
  prepareImage,
  structuredPrediction,
  type Explanation,
  type LayerInfo,
  type MethodInfo,
  type Prediction,
  type PreparedImage,
  type RawImage,
  type StructuredPrediction,
  type TargetMask,
  type TargetSpec,
} from '../../src/browser.js';
import { $ } from './dom.js';
import { optionFields, type OptionValues } from './forms.js';
import { COLORMAPS, DEFAULT_COLORMAP, curveSvg, downloadBlob, npyBlob, overlayPicture, paintCanvas, pngBlob, rawToImageData } from './view.js';
import { metricsAvailable, scoreDeletionInsertion, type CurveScores } from './scores.js';
import type { TestHook } from './test-hook.js';
import { setupConcepts } from './concepts.js';
import { setupConceptViews } from './concept-views.js';

/** Where the app finds onnxruntime-web's wasm (copied into the build by vite.config.ts). */
const WASM_PATHS = new URL('ort/', document.baseURI).href;

interface LoadedImage {
  name: string;
  blobUrl: string;
  raw: RawImage;
  /** Prepared for the current model. */
  prepared?: PreparedImage;
}

interface Result {
  methodId: string;
  title: string;
  target: number;
  label: string;
  layer?: string;
  signed: boolean;
  explanation: Explanation;
  /** [H·W] map shown (the display policy's `displayMap` at the image's size): [0,1], or [-1,1] when signed. */
  map: Float32Array;
  width: number;
  height: number;
  /** The image under the overlay and the method's signedness, to repaint when the colormap changes. */
  base: RawImage;
  info: MethodInfo;
  scores?: CurveScores;
  card: HTMLElement;
  heat: HTMLCanvasElement;
}

interface MethodChoice {
  info: MethodInfo;
  checkbox: HTMLInputElement;
  read: () => OptionValues;
}

const state = {
  model: undefined as LumenModel | undefined,
  modelName: '',
  layers: [] as LayerInfo[],
  images: [] as LoadedImage[],
  current: -1,
  predictions: [] as Prediction[],
  targets: [] as number[],
  results: [] as Result[],
  methods: [] as MethodChoice[],
  running: undefined as AbortController | undefined,
  pendingMetadata: undefined as File | undefined,
  /** What a segmentation model or a detector predicts for the current image (class map / boxes after NMS). */
  structured: undefined as StructuredPrediction | undefined,
  /** Files a typed target names (seg:…:mask=<file>, embed:<file>), by file name. */
  targetMasks: new Map<string, TargetMask>(),
  targetReferences: new Map<string, RawImage>(),
};

/** Test hook (web/src/test-hook.ts): the browser tests compare its values with the Node API. */
const hook: TestHook = {
  ready: false,
  busy: false,
  runs: 0,
  errors: [],
  model: () =>
    state.model && {
      name: state.modelName,
      inputDims: state.images[state.current]?.prepared?.tensor.dims.slice() ?? [],
      layers: state.layers.map((l) => l.name),
      defaultLayer: state.layers.find((l) => l.isDefault)?.name,
    },
  input: () => {
    const t = state.images[state.current]?.prepared?.tensor;
    return t && { dims: [...t.dims], data: Array.from(t.data) };
  },
  predictions: () => state.predictions,
  structured: () => {
    const p = state.structured;
    if (!p) return undefined;
    return p.kind === 'segmentation' ? { kind: p.kind, categories: p.categories, map: Array.from(p.map) } : { kind: p.kind, detections: p.detections };
  },
  results: () =>
    state.results.map((r) => ({
      method: r.methodId,
      target: r.target,
      layer: r.layer,
      dims: [...r.explanation.attribution.dims],
      attribution: Array.from(r.explanation.attribution.data),
      map: Array.from(r.map),
      scores: r.scores,
    })),
};
(window as unknown as { __lumen: TestHook }).__lumen = hook;

const ui = {
  status: $<HTMLParagraphElement>('runtime-status'),
  modelInfo: $<HTMLParagraphElement>('model-info'),
  modelFile: $<HTMLInputElement>('model-file'),
  metaFile: $<HTMLInputElement>('meta-file'),
  bundledModel: $<HTMLButtonElement>('bundled-model'),
  imageFiles: $<HTMLInputElement>('image-files'),
  drop: $<HTMLDivElement>('drop-zone'),
  thumbs: $<HTMLDivElement>('thumbs'),
  methods: $<HTMLDivElement>('methods'),
  layer: $<HTMLSelectElement>('layer'),
  targetSpec: $<HTMLInputElement>('target-spec'),
  targetOutput: $<HTMLSelectElement>('target-output'),
  targetMaskFile: $<HTMLInputElement>('target-mask-file'),
  targetReferenceFile: $<HTMLInputElement>('target-reference-file'),
  objects: $<HTMLDivElement>('objects'),
  objectsCanvas: $<HTMLCanvasElement>('objects-canvas'),
  objectsCaption: $<HTMLParagraphElement>('objects-caption'),
  objectsList: $<HTMLOListElement>('objects-list'),
  colormap: $<HTMLSelectElement>('colormap'),
  opacity: $<HTMLInputElement>('opacity'),
  opacityValue: $<HTMLOutputElement>('opacity-value'),
  withMetrics: $<HTMLInputElement>('with-metrics'),
  run: $<HTMLButtonElement>('run'),
  cancel: $<HTMLButtonElement>('cancel'),
  progress: $<HTMLProgressElement>('progress'),
  progressLabel: $<HTMLLabelElement>('progress-label'),
  preview: $<HTMLCanvasElement>('preview'),
  predictions: $<HTMLOListElement>('predictions'),
  resultsEmpty: $<HTMLParagraphElement>('results-empty'),
  grid: $<HTMLDivElement>('result-grid'),
  error: $<HTMLDivElement>('error'),
  errorText: $<HTMLSpanElement>('error-text'),
  errorClose: $<HTMLButtonElement>('error-close'),
};
// the typed target's syntax, from the one list parseTargetSpec reads (src/targets/spec.ts)
$<HTMLParagraphElement>('target-help').textContent = `${TARGET_SYNTAX_TEXT} (docs/targets.md).`;

function showError(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  hook.errors.push(message);
  ui.errorText.textContent = message;
  ui.error.hidden = false;
}

function clearError(): void {
  ui.error.hidden = true;
  ui.errorText.textContent = '';
}

function setStatus(text: string): void {
  ui.status.textContent = text;
}

// ---------------------------------------------------------------- model

/** What loading changed in the model (opset upgrade, opened batch) and, once a run found it, why batches run split. */
function showModelInfo(model: LumenModel, name: string): void {
  const batch = model.batchOpening;
  ui.modelInfo.textContent = `${name}: input ${model.inputDims.join('×')} (${model.fileLayout === 'NHWC' ? 'channels-last file, fed NCHW' : 'NCHW'}), ${model.classNames?.length ?? '?'} classes${model.classNames ? '' : ' (no class names)'}.${model.opsetUpgrade ? ` Opset ${model.opsetUpgrade.fromOpset} file, upgraded to ${model.opsetUpgrade.toOpset} on load${model.opsetUpgrade.changes.length ? ` (${model.opsetUpgrade.changes.join('; ')})` : ''}.` : ''}${batch ? ` The file fixes the batch at 1: opened for batched runs${batch.reason ? `, but ${batch.reason}` : ''}.` : ''}`;
}

async function setModel(load: () => Promise<LumenModel>, name: string): Promise<void> {
  clearError();
  setStatus(`Loading ${name}…`);
  const model = await load();
  const layers = await model.layers();
  state.running?.abort(); // a run on the old model would touch a disposed session
  const old = state.model;
  state.model = model;
  state.modelName = name;
  state.layers = layers;
  if (old) void old.dispose();
  const size = model.inputSize;
  showModelInfo(model, name);
  // the first output is the default; other outputs of a multi-output model can be explained with a target above
  ui.targetOutput.replaceChildren(...model.proto.graph!.output.map((o, i) => new Option(i === 0 ? `${o.name} (default)` : o.name, i === 0 ? '' : o.name, i === 0, i === 0)));
  ui.layer.replaceChildren(
    ...layers.map((l) => new Option(`${l.name} [${l.shape.slice(1).join('×')}] ${describeLayout(l.layout, l.shape)} ${l.op}${l.isDefault ? ' (default)' : ''}`, l.name, l.isDefault, l.isDefault)),
  );
  for (const img of state.images) img.prepared = undefined;
  conceptViews?.modelChanged(model);
  clearResults();
  setStatus(`Ready: ${name} (${size.width ?? '?'}×${size.height ?? '?'}), ${crossOriginIsolated ? 'multi-threaded' : 'single-threaded'} WebAssembly`);
  if (state.current >= 0) await selectImage(state.current);
}

/** The concept views over picked folders (concept-views.ts), told when the model changes. */
let conceptViews: ReturnType<typeof setupConceptViews> | undefined;

async function loadBundled(): Promise<void> {
  const manifest = await fetchManifest();
  if (!manifest.model) throw new Error('this build has no bundled model');
  const base = document.baseURI;
  await setModel(
    () =>
      loadModelFromURL(new URL(manifest.model!.url, base), {
        wasmPaths: WASM_PATHS,
        metadataUrl: manifest.model!.metadataUrl ? new URL(manifest.model!.metadataUrl, base) : undefined,
        source: manifest.model!.name,
      }),
    manifest.model.name,
  );
}

interface Manifest {
  model?: { name: string; url: string; metadataUrl?: string };
  samples?: { name: string; url: string }[];
}

let manifestPromise: Promise<Manifest> | undefined;
function fetchManifest(): Promise<Manifest> {
  manifestPromise ??= fetch(new URL('bundled/manifest.json', document.baseURI)).then((r) => (r.ok ? (r.json() as Promise<Manifest>) : {}));
  return manifestPromise;
}

async function loadModelFile(file: File, metadata?: File): Promise<void> {
  await setModel(() => loadModelFromFile(file, { wasmPaths: WASM_PATHS, metadataFile: metadata }), file.name);
}

// ---------------------------------------------------------------- images

async function addImage(name: string, blob: Blob): Promise<number> {
  const raw = await decodeImageBlob(blob);
  state.images.push({ name, blobUrl: URL.createObjectURL(blob), raw });
  renderThumbs();
  return state.images.length - 1;
}

function renderThumbs(): void {
  ui.thumbs.replaceChildren(
    ...state.images.map((img, i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.setAttribute('role', 'radio');
      b.setAttribute('aria-checked', String(i === state.current));
      b.setAttribute('aria-label', img.name);
      b.tabIndex = i === state.current || (state.current < 0 && i === 0) ? 0 : -1;
      b.title = img.name;
      const el = document.createElement('img');
      el.src = img.blobUrl;
      el.alt = '';
      b.append(el);
      b.addEventListener('click', () => void selectImage(i).catch(showError));
      b.addEventListener('keydown', (ev) => {
        const step = ev.key === 'ArrowRight' || ev.key === 'ArrowDown' ? 1 : ev.key === 'ArrowLeft' || ev.key === 'ArrowUp' ? -1 : 0;
        if (!step) return;
        ev.preventDefault();
        const next = (i + step + state.images.length) % state.images.length;
        void selectImage(next).then(() => (ui.thumbs.children[next] as HTMLElement | undefined)?.focus()).catch(showError);
      });
      return b;
    }),
  );
}

function prepared(img: LoadedImage): PreparedImage {
  if (!state.model) throw new Error('load a model first');
  img.prepared ??= prepareImage(img.raw, state.model);
  return img.prepared;
}

async function selectImage(i: number): Promise<void> {
  state.running?.abort(); // its results belong to the previous image
  state.current = i;
  renderThumbs();
  const img = state.images[i];
  if (!img || !state.model) return;
  const p = prepared(img);
  drawPreview(p.image);
  // a segmentation map or a detection head has no class predictions: explain it with a typed target instead
  const [preds] = await state.model.predict(p.tensor, 5).catch((e: unknown) => {
    if (e instanceof LumenError && e.code === 'TARGET_RANGE') return [[] as Prediction[]];
    throw e;
  });
  state.predictions = preds ?? [];
  state.targets = state.predictions.length ? [state.predictions[0]!.index] : [];
  renderPredictions();
  await renderStructured();
  clearResults();
}

/**
 * A segmentation model's class map or a detector's boxes after NMS (src/targets structuredPrediction, what
 * `lumen predict` prints) for the chosen output, drawn under Predictions; each entry fills the typed target.
 */
async function renderStructured(): Promise<void> {
  const img = state.images[state.current];
  state.structured = undefined;
  ui.objects.hidden = true;
  if (!img || !state.model) return;
  const p = prepared(img);
  const { values } = await forwardTarget(state.model, p.tensor, ui.targetOutput.value || state.model.logitsName);
  const s = structuredPrediction(values, 0);
  state.structured = s;
  if (!s) return;
  const model = state.model;
  const label = (k: number): string => model.classLabel(k);
  const canvas = ui.objectsCanvas;
  const ctx = canvas.getContext('2d')!;
  const swatch = (k: number): HTMLSpanElement => {
    const el = document.createElement('span');
    el.className = 'swatch';
    el.style.background = `rgb(${classColor(k).join(',')})`;
    return el;
  };
  const entry = (text: string, target: string, k: number): HTMLLIElement => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.target = target;
    const t = document.createElement('span');
    t.textContent = text;
    b.append(swatch(k), t);
    b.addEventListener('click', () => (ui.targetSpec.value = target));
    li.append(b);
    return li;
  };
  if (s.kind === 'segmentation') {
    // the class map at the output's resolution, one palette colour per category (the CLI's class-map PNG)
    paintCanvas(canvas, classMapImage(s.map, s.width, s.height));
    ui.objectsCaption.textContent = `Class map (${s.width}×${s.height}): pick a category to explain it where it wins.`;
    ui.objectsList.replaceChildren(...s.categories.map((c) => entry(`seg:${c.category} ${label(c.category)}: ${c.pixels} px`, `seg:${c.category}`, c.category)));
  } else {
    // the image with each kept box as a 1-pixel outline in its class's colour (boxes are in input pixels)
    paintCanvas(canvas, p.image);
    for (const d of s.detections) {
      const [x0, y0, x1, y1] = [d.box.x0, d.box.y0, d.box.x1, d.box.y1].map(Math.round) as [number, number, number, number];
      ctx.fillStyle = `rgb(${classColor(d.cls).join(',')})`;
      ctx.fillRect(x0, y0, x1 - x0, 1);
      ctx.fillRect(x0, y1 - 1, x1 - x0, 1);
      ctx.fillRect(x0, y0, 1, y1 - y0);
      ctx.fillRect(x1 - 1, y0, 1, y1 - y0);
    }
    ui.objectsCaption.textContent = `${s.detections.length} boxes after NMS (of ${s.candidates} candidates): pick one to explain it.`;
    ui.objectsList.replaceChildren(
      ...s.detections.map((d) => entry(`det:${d.index} ${label(d.cls)} ${d.score.toFixed(3)} at ${[d.box.x0, d.box.y0, d.box.x1, d.box.y1].map((v) => v.toFixed(0)).join(',')}`, `det:${d.index}`, d.cls)),
    );
  }
  ui.objects.hidden = false;
}

/** The typed target, with the files it names (a mask, a reference image prepared like the explained image). */
function typedTarget(model: LumenModel, typed: string): TargetSpec {
  const missing = (what: string, name: string): Error => new LumenError('BAD_OPTION', `--target ${typed}: no ${what} named '${name}' was chosen (pick it with the ${what} button)`, 2);
  return parseTargetSpec(typed, ui.targetOutput.value || undefined, {
    mask: (name) => {
      const m = state.targetMasks.get(name);
      if (!m) throw missing('segmentation mask', name);
      return m;
    },
    image: (name) => {
      const raw = state.targetReferences.get(name.trim());
      if (!raw) throw missing('embedding reference image', name.trim());
      return prepareImage(raw, model).tensor;
    },
  });
}

async function addTargetMask(file: File): Promise<void> {
  const mask = /\.npy$/i.test(file.name) ? maskFromNpy(new Uint8Array(await file.arrayBuffer()), file.name) : maskFromImage(await decodeImageBlob(file));
  state.targetMasks.set(file.name, mask);
  const typed = /^\s*seg:(\d+)/.exec(ui.targetSpec.value);
  const category = typed?.[1] ?? String(state.structured?.kind === 'segmentation' ? (state.structured.categories.find((c) => c.category !== 0)?.category ?? 0) : 0);
  ui.targetSpec.value = `seg:${category}:mask=${file.name}`;
}

async function addTargetReference(file: File): Promise<void> {
  state.targetReferences.set(file.name, await decodeImageBlob(file));
  ui.targetSpec.value = `embed:${file.name}`;
}

function drawPreview(image: RawImage): void {
  paintCanvas(ui.preview, image);
}

function renderPredictions(): void {
  ui.predictions.replaceChildren(
    ...state.predictions.map((p) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.class = String(p.index);
      b.setAttribute('aria-pressed', String(state.targets.includes(p.index)));
      const name = document.createElement('span');
      name.textContent = `${p.label} (#${p.index})`;
      const pct = document.createElement('span');
      pct.textContent = `${(p.probability * 100).toFixed(1)}%`;
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${Math.max(1, p.probability * 100)}%`;
      b.append(name, pct, bar);
      b.addEventListener('click', () => {
        const has = state.targets.includes(p.index);
        if (has && state.targets.length === 1) return; // keep at least one class
        state.targets = has ? state.targets.filter((t) => t !== p.index) : [...state.targets, p.index];
        b.setAttribute('aria-pressed', String(!has));
      });
      li.append(b);
      return li;
    }),
  );
}

// ---------------------------------------------------------------- methods

const DEFAULT_METHODS = new Set(['gradcam']);

function renderMethods(): void {
  const families = new Map<string, MethodInfo[]>();
  for (const m of listMethods()) families.set(m.family, [...(families.get(m.family) ?? []), m]);
  state.methods = [];
  ui.methods.replaceChildren();
  if (families.size === 0) {
    ui.methods.textContent = 'No methods are registered in this build.';
    return;
  }
  for (const [family, infos] of families) {
    for (const info of infos) {
      const row = document.createElement('div');
      row.className = 'method';
      const label = document.createElement('label');
      label.className = 'check';
      const checkbox = document.createElement('input');
      checkbox.type = 'checkbox';
      checkbox.id = `method-${info.id}`;
      checkbox.value = info.id;
      checkbox.checked = DEFAULT_METHODS.has(info.id);
      const title = document.createElement('span');
      title.textContent = info.title;
      const fam = document.createElement('span');
      fam.className = 'family';
      fam.textContent = family;
      label.title = `${info.summary} Cost: ${info.cost}.`;
      label.append(checkbox, title, fam);
      const { element, read } = optionFields(info.id, info.options);
      element.hidden = !checkbox.checked;
      element.id = `opts-${info.id}`;
      checkbox.setAttribute('aria-controls', element.id);
      checkbox.addEventListener('change', () => (element.hidden = !checkbox.checked));
      row.append(label, element);
      ui.methods.append(row);
      state.methods.push({ info, checkbox, read });
    }
  }
}

// ---------------------------------------------------------------- run

function clearResults(): void {
  state.results = [];
  ui.grid.replaceChildren();
  ui.resultsEmpty.hidden = false;
}

function setProgress(fraction: number, label: string): void {
  ui.progress.value = Math.max(0, Math.min(1, fraction));
  ui.progressLabel.textContent = label;
}

async function run(): Promise<void> {
  clearError();
  const model = state.model;
  const img = state.images[state.current];
  if (!model || !img) throw new Error('load a model and pick an image first');
  const chosen = state.methods.filter((m) => m.checkbox.checked);
  if (chosen.length === 0) throw new Error('choose at least one method');
  const options = new Map(chosen.map((m) => [m.info.id, m.read()] as const));
  const { tensor } = prepared(img);
  // a typed target (segmentation, detection, another output) replaces the class buttons: one row, keyed -1
  const typed = ui.targetSpec.value.trim();
  const spec: TargetSpec | undefined = typed ? typedTarget(model, typed) : undefined;
  const targets = spec ? [-1] : [...state.targets];
  const layer = ui.layer.value || undefined;
  const withMetrics = ui.withMetrics.checked && metricsAvailable();

  clearResults();
  ui.resultsEmpty.hidden = true;
  const controller = new AbortController();
  state.running = controller;
  hook.busy = true;
  ui.run.disabled = true;
  ui.cancel.disabled = false;
  const jobs = targets.flatMap((target) => chosen.map((m) => ({ target, method: m })));
  const rows = new Map<number, HTMLElement>();
  for (const target of targets) {
    const row = document.createElement('section');
    row.className = 'row';
    const h = document.createElement('h3');
    h.className = 'row-title';
    h.textContent = spec ? `Target ${typed}` : `Class ${labelOf(target)}`;
    row.append(h);
    ui.grid.append(row);
    rows.set(target, row);
  }
  try {
    for (const [j, { target, method }] of jobs.entries()) {
      const stageLabel = `${method.info.title} for ${spec ? typed : labelOf(target)} (${j + 1}/${jobs.length})`;
      setProgress(j / jobs.length, stageLabel);
      const t0 = performance.now();
      let explanation: Explanation;
      try {
        explanation = await explain(model, tensor, method.info.id, {
          ...options.get(method.info.id),
          target: spec ?? target,
          ...(method.info.needsLayer && layer ? { layer } : {}),
          signal: controller.signal,
          onProgress: (e) => setProgress((j + (e.total ? e.done / e.total : 0)) / jobs.length, `${stageLabel}: ${e.stage ?? 'step'} ${e.done}/${e.total}`),
        });
      } catch (e) {
        if (controller.signal.aborted) throw e;
        hook.errors.push(`${method.info.id}: ${e instanceof Error ? e.message : String(e)}`);
        rows.get(target)!.append(failedCard(method.info.title, e));
        continue;
      }
      controller.signal.throwIfAborted(); // the image or model changed while it ran
      const result = addResult(rows.get(target)!, method.info, spec ? (explanation.targets[0] ?? -1) : target, method.info.needsLayer ? layer : undefined, explanation, performance.now() - t0);
      if (withMetrics) {
        setProgress((j + 0.9) / jobs.length, `${stageLabel}: deletion / insertion`);
        result.scores = await scoreDeletionInsertion(model, tensor, explanation, controller.signal, (e) =>
          setProgress((j + 0.9 + (e.total ? (0.1 * e.done) / e.total : 0)) / jobs.length, `${stageLabel}: ${e.stage ?? 'metrics'} ${e.done}/${e.total}`),
        spec);
        controller.signal.throwIfAborted();
        renderScores(result);
      }
    }
    setProgress(1, `Done: ${jobs.length} explanation${jobs.length === 1 ? '' : 's'}`);
  } catch (e) {
    if (controller.signal.aborted) setProgress(0, 'Cancelled');
    else throw e;
  } finally {
    if (state.model === model && model.batchOpening?.reason) showModelInfo(model, state.modelName);
    hook.runs++;
    // A newer run may have started after this one was aborted; leave its state alone.
    if (state.running === controller) {
      state.running = undefined;
      hook.busy = false;
      ui.run.disabled = false;
      ui.cancel.disabled = true;
    }
  }
}

function labelOf(target: number): string {
  const name = state.model?.classNames?.[target];
  return name ? `${name} (#${target})` : `#${target}`;
}

function failedCard(title: string, e: unknown): HTMLElement {
  const card = document.createElement('article');
  card.className = 'card failed';
  card.textContent = `${title}: ${e instanceof Error ? e.message : String(e)}`;
  return card;
}

function addResult(row: HTMLElement, info: MethodInfo, target: number, layer: string | undefined, explanation: Explanation, ms: number): Result {
  const img = state.images[state.current]!;
  const base = prepared(img).image;
  const { data: map, width, height, signed } = displayMap(explanation.attribution, info, base);
  const card = document.createElement('article');
  card.className = 'card';
  card.dataset.method = info.id;
  card.dataset.target = String(target);
  const h = document.createElement('h4');
  h.textContent = info.title;
  const stack = document.createElement('div');
  stack.className = 'stack';
  const under = paintCanvas(document.createElement('canvas'), base);
  const heat = document.createElement('canvas');
  heat.width = width;
  heat.height = height;
  heat.className = 'heat';
  heat.style.opacity = ui.opacity.value;
  stack.append(under, heat);
  stack.setAttribute('role', 'img');
  stack.setAttribute('aria-label', `${info.title} heatmap for class ${labelOf(target)}`);
  const meta = document.createElement('p');
  meta.className = 'meta';
  meta.textContent = `${layer ? `layer ${layer} · ` : ''}${Math.round(ms)} ms`;
  const dl = document.createElement('div');
  dl.className = 'dl';
  const png = document.createElement('button');
  png.type = 'button';
  png.textContent = 'Download PNG';
  png.setAttribute('aria-label', `Download ${info.title} overlay for ${labelOf(target)} as PNG`);
  const npy = document.createElement('button');
  npy.type = 'button';
  npy.textContent = 'Download .npy';
  npy.setAttribute('aria-label', `Download ${info.title} attribution for ${labelOf(target)} as .npy`);
  dl.append(png, npy);
  card.append(h, stack, meta, dl);
  row.append(card);

  const result: Result = { methodId: info.id, title: info.title, target, label: labelOf(target), layer, signed, explanation, map, width, height, base, info, card, heat };
  const fileBase = `${img.name}-${info.id}-class${target}`;
  png.addEventListener('click', () =>
    void pngBlob(overlayPicture(base, explanation.attribution, info, ui.colormap.value, true))
      .then((blob) => downloadBlob(blob, `${fileBase}.png`))
      .catch(showError),
  );
  npy.addEventListener('click', () => downloadBlob(npyBlob(explanation.attribution), `${fileBase}.npy`));
  paintHeat(result);
  state.results.push(result);
  return result;
}

function paintHeat(r: Result): void {
  r.heat.getContext('2d')!.putImageData(rawToImageData(overlayPicture(r.base, r.explanation.attribution, r.info, ui.colormap.value, false)), 0, 0);
}

function renderScores(r: Result): void {
  if (!r.scores) return;
  const dl = document.createElement('dl');
  dl.className = 'scores';
  for (const [name, value, better] of [['Deletion AUC', r.scores.deletion, 'lower is better'], ['Insertion AUC', r.scores.insertion, 'higher is better']] as const) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    dt.title = better;
    const dd = document.createElement('dd');
    dd.textContent = Number.isFinite(value) ? value.toFixed(3) : '–';
    dl.append(dt, dd);
  }
  const svg = curveSvg(r.scores.deletionCurve, r.scores.insertionCurve);
  r.card.insertBefore(dl, r.card.querySelector('.meta'));
  if (svg) r.card.insertBefore(svg, r.card.querySelector('.meta'));
}

// ---------------------------------------------------------------- wiring

function wire(): void {
  ui.run.addEventListener('click', () => void run().catch(showError));
  ui.cancel.addEventListener('click', () => state.running?.abort());
  ui.errorClose.addEventListener('click', clearError);
  ui.opacity.addEventListener('input', () => {
    ui.opacityValue.value = Number(ui.opacity.value).toFixed(2);
    for (const r of state.results) r.heat.style.opacity = ui.opacity.value;
  });
  ui.colormap.replaceChildren(...COLORMAPS.map((c) => new Option(c, c, c === DEFAULT_COLORMAP, c === DEFAULT_COLORMAP)));
  ui.colormap.addEventListener('change', () => state.results.forEach(paintHeat));
  ui.bundledModel.addEventListener('click', () => void loadBundled().catch(showError));
  ui.metaFile.addEventListener('change', () => {
    state.pendingMetadata = ui.metaFile.files?.[0];
    // A sidecar picked after the model: reload that model with it.
    const model = ui.modelFile.files?.[0];
    if (model && state.pendingMetadata) void loadModelFile(model, state.pendingMetadata).catch(showError);
  });
  ui.modelFile.addEventListener('change', () => {
    const picked = [...(ui.modelFile.files ?? [])];
    const file = picked[0];
    // several files or a .json: a TF.js model.json with its weight shards
    if (picked.length > 1 || (file && /\.json$/i.test(file.name))) void addFiles(picked).catch(showError);
    else if (file) void loadModelFile(file, ui.metaFile.files?.[0]).catch(showError);
  });
  ui.imageFiles.addEventListener('change', () => void addFiles([...(ui.imageFiles.files ?? [])]).catch(showError));
  ui.targetMaskFile.addEventListener('change', () => {
    const f = ui.targetMaskFile.files?.[0];
    if (f) void addTargetMask(f).catch(showError);
  });
  ui.targetReferenceFile.addEventListener('change', () => {
    const f = ui.targetReferenceFile.files?.[0];
    if (f) void addTargetReference(f).catch(showError);
  });
  ui.targetOutput.addEventListener('change', () => void renderStructured().catch(showError));
  ui.drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    ui.drop.classList.add('over');
  });
  ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
  ui.drop.addEventListener('drop', (e) => {
    e.preventDefault();
    ui.drop.classList.remove('over');
    void addFiles([...(e.dataTransfer?.files ?? [])]).catch(showError);
  });
  // Keyboard users reach the same pickers through the drop zone.
  ui.drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      ui.imageFiles.click();
    }
  });
  window.addEventListener('error', (e) => showError(e.error ?? e.message));
  window.addEventListener('unhandledrejection', (e) => showError(e.reason));
}

/**
 * Dropped or picked files: an .onnx replaces the model (with a dropped .json as its sidecar), a TF.js model.json with
 * its .bin shards (and Teachable Machine's metadata.json) replaces it converted, images are added.
 */
async function addFiles(files: File[]): Promise<void> {
  const model = files.find((f) => /\.onnx$/i.test(f.name));
  const meta = files.find((f) => /\.json$/i.test(f.name)) ?? state.pendingMetadata;
  if (model) await loadModelFile(model, meta);
  else if (files.some((f) => /\.bin$/i.test(f.name)) || files.some((f) => f.name === 'model.json')) {
    const name = files.find((f) => /\.json$/i.test(f.name))?.name ?? 'model.json';
    await setModel(() => loadTfjsModelFromFiles(files, { wasmPaths: WASM_PATHS }), `TF.js ${name}`);
  }
  let first = -1;
  for (const f of files.filter((f) => f.type.startsWith('image/') || /\.(png|jpe?g|webp|gif|bmp)$/i.test(f.name))) {
    const i = await addImage(f.name.replace(/\.[^.]+$/, ''), f);
    if (first < 0) first = i;
  }
  if (first >= 0) await selectImage(first);
}

async function boot(): Promise<void> {
  wire();
  // what the Concepts panel and the concept views read at each run: model, layer, selected and loaded images
  const conceptContext = () => {
    const img = state.images[state.current];
    return {
      model: state.model,
      image: img && state.model ? prepared(img) : undefined,
      layer: ui.layer.value,
      label: labelOf,
      dataset: () => state.images.map((i) => ({ name: i.name, url: i.blobUrl, image: prepared(i) })),
      loaded: () => state.images.map(prepared),
      current: state.current,
    };
  };
  setupConcepts(conceptContext, showError);
  conceptViews = setupConceptViews(conceptContext, showError);
  renderMethods();
  const manifest = await fetchManifest();
  for (const s of manifest.samples ?? []) {
    const res = await fetch(new URL(s.url, document.baseURI));
    if (res.ok) await addImage(s.name, await res.blob());
  }
  if (state.images.length) state.current = 0;
  if (manifest.model) await loadBundled();
  else setStatus('No bundled model: pick an .onnx file.');
  hook.ready = true;
}

boot().catch((e) => {
  showError(e);
  hook.ready = true;
});

