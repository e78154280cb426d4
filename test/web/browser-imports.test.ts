import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = join(root, 'scripts', 'check-browser-imports.mjs');

function runCheck(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('src/browser.ts reaches no Node built-ins, Node-only packages or src/node/', () => {
  const { status, out } = runCheck([]);
  assert.equal(status, 0, out);
  const files = Number(/ok \((\d+) files/.exec(out)?.[1]);
  assert.ok(files >= 10, `expected the walk to visit the library, visited ${files} files`);
});

test('the checker fails on node:, bare built-ins, sharp, onnxruntime-node and src/node/, and ignores type-only imports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lumen-imports-'));
  try {
    mkdirSync(join(dir, 'src', 'node'), { recursive: true });
    mkdirSync(join(dir, 'src', 'fam', 'a'), { recursive: true });
    writeFileSync(join(dir, 'src', 'browser.ts'), [
      "import type { Stats } from 'node:fs';",
      "import { ok } from './ok.js';",
      "export * from './uses-fs.js';",
      "// import { readFileSync } from 'node:fs';",
      "const load = (f: string) => import(`./fam/${f}/index.js`);",
    ].join('\n'));
    writeFileSync(join(dir, 'src', 'ok.ts'), "import * as ort from 'onnxruntime-web';\nexport const ok = 1;\n");
    writeFileSync(join(dir, 'src', 'uses-fs.ts'), "import { join } from 'path';\nimport sharp from 'sharp';\nexport { nodeRuntime } from './node/runtime.js';\n");
    writeFileSync(join(dir, 'src', 'node', 'runtime.ts'), "import * as ort from 'onnxruntime-node';\n");
    writeFileSync(join(dir, 'src', 'fam', 'a', 'index.ts'), "import { readFile } from 'node:fs/promises';\n");
    const { status, out } = runCheck(['--entry', join(dir, 'src', 'browser.ts'), '--root', dir]);
    assert.equal(status, 1, out);
    assert.match(out, /uses-fs\.ts: Node built-in 'path'/);
    assert.match(out, /uses-fs\.ts: Node-only package 'sharp'/);
    assert.match(out, /src\/node\/runtime\.ts: file under src\/node\//);
    assert.match(out, /fam\/a\/index\.ts: Node built-in 'node:fs\/promises'/);
    assert.doesNotMatch(out, /browser\.ts: Node built-in 'node:fs'/, 'type-only and commented imports are not code');
    assert.doesNotMatch(out, /ok\.ts/);
    assert.match(out, /4 problem\(s\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
