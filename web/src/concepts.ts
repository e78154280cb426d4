/** The Concepts panel: Deep Feature Factorization of the selected image (docs/concepts.md), what a heatmap cannot say. */
import { Tensor, factorizationImage, getConceptMethod, type LumenModel, type PreparedImage } from '../../src/browser.js';
import { requireSameSize } from '../../src/methods/concepts/layer.js';
import { conceptClassesText, conceptLegendLine, conceptTopClasses } from '../../src/methods/concepts/dff.js';
import { dffNotes, dffSummary } from '../../src/methods/concepts/notes.js';
import { $ } from './dom.js';
import { optionFields } from './forms.js';
import { paintCanvas } from './view.js';

export interface ConceptContext {
  model?: LumenModel;
  image?: PreparedImage;
  /** The layer chosen under "Target layer". */
  layer: string;
  label(c: number): string;
  /** Every loaded image, prepared for the model: the set the neighbours view searches. */
  dataset(): { name: string; url: string; image: PreparedImage }[];
  current: number;
}

/** Test hook (window.__lumenConcepts): the last factorization, compared with the Node API by test/web/concepts.test.ts. */
export interface ConceptsHook {
  runs: number;
  busy: boolean;
  result?: { layer: string; k: number; dims: number[]; maps: number[]; probabilities: number[]; legend: string[]; canvas: { width: number; height: number }; canvases: number; input?: { dims: number[]; data: number[] } };
  neighborRuns: number;
  neighbors?: { layer: string; query: number; hits: { index: number; similarity: number }[] };
}

declare global {
  interface Window {
    __lumenConcepts?: ConceptsHook;
  }
}

export function setupConcepts(context: () => ConceptContext, onError: (e: unknown) => void): void {
  const hook: ConceptsHook = { runs: 0, busy: false, neighborRuns: 0 };
  window.__lumenConcepts = hook;
  const button = $<HTMLButtonElement>('concepts-run');
  const status = $<HTMLParagraphElement>('concepts-status');
  const out = $<HTMLDivElement>('concepts-out');
  // k and seed: fields generated from the dff concept method's metadata
  const form = optionFields('concept-dff', getConceptMethod('dff').info.options);
  $<HTMLDivElement>('dff-options').append(form.element);
  button.addEventListener('click', () => {
    void run().catch((e: unknown) => {
      status.textContent = '';
      onError(e);
    }).finally(() => {
      hook.busy = false;
      button.disabled = false;
    });
  });

  const nbButton = $<HTMLButtonElement>('neighbors-run');
  const nbOut = $<HTMLDivElement>('neighbors-out');
  const nbProgress = $<HTMLProgressElement>('neighbors-progress');
  nbButton.addEventListener('click', () => {
    hook.busy = true;
    nbButton.disabled = true;
    void neighbors().catch(onError).finally(() => {
      hook.busy = false;
      nbButton.disabled = false;
    });
  });

  /**
   * The loaded images nearest to the selected one in the layer's global-average-pooled embedding (cosine): the
   * registered `neighbors` concept method (`lumen neighbors`' code) with the loaded images as the dataset.
   */
  async function neighbors(): Promise<void> {
    const { model, layer, dataset, current } = context();
    const items = dataset();
    if (!model || !items[current]) throw new Error('load a model and select an image first');
    requireSameSize(items.map((it) => ({ name: it.name, dims: it.image.tensor.dims.slice(1) })), 'Nearest loaded images');
    nbProgress.value = 0;
    nbProgress.max = items.length;
    const k = Math.min(8, items.length);
    const onProgress = (e: { done: number }): void => void (nbProgress.value = e.done);
    const { neighbors: hits } = await getConceptMethod('neighbors').run(model, { query: items[current]!.image.tensor, dataset: Tensor.concat(items.map((it) => it.image.tensor)) }, { layer, k, onProgress });
    nbOut.replaceChildren(
      ...hits.map((h) => {
        const fig = document.createElement('figure');
        const img = document.createElement('img');
        img.src = items[h.index]!.url;
        img.alt = items[h.index]!.name;
        img.width = 72;
        const cap = document.createElement('figcaption');
        cap.textContent = `${h.similarity.toFixed(3)} ${items[h.index]!.name}${h.index === current ? ' (query)' : ''}`;
        fig.append(img, cap);
        return fig;
      }),
    );
    hook.neighbors = { layer, query: current, hits };
    hook.neighborRuns++;
  }

  async function run(): Promise<void> {
    const { model, image, layer, label, dataset } = context();
    if (!model || !image) throw new Error('load a model and select an image first');
    const options = form.read();
    // one image, or every loaded image factorized together (one concept bank shared by the set)
    const set = $<HTMLInputElement>('concept-all').checked ? dataset().map((d) => d.image) : [image];
    const input = set.length === 1 ? image.tensor : Tensor.concat(set.map((p) => p.tensor));
    hook.busy = true;
    button.disabled = true;
    status.textContent = `Factorizing ${layer} of ${set.length} image${set.length === 1 ? '' : 's'}…`;
    const r = await getConceptMethod('dff').run(model, input, { ...options, layer });
    const k = r.k;
    const probs = r.conceptProbabilities!;
    const rows = conceptTopClasses(probs, 3).map((top) => top.map((t) => ({ ...t, label: label(t.class) })));
    const legend = rows.map((top, j) => conceptLegendLine(j, top.slice(0, 2)));
    const [H, W] = [r.upsampled.dims[2]!, r.upsampled.dims[3]!];
    const canvases = set.map((p, i) => {
      const picture = factorizationImage(p.image, r.upsampled.data.subarray(i * k * H * W, (i + 1) * k * H * W), k, { labels: legend, scale: Math.max(1, Math.floor((set.length === 1 ? 192 : 96) / Math.max(W, H))) });
      const canvas = paintCanvas(document.createElement('canvas'), picture);
      if (i === 0) canvas.id = 'concepts-canvas';
      canvas.setAttribute('aria-label', `Concept map ${set.length > 1 ? `of image ${i + 1} ` : ''}with legend: ${legend.join('; ')}`);
      return canvas;
    });
    const canvas = canvases[0]!;
    const table = document.createElement('table');
    table.innerHTML = '<tr><th>concept</th><th>top classes (head softmax)</th></tr>';
    rows.forEach((top, j) => {
      const tr = table.insertRow();
      tr.insertCell().textContent = String(j);
      tr.insertCell().textContent = conceptClassesText(top);
    });
    const maps = document.createElement('div');
    maps.className = 'row';
    maps.append(...canvases);
    out.replaceChildren(maps, table);
    status.textContent = `${dffSummary({ layer, k, images: set.length, relativeError: r.relativeError })}${dffNotes(r).map((n) => ` ${n}`).join('')}`;
    hook.result = {
      layer,
      k,
      dims: [...r.upsampled.dims],
      maps: Array.from(r.upsampled.data),
      probabilities: Array.from(probs.data),
      legend,
      canvas: { width: canvas.width, height: canvas.height },
      canvases: canvases.length,
      ...(set.length > 1 ? { input: { dims: [...input.dims], data: Array.from(input.data) } } : {}),
    };
    hook.runs++;
  }
}
