import type { Command } from 'commander';
import { LumenError } from '../../errors.js';
import { encodeModel } from '../../onnx/io.js';
import { LumenModel } from '../../model.js';
import { checkModelFile } from '../../node/load.js';
import { convertTfjsFile, isTfjsPath } from '../../node/tfjs-files.js';
import { nodeRuntime } from '../../node/runtime.js';
import { refuseOverwrite, writeOutputFile } from '../../node/output-dir.js';
import { checkClassNames, metadataFromFlags, type ModelFlags } from '../model-options.js';
import { printJson, printLine } from '../output.js';
import { flag } from '../flags.js';

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('convert a TensorFlow.js model (model.json + its .bin shards: graph or layers model) to an ONNX file Lumen and ONNX Runtime load')
    .argument('<model.json>', 'TF.js model.json (Teachable Machine\'s metadata.json beside it gives the class names)')
    .addOption(flag.out('<file>', 'ONNX file to write').makeOptionMandatory())
    .option('--classes <file|list>', 'class names stored in the ONNX metadata (a JSON/text file or a comma-separated list)')
    .option('--normalization <preset>', 'input normalization stored in the ONNX metadata: imagenet, unit, none or {json}')
    .option('--mean <values>', 'custom per-channel mean (0..1 scale)')
    .option('--std <values>', 'custom per-channel std (0..1 scale)')
    .addOption(flag.force('overwrite an existing output file'))
    .addOption(flag.json('machine-readable summary'))
    .action(async (input: string, flags: ModelFlags & { out: string; force?: boolean; json?: boolean }) => {
      // refused before any work: the input (a readable file, a model.json) and an existing -o, then the conversion
      checkModelFile(input);
      if (!isTfjsPath(input)) throw new LumenError('BAD_OPTION', `${input}: lumen convert takes a TensorFlow.js model.json (ONNX files need no conversion)`, 2);
      refuseOverwrite(flags.out, flags.force, `-o ${flags.out}`);
      const converted = convertTfjsFile(input, metadataFromFlags(flags));
      const bytes = encodeModel(converted.proto);
      // the converted graph must load as a Lumen model (and compile in ONNX Runtime) before it is written
      const model = LumenModel.fromProto(converted.proto, { runtime: nodeRuntime(), source: input, metadata: converted.metadata });
      try {
        await model.predict(model.zeroInput(), 1);
        if (converted.metadata.classes) await checkClassNames(model, converted.metadata.classes);
      } finally {
        await model.dispose();
      }
      writeOutputFile(flags.out, bytes, '-o');
      const summary = {
        input,
        output: flags.out,
        format: converted.format,
        nodes: converted.proto.graph!.node.length,
        bytes: bytes.length,
        inputShape: model.inputDims,
        classes: converted.metadata.classes?.length,
      };
      if (flags.json) return printJson(summary);
      printLine(`${input} (TF.js ${converted.format}) → ${flags.out}: ${summary.nodes} ONNX nodes, ${(bytes.length / 1e6).toFixed(1)} MB; Lumen input [${model.inputDims.join(', ')}] (the file keeps the model's NHWC input)`);
    });
}
