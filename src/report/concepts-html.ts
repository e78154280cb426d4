/** A small self-contained HTML page (images inline) for the concept commands' output folders. */

export interface ConceptPage {
  title: string;
  /** One paragraph: what the page answers and how it was computed. */
  summary: string;
  /** A table: header row then rows (text, escaped here). */
  table: { header: string[]; rows: string[][] };
  /** data: URIs with a caption. */
  images: { caption: string; src: string }[];
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function conceptPageHtml(page: ConceptPage): string {
  const head = page.table.header.map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = page.table.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  const figures = page.images.map((i) => `<figure><img src="${esc(i.src)}" alt="${esc(i.caption)}"><figcaption>${esc(i.caption)}</figcaption></figure>`).join('\n');
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
<table><thead><tr>${head}</tr></thead><tbody>
${rows}
</tbody></table>
${figures}
</body></html>
`;
}
