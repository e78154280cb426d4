import { copyFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { listMethods, getMethod } from '../../methods/registry.js';
import { explainFiles, OUTPUT_EXISTS } from '../../node/explain-files.js';
import { bundledModelPath, bundledSamplesDir } from '../../node/paths.js';
import { writeReport, writeRunInfo } from '../../node/report.js';
import { runShortcutDemo } from '../../node/shortcut.js';
import { runObjectsDemo } from '../../node/objects-demo.js';
import { expandInputs } from '../inputs.js';
import { integerFlag, parseMethodList } from '../method-flags.js';
import { withModel } from '../model-options.js';
import { prepareOutputDir } from '../../node/output-dir.js';
import { printLine } from '../output.js';
import { flag } from '../flags.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('explain the bundled Fashion-MNIST model on its sample images with every method, score them, and write an HTML report')
    .addOption(flag.out('<dir>', 'output folder', 'lumen-demo'))
    .option('--methods <ids>', 'comma-separated method ids (default: every registered method that applies to a CNN, i.e. all but the attention family)')
    .option('--no-score', 'skip the trust scores (faster)')
    .addOption(flag.force('recompute everything'))
    .option('--shortcut', 'also explain the clean and the shortcut shapes models on the same test images and add the "spot the shortcut" section')
    .option('--shortcut-images <n>', 'shapes test images used by --shortcut (the first n of samples/shapes; ≈15 s per image for both models with every method)', '20')
    .option('--shortcut-methods <ids>', 'comma-separated method ids for --shortcut (default: CAM, gradient and perturbation methods except LIME and Kernel SHAP)')
    .option('--shortcut-faithfulness <n>', 'deletion/insertion on the first n shapes images (0 = skip)', '10')
    .option('--shortcut-randomization <n>', 'model-randomization sanity check on the first n shapes images (0 = skip)', '0')
    .option('--segmentation', "also explain the shapes segmentation model: each image's shape category (seg:<k>), report in <out>/segmentation/")
    .option('--detection', 'also explain the shapes detector: the detection that best overlaps each ground-truth box (det:box=…), report in <out>/detection/')
    .option('--objects-images <n>', 'shapes test images used by --segmentation / --detection', '6')
    .action(async (flags: { out: string; methods?: string; score: boolean; force?: boolean; shortcut?: boolean; shortcutImages: string; shortcutMethods?: string; shortcutFaithfulness: string; shortcutRandomization: string; segmentation?: boolean; detection?: boolean; objectsImages: string }) => {
      const modelPath = bundledModelPath();
      const files = await expandInputs([relative(process.cwd(), bundledSamplesDir()) || '.']);
      // The bundled model is a CNN: attention methods need a transformer's attention blocks, so the default list leaves them out.
      // (an empty --methods was read as the default list; a bad --shortcut-methods id was seen only after the main demo)
      const methods = flags.methods !== undefined ? parseMethodList(flags.methods) : listMethods().filter((m) => m.family !== 'attention').map((m) => getMethod(m.id));
      const shortcutMethods = flags.shortcutMethods !== undefined ? parseMethodList(flags.shortcutMethods).map((m) => m.info.id) : undefined;
      const shortcutImages = integerFlag('shortcutImages', flags.shortcutImages, 1);
      const shortcutFaithfulness = integerFlag('shortcutFaithfulness', flags.shortcutFaithfulness, 0);
      const shortcutRandomization = integerFlag('shortcutRandomization', flags.shortcutRandomization, 0);
      const objectsImages = integerFlag('objectsImages', flags.objectsImages, 1);
      prepareOutputDir(flags.out);
      await withModel(modelPath, {}, async (model) => {
        const started = Date.now();
        printLine(`Lumen demo: ${methods.length} methods × ${files.length} images of ${relative(process.cwd(), modelPath)}`);
        await writeRunInfo(model, relative(process.cwd(), modelPath), flags.out);
        const result = await explainFiles(model, files, {
          methods,
          targets: ['top1'],
          methodOptions: () => ({}),
          outDir: flags.out,
          npy: true,
          score: flags.score,
          force: flags.force,
          seed: 0,
          batchSize: 10,
          onRow: (row, done, total) => {
            if (done % files.length === 0 || row.status === 'error') printLine(`  [${done}/${total}] ${row.method}${row.status === 'error' ? ` failed on ${row.input}: ${row.error}` : ''}`);
          },
        });
        const sections = [];
        if (flags.shortcut) {
          const shortcut = await runShortcutDemo({
            outDir: join(flags.out, 'shortcut'),
            images: shortcutImages,
            methods: shortcutMethods,
            faithfulnessImages: shortcutFaithfulness,
            randomizationImages: shortcutRandomization,
            onLine: printLine,
          });
          sections.push({ title: 'Spot the shortcut: clean vs shortcut shapes model', html: shortcut.html });
        }
        for (const kind of ['segmentation', 'detection'] as const) {
          if (!flags[kind]) continue;
          const objects = await runObjectsDemo({ kind, outDir: join(flags.out, kind), images: objectsImages, force: flags.force, onLine: printLine });
          printLine(`  ${kind}: ${objects.written} explanations, ${objects.failed} failed → ${objects.report}`);
          sections.push({ title: `Beyond classification: shapes ${kind}`, html: `<p><a href="${kind}/report.html">${kind}/report.html</a>: ${objects.written} explanations of ${kind === 'segmentation' ? 'each image\'s shape category (seg:&lt;k&gt;)' : 'the detection best overlapping each ground-truth box (det:box=…)'}.</p>` });
        }
        const report = writeReport(flags.out, { title: 'Lumen demo — Fashion-MNIST CNN', sections });
        copyFileSync(report, join(flags.out, 'index.html'));
        printLine(`${result.rows.length - result.failed} explanations written, ${result.skipped} reused, ${result.failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        printLine(`Open ${join(flags.out, 'index.html')} in a browser (self-contained, no server needed).`);
        const kept = result.rows.filter((r) => r.status === 'error' && r.error?.startsWith(OUTPUT_EXISTS)).length;
        if (kept > 0) printLine(`${kept} of the failures are files of an earlier demo run in ${flags.out} (other settings or an older Lumen), kept as they were: run \`npm run demo -- --force\` to recompute them, or \`npm run demo -- --out <new folder>\`.`);
        if (result.failed > 0) process.exitCode = 1;
      });
    });
}
