/**
 * The tabular page: a feature-vector ONNX model and a CSV picked by the user, one of the five global methods, its
 * SVG plot and a CSV download. Everything runs in the page (onnxruntime-web), through the same API as the CLI.
 */
import './style.css';
import { LumenError, loadModelFromFile, type LumenModel } from '../../src/browser.js';
import {
  TABULAR_METHODS,
  TabularModel,
  accumulatedLocalEffects,
  aleCsv,
  aleSvg,
  importanceCsv,
  importanceSvg,
  parseCsv,
  parseDataset,
  partialDependence,
  pdpCsv,
  pdpSvg,
  permutationImportance,
  shapCsv,
  shapSummarySvg,
  shapSvg,
  shapValues,
  type TabularDataset,
} from '../../src/tabular/index.js';
import { parseOptionValues } from '../../src/methods/validate.js';
import { $ } from './dom.js';
import { optionFields, type OptionValues } from './forms.js';
import { downloadBlob } from './view.js';

const WASM_PATHS = new URL('ort/', document.baseURI).href;

/** One plot the page has drawn (the browser test reads them through `window.__lumenTabular`). */
export interface Plot {
  method: string;
  features: string[];
  /** The numbers behind the plot, as the CLI writes them. */
  csv: string;
  /** For the browser test: the main numbers (PDP average, ALE values, importances, φ). */
  values: number[];
}

const state = {
  model: undefined as LumenModel | undefined,
  modelName: '',
  csvText: '',
  csvName: '',
  header: [] as string[],
  running: undefined as AbortController | undefined,
  plots: [] as Plot[],
};

/** What the page exposes to the browser test on `window.__lumenTabular`. */
export interface TabularHook {
  ready: boolean;
  busy: boolean;
  errors: string[];
  plots(): Plot[];
}
const hook: TabularHook = { ready: false, busy: false, errors: [], plots: () => state.plots };
(window as unknown as { __lumenTabular: TabularHook }).__lumenTabular = hook;

function showError(e: unknown): void {
  const text = e instanceof LumenError ? e.message : e instanceof Error ? e.message : String(e);
  if (!(e instanceof LumenError && e.code === 'CANCELLED')) hook.errors.push(text);
  $('error-text').textContent = text;
  $('error').hidden = false;
}

function options(select: HTMLSelectElement, values: readonly string[], first?: string): void {
  select.replaceChildren(...(first !== undefined ? [first] : []).concat(values).map((v, i) => {
    const o = document.createElement('option');
    o.value = first !== undefined && i === 0 ? '' : v;
    o.textContent = v;
    return o;
  }));
}

function refreshColumns(): void {
  const target = $<HTMLSelectElement>('t-target-column').value;
  const features = state.header.filter((h) => h !== target);
  options($<HTMLSelectElement>('t-feature'), features);
  options($<HTMLSelectElement>('t-feature2'), features, '(none)');
}

$<HTMLInputElement>('t-model').addEventListener('change', async (ev) => {
  const file = (ev.target as HTMLInputElement).files?.[0];
  if (!file) return;
  try {
    await state.model?.dispose();
    state.model = await loadModelFromFile(file, { wasmPaths: WASM_PATHS });
    state.modelName = file.name;
    $('status').textContent = `${file.name}: input ${state.model.inputName} [${state.model.inputDims.join(', ')}]`;
  } catch (e) {
    showError(e);
  }
});

$<HTMLInputElement>('t-csv').addEventListener('change', async (ev) => {
  const file = (ev.target as HTMLInputElement).files?.[0];
  if (!file) return;
  try {
    state.csvText = await file.text();
    state.csvName = file.name;
    state.header = parseCsv(state.csvText, file.name).header;
    const last = state.header[state.header.length - 1] ?? '';
    options($<HTMLSelectElement>('t-target-column'), state.header, '(none)');
    // a column called target/label/y, else the last one, is the usual label
    const guess = state.header.find((h) => /^(target|label|y|class)$/i.test(h)) ?? last;
    $<HTMLSelectElement>('t-target-column').value = guess;
    refreshColumns();
    $('t-info').textContent = `${file.name}: ${state.header.length} columns`;
  } catch (e) {
    showError(e);
  }
});
$<HTMLSelectElement>('t-target-column').addEventListener('change', refreshColumns);

// One method list and one set of option fields per method, from the methods' metadata (as the CLI's commands and
// flags): only the selected method's fields are shown, read when it runs and checked by the API's validator.
const optionReaders = new Map<string, () => OptionValues>();
{
  const select = $<HTMLSelectElement>('t-method');
  const box = $('t-options');
  for (const m of TABULAR_METHODS) {
    select.append(new Option(m.title, m.id));
    const { element, read } = optionFields(m.id, m.options);
    element.id = `opts-${m.id}`;
    element.hidden = m.id !== select.value;
    box.append(element);
    optionReaders.set(m.id, read);
  }
  select.setAttribute('aria-controls', [...optionReaders.keys()].map((id) => `opts-${id}`).join(' '));
  select.addEventListener('change', () => {
    for (const id of optionReaders.keys()) $(`opts-${id}`).hidden = id !== select.value;
  });
}

$<HTMLButtonElement>('t-cancel').addEventListener('click', () => state.running?.abort());

$<HTMLButtonElement>('t-run').addEventListener('click', async () => {
  if (!state.model || !state.csvText) {
    showError(new LumenError('BAD_OPTION', 'load an ONNX model and a CSV first'));
    return;
  }
  $('error').hidden = true;
  const controller = new AbortController();
  state.running = controller;
  hook.busy = true;
  $<HTMLButtonElement>('t-run').disabled = true;
  $<HTMLButtonElement>('t-cancel').disabled = false;
  const progress = $<HTMLProgressElement>('t-progress');
  try {
    const method = $<HTMLSelectElement>('t-method').value;
    // the option fields first, so a bad value is refused before any model work; a blank field is the method's
    // declared default (ICE's own grid and curves too, as `lumen ice`)
    const methodOptions = parseOptionValues(TABULAR_METHODS.find((m) => m.id === method)!.options, optionReaders.get(method)!());
    const targetColumn = $<HTMLSelectElement>('t-target-column').value || undefined;
    const dataset = parseDataset(state.csvText, { targetColumn, source: state.csvName });
    const tm = await TabularModel.create(state.model, dataset, {
      signal: controller.signal,
      onProgress: (e) => {
        progress.max = Math.max(1, e.total);
        progress.value = e.done;
        $('t-progress-label').textContent = `${e.stage ?? ''}: ${e.done}/${e.total} rows`;
      },
    });
    const plot = await runMethod(method, methodOptions, tm, dataset);
    state.plots.push(plot.plot);
    addCard(plot.svg, plot.plot);
    $('t-progress-label').textContent = 'Done';
  } catch (e) {
    showError(e);
  } finally {
    state.running = undefined;
    hook.busy = false;
    $<HTMLButtonElement>('t-run').disabled = false;
    $<HTMLButtonElement>('t-cancel').disabled = true;
  }
});

async function runMethod(method: string, options: Record<string, unknown>, tm: TabularModel, ds: TabularDataset): Promise<{ svg: string; plot: Plot }> {
  const f1 = $<HTMLSelectElement>('t-feature').value;
  const f2 = $<HTMLSelectElement>('t-feature2').value;
  const features = f2 && f2 !== f1 ? [f1, f2] : [f1];
  if (method === 'pdp' || method === 'ice') {
    const res = await partialDependence(tm, method === 'ice' ? [f1] : features, options);
    const cols = res.features.map((f) => ds.columns.find((c) => c.name === f)!);
    return { svg: pdpSvg(res, cols, { iceCurves: options.iceCurves as number }), plot: { method, features: res.features, csv: pdpCsv(res, cols), values: Array.from(res.average) } };
  }
  if (method === 'ale') {
    const res = await accumulatedLocalEffects(tm, features, options);
    return { svg: aleSvg(res), plot: { method, features, csv: aleCsv(res), values: Array.from(res.values) } };
  }
  if (method === 'importance') {
    const res = await permutationImportance(tm, options);
    return { svg: importanceSvg(res), plot: { method, features: res.features, csv: importanceCsv(res), values: Array.from(res.mean) } };
  }
  const res = await shapValues(tm, options);
  const svg = res.rows.length === 1 ? shapSvg(res, 0) : shapSummarySvg(res);
  return { svg, plot: { method, features: res.features, csv: shapCsv(res), values: Array.from(res.values) } };
}

function addCard(svg: string, plot: Plot): void {
  $('t-empty').hidden = true;
  const card = document.createElement('figure');
  card.className = 'tabular-card';
  const holder = document.createElement('div');
  holder.innerHTML = svg; // our own SVG text (feature names are XML-escaped by the renderer)
  const caption = document.createElement('figcaption');
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = `Download ${plot.method}.csv`;
  button.addEventListener('click', () => downloadBlob(new Blob([plot.csv], { type: 'text/csv' }), `${plot.method}_${plot.features.join('_')}.csv`));
  caption.append(button);
  card.append(holder, caption);
  $('t-plots').prepend(card);
}

hook.ready = true;
