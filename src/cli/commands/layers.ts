import type { Command } from 'commander';
import { addModelFlags, loadModelWithFlags, type ModelFlags } from '../model-options.js';
import { PROBE_SIZE } from '../../model.js';
import { printJson, printLine, table } from '../output.js';

export function registerLayers(program: Command): void {
  addModelFlags(
    program
      .command('layers')
      .description('list every 4-D activation a CAM method can target (the default is marked *)')
      .argument('<model>', 'ONNX model file')
      .option('--json', 'machine-readable output'),
  ).action(async (modelPath: string, flags: ModelFlags & { json?: boolean }) => {
    const model = await loadModelWithFlags(modelPath, flags);
    try {
      const layers = await model.layers();
      if (flags.json) return printJson(layers);
      printLine(table([['', 'tensor', 'shape', 'op', 'node'], ...layers.map((l) => [l.isDefault ? '*' : '', l.name, `[${l.shape.join(',')}]`, l.op, l.node])]));
      printLine(`\n* default CAM layer (last spatial tensor before global pooling / flattening). Use it with --layer.`);
      if (model.dynamicSpatialSize) printLine(`The model leaves its input size open: shapes are for a ${PROBE_SIZE}×${PROBE_SIZE} input and scale with the image.`);
    } finally {
      await model.dispose();
    }
  });
}
