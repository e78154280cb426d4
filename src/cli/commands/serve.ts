import type { Command } from 'commander';
import { serveWebApp } from '../../node/serve.js';
import { integerFlag } from '../method-flags.js';
import { printLine } from '../output.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the local web app (bundled model and samples, or --model) on 127.0.0.1; everything computes in the page')
    .option('--model <model.onnx>', 'ONNX model to offer instead of the bundled one (its sidecar .json is served too)')
    .option('--port <n>', 'port 0-65535 (0 = any free port)', '8080')
    .action(async (flags: { model?: string; port: string }) => {
      const server = await serveWebApp({ port: integerFlag('port', flags.port, 0, 65535), model: flags.model, host: '127.0.0.1', log: (line) => printLine(line) });
      printLine('Press Ctrl+C to stop.');
      await new Promise<void>((done) => {
        const stop = () => void server.close().finally(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
