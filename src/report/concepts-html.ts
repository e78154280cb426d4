/** A small self-contained HTML page (images inline) for the concept commands' output folders. */
import { conceptClassesText } from '../methods/concepts/dff.js';
import { mean } from '../metrics/stats.js';
import { dffNotes, dffSummary, tcavNotes } from '../methods/concepts/notes.js';
import { escapeXml } from '../render/chart.js';

export interface ConceptPage {
  title: string;
  /** One paragraph: what the page answers and how it was computed. */
  summary: string;
  /** A table: header row then rows (text, escaped here). */
  table: { header: string[]; rows: string[][] };
  /** data: URIs with a caption. */
  images: { caption: string; src: string }[];
}

const esc = escapeXml;

/** A table of text cells (escaped here), header row first: the concept pages and the report's concept sections. */
const table = (header: readonly string[], rows: readonly (readonly string[])[]): string =>
  `<table><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;

/** A captioned picture (nothing when its file is gone), `width` px wide when given. */
const figure = (src: string | undefined, caption: string, width?: number): string =>
  src ? `<figure><img src="${esc(src)}" alt="${esc(caption)}"${width === undefined ? '' : ` width="${width}"`}><figcaption>${esc(caption)}</figcaption></figure>` : '';

export function conceptPageHtml(page: ConceptPage): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(page.title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;max-width:72rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
figure{display:inline-block;margin:.5rem;vertical-align:top}img{image-rendering:pixelated;max-width:100%}
figcaption{font-size:12px;color:#555;max-width:24rem;overflow-wrap:anywhere}
</style></head><body>
<h1>${esc(page.title)}</h1>
<p>${esc(page.summary)}</p>
${table(page.table.header, page.table.rows)}
${page.images.map((i) => figure(i.src, i.caption)).join('\n')}
</body></html>
`;
}

/** One TCAV result as `lumen tcav --json` prints it (`concept`: its folder, when several were tested). */
export interface TcavRow { concept?: string; score: number; pValue: number; significant: boolean; runs: number; direction?: string; layer?: string; target?: number; threshold?: number; randomScores?: number[]; randomSets?: number; bypassed?: boolean; cutLayer?: string; sharedGradient?: boolean }

/** What the concept commands leave in a folder, parsed, with images already as data: URIs (the node side reads files). */
export interface ConceptOutputs {
  /** `lumen concepts` (concepts.json + <stem>.concepts.png). */
  dff?: {
    layer: string;
    k: number;
    relativeError: number;
    /** Every concept got the same logits: the head does not read the layer's positions (DffResult.scoresIgnoreConcepts). */
    scoresIgnoreConcepts?: boolean;
    /** A skip connection goes around the layer (DffResult.bypassed, cutLayer). */
    bypassed?: boolean;
    cutLayer?: string;
    concepts: { concept: number; topClasses: { label: string; probability: number }[] }[];
    images: { image: string; share: number[]; picture?: string }[];
  };
  /** `lumen craft` (craft.json + atlas.png). */
  /** `importance`: how concepts were ranked (absent in craft.json files written before Sobol: gradient × concept). */
  craft?: { layer: string; target: number; k: number; importance?: 'sobol' | 'gradient'; relativeError: number; concepts: { concept: number; importance: number }[]; atlas?: string };
  /** `lumen tcav --json` saved as tcav.json: one object, or an array of them (one per `--concept` folder). */
  tcav?: TcavRow | TcavRow[];
  /** `lumen neighbors --json` saved as neighbors.json. */
  neighbors?: { layer: string; query: string; neighbors: { file: string; similarity: number; picture?: string }[] };
  /** `lumen prototypes --json` saved as prototypes.json. */
  prototypes?: { layer: string; images: number; prototypes: { file: string; picture?: string }[]; criticisms: { file: string; witness: number; picture?: string }[] };
}

/** Sections of the main report for whatever concept outputs a folder holds (none → no sections). */
export function conceptReportSections(o: ConceptOutputs): { title: string; html: string }[] {
  const sections: { title: string; html: string }[] = [];
  const notes = (list: readonly string[]): string => list.map((n) => `<p><strong>Note:</strong> ${esc(n)}</p>`).join('');
  if (o.dff) {
    const d = o.dff;
    sections.push({
      title: `Concepts (Deep Feature Factorization, ${d.k} concepts of ${d.layer})`,
      html: `<p>${esc(dffSummary({ ...d, images: d.images.length }))}</p>${notes(dffNotes(d))}${table(
        ['concept', 'top classes (head softmax)'],
        d.concepts.map((c) => [String(c.concept), conceptClassesText(c.topClasses)]),
      )}${table(['image', ...d.concepts.map((c) => `share of concept ${c.concept}`)], d.images.map((i) => [i.image, ...i.share.map((s) => s.toFixed(3))]))}<div class="row">${d.images.map((i) => figure(i.picture, i.image, 200)).join('')}</div>`,
    });
  }
  if (o.craft) {
    const c = o.craft;
    sections.push({
      title: `Concept atlas (CRAFT-style, ${c.k} concepts of ${c.layer}, class ${c.target})`,
      html: `<p>Concepts found by NMF over image crops, ranked by ${c.importance === 'sobol' ? 'total-order Sobol index (share of the class logit\'s variance the concept takes part in)' : 'gradient × concept importance'} for the class (NMF relative error ${c.relativeError.toFixed(3)}). Each atlas row shows the crops that express a concept most.</p>${table(
        ['concept', 'importance'],
        c.concepts.map((x) => [String(x.concept), x.importance.toPrecision(3)]),
      )}${c.atlas ? `<img src="${esc(c.atlas)}" alt="concept atlas">` : ''}`,
    });
  }
  if (o.tcav) {
    // several concepts: one row each, headed by its folder (a single object keeps the historical columns)
    const list = Array.isArray(o.tcav) ? o.tcav : [o.tcav];
    const named = Array.isArray(o.tcav);
    const t0 = list[0];
    if (t0) {
      const sets = t0.randomSets !== undefined && t0.randomSets > 1 ? ` (run r against random set r of ${t0.randomSets})` : '';
      const bonferroni = named && list.length > 1 ? ` Significance at alpha / ${list.length} (Bonferroni over the ${list.length} concepts).` : '';
      sections.push({
        title: 'TCAV',
        html: `<p>Share of the target class's inputs whose logit rises along the concept's activation vector, over ${t0.runs} CAVs${sets}, against random-vs-random CAVs (two-sided t-test).${bonferroni}</p>${table(
          [...(named ? ['concept'] : []), 'layer', 'target', 'score', 'random CAVs', 'p', 'result'],
          list.map((t) => [
            ...(named ? [t.concept ?? '–'] : []),
            t.layer ?? '–',
            t.target === undefined ? '–' : String(t.target),
            t.score.toFixed(3),
            t.randomScores?.length ? mean(t.randomScores).toFixed(3) : '–',
            t.pValue.toPrecision(3),
            t.significant ? `significant (${t.direction ?? '?'} random)` : `not significant at ${(t.threshold ?? 0.05).toPrecision(3)}`,
          ]),
        )}${notes(tcavNotes({ ...t0, layer: t0.layer ?? 'the layer' }))}`,
      });
    }
  }
  if (o.neighbors) {
    const n = o.neighbors;
    sections.push({
      title: `Nearest examples (${n.layer}, cosine)`,
      html: `<p>Query <code>${esc(n.query)}</code>.</p>${table(['similarity', 'image'], n.neighbors.map((h) => [h.similarity.toFixed(4), h.file]))}<div class="row">${n.neighbors.map((h) => figure(h.picture, `${h.similarity.toFixed(3)} ${h.file}`, 96)).join('')}</div>`,
    });
  }
  if (o.prototypes) {
    const p = o.prototypes;
    sections.push({
      title: `Prototypes and criticisms (MMD-critic, ${p.images} images, ${p.layer})`,
      html: `<p>Prototypes represent the set; criticisms are the images the prototypes represent worst.</p>${table(['kind', 'image', 'witness'], [
        ...p.prototypes.map((x) => ['prototype', x.file, '']),
        ...p.criticisms.map((x) => ['criticism', x.file, x.witness.toFixed(4)]),
      ])}<div class="row">${[...p.prototypes.map((x) => figure(x.picture, `prototype ${x.file}`, 96)), ...p.criticisms.map((x) => figure(x.picture, `criticism ${x.file}`, 96))].join('')}</div>`,
    });
  }
  return sections;
}
