import { main } from '../../src/cli/main.js';

/**
 * The CLI in this process (a process per command would add seconds of start-up each). Its stderr is captured; its
 * stdout is left alone (the test runner reports through it), so the checks read the files it writes.
 */
export async function runCliInProcess(args: readonly string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await main([...args]), stderr };
  } finally {
    process.stderr.write = write;
  }
}
