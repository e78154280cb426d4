import type { Command } from 'commander';
import { writeReport } from '../../node/report.js';
import { printLine } from '../output.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description("write a self-contained report.html (images inline, no network) from a 'lumen explain' output folder")
    .argument('<out-dir>', "folder written by 'lumen explain'")
    .option('--title <text>', 'report title')
    .action((outDir: string, flags: { title?: string }) => {
      printLine(writeReport(outDir, { title: flags.title }));
    });
}
