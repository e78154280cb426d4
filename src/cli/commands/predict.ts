import type { Command } from 'commander';
import { isLumenError, type LumenError } from '../../errors.js';
import { groupBySize, loadInput, stackInputs, type LoadedInput } from '../../node/inputs.js';
import type { Prediction } from '../../model.js';
import type { BatchOpening } from '../../batch.js';
import type { OpsetUpgrade } from '../../onnx/upgrade.js';
import { expandInputs } from '../inputs.js';
import { integerFlag } from '../method-flags.js';
import { addModelFlags, withModel, type ModelFlags } from '../model-options.js';
import { printJson, printLine } from '../output.js';
import { predictStructured, reportInputError, settleInput, type PredictOutputFlags } from '../predict-outputs.js';
import { flag, modelArgument } from '../flags.js';

export function registerPredict(program: Command): void {
  addModelFlags(
    program
      .command('predict')
      .description('top-K classes with probabilities for each input image (files, folders or globs; .npy tensors too)')
      .addArgument(modelArgument())
      .argument('<inputs...>', 'images, folders or glob patterns')
      .option('--top <k>', 'how many classes to show', '5')
      .addOption(flag.batchSize('images per model run', '16'))
      .addOption(flag.recursive())
      .addOption(flag.output('the model output to read (multi-output models; default: the first output)'))
      .option('--out <dir>', 'segmentation models: folder for the class maps (<image>__classes.png and .npy)', 'lumen-out')
      .option('--score-threshold <p>', 'detectors: lowest class score kept before NMS', '0.25')
      .option('--iou <p>', 'detectors: IoU above which NMS drops the lower-scoring box of a class', '0.45')
      .addOption(flag.json()),
  ).action(async (modelPath: string, inputs: string[], flags: ModelFlags & PredictOutputFlags & { top: string; batchSize: string; recursive?: boolean; json?: boolean }, command: Command) => {
    flags.outGiven = command.getOptionValueSource('out') === 'cli';
    const top = integerFlag('top', flags.top, 1);
    const batchSize = integerFlag('batchSize', flags.batchSize, 1);
    const files = await expandInputs(inputs, flags.recursive);
    await withModel(modelPath, flags, async (model) => {
      const results: ({ input: string; status: 'ok'; predictions: Prediction[]; opsetUpgrade?: OpsetUpgrade; batchOpening?: BatchOpening } | { input: string; status: 'error'; error: string })[] = [];
      // an old-opset file is upgraded on load: say so (each JSON row carries it, so rows stay self-describing)
      const upgrade = model.opsetUpgrade;
      if (upgrade && !flags.json) printLine(`note: ${modelPath} is opset ${upgrade.fromOpset}, upgraded to ${upgrade.toOpset} on load (${upgrade.changes.join('; ') || 'no op changed'})`);
      // a segmentation map or a raw detection head is reported as such (class map, boxes after NMS)
      if (await predictStructured(model, files, flags)) return;
      let failed = 0;
      let batchNoted = false;
      // One input that cannot be read or run fails alone (one line, an error row, exit 1 at the end); usage mistakes
      // and cancellation stop the command. Rows keep the order of the inputs.
      const fail = (input: string, e: LumenError): void => {
        failed++;
        reportInputError(results, input, e, flags.json);
      };
      for (let i = 0; i < files.length; i += batchSize) {
        const loaded: [string, LoadedInput | LumenError][] = [];
        for (const f of files.slice(i, i + batchSize)) loaded.push([f, await settleInput(loadInput(f, model))]);
        const good = loaded.map(([, l]) => l).filter((l): l is LoadedInput => !isLumenError(l));
        // a model with an open input size keeps each image at its own size: one run per size; a run that fails is
        // retried image by image so only the bad image's row fails
        const predictions = new Map<LoadedInput, Prediction[] | LumenError>();
        for (const group of groupBySize(good)) {
          const batch = await settleInput(model.predict(stackInputs(group), top));
          if (!isLumenError(batch)) batch.forEach((p, j) => predictions.set(group[j]!, p));
          else if (group.length === 1) predictions.set(group[0]!, batch);
          else for (const l of group) predictions.set(l, await settleInput(model.predict(stackInputs([l]), top).then((p) => p[0]!)));
        }
        for (const [file, l] of loaded) {
          if (isLumenError(l)) {
            fail(file, l);
            continue;
          }
          const preds = predictions.get(l)!;
          if (isLumenError(preds)) {
            fail(file, preds);
            continue;
          }
          // a fixed-batch file whose opened batch ORT refused runs one item at a time from here on: say why, once
          const opening = model.batchOpening;
          if (opening?.reason && !flags.json && !batchNoted) printLine(`note: ${modelPath} fixes the batch at 1: ${opening.reason}`);
          batchNoted ||= opening?.reason !== undefined;
          results.push({ input: l.path, status: 'ok', predictions: preds, ...(upgrade ? { opsetUpgrade: upgrade } : {}), ...(opening?.reason ? { batchOpening: { ...opening } } : {}) });
          if (!flags.json) {
            printLine(l.path);
            for (const p of preds) printLine(`  ${String(p.index).padStart(4)}  ${p.label.padEnd(24)} ${(p.probability * 100).toFixed(2).padStart(6)}%  logit ${p.logit.toFixed(4)}`);
          }
        }
      }
      if (failed > 0) process.exitCode = 1;
      if (flags.json) printJson(results);
    });
  });
}
