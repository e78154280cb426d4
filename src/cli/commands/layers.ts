import type { Command } from 'commander';
import { addModelFlags, withModel, type ModelFlags } from '../model-options.js';
import { PROBE_SIZE } from '../../model.js';
import { describeLayout } from '../../layout.js';
import { printJson, printLine, table } from '../output.js';
import { flag, modelArgument } from '../flags.js';

export function registerLayers(program: Command): void {
  addModelFlags(
    program
      .command('layers')
      .description('list every layer a CAM method can target — NCHW / NHWC feature maps and patch-token sequences, with their grids (the default is marked *)')
      .addArgument(modelArgument())
      .addOption(flag.json()),
  ).action(async (modelPath: string, flags: ModelFlags & { json?: boolean }) => {
    await withModel(modelPath, flags, async (model) => {
      const layers = await model.layers();
      if (flags.json) return printJson(layers.map((l) => ({ ...l, grid: describeLayout(l.layout, l.shape) })));
      printLine(table([['', 'tensor', 'shape', 'layout', 'op', 'node'], ...layers.map((l) => [l.isDefault ? '*' : '', l.name, `[${l.shape.join(',')}]`, `${describeLayout(l.layout, l.shape)}${l.layoutDetected ? '' : ' (assumed)'}`, l.op, l.node])]));
      printLine(`\n* default CAM layer (the last feature map before the classifier head; for transformers the last block's first LayerNorm). Use it with --layer.`);
      printLine(`Layouts: NCHW [1,C,h,w], NHWC [1,h,w,C], tokens K+h×w = [1,T,C] with K special tokens before an h×w patch grid; --layer-layout overrides.`);
      if (model.fileLayout === 'NHWC') printLine(`The model file is channels-last: Lumen feeds it [N, C, H, W] images through a Transpose (every attribution is NCHW).`);
      if (model.dynamicSpatialSize) printLine(`The model leaves its input size open: shapes are for a ${PROBE_SIZE}×${PROBE_SIZE} input and scale with the image.`);
    });
  });
}
