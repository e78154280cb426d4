import type { Command } from 'commander';
import { EXPORTABLE_METHODS } from '../../export/index.js';
import { exportExplanationFiles } from '../../node/export-files.js';
import { addMethodOptionFlags, integerFlag, methodOptionsFromFlags, parseMethodList, seedFlag, type MethodCommandFlags } from '../method-flags.js';
import { addModelFlags, withModel } from '../model-options.js';
import { LumenError } from '../../errors.js';
import { printJson, printLine } from '../output.js';
import { flag, modelArgument } from '../flags.js';

interface ExportFlags extends MethodCommandFlags {
  method: string;
  out?: string;
  triton?: string;
  name?: string;
  maxBatchSize: string;
  force?: boolean;
  withPreprocessing?: boolean;
  targetInput: string;
}

export function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description('write the explanation as a standalone ONNX model (inputs: image batch + class index per image; outputs: logits, probabilities, one attribution per method) that any ONNX runtime can serve')
    .addArgument(modelArgument())
    .requiredOption('-m, --method <ids>', `method id(s), comma-separated; exportable: ${EXPORTABLE_METHODS.join(', ')}`)
    .addOption(flag.layer('<tensors>', "CAM target layer(s), comma-separated (default: the model's default layer; see 'lumen layers')"))
    .addOption(flag.out('<file>', 'the .onnx file to write'))
    .option('--triton <dir>', 'also write a Triton model repository (<dir>/<name>/config.pbtxt and 1/model.onnx)')
    .option('--name <name>', 'the model name in the Triton repository (default: the -o file name)')
    .option('--max-batch-size <n>', 'Triton max_batch_size', '8')
    .option('--with-preprocessing', "take raw pixels: uint8 [batch, height, width, C] of any size, resized and normalized (the model's mean/std) in the graph")
    .option('--target-input <kind>', "how the target enters the graph: 'index' (int64 target_class [batch]) or 'weights' (float32 target_weights [batch, classes], a weight vector per image)", 'index')
    .addOption(flag.seed('seed of the random masks RISE stores in the file (as lumen explain --seed)'))
    .addOption(flag.force('overwrite an existing file or Triton model folder'))
    .addOption(flag.json('print a JSON summary'));
  addModelFlags(cmd);
  addMethodOptionFlags(cmd);
  cmd.action(async (modelPath: string, flags: ExportFlags) => {
    const maxBatchSize = integerFlag('maxBatchSize', flags.maxBatchSize, 1);
    if (flags.targetInput !== 'index' && flags.targetInput !== 'weights') throw new LumenError('BAD_OPTION', `--target-input must be 'index' or 'weights', got '${flags.targetInput}'`, 2);
    const targetInput = flags.targetInput;
    const seed = flags.seed === undefined ? undefined : seedFlag(flags.seed);
    const methods = parseMethodList(flags.method);
    await withModel(modelPath, flags, async (model) => {
      const { exported, files } = await exportExplanationFiles(model, {
        methods: methods.map((m) => m.info.id),
        methodOptions: Object.fromEntries(methods.map((m) => [m.info.id, { ...methodOptionsFromFlags(m, flags), ...(seed !== undefined && m.info.options.some((o) => o.name === 'seed') ? { seed } : {}) }])),
        ...(flags.layer ? { layer: flags.layer } : {}),
        ...(flags.out ? { out: flags.out } : {}),
        ...(flags.triton !== undefined ? { triton: flags.triton } : {}),
        tritonOptions: { maxBatchSize, ...(flags.name !== undefined ? { name: flags.name } : {}) },
        force: flags.force,
        targetInput,
        ...(flags.withPreprocessing ? { withPreprocessing: true } : {}),
      });
      if (flags.json) return printJson({ files, opset: exported.opset, inputs: exported.inputs, outputs: exported.outputs, layers: exported.layers });
      for (const f of files) printLine(`wrote ${f}`);
      printLine(`opset ${exported.opset}; inputs: ${exported.inputs.map((t) => `${t.name} ${t.type}[${t.dims.join(',')}]`).join(', ')}`);
      printLine(`outputs: ${exported.outputs.map((t) => `${t.name} [${t.dims.join(',')}]`).join(', ')}${exported.layers.length ? `; CAM layer: ${exported.layers.join(', ')}` : ''}`);
    });
  });
}
