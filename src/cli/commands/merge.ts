import type { Command } from 'commander';
import { writeReport } from '../../node/report.js';
import { mergeRuns } from '../../node/shard.js';
import { printJson, printLine } from '../output.js';
import { flag } from '../flags.js';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description("join the output folders of 'lumen explain' runs (the parts of a --shard run) into one folder with one manifest and one report; refuses runs with different settings")
    .argument('<dirs...>', "output folders of 'lumen explain'")
    .requiredOption('-o, --out <dir>', 'the merged folder')
    .addOption(flag.force('merge into a folder that is not empty'))
    .option('--no-report', 'do not write report.html')
    .addOption(flag.json('print a JSON summary'))
    .action((dirs: string[], flags: { out: string; force?: boolean; report: boolean; json?: boolean }) => {
      const result = mergeRuns(dirs, flags.out, { force: flags.force });
      const report = flags.report ? writeReport(flags.out) : undefined;
      if (flags.json) return printJson({ ...result, ...(report ? { report } : {}) });
      printLine(`${result.rows} rows (${result.failed} failed), ${result.files} files from ${dirs.length} folders → ${result.out}/`);
      if (result.shards.length > 0) printLine(`parts: ${result.shards.join(', ')}${result.missingShards.length ? `; missing parts: ${result.missingShards.join(', ')}` : ' (all)'}`);
      if (report) printLine(`report: ${report}`);
    });
}
