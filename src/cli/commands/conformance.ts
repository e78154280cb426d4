import type { Command } from 'commander';
import { formatConformanceLine, runConformance } from '../../node/conformance.js';
import { printJson, printLine } from '../output.js';
import { flag } from '../flags.js';

export function registerConformance(program: Command): void {
  program
    .command('conformance')
    .description('check Lumen against reference attributions (pytorch-grad-cam, Captum) in a conformance folder')
    .argument('[dir]', 'folder with manifest.json, models/, inputs/, refs/', 'conformance')
    .option('--filter <text>', 'only references whose library/method/variant contains this text')
    .addOption(flag.json())
    .action(async (dir: string, flags: { filter?: string; json?: boolean }) => {
      const summary = await runConformance(dir, { filter: flags.filter, onLine: flags.json ? undefined : (l) => printLine(formatConformanceLine(l)) });
      if (flags.json) printJson(summary);
      else printLine(`${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped (not implemented)`);
      if (summary.failed > 0) process.exitCode = 1;
    });
}
