import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { LumenError, parseJsonText } from '../../errors.js';
import { parseBoxes, parseMetricOptions } from '../../metrics/options.js';
import { evaluate, formatComparison, formatEvaluation, formatMetricList, getMetric, listMetrics, DEFAULT_METRICS, type Evaluation, type MetricResult, type Region } from '../../metrics/index.js';
import { curveOf } from '../../metrics/curve.js';
import { loadInput } from '../../node/inputs.js';
import { lineChartSvg } from '../../render/chart.js';
import { specKind, specTensor, TARGET_SYNTAX_TEXT } from '../../targets/index.js';
import { checkTargetFlag, parseTargetFlag } from '../../node/target-files.js';
import { expandInputs } from '../inputs.js';
import { addMethodOptionFlags, integerFlag, methodOptionsFromFlags, parseMethodList, seedFlag, type MethodCommandFlags } from '../method-flags.js';
import { escapeName, outputStem, prepareOutputDir, writeOutputFile } from '../../node/output-dir.js';
import { addModelFlags, withModel } from '../model-options.js';
import { printJson, printLine } from '../output.js';
import { isPerInputError, reportInputError } from '../predict-outputs.js';
import { flag, parseList, readFlagFile } from '../flags.js';

interface EvaluateFlags extends MethodCommandFlags {
  metric?: string;
  target?: string;
  output?: string;
  regions?: string;
  metricOption?: string[];
  boxes?: string;
  out?: string;
  seed: string;
  batchSize: string;
  list?: boolean;
}

export function registerEvaluate(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description('score how far an explanation method can be trusted on these images (faithfulness, robustness, sanity checks, localization, complexity)')
    .argument('[model]', 'ONNX model file')
    .argument('[inputs...]', 'images, folders or glob patterns')
    .option('-m, --method <ids>', 'method(s) to evaluate, comma-separated: several are compared in one table', 'gradcam')
    .option('--metric <ids>', `comma-separated metric ids (default: ${DEFAULT_METRICS.join(',')}; 'all' for every metric)`)
    .option('-t, --target <spec>', `what to explain: ${TARGET_SYNTAX_TEXT} (docs/targets.md)`, 'top1')
    .addOption(flag.output('the model output the target reads (multi-output models)'))
    .addOption(flag.layer('<tensors>', 'CAM layer(s)'))
    .option('--metric-option <metric.key=value>', 'per-metric option, e.g. deletion.pixelsPerStep=8 (repeatable)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--boxes <x0,y0,x1,y1;…>', 'one ground-truth box list for every input (localization metrics)')
    .option('--regions <file>', 'JSON with ground-truth boxes/masks per input for localization metrics: {"<input>": {"boxes": [{"x0":..,"y0":..,"x1":..,"y1":..}]}}')
    .addOption(flag.out('<dir>', 'write the deletion/insertion (and other) curves as SVG plots here'))
    .addOption(flag.seed('seed', '0'))
    .addOption(flag.batchSize('perturbed copies per model run', '32'))
    .option('--list', 'list the metrics and exit')
    .addOption(flag.json());
  addModelFlags(cmd);
  addMethodOptionFlags(cmd);
  cmd.action(async (modelPath: string | undefined, inputs: string[], flags: EvaluateFlags) => {
    if (flags.list) {
      if (flags.json) return printJson(listMetrics());
      return printLine(formatMetricList(listMetrics()));
    }
    if (!modelPath || inputs.length === 0) throw new LumenError('BAD_OPTION', 'evaluate needs a model and at least one input (or --list)', 2);
    const methods = parseMethodList(flags.method ?? 'gradcam');
    const seed = seedFlag(flags.seed);
    const batchSize = integerFlag('batchSize', flags.batchSize, 1);
    if (flags.out !== undefined) prepareOutputDir(flags.out);
    // (an empty --metric, --regions or --boxes was read as "not given")
    const metricIds = flags.metric === undefined ? [...DEFAULT_METRICS] : flags.metric === 'all' ? listMetrics().filter((m) => !m.needsRegions).map((m) => m.id) : parseList('--metric', flags.metric, 'metric', " (see 'lumen evaluate --list')");
    for (const id of metricIds) getMetric(id);
    const regionsByInput = flags.regions !== undefined ? readRegions(flags.regions) : undefined;
    if (flags.boxes !== undefined && flags.boxes.trim() === '') throw new LumenError('BAD_OPTION', '--boxes: an empty value; give boxes as x0,y0,x1,y1;…', 2);
    const sharedRegion = flags.boxes !== undefined ? parseBoxes(flags.boxes) : undefined;
    const metricOptions = parseMetricOptions(flags.metricOption ?? []);
    const files = await expandInputs(inputs);
    await withModel(modelPath, flags, async (model) => {
      const all: unknown[] = [];
      const layer = flags.layer ? await model.resolveLayers(flags.layer) : undefined;
      // A target that cannot fit this model is refused before any work (as explain does).
      const targetSpec = await parseTargetFlag(flags.target ?? 'top1', model, flags.output);
      const kind = specKind(targetSpec);
      if (kind === 'weights' && specTensor(targetSpec) === undefined) throw new LumenError('BAD_OPTION', `--target ${flags.target}: metrics need one explained class per image; a weighted combination of outputs cannot be scored`, 2);
      await checkTargetFlag(flags.target ?? 'top1', model, flags.output);
      let failed = 0;
      for (const file of files) {
        // One input that cannot be read or run fails alone; usage mistakes and cancellation stop the command.
        try {
          const { tensor } = await loadInput(file, model);
          const region = regionsByInput?.[file] ?? regionsByInput?.[basename(file)] ?? sharedRegion;
          const needsRegion = metricIds.some((id) => getMetric(id).info.needsRegions);
          if (needsRegion && !region) throw new LumenError('BAD_OPTION', `${file}: localization metrics need ground truth: --boxes or a --regions file with an entry for this input`, 2);
          const results: Evaluation[] = [];
          for (const method of methods) {
            const result = await evaluate(model, tensor, {
              method,
              metrics: metricIds,
              target: targetSpec,
              methodOptions: { ...methodOptionsFromFlags(method, flags), layer },
              regions: region,
              metricOptions,
              seed,
              batchSize,
            });
            results.push(result);
            if (flags.out) writeCurves(flags.out, file, method.info.id, result.results);
            if (flags.json) all.push({ input: file, method: method.info.id, targets: result.targets, results: result.results });
          }
          if (!flags.json) {
            const cls = results[0]!.targets[0]!;
            const title = methods.length === 1 ? methods[0]!.info.title : methods.map((m) => m.info.title).join(' vs ');
            printLine(`${file} — ${title}, class ${cls}${model.classNames ? ` (${model.classNames[cls]})` : ''}`);
            printLine(results.length === 1 ? formatEvaluation(results[0]!) : formatComparison(results));
            printLine();
          }
        } catch (e) {
          if (!isPerInputError(e)) throw e;
          failed++;
          reportInputError(all, file, e, flags.json);
        }
      }
      if (failed > 0) process.exitCode = 1;
      if (flags.json) printJson(all);
    });
  });
}

function readRegions(path: string): Record<string, Region> {
  const parsed = parseJsonText(readFlagFile('--regions', path, 'JSON file of regions per input'), `--regions ${path}`, 'BAD_OPTION', 2);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new LumenError('BAD_OPTION', `--regions ${path}: expected a JSON object {"<input>": {"boxes": [...]}}`, 2);
  return parsed as Record<string, Region>;
}

function writeCurves(outDir: string, file: string, method: string, results: readonly MetricResult[]): void {
  const series = results.flatMap((r) => {
    const d = curveOf(r, 0);
    return d ? [{ name: r.metric, x: d.fractions, y: d.curve }] : [];
  });
  if (series.length === 0) return;
  // One-to-one with the input path: d1/img.png and d2/img.png get their own curves.
  const path = join(outDir, `${outputStem(file)}__${escapeName(method)}__curves.svg`);
  writeOutputFile(path, lineChartSvg(series, { title: `${method} — ${basename(file)}`, xLabel: 'fraction of pixels', yLabel: 'probability of the class', yRange: [0, 1] }), '--out', outDir);
}
