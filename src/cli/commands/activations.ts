import type { Command } from 'commander';
import { encodePng } from '../../node/image-file.js';
import { loadInput } from '../../node/inputs.js';
import { activationGrid } from '../../render/activations.js';
import { toNchw } from '../../layout.js';
import { addModelFlags, withModel, type ModelFlags } from '../model-options.js';
import { printJson, printLine } from '../output.js';
import { integerFlag } from '../method-flags.js';
import { writeOutputFile } from '../../node/output-dir.js';
import { flag, modelArgument } from '../flags.js';

export function registerActivations(program: Command): void {
  addModelFlags(
    program
      .command('activations')
      .description("draw a grid of a layer's feature maps for one image: the top-N channels by mean activation, with their indices")
      .addArgument(modelArgument())
      .argument('<image>', 'image or .npy tensor')
      .addOption(flag.layer('<tensor>', "layer (ONNX tensor name, see 'lumen layers'); default: the default CAM layer"))
      .option('--top <n>', 'how many channels', '16')
      .option('--colormap <name>', 'colormap', 'viridis')
      .addOption(flag.out('<file>', 'PNG to write', 'activations.png'))
      .addOption(flag.json()),
  ).action(async (modelPath: string, image: string, flags: ModelFlags & { layer?: string; top: string; colormap: string; out: string; json?: boolean }) => {
    const top = integerFlag('top', flags.top, 1);
    await withModel(modelPath, flags, async (model) => {
      const [layer] = await model.resolveLayers(flags.layer);
      const { tensor } = await loadInput(image, model);
      const { tensors } = await model.forward(tensor, [layer!]);
      // NHWC maps and patch-token sequences are drawn as the [C, h, w] maps CAM methods see
      const maps = toNchw(tensors[layer!]!, await model.layerLayout(layer!, tensor));
      const grid = activationGrid(maps, { topN: top, colormap: flags.colormap, title: layer });
      writeOutputFile(flags.out, await encodePng(grid));
      if (flags.json) printJson({ out: flags.out, layer, channels: grid.shownChannels, means: grid.means });
      else printLine(`${flags.out}: ${grid.shownChannels.length} channels of ${layer} (by mean activation: ${grid.shownChannels.join(', ')})`);
    });
  });
}
