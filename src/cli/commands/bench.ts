import type { Command } from 'commander';
import { LumenError } from '../../errors.js';
import { BENCH_MODELS, BENCH_SECTIONS } from '../../bench/models.js';
import { printLine } from '../output.js';
import { integerFlag } from '../method-flags.js';
import { MAX_THREADS } from '../../runtime/errors.js';
import { flag, parseList } from '../flags.js';
import { prepareOutputFile } from '../../node/output-dir.js';

interface BenchFlags {
  full?: boolean;
  quick?: boolean;
  models?: string;
  repeats?: string;
  threads: string;
  browser: boolean;
  only?: string;
  out: string;
}

/** More timed repeats than this measure nothing new and keep the command running for hours. */
const MAX_REPEATS = 1000;

/** A comma-separated list of known names (parseList's rule): every entry must be one of them. */
function listFlag<T extends string>(name: string, raw: string | undefined, known: readonly T[], what: string): T[] | undefined {
  if (raw === undefined) return undefined;
  const entries = parseList(`--${name}`, raw, what, ` (one or more of ${known.join(', ')})`);
  for (const entry of entries) {
    if (!known.includes(entry as T)) throw new LumenError('BAD_OPTION', `--${name} must be a comma-separated list of ${known.join(', ')}; got '${entry}'`, 2);
  }
  return [...new Set(entries as T[])];
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('benchmark forward passes and every method family on ResNet-50/MobileNetV2/VGG16/ViT-B/16-shaped models; prints the target ratios and writes bench/results.json')
    .option('--quick', 'short run for development (default): batch 1, 11 repeats (3× for fast models), smaller perturbation settings, no VGG16')
    .option('--full', 'every model, batches 1 and 8, 15 repeats, the PyTorch reference settings for occlusion and Score-CAM')
    .option('--models <names>', `comma-separated subset of ${BENCH_MODELS.join(', ')}`)
    .option('--repeats <n>', 'timed repeats per measurement (after one warm-up)')
    .option('--threads <n>', 'ONNX Runtime intra-op threads', '2')
    .option('--no-browser', 'skip the headless-Chromium case')
    .option('--only <sections>', `comma-separated sections: ${BENCH_SECTIONS.join(', ')}`)
    .addOption(flag.out('<file>', 'results file', 'bench/results.json'))
    .action(async (flags: BenchFlags) => {
      // the results file before minutes of measuring (the default too: the flag checks only a given -o)
      prepareOutputFile(flags.out, '-o');
      if (flags.quick && flags.full) throw new LumenError('BAD_OPTION', '--quick and --full exclude each other: give one (--quick is the default)', 2);
      const models = listFlag('models', flags.models, BENCH_MODELS, 'model');
      const only = listFlag('only', flags.only, BENCH_SECTIONS, 'section');
      const repeats = flags.repeats === undefined ? undefined : integerFlag('repeats', flags.repeats, 1, MAX_REPEATS);
      const threads = integerFlag('threads', flags.threads, 1, MAX_THREADS);
      // imported here so other commands do not load the benchmark code
      const { runBench } = await import('../../bench/run.js');
      await runBench({
        mode: flags.full ? 'full' : 'quick',
        ...(models ? { models } : {}),
        ...(repeats ? { repeats } : {}),
        threads,
        browser: flags.browser,
        ...(only ? { only } : {}),
        out: flags.out,
        log: printLine,
      });
    });
}
