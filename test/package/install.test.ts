import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

// Lumen as a dependency (issue 24): the package is built and packed (`npm pack`), the tarball is installed offline
// into a fresh project as the README's Install section says, and there the README's library example runs verbatim
// (as an ES module and as strict TypeScript against the published types), every `runnable` code block of README.md
// and docs/*.md runs, and `npx lumen --help` works. Nothing is downloaded: the install resolves every dependency
// from npm's cache through a lockfile made from this repository's (same versions).

const REPO = resolve(import.meta.dirname, '../..');
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');
let tmp = '';
let app = '';
let pkg: { name: string; version: string; license: string; files: string[]; bin: Record<string, string>; engines: Record<string, string>; dependencies: Record<string, string> };

/** Run a command; fail with its output when it exits non-zero. */
function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

// npm as a user runs it: offline, no audit/fund chatter, and no npm_config_* the test runner inherited
const NPM_ENV: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
function npm(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const r = spawnSync('npm', [...args], { cwd, encoding: 'utf8', env: { ...NPM_ENV, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', ...env }, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `npm ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

interface LockEntry { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; [k: string]: unknown }

/**
 * package.json + package-lock.json of a project depending on the tarball: the dependency closure of lumen-xai's
 * `dependencies`, copied (same paths, versions and integrity) from this repository's lockfile.
 */
function writeProject(dir: string, tarball: string, extra: Record<string, unknown>): void {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packages: Record<string, LockEntry> = {};
  const locate = (from: string, name: string): string | undefined => {
    for (let dir = from; ; ) {
      const path = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (lock.packages[path]) return path;
      if (!dir) return undefined;
      const i = dir.lastIndexOf('/node_modules/');
      dir = i < 0 ? '' : dir.slice(0, i);
    }
  };
  const visit = (from: string, deps: Record<string, string> | undefined, optional: boolean): void => {
    for (const name of Object.keys(deps ?? {})) {
      const path = locate(from, name);
      if (!path) {
        if (optional) continue;
        throw new Error(`${name} (needed by ${from || 'lumen-xai'}) is not in package-lock.json`);
      }
      if (packages[path]) continue;
      const { dev: _d, devOptional: _o, peer: _p, ...entry } = lock.packages[path]!;
      packages[path] = entry;
      visit(path, entry.dependencies, false);
      visit(path, entry.optionalDependencies, true);
    }
  };
  visit('', pkg.dependencies, false);
  const spec = `file:${tarball}`;
  const root = { name: 'lumen-user', version: '1.0.0', dependencies: { 'lumen-xai': spec } };
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const self = { version: pkg.version, resolved: spec, integrity, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...root, private: true, type: 'module', ...extra }, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ ...root, lockfileVersion: 3, requires: true, packages: { '': root, 'node_modules/lumen-xai': self, ...packages } }, null, 2));
}

/** Code blocks whose info string is `<lang> runnable`. */
function runnableBlocks(markdown: string): { lang: string; code: string }[] {
  return [...markdown.matchAll(/^```(\w+) runnable\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

const DOCS = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const blocks = DOCS.flatMap((file) => runnableBlocks(readFileSync(join(REPO, file), 'utf8')).map((b, i) => ({ ...b, file, name: `${file.replace(/\W+/g, '_')}_${i}` })));

before(() => {
  pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as typeof pkg;
  tmp = mkdtempSync(join(tmpdir(), 'lumen-pack-'));
  // build and pack a copy, so the test neither needs nor touches the repository's dist/
  const stage = join(tmp, 'stage');
  mkdirSync(stage);
  // what package.json's `files` ships, but the build outputs (dist: built below; web/dist: build:web, not run
  // here), plus what the build reads
  const shipped = [...pkg.files.filter((f) => f !== 'dist' && f !== 'web/dist'), 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
  for (const f of shipped) cpSync(join(REPO, f), join(stage, f), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(stage, 'node_modules'), 'dir');
  run(process.execPath, [TSC, '-p', 'tsconfig.build.json'], stage);
  // `npm pack` runs prepack (build + build:web); build is done above, and web/dist (the web app, built and
  // tested by test/web) is left out to keep this test short
  const packed = npm(['pack', '--ignore-scripts', '--pack-destination', tmp], stage).stdout.trim().split('\n').pop()!;
  const tarball = join(tmp, packed);
  app = join(tmp, 'app');
  mkdirSync(app);
  // the documented setting that persists: npm's install-script policy denies onnxruntime-node's GPU download
  writeProject(app, tarball, { allowScripts: { 'onnxruntime-node': false } });
  npm(['ci'], app);
});

after(() => {
  if (tmp && !process.env.LUMEN_KEEP_PACK_TEST) rmSync(tmp, { recursive: true, force: true });
});

/** Bytes of regular files under a folder (symlinks not followed). */
function folderBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += folderBytes(p);
    else if (e.isFile()) total += lstatSync(p).size;
  }
  return total;
}

test('the installed package: exports, types and bin resolve; a Node-only install has no onnxruntime-web', () => {
  const root = join(app, 'node_modules/lumen-xai');
  for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/browser.js', 'bin/lumen.js', 'models/fashion-cnn.onnx']) assert.ok(existsSync(join(root, f)), f);
  const resolved = run(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('lumen-xai'))"], app).stdout.trim();
  assert.equal(resolved, `file://${root}/dist/index.js`);
  assert.ok(existsSync(join(app, 'node_modules/.bin/lumen')));
  assert.ok(!existsSync(join(app, 'node_modules/onnxruntime-web')), 'onnxruntime-web is an optional peer dependency');
  const mb = (p: string): number => folderBytes(join(app, 'node_modules', p)) / 1e6;
  const sizes = { total: mb(''), 'onnxruntime-node': mb('onnxruntime-node'), '@img (sharp)': mb('@img'), 'lumen-xai': mb('lumen-xai') };
  console.log(`Node-only node_modules (MB): ${Object.entries(sizes).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
  // README "Install" states ~330 MB: onnxruntime-node's binaries for every platform are most of it
  assert.ok(sizes.total < 400 && sizes['onnxruntime-node'] / sizes.total > 0.8, JSON.stringify(sizes));
});

test('onnxruntime-node install script: tries the GPU download without a setting, skips it with ONNXRUNTIME_NODE_INSTALL=skip', () => {
  const script = join(app, 'node_modules/onnxruntime-node/script/install.js');
  const env = { ...NPM_ENV, GLOBAL_AGENT_HTTPS_PROXY: 'http://127.0.0.1:9' }; // a dead proxy: never really downloads
  const plain = spawnSync(process.execPath, [script], { cwd: join(app, 'node_modules/onnxruntime-node'), encoding: 'utf8', env });
  assert.notEqual(plain.status, 0, 'without a setting the script downloads (and here fails)');
  assert.match(plain.stderr, /ECONNREFUSED|ENOTFOUND|api\.nuget\.org/);
  const skip = spawnSync(process.execPath, [script], { cwd: join(app, 'node_modules/onnxruntime-node'), encoding: 'utf8', env: { ...env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  assert.equal(skip.status, 0, skip.stderr);
});

test('npx lumen --help works in the installed project', () => {
  const r = spawnSync('npx', ['lumen', '--help'], { cwd: app, encoding: 'utf8', env: { ...NPM_ENV, npm_config_offline: 'true' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Usage: lumen/);
  assert.match(r.stdout, /explain/);
});

test('README and docs/: every runnable ts block runs as an ES module and type-checks and runs as TypeScript', () => {
  const ts = blocks.filter((b) => b.lang === 'ts');
  assert.ok(ts.some((b) => b.file === 'README.md'), 'the README library example is marked runnable');
  const tsDir = join(app, 'ts');
  mkdirSync(tsDir, { recursive: true });
  for (const b of ts) {
    writeFileSync(join(app, `${b.name}.mjs`), b.code);
    const esm = run(process.execPath, [`${b.name}.mjs`], app);
    if (b.file === 'README.md') assert.match(esm.stdout, /^Ankle boot 0\.\d{3}$/m, esm.stdout);
    writeFileSync(join(tsDir, `${b.name}.ts`), b.code);
  }
  writeFileSync(join(tsDir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out', skipLibCheck: false, typeRoots: [join(REPO, 'node_modules/@types')], types: ['node'] },
    include: ['*.ts'],
  }));
  run(process.execPath, [TSC, '-p', 'tsconfig.json'], tsDir);
  for (const b of ts) run(process.execPath, [join(tsDir, 'out', `${b.name}.js`)], app);
});

test('README and docs/: every runnable sh block runs (the CLI lines, against the bundled model and samples)', () => {
  const sh = blocks.filter((b) => b.lang === 'sh');
  assert.ok(sh.some((b) => b.file === 'README.md'), 'the README CLI block is marked runnable');
  // models/ and samples/ of the lines are the installed package's
  for (const d of ['models', 'samples']) if (!existsSync(join(app, d))) symlinkSync(join(app, 'node_modules/lumen-xai', d), join(app, d), 'dir');
  let lines = 0;
  for (const b of sh) {
    for (const line of b.code.replace(/\\\n\s*/g, ' ').split('\n')) {
      const cmd = line.replace(/\s+#.*$/, '').trim();
      if (!cmd) continue;
      assert.match(cmd, /^npx lumen /, `${b.file}: a runnable line runs the installed lumen`);
      const r = spawnSync('sh', ['-c', cmd], { cwd: app, encoding: 'utf8', env: { ...NPM_ENV, npm_config_offline: 'true' }, maxBuffer: 64 << 20 });
      assert.equal(r.status, 0, `${b.file}: ${cmd}\n${r.stdout}\n${r.stderr}`);
      lines++;
    }
  }
  assert.ok(lines >= 5, `${lines} lines`);
});
