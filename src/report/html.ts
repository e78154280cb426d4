import { mean } from '../metrics/stats.js';
import { escapeXml, lineChartSvg } from '../render/chart.js';

/** Everything a report shows; image fields are data: URIs so the page is self-contained. */
export interface ReportData {
  title: string;
  model: {
    path: string;
    input: string;
    inputDims: (number | string)[];
    classes: string[];
    normalization?: { mean: number[]; std: number[] };
    defaultLayer?: string;
    layers: { name: string; shape: number[]; op: string; isDefault: boolean }[];
  };
  images: ReportImage[];
  methods: ReportMethod[];
  metrics: ReportMetric[];
  failures: { input: string; method: string; error: string }[];
  sections?: { title: string; html: string }[];
}

export interface ReportImage {
  input: string;
  image?: string;
  predictions: { label: string; probability: number }[];
  cells: ReportCell[];
}

export interface ReportCell {
  method: string;
  target: string;
  label: string;
  probability?: number;
  overlay: string;
  scores: Record<string, number>;
  curves: Record<string, { x: number[]; y: number[] }>;
  ms?: number;
}

export interface ReportMethod {
  id: string;
  title: string;
  family: string;
  summary: string;
  cost: string;
  caveat?: string;
}

export interface ReportMetric {
  id: string;
  title: string;
  higherIsBetter: boolean;
  summary: string;
}

const esc = escapeXml;
const fmt = (v: number | undefined, digits = 3): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

/** One self-contained HTML page (no scripts from the network, images inline). */
export function renderReportHtml(data: ReportData): string {
  const metricInfo = new Map(data.metrics.map((m) => [m.id, m]));
  const metricIds = [...new Set(data.images.flatMap((i) => i.cells.flatMap((c) => Object.keys(c.scores))))];
  const arrow = (id: string): string => (metricInfo.get(id)?.higherIsBetter === false ? '↓' : '↑');

  const summaryRows = data.methods.map((m) => {
    const cells = data.images.flatMap((i) => i.cells.filter((c) => c.method === m.id));
    const stats = metricIds.map((id) => meanStd(cells.map((c) => c.scores[id]).filter((v): v is number => v !== undefined && Number.isFinite(v))));
    const ms = meanStd(cells.map((c) => c.ms).filter((v): v is number => v !== undefined));
    return `<tr><th scope="row">${esc(m.title)}</th><td>${esc(m.family)}</td>${stats.map((s) => `<td>${s}</td>`).join('')}<td>${ms}</td></tr>`;
  });

  const imageSections = data.images.map((img) => {
    const preds = img.predictions.map((p) => `<li>${esc(p.label)} <span class="num">${(p.probability * 100).toFixed(1)}%</span></li>`).join('');
    const cells = img.cells.map((c) => {
      const scores = Object.entries(c.scores).map(([k, v]) => `<span title="${esc(metricInfo.get(k)?.summary ?? k)}">${esc(k)} ${arrow(k)} ${fmt(v)}</span>`).join('<br>');
      const curveSeries = Object.entries(c.curves).map(([name, s]) => ({ name, x: s.x, y: s.y }));
      const chart = curveSeries.length ? lineChartSvg(curveSeries, { width: 220, height: 150, xLabel: 'fraction of pixels', yLabel: 'p(class)', yRange: [0, 1], xRange: [0, 1] }) : '';
      return `<figure><img src="${c.overlay}" alt="${esc(c.method)} for ${esc(c.label)}" width="160" height="160"><figcaption><b>${esc(c.method)}</b> · ${esc(c.label)}${c.probability !== undefined ? ` (${(c.probability * 100).toFixed(1)}%)` : ''}<br>${scores}</figcaption>${chart}</figure>`;
    }).join('');
    return `<section class="image"><h3>${esc(img.input)}</h3><div class="row">${img.image ? `<figure><img src="${img.image}" alt="input" width="160" height="160"><figcaption>input<ol>${preds}</ol></figcaption></figure>` : ''}${cells}</div></section>`;
  });

  const layers = data.model.layers.map((l) => `<tr${l.isDefault ? ' class="default"' : ''}><td>${l.isDefault ? '★' : ''}</td><td><code>${esc(l.name)}</code></td><td>[${l.shape.join(', ')}]</td><td>${esc(l.op)}</td></tr>`).join('');
  const howMethods = data.methods.map((m) => `<dt>${esc(m.title)} <small>(${esc(m.family)}; cost: ${esc(m.cost)})</small></dt><dd>${esc(m.summary)}${m.caveat ? ` <em>Limit: ${esc(m.caveat)}</em>` : ''}</dd>`).join('');
  const howMetrics = data.metrics.filter((m) => metricIds.includes(m.id)).map((m) => `<dt>${esc(m.title)} ${m.higherIsBetter ? '(higher is better)' : '(lower is better)'}</dt><dd>${esc(m.summary)}</dd>`).join('');
  const failures = data.failures.length
    ? `<section><h2>Failures</h2><ul>${data.failures.map((f) => `<li><code>${esc(f.input)}</code> [${esc(f.method)}]: ${esc(f.error)}</li>`).join('')}</ul></section>`
    : '';
  const extra = (data.sections ?? []).map((s) => `<section><h2>${esc(s.title)}</h2>${s.html}</section>`).join('');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(data.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;font-size:.9rem}
.row{display:flex;flex-wrap:wrap;gap:.75rem}figure{margin:0;width:220px;font-size:.8rem}figure img{image-rendering:pixelated;border:1px solid #ddd}
.num{color:#555}tr.default{background:#fff7d6}dt{font-weight:600;margin-top:.5rem}code{font-size:.85em}
</style></head><body>
<h1>${esc(data.title)}</h1>
<section><h2>Model</h2>
<p><code>${esc(data.model.path)}</code> — input <code>${esc(data.model.input)}</code> [${data.model.inputDims.join(', ')}], ${data.model.classes.length} classes: ${data.model.classes.map(esc).join(', ')}.
${data.model.normalization ? `Normalization: mean [${data.model.normalization.mean.join(', ')}], std [${data.model.normalization.std.join(', ')}].` : ''}</p>
<details><summary>${data.model.layers.length} candidate CAM layers (★ default)</summary><table><tr><th></th><th>tensor</th><th>shape</th><th>op</th></tr>${layers}</table></details>
</section>
<section><h2>Summary per method (mean ± std over images)</h2>
<table><tr><th>method</th><th>family</th>${metricIds.map((id) => `<th>${esc(id)} ${arrow(id)}</th>`).join('')}<th>time per image (ms, incl. compile)</th></tr>${summaryRows.join('')}</table></section>
<section><h2>Images</h2>${imageSections.join('')}</section>
${extra}
${failures}
<section><h2>How to read this</h2>
<p>Each heatmap shows which pixels the method credits for the class named under it (red/yellow = more). A heatmap is a
claim about the model, not proof: the scores beside it test the claim. <b>Deletion</b> removes the most important pixels
first — a faithful map makes the probability drop fast (low area under the curve). <b>Insertion</b> restores them into a
blurred image — a faithful map makes it rise fast (high area). <b>Class discrimination</b> compares the maps of the top
two classes — a high similarity means the map says where the object is, not why it is this class (Rudin's point).</p>
<dl>${howMethods}</dl><dl>${howMetrics}</dl>
</section>
<footer><p>Generated by Lumen. Self-contained: no network access needed.</p></footer>
</body></html>`;
}

function meanStd(values: number[]): string {
  if (values.length === 0) return '–';
  const m = mean(values);
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
  return `${fmt(m)} ± ${fmt(sd)}`;
}
