import type { Command } from 'commander';
import { LumenError } from '../../errors.js';
import { BENCH_MODELS, type BenchModelName } from '../../bench/models.js';
import { printLine } from '../output.js';
import { integerFlag } from '../method-flags.js';
import { MAX_THREADS } from '../../runtime/errors.js';
import { flag } from '../flags.js';

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
    .option('--only <sections>', 'comma-separated sections: forward, compile, ig, memory, perturbation, export, scale, browser')
    .addOption(flag.out('<file>', 'results file', 'bench/results.json'))
    .action(async (flags: BenchFlags) => {
      const models = flags.models?.split(',').map((s) => s.trim());
      for (const m of models ?? []) {
        if (!BENCH_MODELS.includes(m as BenchModelName)) throw new LumenError('BAD_OPTION', `unknown bench model '${m}' (choose from ${BENCH_MODELS.join(', ')})`, 2);
      }
      const repeats = flags.repeats === undefined ? undefined : integerFlag('repeats', flags.repeats, 1);
      const threads = integerFlag('threads', flags.threads, 1, MAX_THREADS);
      // imported here so other commands do not load the benchmark code
      const { runBench } = await import('../../bench/run.js');
      await runBench({
        mode: flags.full ? 'full' : 'quick',
        ...(models ? { models: models as BenchModelName[] } : {}),
        ...(repeats ? { repeats } : {}),
        threads,
        browser: flags.browser,
        ...(flags.only ? { only: flags.only.split(',').map((s) => s.trim()) } : {}),
        out: flags.out,
        log: printLine,
      });
    });
}
