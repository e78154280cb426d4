/**
 * `lumen pdp|ice|ale|importance|shap MODEL data.csv`: global explanations of a feature-vector model over a CSV
 * dataset. Each writes SVG plots and CSV/JSON numbers to --out and (re)writes --out/report.html with every plot
 * the tabular commands have written there (listed in --out/tabular.json).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import { LumenError } from '../../errors.js';
import { accumulatedLocalEffects, type AleResult } from '../../methods/tabular/ale.js';
import { permutationImportance } from '../../methods/tabular/importance.js';
import { TABULAR_METHODS, type TabularMethodInfo } from '../../methods/tabular/info.js';
import { TabularModel } from '../../methods/tabular/model.js';
import { TABULAR_MODEL_OPTIONS } from '../../methods/tabular/options.js';
import { partialDependence, type PdpResult } from '../../methods/tabular/pdp.js';
import { shapValues } from '../../methods/tabular/shap.js';
import type { OptionSpec } from '../../methods/types.js';
import { parseOptionValues } from '../../methods/validate.js';
import { aleSvg, importanceSvg, pdpSvg, shapSummarySvg, shapSvg } from '../../render/tabular.js';
import { renderTabularReportHtml, type TabularReportEntry } from '../../report/tabular-html.js';
import { columnIndex, parseDataset, type TabularColumn, type TabularDataset } from '../../tabular/dataset.js';
import { aleCsv, iceCsv, importanceCsv, pdpCsv, shapCsv } from '../../tabular/result-csv.js';
import { addModelFlags, withModel, type ModelFlags } from '../model-options.js';
import { printJson, printLine } from '../output.js';
import { flag, parseList } from '../flags.js';
import { parseOption } from '../method-flags.js';

interface TabularFlags extends ModelFlags {
  out: string;
  feature?: string[];
  targetColumn?: string;
  categorical?: string;
  ignore?: string;
  output?: string;
  target?: string;
  json?: boolean;
  /** The method's and the model's declared options, as given (strings; `optionsFromFlags` parses them). */
  [option: string]: unknown;
}

const info = (id: TabularMethodInfo['id']): TabularMethodInfo => TABULAR_METHODS.find((m) => m.id === id)!;

/** The flag of an option whose API name is taken by another flag or says less on a command line. */
const FLAG_NAMES: Readonly<Record<string, string>> = { kind: 'grid', output: 'response' };
/** The flag's attribute (camelCase, as commander stores it) of a declared option. */
const flagName = (spec: OptionSpec): string => FLAG_NAMES[spec.name] ?? spec.name;
const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
/** A declared option's flag, '--grid' (the docs table lists them). */
export const tabularFlag = (spec: OptionSpec): string => `--${kebab(flagName(spec))}`;

/** The flag of a declared option (help from its description, choices and default), as method-flags.ts makes them. */
function optionFlag(spec: OptionSpec): Option {
  const choices = spec.choices ? ` (${spec.choices.join('|')})` : '';
  const fallback = spec.default !== undefined && spec.type !== 'boolean' ? `; default ${String(spec.default)}` : '';
  const help = `${spec.description}${choices}${fallback}`;
  if (spec.name === 'seed') return flag.seed(help);
  return new Option(spec.type === 'boolean' ? tabularFlag(spec) : `${tabularFlag(spec)} <value>`, help);
}

/**
 * The declared options given as flags, parsed by the image methods' flag parser (parseOption: a bad value reads as in
 * the API, named by its flag and command). Options not given are left out: the method applies its declared defaults.
 */
function optionsFromFlags(specs: readonly OptionSpec[], flags: TabularFlags, command?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const raw = flags[flagName(spec)];
    if (raw !== undefined) out[spec.name] = parseOption({ ...spec, name: flagName(spec) }, raw, command);
  }
  return out;
}

export function registerTabular(program: Command): void {
  for (const m of TABULAR_METHODS) {
    const id = m.id;
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
        .addOption(flag.output('model output to explain (default: the first float output)'))
        .option('--target <class>', 'output column explained (index or class name); default 1 of 2, 0 of 1')
        .addOption(flag.json('print the result summary as JSON'))
    );
    addModelFlags(cmd, false);
    for (const spec of TABULAR_MODEL_OPTIONS) cmd.addOption(optionFlag(spec));
    if (id === 'pdp' || id === 'ice' || id === 'ale') {
      cmd.option('--feature <names>', 'a feature, or a pair NAME,NAME (2-D); repeat for more plots; default: every column', collect, []);
    }
    for (const spec of m.options) cmd.addOption(optionFlag(spec));
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
    categorical: columns('--categorical', flags.categorical),
    ignore: columns('--ignore', flags.ignore),
    source: basename(dataPath),
  });
  const modelOptions = optionsFromFlags(TABULAR_MODEL_OPTIONS, flags);
  const methodOptions = optionsFromFlags(info(id).options, flags, id);
  const bar = process.stderr.isTTY && !flags.json ? new SingleBar({ format: '{stage} [{bar}] {value}/{total} model rows | ETA {eta_formatted}', hideCursor: true }, Presets.shades_classic) : undefined;
  let stage = '';
  await withModel(modelPath, flags, async (model) => {
    const tm = await TabularModel.create(model, dataset, {
      ...modelOptions,
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
    const entries = await computeEntries(id, tm, dataset, flags.feature, methodOptions);
    if (stage) bar?.stop();
    const written = writeEntries(flags.out, entries);
    const report = writeTabularReport(flags.out, modelPath, dataPath, tm, entries);
    if (flags.json) printJson({ out: flags.out, files: written, report });
    else {
      printLine(`${entries.length} plot${entries.length === 1 ? '' : 's'} (${tm.responseLabel}) → ${flags.out}/`);
      for (const e of entries) printLine(`  ${e.title}: ${Object.keys(e.outputs).join(", ")}`);
      printLine(`report: ${report}`);
    }
  }).finally(() => bar?.stop());
}

interface Entry extends Omit<TabularReportEntry, 'files'> {
  /** file name → contents */
  outputs: Record<string, string>;
}

/** The plots of one command; `options`: its declared options given as flags (the methods apply the defaults). */
async function computeEntries(id: TabularMethodInfo['id'], tm: TabularModel, ds: TabularDataset, featureFlags: string[] | undefined, options: Record<string, unknown>): Promise<Entry[]> {
  const m = info(id);
  if (id === 'importance') {
    const res = await permutationImportance(tm, options);
    const json = { ...res, mean: Array.from(res.mean), std: Array.from(res.std), drops: Array.from(res.drops) };
    const svg = importanceSvg(res);
    return [{
      method: id,
      title: m.title,
      caption: `${m.summary} Metric ${res.metric}, baseline ${res.baseline.toPrecision(4)}.`,
      svg,
      outputs: {
        'importance.svg': svg,
        'importance.csv': importanceCsv(res),
        'importance.json': JSON.stringify(json, null, 1),
      },
    }];
  }
  if (id === 'shap') {
    const res = await shapValues(tm, options);
    const entries: Entry[] = res.rows.map((r, k) => {
      const svg = shapSvg(res, k);
      return { method: id, title: `${m.title}, row ${r}`, caption: m.summary, svg, outputs: { [`shap_row${r}.svg`]: svg } };
    });
    const summary = shapSummarySvg(res);
    entries.push({
      method: id,
      title: `${m.title}: mean |φ| over ${res.rows.length} rows`,
      caption: `Background: ${res.backgroundRows.length} rows; ${res.coalitions} coalitions per row.`,
      svg: summary,
      outputs: {
        'shap_summary.svg': summary,
        'shap.csv': shapCsv(res),
        'shap.json': JSON.stringify({ ...res, values: Array.from(res.values), fx: Array.from(res.fx) }, null, 1),
      },
    });
    return entries;
  }
  // only what the user typed is split; by default each column is one feature under its CSV name, commas and all
  // (ALE: every numeric column, it needs ordered values)
  const features = featureFlags && featureFlags.length > 0
    ? featureFlags.map((f) => splitFeatures(f))
    : ds.columns.filter((c) => id !== 'ale' || c.kind === 'numeric').map((c) => [c.name]);
  // ICE's own defaults (a coarser grid for one feature, curves drawn); a pair keeps the API's grid unless one is given
  const declared = parseOptionValues(m.options, options);
  const entries: Entry[] = [];
  for (const names of features) {
    const cols = names.map((n) => ds.columns[columnIndex(ds, n)]!);
    const stem = `${id}_${names.map(safeName).join('__')}`;
    if (id === 'ale') {
      const res = await accumulatedLocalEffects(tm, names, options);
      const svg = aleSvg(res);
      entries.push({ method: id, title: `${m.title}: ${names.join(' × ')}`, caption: m.summary, svg, outputs: aleOutputs(stem, res, svg) });
      continue;
    }
    const given: Record<string, unknown> = { ...options, resolution: names.length === 1 ? declared.resolution : options.resolution };
    const res = await partialDependence(tm, names, given);
    const svg = pdpSvg(res, cols, { iceCurves: names.length === 1 ? (declared.iceCurves as number) : 0 });
    entries.push({ method: id, title: `${m.title}: ${names.join(' × ')}`, caption: m.summary, svg, outputs: pdpOutputs(stem, res, cols, id === 'ice', svg) });
  }
  return entries;
}

function pdpOutputs(stem: string, res: PdpResult, columns: readonly TabularColumn[], withIce: boolean, svg: string): Record<string, string> {
  const out: Record<string, string> = { [`${stem}.svg`]: svg, [`${stem}.csv`]: pdpCsv(res, columns) };
  if (withIce) out[`${stem}_curves.csv`] = iceCsv(res, columns);
  const json: Record<string, unknown> = { ...res, average: Array.from(res.average), individual: undefined };
  if (withIce) json.individual = Array.from(res.individual);
  out[`${stem}.json`] = JSON.stringify(json, null, 1);
  return out;
}

function aleOutputs(stem: string, res: AleResult, svg: string): Record<string, string> {
  return {
    [`${stem}.svg`]: svg,
    [`${stem}.csv`]: aleCsv(res),
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

function columns(flag: string, text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : parseList(flag, text, 'column name');
}

function splitFeatures(text: string): string[] {
  const names = parseList('--feature', text, 'feature name');
  if (names.length > 2) throw new LumenError('BAD_OPTION', `--feature takes one name or a pair NAME,NAME, got '${text}'`, 2);
  return names;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}
