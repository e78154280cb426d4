/**
 * `lumen pdp|ice|ale|importance|shap MODEL data.csv`: global explanations of a feature-vector model over a CSV
 * dataset. Each writes SVG plots and CSV/JSON numbers to --out and (re)writes --out/report.html with every plot
 * the tabular commands have written there (listed in --out/tabular.json).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { LumenError } from '../../errors.js';
import { accumulatedLocalEffects, type AleResult } from '../../methods/tabular/ale.js';
import { permutationImportance, type ImportanceMetric } from '../../methods/tabular/importance.js';
import { TABULAR_METHODS, type TabularMethodInfo } from '../../methods/tabular/info.js';
import { TabularModel } from '../../methods/tabular/model.js';
import { partialDependence, type PdpResult } from '../../methods/tabular/pdp.js';
import { shapValues } from '../../methods/tabular/shap.js';
import { aleSvg, importanceSvg, pdpSvg, shapSummarySvg, shapSvg } from '../../render/tabular.js';
import { renderTabularReportHtml, type TabularReportEntry } from '../../report/tabular-html.js';
import { toCsv } from '../../tabular/csv.js';
import { columnIndex, parseDataset, valueLabel, type TabularDataset } from '../../tabular/dataset.js';
import { loadModelWithFlags, type ModelFlags } from '../model-options.js';
import { printJson, printLine } from '../output.js';
import { flag } from '../flags.js';

interface TabularFlags extends ModelFlags {
  out: string;
  feature?: string[];
  targetColumn?: string;
  categorical?: string;
  ignore?: string;
  encoding?: string;
  response?: string;
  output?: string;
  target?: string;
  json?: boolean;
  // pdp / ice
  grid?: string;
  resolution?: string;
  percentiles?: string;
  centered?: boolean;
  iceCurves?: string;
  // ale
  bins?: string;
  // importance
  repeats?: string;
  metric?: string;
  seed?: string;
  // shap
  rows?: string;
  background?: string;
  algorithm?: string;
  numSamples?: string;
}

const info = (id: TabularMethodInfo['id']): TabularMethodInfo => TABULAR_METHODS.find((m) => m.id === id)!;

export function registerTabular(program: Command): void {
  for (const id of ['pdp', 'ice', 'ale', 'importance', 'shap'] as const) {
    const m = info(id);
    const cmd = (
      program
        .command(id)
        .description(`${m.title} of a feature-vector ONNX model over a CSV dataset: ${m.summary}`)
        .argument('<model>', 'ONNX model with one [N, F] float input')
        .argument('<data>', 'CSV file with a header row naming the columns')
        .requiredOption('--out <dir>', 'output folder (SVG plots, CSV/JSON numbers, report.html)')
        .option('--target-column <name>', 'label column: never a feature (needed by importance)')
        .option('--categorical <names>', 'comma-separated columns to treat as categorical (text columns always are)')
        .option('--ignore <names>', 'comma-separated columns to leave out (ids, …)')
        .option('--encoding <mode>', 'categorical columns: auto (by the model\'s F), ordinal, onehot', 'auto')
        .option('--response <kind>', 'probability (softmax of the output) or raw (the output as it is); default: raw when the output already holds probabilities or has one column')
        .addOption(flag.output('model output to explain (default: the first float output)'))
        .option('--target <class>', 'output column explained (index or class name); default 1 of 2, 0 of 1')
        .option('--classes <file|list>', 'class names: a JSON/text file (one per line) or a comma-separated list')
        .option('--threads <n>', 'ONNX Runtime intra-op threads (default: runtime default)')
        .addOption(flag.json('print the result summary as JSON'))
    );
    if (id === 'pdp' || id === 'ice' || id === 'ale') {
      cmd.option('--feature <names>', 'a feature, or a pair NAME,NAME (2-D); repeat for more plots; default: every column', collect, []);
    }
    if (id === 'pdp' || id === 'ice') {
      cmd
        .option('--grid <kind>', 'uniform (between the percentiles, as scikit-learn) or quantile', 'uniform')
        .option('--resolution <n>', `grid points per feature, fewer when a feature has fewer unique values (default ${id === 'pdp' ? 100 : 50}; 20 per axis for a pair)`)
        .option('--percentiles <lo,hi>', 'grid range as fractions', '0.05,0.95')
        .option('--centered', 'centered ICE: subtract each curve\'s value at the first grid point')
        .option('--ice-curves <n>', 'ICE curves drawn (evenly spaced rows; all are in the CSV)', id === 'ice' ? '50' : '0');
    }
    if (id === 'ale') cmd.option('--bins <n>', 'quantile bins per feature', '20');
    if (id === 'importance') {
      cmd
        .option('--repeats <n>', 'shuffles per column', '5')
        .option('--metric <name>', 'accuracy, log-loss (classifiers); r2, mse, mae (regression)')
        .addOption(flag.seed('seed of the shuffles', '0'));
    }
    if (id === 'shap') {
      cmd
        .option('--rows <list>', 'data rows to explain (0-based, comma-separated, ranges a-b)', '0')
        .option('--background <n>', 'background rows drawn from the data', '100')
        .option('--algorithm <name>', 'kernel (KernelSHAP) or exact (all 2^M coalitions, M ≤ 16)', 'kernel')
        .option('--num-samples <n>', 'KernelSHAP coalitions per row (default 2·M + 2048)')
        .addOption(flag.seed('seed of the background sample and coalitions', '0'));
    }
    cmd.action(async (modelPath: string, dataPath: string, flags: TabularFlags) => runTabular(id, modelPath, dataPath, flags));
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function runTabular(id: TabularMethodInfo['id'], modelPath: string, dataPath: string, flags: TabularFlags): Promise<void> {
  if (!existsSync(dataPath)) throw new LumenError('FILE_NOT_FOUND', `data file not found: ${dataPath}`);
  const dataset = parseDataset(readFileSync(dataPath, 'utf8'), {
    targetColumn: flags.targetColumn,
    categorical: list(flags.categorical),
    ignore: list(flags.ignore),
    source: basename(dataPath),
  });
  const encoding = choice(flags.encoding ?? 'auto', ['auto', 'ordinal', 'onehot'] as const, '--encoding');
  const response = flags.response ? choice(flags.response, ['probability', 'raw'] as const, '--response') : undefined;
  const model = await loadModelWithFlags(modelPath, flags);
  const bar = process.stderr.isTTY && !flags.json ? new SingleBar({ format: '{stage} [{bar}] {value}/{total} model rows | ETA {eta_formatted}', hideCursor: true }, Presets.shades_classic) : undefined;
  let stage = '';
  try {
    const tm = await TabularModel.create(model, dataset, {
      encoding,
      output: response,
      outputName: flags.output,
      target: flags.target,
      onProgress: (e) => {
        if (!bar) return;
        if (e.stage !== stage) {
          if (stage) bar.stop();
          stage = e.stage ?? '';
          bar.start(e.total, e.done, { stage });
        } else bar.update(e.done);
      },
    });
    mkdirSync(flags.out, { recursive: true });
    const entries = await computeEntries(id, tm, dataset, flags);
    if (stage) bar?.stop();
    const written = writeEntries(flags.out, entries);
    const report = writeTabularReport(flags.out, modelPath, dataPath, tm, entries);
    if (flags.json) printJson({ out: flags.out, files: written, report });
    else {
      printLine(`${entries.length} plot${entries.length === 1 ? '' : 's'} (${tm.responseLabel}) → ${flags.out}/`);
      for (const e of entries) printLine(`  ${e.title}: ${Object.keys(e.outputs).join(", ")}`);
      printLine(`report: ${report}`);
    }
  } finally {
    bar?.stop();
    await model.dispose();
  }
}

interface Entry extends Omit<TabularReportEntry, 'files'> {
  /** file name → contents */
  outputs: Record<string, string>;
}

async function computeEntries(id: TabularMethodInfo['id'], tm: TabularModel, ds: TabularDataset, flags: TabularFlags): Promise<Entry[]> {
  const m = info(id);
  if (id === 'importance') {
    const res = await permutationImportance(tm, {
      repeats: intFlag(flags.repeats, '--repeats', 1),
      seed: intFlag(flags.seed, '--seed', 0),
      metric: flags.metric ? choice(flags.metric, ['accuracy', 'log-loss', 'r2', 'mse', 'mae'] as const, '--metric') as ImportanceMetric : undefined,
    });
    const rows = res.features.map((f, j) => [f, res.mean[j]!, res.std[j]!, ...Array.from(res.drops.subarray(j * res.repeats, (j + 1) * res.repeats))]);
    const json = { ...res, mean: Array.from(res.mean), std: Array.from(res.std), drops: Array.from(res.drops) };
    return [{
      method: id,
      title: m.title,
      caption: `${m.summary} Metric ${res.metric}, baseline ${res.baseline.toPrecision(4)}.`,
      svg: importanceSvg(res),
      outputs: {
        'importance.svg': importanceSvg(res),
        'importance.csv': toCsv(['feature', 'mean', 'std', ...Array.from({ length: res.repeats }, (_, r) => `drop_${r}`)], rows),
        'importance.json': JSON.stringify(json, null, 1),
      },
    }];
  }
  if (id === 'shap') {
    const rows = parseRows(flags.rows ?? '0', ds.rows);
    const algorithm = choice(flags.algorithm ?? 'kernel', ['kernel', 'exact'] as const, '--algorithm');
    const res = await shapValues(tm, {
      rows,
      background: intFlag(flags.background, '--background', 1),
      algorithm,
      numSamples: flags.numSamples ? intFlag(flags.numSamples, '--num-samples', 1) : undefined,
      seed: intFlag(flags.seed, '--seed', 0),
    });
    const M = res.features.length;
    const csvRows = res.rows.map((r, k) => [r, res.baseValue, res.fx[k]!, ...Array.from(res.values.subarray(k * M, (k + 1) * M))]);
    const entries: Entry[] = res.rows.map((r, k) => ({
      method: id,
      title: `${m.title}, row ${r}`,
      caption: m.summary,
      svg: shapSvg(res, k),
      outputs: { [`shap_row${r}.svg`]: shapSvg(res, k) },
    }));
    const summary = shapSummarySvg(res);
    entries.push({
      method: id,
      title: `${m.title}: mean |φ| over ${rows.length} rows`,
      caption: `Background: ${res.backgroundRows.length} rows; ${res.coalitions} coalitions per row.`,
      svg: summary,
      outputs: {
        'shap_summary.svg': summary,
        'shap.csv': toCsv(['row', 'base_value', 'f_x', ...res.features], csvRows),
        'shap.json': JSON.stringify({ ...res, values: Array.from(res.values), fx: Array.from(res.fx) }, null, 1),
      },
    });
    return entries;
  }
  const features = (flags.feature && flags.feature.length > 0 ? flags.feature : ds.columns.map((c) => c.name)).map((f) => splitFeatures(f));
  if (id === 'ale' && !(flags.feature && flags.feature.length > 0)) {
    // every numeric column by default (ALE needs ordered values)
    features.splice(0, features.length, ...ds.columns.filter((c) => c.kind === 'numeric').map((c) => [c.name]));
  }
  const entries: Entry[] = [];
  for (const names of features) {
    const cols = names.map((n) => ds.columns[columnIndex(ds, n)]!);
    const stem = `${id}_${names.map(safeName).join('__')}`;
    if (id === 'ale') {
      const res = await accumulatedLocalEffects(tm, names, { bins: intFlag(flags.bins, '--bins', 1) });
      entries.push({ method: id, title: `${m.title}: ${names.join(' × ')}`, caption: m.summary, svg: aleSvg(res), outputs: aleOutputs(stem, res) });
      continue;
    }
    const res = await partialDependence(tm, names, {
      kind: choice(flags.grid ?? 'uniform', ['uniform', 'quantile'] as const, '--grid'),
      resolution: intFlag(flags.resolution ?? (names.length === 2 ? '20' : id === 'pdp' ? '100' : '50'), '--resolution', 2),
      percentiles: percentiles(flags.percentiles ?? '0.05,0.95'),
      centered: flags.centered ?? false,
    });
    const svg = pdpSvg(res, cols, { iceCurves: names.length === 1 ? intFlag(flags.iceCurves, '--ice-curves', 0) : 0 });
    entries.push({ method: id, title: `${m.title}: ${names.join(' × ')}`, caption: m.summary, svg, outputs: pdpOutputs(stem, res, cols.map((c) => (v: number) => valueLabel(c, v)), id === 'ice', svg) });
  }
  return entries;
}

function pdpOutputs(stem: string, res: PdpResult, label: ((v: number) => string)[], withIce: boolean, svg: string): Record<string, string> {
  const g = res.grid;
  const out: Record<string, string> = { [`${stem}.svg`]: svg };
  if (g.length === 2) {
    out[`${stem}.csv`] = toCsv([...res.features, 'average'], g[0]!.flatMap((a, i) => g[1]!.map((b, j) => [label[0]!(a), label[1]!(b), res.average[i * g[1]!.length + j]!])));
  } else {
    out[`${stem}.csv`] = toCsv([res.features[0]!, 'average'], g[0]!.map((v, p) => [label[0]!(v), res.average[p]!]));
  }
  if (withIce) {
    const n = g[0]!.length;
    out[`${stem}_curves.csv`] = toCsv(['row', ...g[0]!.map((v) => label[0]!(v))], Array.from({ length: res.rows }, (_, i) => [i, ...Array.from(res.individual.subarray(i * n, (i + 1) * n))]));
  }
  const json: Record<string, unknown> = { ...res, average: Array.from(res.average), individual: undefined };
  if (withIce) json.individual = Array.from(res.individual);
  out[`${stem}.json`] = JSON.stringify(json, null, 1);
  return out;
}

function aleOutputs(stem: string, res: AleResult): Record<string, string> {
  const [z1, z2] = res.edges;
  const csv = z2
    ? toCsv([...res.features, 'ale'], z1!.flatMap((a, i) => z2.map((b, j) => [a, b, res.values[i * z2.length + j]!])))
    : toCsv([res.features[0]!, 'ale', 'bin_count_below'], z1!.map((v, k) => [v, res.values[k]!, k === 0 ? 0 : res.counts[k - 1]!]));
  return {
    [`${stem}.svg`]: aleSvg(res),
    [`${stem}.csv`]: csv,
    [`${stem}.json`]: JSON.stringify({ ...res, values: Array.from(res.values), uncentered: Array.from(res.uncentered) }, null, 1),
  };
}

function writeEntries(dir: string, entries: Entry[]): string[] {
  const files: string[] = [];
  for (const e of entries) {
    for (const [name, text] of Object.entries(e.outputs)) {
      writeFileSync(join(dir, name), text);
      files.push(name);
    }
  }
  return files;
}

/** Add this run's plots to --out/tabular.json (replacing plots of the same files) and write report.html from it. */
function writeTabularReport(dir: string, modelPath: string, dataPath: string, tm: TabularModel, entries: Entry[]): string {
  const manifestPath = join(dir, 'tabular.json');
  let previous: TabularReportEntry[] = [];
  if (existsSync(manifestPath)) {
    try {
      const parsed = JSON.parse(readFileSync(manifestPath, 'utf8')) as { model?: string; entries?: TabularReportEntry[] };
      if (parsed.model === modelPath) previous = parsed.entries ?? [];
    } catch {
      previous = [];
    }
  }
  const fresh: TabularReportEntry[] = entries.map((e) => ({ method: e.method, title: e.title, caption: e.caption, svg: e.svg, files: Object.keys(e.outputs) }));
  const taken = new Set(fresh.flatMap((e) => e.files));
  const all = [...previous.filter((e) => !e.files.some((f) => taken.has(f))), ...fresh];
  const report = { model: modelPath, data: dataPath, response: tm.responseLabel, rows: tm.dataset.rows, features: tm.featureCount, entries: all };
  writeFileSync(manifestPath, JSON.stringify(report));
  const path = join(dir, 'report.html');
  writeFileSync(path, renderTabularReportHtml(report));
  return path;
}

function list(text: string | undefined): string[] | undefined {
  return text ? text.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

function splitFeatures(text: string): string[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length < 1 || names.length > 2) throw new LumenError('BAD_OPTION', `--feature takes one name or a pair NAME,NAME, got '${text}'`, 2);
  return names;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

function choice<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new LumenError('BAD_OPTION', `${flag} must be one of ${allowed.join(', ')}, got '${value}'`, 2);
  return value as T;
}

function intFlag(value: string | undefined, flag: string, min: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min) throw new LumenError('BAD_OPTION', `${flag} must be an integer ≥ ${min}, got '${value}'`, 2);
  return n;
}

function percentiles(text: string): [number, number] {
  const v = text.split(',').map(Number);
  if (v.length !== 2 || v.some((x) => !Number.isFinite(x))) throw new LumenError('BAD_OPTION', `--percentiles takes two fractions lo,hi, got '${text}'`, 2);
  return [v[0]!, v[1]!];
}

function parseRows(text: string, n: number): number[] {
  const rows: number[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new LumenError('BAD_OPTION', `--rows takes indices and ranges like 0,3,10-14, got '${text}'`, 2);
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    for (let r = a; r <= b; r++) rows.push(r);
  }
  if (rows.some((r) => r >= n)) throw new LumenError('BAD_OPTION', `--rows: the data has ${n} rows (0…${n - 1})`, 2);
  return rows;
}

