/** The HTML report of tabular explanations: every plot written to one output folder, inline SVG, self-contained. */
import { escapeXml } from '../render/chart.js';

export interface TabularReportEntry {
  /** 'pdp', 'ice', 'ale', 'importance', 'shap'. */
  method: string;
  title: string;
  /** One sentence on what the plot shows. */
  caption: string;
  svg: string;
  /** Files holding the numbers, relative to the report. */
  files: string[];
}

export interface TabularReport {
  model: string;
  data: string;
  response: string;
  rows: number;
  features: number;
  entries: TabularReportEntry[];
}

export function renderTabularReportHtml(report: TabularReport): string {
  const e = escapeXml;
  const sections = report.entries
    .map(
      (x) => `<figure>
<figcaption><strong>${e(x.title)}</strong><br>${e(x.caption)}<br>${x.files.map((f) => `<a href="${e(f)}">${e(f)}</a>`).join(' · ')}</figcaption>
${x.svg}</figure>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lumen tabular report: ${e(report.model)}</title>
<style>
body { font-family: sans-serif; margin: 1.5rem; color: #222; }
figure { display: inline-block; vertical-align: top; margin: 0 1.5rem 1.5rem 0; max-width: 100%; }
figcaption { font-size: 0.85rem; max-width: 560px; margin-bottom: 0.4rem; }
svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>Tabular explanations</h1>
<p>Model <code>${e(report.model)}</code> · data <code>${e(report.data)}</code> (${report.rows} rows, ${report.features} feature columns) · response ${e(report.response)}</p>
${sections}
</body>
</html>
`;
}
