/** HTML for the shortcut benchmark section of a report (browser-safe string building). */
import { escapeXml } from '../render/chart.js';
import type { ShortcutBenchmarkResult, ShortcutMethodRow } from './benchmark.js';

export interface ShortcutModelRun {
  /** Short name, e.g. 'clean' or 'shortcut'. */
  name: string;
  /** Where the model came from (shown under the table). */
  source: string;
  result: ShortcutBenchmarkResult;
}

export interface ShortcutExampleFigure {
  /** A PNG (data URI) of the example grid. */
  src: string;
  caption: string;
}

export function formatNumber(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v.toFixed(digits);
}

/** A fraction as a whole percentage ('83 %'), '–' when missing (the section, its Markdown table and the demo's log). */
export function formatPercent(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${Math.round(v * 100)} %`;
}

/**
 * Verdict for one method on the shortcut model: it "reveals" the shortcut when, on most marker-bearing images,
 * the marker holds more relevance than the object.
 */
export function revealsShortcut(row: ShortcutMethodRow): boolean {
  return row.markerBeatsObject !== null && row.markerBeatsObject > 0.5;
}

/** The section's body: model summaries, the per-method table (both models side by side) and example figures. */
export function shortcutSectionHtml(runs: readonly ShortcutModelRun[], examples: readonly ShortcutExampleFigure[] = []): string {
  const summaries = runs
    .map((r) => {
      const s = r.result.summary;
      return `<li><b>${escapeXml(r.name)}</b> (<code>${escapeXml(r.source)}</code>): accuracy ${formatPercent(s.accuracy)} on ${s.images} images; marker consistent with the label ${formatPercent(s.consistentAccuracy)}, marker swapped ${formatPercent(s.swappedAccuracy)}; on swapped images it predicts the marker's class ${formatPercent(s.followsMarker)} of the time.</li>`;
    })
    .join('');
  const methodIds = [...new Set(runs.flatMap((r) => r.result.rows.map((row) => row.method)))];
  const hasFaith = runs.some((r) => r.result.rows.some((row) => row.deletion !== undefined));
  const hasRand = runs.some((r) => r.result.rows.some((row) => row.randomization !== undefined));
  const perModelHeads = ['PG object', 'PG marker', 'mass object', 'mass marker', 'marker > object', 'marker denser', ...(hasFaith ? ['deletion ↓', 'insertion ↑'] : []), ...(hasRand ? ['randomization ↓'] : []), 'ms / image'];
  const head1 = `<tr><th rowspan="2">method</th>${runs.map((r) => `<th colspan="${perModelHeads.length}">${escapeXml(r.name)} model</th>`).join('')}</tr>`;
  const head2 = `<tr>${runs.map(() => perModelHeads.map((h) => `<th>${escapeXml(h)}</th>`).join('')).join('')}</tr>`;
  const body = methodIds
    .map((id) => {
      const cells = runs.map((r) => {
        const row = r.result.rows.find((x) => x.method === id);
        if (!row) return `<td colspan="${perModelHeads.length}">not run</td>`;
        if (row.error) return `<td colspan="${perModelHeads.length}">failed: ${escapeXml(row.error)}</td>`;
        const reveal = revealsShortcut(row);
        const values = [
          formatPercent(row.object.pointingGame),
          formatPercent(row.marker?.pointingGame),
          formatNumber(row.object.relevanceMass),
          formatNumber(row.marker?.relevanceMass),
          `<span style="${reveal ? 'color:#b00020;font-weight:bold' : ''}">${formatPercent(row.markerBeatsObject)}</span>`,
          formatPercent(row.markerDenser),
          ...(hasFaith ? [formatNumber(row.deletion, 3), formatNumber(row.insertion, 3)] : []),
          ...(hasRand ? [formatNumber(row.randomization)] : []),
          formatNumber(row.msPerImage, 1),
        ];
        return values.map((v) => `<td>${v}</td>`).join('');
      });
      const title = runs.flatMap((r) => r.result.rows).find((x) => x.method === id)?.title ?? id;
      return `<tr><td title="${escapeXml(title)}">${escapeXml(id)}</td>${cells.join('')}</tr>`;
    })
    .join('');
  const figures = examples
    .map((f) => `<figure style="display:inline-block;margin:.5rem"><img src="${f.src}" alt="${escapeXml(f.caption)}" style="image-rendering:pixelated;max-width:100%"><figcaption>${escapeXml(f.caption)}</figcaption></figure>`)
    .join('');
  return `<p>Two classifiers of the same 64×64 shapes: one trained on clean images, one trained with a class-coding
marker in the top-left corner (a "watermark" shortcut). Both are explained on the same test images, whose marker is
either consistent with the shape or swapped to another class. A faithful method should point at the shape on the clean
model and at the marker on the shortcut model.</p>
<ul>${summaries}</ul>
<p>PG = pointing game (share of images whose most relevant pixel lies in the box); mass = share of the positive
relevance inside the box (object box over all images, marker box over the marker-bearing ones); "marker &gt; object"
= share of marker-bearing images with more relevance mass on the 6×6 marker than on the object (red when above 50 %:
the method reveals the shortcut); "marker denser" = share of those images where the relevance per pixel is higher
in the marker box than in the object box (fair to the small marker: a flat map scores 0 %).${hasFaith ? ' Deletion/insertion: AUC of the class probability while removing/adding pixels in the order of the map.' : ''}${hasRand ? ' Randomization: mean Spearman between the map and the map after cascading weight randomization (near 0 = the map depends on the weights, as it should).' : ''}</p>
<table>${head1}${head2}${body}</table>
${figures}`;
}
