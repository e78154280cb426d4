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

test("the web app's files (web/src/) must reach nothing Node-only: a built-in, or a file under src/node/", () => {
  const dir = mkdtempSync(join(tmpdir(), 'lumen-web-folders-'));
  try {
    for (const d of ['src/node', 'web/src']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'src', 'browser.ts'), 'export const x = 1;\n');
    writeFileSync(join(dir, 'src', 'node', 'load.ts'), "import { readFileSync } from 'node:fs';\nexport { readFileSync };\n");
    writeFileSync(join(dir, 'web', 'src', 'main.ts'), "import { x } from '../../src/browser.js';\nimport './view.js';\nexport { x };\n");
    writeFileSync(join(dir, 'web', 'src', 'view.ts'), "import { readFileSync } from 'node:fs';\nexport { readFileSync };\n");
    writeFileSync(join(dir, 'web', 'src', 'files.ts'), "import { readFileSync } from '../../src/node/load.js';\nexport { readFileSync };\n");
    const r = spawnSync(process.execPath, [script, '--root', dir], { encoding: 'utf8' });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 1, out);
    assert.match(out, /web\/src\/view\.ts: Node built-in 'node:fs'/);
    assert.match(out, /src\/node\/load\.ts: file under src\/node\/ \(Node-only\)\n  via web\/src\/files\.ts -> src\/node\/load\.ts/);
    assert.match(out, /2 problem\(s\)/, 'view.ts reached from main.ts and on its own is one problem');
    // the real tree passes
    const real = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    assert.equal(real.status, 0, real.stdout + real.stderr);
    assert.match(real.stdout, /the web app's \d+ files under web\/src\/ reach nothing Node-only/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
