import { Command, CommanderError } from 'commander';
import { isLumenError } from '../errors.js';
import { loadAllMethods } from '../methods/load-all.js';
import { registerCommands } from './commands/index.js';

/** `lumen` — exit code 0 ok, 1 error, 2 usage. User mistakes print one clear line, never a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('lumen')
    .description('Explain ONNX image classifiers: CAM family, gradient attributions, perturbation methods, trust metrics.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  await loadAllMethods();
  registerCommands(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return process.exitCode === 1 ? 1 : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (isLumenError(e)) {
      process.stderr.write(`lumen: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`lumen: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

const isEntry = process.argv[1] !== undefined && /(^|[\\/])(main\.(ts|js)|lumen(\.js)?)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
