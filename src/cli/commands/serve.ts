import { InvalidArgumentError, type Command } from 'commander';
import { serveWebApp } from '../../node/serve.js';
import { printLine } from '../output.js';

function parsePort(value: string): number {
  const port = Number(value);
  // digits only: Number('') is 0 and Number('1e3') is 1000
  if (!/^\d+$/.test(value.trim()) || port > 65535) throw new InvalidArgumentError('a port number 0-65535 (0 = any free port)');
  return port;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the local web app (bundled model and samples, or --model) on 127.0.0.1; everything computes in the page')
    .option('--model <model.onnx>', 'ONNX model to offer instead of the bundled one (its sidecar .json is served too)')
    .option('--port <n>', 'port (0 = any free port)', parsePort, 8080)
    .action(async (flags: { model?: string; port: number }) => {
      const server = await serveWebApp({ port: flags.port, model: flags.model, host: '127.0.0.1', log: (line) => printLine(line) });
      printLine('Press Ctrl+C to stop.');
      await new Promise<void>((done) => {
        const stop = () => void server.close().finally(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
