/** The tabular (feature-vector) API: datasets from CSV, the five global methods, and their plots. Browser-safe. */
export { parseCsv, toCsv, csvField, type CsvTable } from './csv.js';
export {
  parseDataset,
  datasetFromRows,
  columnIndex,
  columnValues,
  featureEncoding,
  encodeRows,
  valueLabel,
  type TabularColumn,
  type TabularDataset,
  type DatasetOptions,
  type FeatureEncoding,
} from './dataset.js';
export * from '../methods/tabular/index.js';
export { pdpCsv, iceCsv, aleCsv, importanceCsv, shapCsv } from './result-csv.js';
export { barChartSvg, heatmapSvg, pdpSvg, aleSvg, importanceSvg, shapSvg, shapSummarySvg, type Bar, type HeatmapOptions } from '../render/tabular.js';
export { renderTabularReportHtml, type TabularReport, type TabularReportEntry } from '../report/tabular-html.js';
