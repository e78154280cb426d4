/** The folder rule of scripts/check-browser-imports.mjs: only src/node, src/cli, src/bench and src/index.ts are Node-only. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'check-browser-imports.mjs');

test('a file outside the Node-only folders that imports Node code fails the lint even when the browser entry does not reach it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lumen-folders-'));
  try {
    for (const d of ['node', 'cli', 'bench', 'metrics', 'render']) mkdirSync(join(dir, 'src', d), { recursive: true });
    const write = (f: string, text: string): void => writeFileSync(join(dir, 'src', f), text);
    write('browser.ts', "export const x = 1;\n");
    write('index.ts', "import { readFileSync } from 'node:fs';\nexport * from './cli/main.js';\n");
    write('cli/main.ts', "import { readFileSync } from 'node:fs';\nimport { run } from '../bench/run.js';\nexport { readFileSync, run };\n");
    write('bench/run.ts', "import { performance } from 'node:perf_hooks';\nexport const run = performance;\n");
    write('node/load.ts', "import * as ort from 'onnxruntime-node';\nexport { ort };\n");
    write('metrics/stray.ts', "import { join } from 'node:path';\nexport { join };\n");
    write('render/uses-cli.ts', "import { run } from '../cli/main.js';\nexport { run };\n");
    write('render/fine.ts', "import type { Stats } from 'node:fs';\nexport type S = Stats;\n");
    const r = spawnSync(process.execPath, [script, '--root', dir], { encoding: 'utf8' });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 1, out);
    assert.match(out, /metrics\/stray\.ts: Node built-in 'node:path' outside the Node-only folders/);
    assert.match(out, /render\/uses-cli\.ts: imports Node-only cli\/main\.ts/);
    assert.match(out, /2 problem\(s\)/, 'src/cli, src/bench, src/node, src/index.ts and a type-only import are allowed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
