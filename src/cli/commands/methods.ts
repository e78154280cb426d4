import type { Command } from 'commander';
import { listConceptMethods } from '../../methods/concepts/registry.js';
import { listMethods } from '../../methods/registry.js';
import { loadAllMethods } from '../../methods/load-all.js';
import { TABULAR_METHODS } from '../../methods/tabular/info.js';
import { printJson, printLine, table } from '../output.js';
import { flag } from '../flags.js';

export function registerMethods(program: Command): void {
  program
    .command('methods')
    .description('list the explanation methods with their family, cost and options')
    .addOption(flag.json())
    .action(async (flags: { json?: boolean }) => {
      await loadAllMethods();
      const methods = listMethods();
      if (flags.json) return printJson(methods);
      printLine(table([['id', 'family', 'title', 'cost'], ...methods.map((m) => [m.id, m.family, m.title, m.cost])]));
      printLine();
      printLine('Feature-vector models over a CSV (commands of their own, docs/tabular.md):');
      printLine(table([['command', 'title', 'model rows'], ...TABULAR_METHODS.map((m) => [`lumen ${m.id}`, m.title, m.cost])]));
      printLine();
      printLine('Concepts and examples (commands of their own, docs/concepts.md):');
      printLine(table([['command', 'id', 'title', 'paper'], ...listConceptMethods().map((m) => [`lumen ${m.command}`, m.id, m.title, m.paper])]));
    });
}
