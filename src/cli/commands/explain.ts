import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { LumenError } from '../../errors.js';
import { getMethod, listMethods } from '../../methods/registry.js';
import { checkTargetFlag } from '../../node/target-files.js';
import { TARGET_SYNTAX_TEXT } from '../../targets/index.js';
import { explainFiles, type ManifestRow } from '../../node/explain-files.js';
import { writeReport, writeRunInfo } from '../../node/report.js';
import { expandInputs } from '../inputs.js';
import { addMethodOptionFlags, integerFlag, methodOptionsFromFlags, parseMethodList, seedFlag, type MethodCommandFlags } from '../method-flags.js';
import { lockOutputDir, prepareOutputDir } from '../../node/output-dir.js';
import { inShard, parseShard } from '../../node/shard.js';
import { addModelFlags, withModel } from '../model-options.js';
import { printJson, printLine } from '../output.js';
import { flag, modelArgument } from '../flags.js';

interface ExplainFlags extends MethodCommandFlags {
  method: string;
  target: string[];
  output?: string;
  out: string;
  npy?: boolean;
  seed: string;
  batchSize: string;
  recursive?: boolean;
  force?: boolean;
  score?: boolean;
  colormap?: string;
  report?: boolean;
  grid?: boolean;
  shard?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function registerExplain(program: Command): void {
  const cmd = program
    .command('explain')
    .description('explain images with one or more methods; writes overlays (PNG), raw attributions (.npy) and a manifest')
    .addArgument(modelArgument())
    .argument('<inputs...>', 'images, folders or glob patterns (.npy tensors too)')
    .requiredOption('-m, --method <ids>', "method id(s), comma-separated (see 'lumen methods')")
    .option('-t, --target <spec>', `what to explain: ${TARGET_SYNTAX_TEXT}. Repeat for several`, collect)
    .addOption(flag.output("the model output the target reads (multi-output models; default: the first output's logits)"))
    .addOption(flag.layer('<tensors>', "CAM target layer(s), comma-separated ONNX tensor names (see 'lumen layers')"))
    .addOption(flag.out('<dir>', 'output folder', 'lumen-out'))
    .option('--npy', 'also write the raw attribution as .npy')
    .addOption(flag.seed('seed for random methods', '0'))
    .addOption(flag.batchSize('images per batch', '8'))
    .addOption(flag.recursive())
    .addOption(flag.force('overwrite existing outputs and recompute finished rows'))
    .option('--score', 'attach the default trust scores (deletion AUC, insertion AUC, class discrimination)')
    .option('--report', 'also write a self-contained report.html into the output folder')
    .option('--grid', 'also write a labelled PNG grid per batch (images × methods, with class, probability and scores)')
    .option('--colormap <name>', 'overlay colormap (jet, turbo, viridis, inferno, magma, bwr, RdBu)')
    .option('--shard <i/n>', "only part i of n of the inputs (0 ≤ i < n, by path hash; stable when files are added): run the n parts on n machines, then 'lumen merge'")
    .addOption(flag.json('print a JSON summary'));
  addModelFlags(cmd);
  addMethodOptionFlags(cmd);
  cmd.addHelpText('after', () => `\nMethods (cost per image):\n${listMethods().map((m) => `  ${m.id.padEnd(22)} ${m.family.padEnd(13)} ${m.cost}`).join('\n')}\n`);
  cmd.action(async (modelPath: string, inputs: string[], flags: ExplainFlags) => {
    const methods = parseMethodList(flags.method);
    const seed = seedFlag(flags.seed);
    const batchSize = integerFlag('batchSize', flags.batchSize, 1);
    const shard = flags.shard !== undefined ? parseShard(flags.shard) : undefined;
    prepareOutputDir(flags.out);
    const files = (await expandInputs(inputs, flags.recursive)).filter((f) => inShard(f, shard));
    let unlock: (() => void) | undefined;
    await withModel(modelPath, flags, async (model) => {
      const layer = flags.layer ? await model.resolveLayers(flags.layer) : undefined;
      const targets = flags.target && flags.target.length > 0 ? flags.target : ['top1'];
      // Catch a bad target before any work: parse each spec (reading its files) and resolve it on a blank image.
      for (const t of targets) await checkTargetFlag(t, model, flags.output);
      const total = files.length * methods.length * targets.length;
      const tty = process.stderr.isTTY && !flags.json;
      const bar = tty ? new SingleBar({ format: 'explaining [{bar}] {value}/{total} rows | {rate} rows/s | ETA {eta_formatted} | {last}', hideCursor: true }, Presets.shades_classic) : undefined;
      // The folder's lock covers run.json too: a second run into this folder is refused before it writes anything.
      unlock = lockOutputDir(flags.out);
      await writeRunInfo(model, modelPath, flags.out);
      const started = Date.now();
      bar?.start(total, 0, { rate: '0', last: '' });
      const result = await explainFiles(model, files, {
        methods,
        targets,
        ...(flags.output ? { output: flags.output } : {}),
        methodOptions: (m) => methodOptionsFromFlags(m, flags),
        layer,
        outDir: flags.out,
        npy: flags.npy,
        score: flags.score,
        force: flags.force,
        seed,
        batchSize,
        colormap: flags.colormap,
        grid: flags.grid,
        ...(shard ? { shard } : {}),
        onRow: (row: ManifestRow, done: number) => {
          const rate = (done / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1);
          if (bar) bar.update(done, { rate, last: `${row.method} ${row.input}` });
          else if (!flags.json) printLine(`[${done}/${total}] ${row.status === 'ok' ? 'ok ' : 'ERR'} ${row.input} ${row.method} ${row.target}${row.status === 'ok' ? ` → class ${row.class} (${row.label})` : `: ${row.error}`}`);
        },
      });
      bar?.update(total);
      bar?.stop();
      if (flags.json) {
        printJson({ out: flags.out, manifest: result.manifest, skipped: result.skipped, failed: result.failed, rows: result.rows });
      } else {
        printLine(`${result.rows.length - result.failed} written, ${result.skipped} already done (skipped), ${result.failed} failed → ${flags.out}/ (manifest: ${result.manifest})`);
        for (const r of result.rows.filter((x) => x.status === 'error')) printLine(`  failed: ${r.input} [${r.method}]: ${r.error}`);
      }
      if (flags.report) {
        const report = writeReport(flags.out);
        if (!flags.json) printLine(`report: ${report}`);
      }
      if (result.failed > 0) process.exitCode = 1;
    }).finally(() => unlock?.());
  });
}
