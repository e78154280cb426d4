/**
 * Batch runs under faults (issue 23): a row and its files commit together, output names are one-to-one with input
 * paths, duplicates collapse, one writer per folder, per-row errors, named output-folder errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import '../../src/api.js';
import { LumenError } from '../../src/errors.js';
import { encodeNpy } from '../../src/io/npy.js';
import { getMethod } from '../../src/methods/registry.js';
import { LumenModel } from '../../src/model.js';
import { explainFiles, type ManifestRow } from '../../src/node/explain-files.js';
import { loadModel } from '../../src/node/load.js';
import { escapeName, LOCK_FILE, lockOutputDir, makeDirs, outputFolderError, outputStem, prepareOutputDir } from '../../src/node/output-dir.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { OnnxGraph } from '../../src/onnx/graph.js';
import { decodeModel } from '../../src/onnx/io.js';
import { mulberry32 } from '../../src/random.js';

let dir: string;
let model: LumenModel;
const rel = (p: string): string => relative(process.cwd(), p);
const manifestRows = (out: string): ManifestRow[] =>
  readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ManifestRow);
const isLumen = (code: string, text?: RegExp) => (e: unknown): boolean => e instanceof LumenError && e.code === code && (!text || text.test(e.message));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lumen-batch-h-'));
  model = await loadModel('models/fashion-cnn.onnx');
});
after(async () => {
  await model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('output names are one-to-one with input paths: x.png vs x.npy, a__b.png vs a/b.png, d1/img vs d2/img', async () => {
  const inputs = join(dir, 'names');
  mkdirSync(join(inputs, 'a'), { recursive: true });
  mkdirSync(join(inputs, 'd1'));
  mkdirSync(join(inputs, 'd2'));
  copyFileSync('samples/fashion/1-trouser.png', join(inputs, 'x.png'));
  const x = (await import('../../src/node/inputs.js')).loadInput;
  const t = (await x(join(inputs, 'x.png'), model)).tensor;
  writeFileSync(join(inputs, 'x.npy'), encodeNpy(t.data, t.dims));
  copyFileSync('samples/fashion/9-ankle-boot.png', join(inputs, 'a__b.png'));
  copyFileSync('samples/fashion/5-sandal.png', join(inputs, 'a', 'b.png'));
  copyFileSync('samples/fashion/1-trouser.png', join(inputs, 'd1', 'img.png'));
  copyFileSync('samples/fashion/9-ankle-boot.png', join(inputs, 'd2', 'img.png'));
  const files = ['x.png', 'x.npy', 'a__b.png', 'a/b.png', 'd1/img.png', 'd2/img.png'].map((f) => rel(join(inputs, f)));
  const out = join(dir, 'names-out');
  for (const force of [false, true]) {
    const result = await explainFiles(model, files, { methods: [getMethod('gradcam')], targets: ['top1'], methodOptions: () => ({}), outDir: out, npy: true, force });
    assert.equal(result.failed, 0, JSON.stringify(result.rows.filter((r) => r.status === 'error')));
    assert.equal(result.rows.length, 6);
    assert.equal(new Set(result.rows.map((r) => r.png)).size, 6, 'six distinct overlays');
    assert.equal(new Set(result.rows.map((r) => r.npy)).size, 6);
    for (const r of result.rows) assert.ok(existsSync(join(out, r.png!)) && existsSync(join(out, r.npy!)));
  }
  // every row's .npy holds that row's own attribution (no file was shared): d1 (trouser) and d2 (boot) differ
  const rows = manifestRows(out).filter((r) => r.status === 'ok');
  const d1 = rows.filter((r) => r.input.endsWith(join('d1', 'img.png'))).at(-1)!;
  const d2 = rows.filter((r) => r.input.endsWith(join('d2', 'img.png'))).at(-1)!;
  assert.notEqual(d1.class, d2.class);
  assert.ok(!readFileSync(join(out, d1.npy!)).equals(readFileSync(join(out, d2.npy!))));
  assert.equal(readdirSync(out).filter((f) => f.endsWith('.pending')).length, 0);
});

test('outputStem and escapeName are one-to-one (seeded random names) and stay valid file names', () => {
  const rnd = mulberry32(23);
  const alphabet = ['a', 'b', '_', '/', '.', '~', '-', ' ', 'é', '%', ':', '2', 'F'];
  const seen = new Map<string, string>();
  for (let i = 0; i < 3000; i++) {
    const len = 1 + Math.floor(rnd() * 8);
    const name = Array.from({ length: len }, () => alphabet[Math.floor(rnd() * alphabet.length)]!).join('');
    const e = escapeName(name);
    assert.match(e, /^[A-Za-z0-9._~-]+$/);
    assert.ok(!e.startsWith('.'));
    const prev = seen.get(e);
    assert.ok(prev === undefined || prev === name, `'${prev}' and '${name}' both escape to '${e}'`);
    seen.set(e, name);
  }
  assert.notEqual(outputStem('x.png'), outputStem('x.npy'));
  assert.notEqual(outputStem('a__b.png'), outputStem('a/b.png'));
  assert.notEqual(outputStem('d1/img.png'), outputStem('d2/img.png'));
  assert.notEqual(outputStem('../x.png'), outputStem('x.png'));
  assert.equal(outputStem('./x.png'), outputStem('x.png'));
  const long = `${'deep/'.repeat(60)}x.png`;
  assert.ok(outputStem(long).length <= 150);
  assert.notEqual(outputStem(long), outputStem(long.replace('x.png', 'y.png')));
});

test('duplicate methods, targets and inputs are collapsed (-m gradcam,gradcam failed its second row)', async () => {
  const out = join(dir, 'dups');
  const file = 'samples/fashion/1-trouser.png';
  const gradcam = getMethod('gradcam');
  const result = await explainFiles(model, [file, `./${file}`], { methods: [gradcam, gradcam, getMethod('grad-cam')], targets: ['top1', ' top1'], methodOptions: () => ({}), outDir: out });
  assert.equal(result.rows.length, 1);
  assert.equal(result.failed, 0);
});

test('a row and its files commit together: a kill between the overlay write and the manifest append loses nothing', async () => {
  const out = join(dir, 'commit');
  const files = ['samples/fashion/1-trouser.png', 'samples/fashion/5-sandal.png'];
  const opts = { methods: [getMethod('saliency')], targets: ['top1'], methodOptions: () => ({}), outDir: out, npy: true };
  const first = await explainFiles(model, files, opts);
  assert.equal(first.failed, 0);
  const [a, b] = first.rows as [ManifestRow, ManifestRow];
  const pngA = readFileSync(join(out, a.png!));
  // (1) killed after writing a's files (still under their pending names) and before appending its row
  renameSync(join(out, a.png!), join(out, `${a.png}.pending`));
  renameSync(join(out, a.npy!), join(out, `${a.npy}.pending`));
  writeFileSync(join(out, 'manifest.jsonl'), `${JSON.stringify(b)}\n`);
  const second = await explainFiles(model, files, opts);
  assert.equal(second.failed, 0, JSON.stringify(second.rows));
  assert.equal(second.skipped, 1);
  assert.equal(second.rows.length, 1);
  assert.ok(readFileSync(join(out, a.png!)).equals(pngA), 'the recomputed overlay is the same');
  // (2) killed after appending b's row and before renaming its files: the re-run finishes the rename
  renameSync(join(out, b.png!), join(out, `${b.png}.pending`));
  renameSync(join(out, b.npy!), join(out, `${b.npy}.pending`));
  const third = await explainFiles(model, files, opts);
  assert.equal(third.rows.length, 0);
  assert.equal(third.skipped, 2);
  assert.ok(existsSync(join(out, b.png!)) && existsSync(join(out, b.npy!)));
  // (3) a row whose files vanished is recomputed, not trusted
  rmSync(join(out, b.npy!));
  const fourth = await explainFiles(model, files, opts);
  assert.equal(fourth.rows.length, 1);
  assert.equal(fourth.rows[0]!.status, 'ok');
  assert.equal(readdirSync(out).filter((f) => f.endsWith('.pending') || f.endsWith('.tmp')).length, 0);
});

test('one writer per output folder: a live run\'s lock refuses a second run, a dead run\'s lock is taken over', async () => {
  const out = prepareOutputDir(join(dir, 'locked'));
  const opts = { methods: [getMethod('gradcam')], targets: ['top1'], methodOptions: () => ({}), outDir: out };
  writeFileSync(join(out, LOCK_FILE), String(process.ppid));
  await assert.rejects(explainFiles(model, ['samples/fashion/1-trouser.png'], opts), isLumen('OUTPUT_LOCKED', new RegExp(`process ${process.ppid}.*wait for it`)));
  assert.ok(!existsSync(join(out, 'manifest.jsonl')), 'nothing written by the refused run');
  writeFileSync(join(out, LOCK_FILE), '2147483646'); // no such process
  const r = await explainFiles(model, ['samples/fashion/1-trouser.png'], opts);
  assert.equal(r.failed, 0);
  assert.ok(!existsSync(join(out, LOCK_FILE)), 'released');
  // re-entrant in one process (a command holds it around its own writes and the batch), released by the last holder
  const outer = lockOutputDir(out);
  const inner = lockOutputDir(out);
  inner();
  assert.ok(existsSync(join(out, LOCK_FILE)), 'still held by the outer holder');
  assert.equal((await explainFiles(model, ['samples/fashion/1-trouser.png'], opts)).skipped, 1, 'a batch inside the held lock runs');
  assert.ok(existsSync(join(out, LOCK_FILE)));
  outer();
  outer();
  assert.ok(!existsSync(join(out, LOCK_FILE)));
});

test('per-row errors: an ONNX Runtime failure or a non-finite input fails its own rows, the batch goes on', async () => {
  // open spatial size, added to a fixed 4×4 constant: 5×5 inputs fail inside ORT, 4×4 ones work
  const g = OnnxGraph.copyOf(decodeModel(new Uint8Array(readFileSync('models/fashion-cnn.onnx'))));
  g.graph.node.splice(0);
  g.graph.input.splice(0);
  g.graph.output.splice(0);
  g.graph.initializer.splice(0);
  g.addInput('x', ['n', 1, 'h', 'w']);
  const w = g.addInitializer(new Float32Array(16).map((_, i) => i / 16), [1, 1, 4, 4], 'w');
  g.addNode('Mul', ['x', w], ['prod']);
  g.addNode('GlobalAveragePool', ['prod'], ['pooled']);
  g.addNode('Flatten', ['pooled'], ['one']);
  g.addNode('Concat', ['one', 'one'], ['scores'], { axis: { i: 1 } });
  g.addOutput('scores', ['n', 2]);
  const small = LumenModel.fromProto(g.model, { runtime: nodeRuntime(), source: 'small.onnx' });
  const inputs = join(dir, 'rows');
  mkdirSync(inputs);
  const npy = (name: string, dims: number[], fill: (i: number) => number): string => {
    const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => fill(i));
    writeFileSync(join(inputs, name), encodeNpy(data, dims));
    return join(inputs, name);
  };
  const files = [npy('a.npy', [1, 1, 4, 4], (i) => i), npy('bad.npy', [1, 1, 5, 5], () => 1), npy('c.npy', [1, 1, 4, 4], () => 2), npy('nan.npy', [1, 1, 4, 4], (i) => (i === 3 ? Number.NaN : 1))];
  const result = await explainFiles(small, files, { methods: [getMethod('saliency')], targets: ['0'], methodOptions: () => ({}), outDir: join(dir, 'rows-out'), batchSize: 4 });
  const status = Object.fromEntries(result.rows.map((r) => [r.input.split('/').pop(), r.status === 'ok' ? 'ok' : r.error!]));
  assert.equal(status['a.npy'], 'ok');
  assert.equal(status['c.npy'], 'ok');
  assert.match(status['bad.npy']!, /ONNX Runtime failed at op Mul.*\[1, 1, 5, 5\]/);
  assert.match(status['nan.npy']!, /NaN or infinite/);
  assert.equal(result.failed, 2);
  await small.dispose();
});

test('output-folder problems are named errors: empty name, a file, a path through a file', async () => {
  const file = join(dir, 'afile');
  writeFileSync(file, 'x');
  const opts = (outDir: string) => ({ methods: [getMethod('gradcam')], targets: ['top1'], methodOptions: () => ({}), outDir });
  await assert.rejects(explainFiles(model, ['samples/fashion/1-trouser.png'], opts('')), isLumen('OUTPUT_FOLDER', /name is empty/));
  await assert.rejects(explainFiles(model, ['samples/fashion/1-trouser.png'], opts(file)), isLumen('OUTPUT_FOLDER', /is a file, not a folder/));
  await assert.rejects(explainFiles(model, ['samples/fashion/1-trouser.png'], opts(join(file, 'sub'))), isLumen('OUTPUT_FOLDER', /cannot write there \(a part of the path is a file/));
});

test('a read-only or unwritable output folder is a named error (EROFS, EACCES, /proc)', () => {
  // /proc refuses mkdir with ENOENT although the parent exists: Node's recursive mkdirSync looped there forever
  assert.throws(() => prepareOutputDir('/proc/lumen-test-out'), isLumen('OUTPUT_FOLDER', /--out \/proc\/lumen-test-out: cannot write there/));
  assert.throws(() => makeDirs('/proc/lumen-test-out/deeper'), (e: NodeJS.ErrnoException) => typeof e.code === 'string');
  for (const [code, text] of [['EROFS', /the file system is read-only/], ['EACCES', /permission denied/], ['ENOSPC', /the disk is full/]] as const) {
    const e = Object.assign(new Error(`${code}: fake`), { code });
    assert.ok(isLumen('OUTPUT_FOLDER', text)(outputFolderError(e, '/ro/out')), code);
  }
  const nested = join(dir, 'made', 'by', 'makeDirs');
  makeDirs(nested);
  assert.ok(existsSync(nested));
});

test("--cache '' , a folder or an unwritable path for the embedding cache (neighbors, prototypes) are named errors (were internal errors from rename)", async () => {
  const { fileEmbeddings } = await import('../../src/node/embeddings.js');
  const files = ['samples/fashion/1-trouser.png'];
  const layer = (await model.layers()).find((l) => l.isDefault)!.name;
  await assert.rejects(fileEmbeddings(model, 'models/fashion-cnn.onnx', files, { layer, cachePath: '' }), isLumen('OUTPUT_FOLDER', /^--cache: the output file name is empty$/));
  await assert.rejects(fileEmbeddings(model, 'models/fashion-cnn.onnx', files, { layer, cachePath: dir }), isLumen('OUTPUT_FOLDER', /^--cache .*: this is a folder, not a file; give a file name for the output$/));
  await assert.rejects(fileEmbeddings(model, 'models/fashion-cnn.onnx', files, { layer, cachePath: '/nonexistent/lumen/cache.json' }), isLumen('OUTPUT_FOLDER', /--cache \/nonexistent\/lumen\/cache\.json: cannot write there/));
  const ok = await fileEmbeddings(model, 'models/fashion-cnn.onnx', files, { layer, cachePath: join(dir, 'cache.json') });
  assert.equal(ok.computed, 1);
});

test('an output file that is a device or a pipe (-o /dev/null) is written into, never replaced by a renamed file', async () => {
  const { writeFileAtomic } = await import('../../src/node/image-file.js');
  const { execFileSync } = await import('node:child_process');
  const { closeSync, constants, openSync, readSync, statSync } = await import('node:fs');
  const fifo = join(dir, 'out.fifo');
  execFileSync('mkfifo', [fifo]);
  // a reader first (non-blocking open), so the write into the pipe does not wait for one
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    writeFileAtomic(fifo, 'through the pipe');
    const buffer = Buffer.alloc(64);
    assert.equal(buffer.subarray(0, readSync(fd, buffer)).toString(), 'through the pipe');
  } finally {
    closeSync(fd);
  }
  assert.ok(statSync(fifo).isFIFO(), 'still a pipe, not a regular file renamed over it');
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('out.fifo.')).length, 0, 'no temporary file left');
});

test("export --triton: '', a file, a path through a file and /dev/null are named errors before any work (were internal errors from rm, or ignored); --name cannot leave the repository", async () => {
  const { exportExplanationFiles } = await import('../../src/node/export-files.js');
  const file = join(dir, 'triton-file');
  writeFileSync(file, 'keep');
  const call = (triton: string, name?: string): Promise<unknown> =>
    exportExplanationFiles(model, { methods: ['gradcam'], triton, force: true, tritonOptions: name === undefined ? {} : { name } });
  await assert.rejects(call(''), isLumen('OUTPUT_FOLDER', /^--triton: the output folder name is empty/));
  await assert.rejects(call(file), isLumen('OUTPUT_FOLDER', /--triton .*triton-file: this is a file, not a folder/));
  await assert.rejects(call(join(file, 'sub')), isLumen('OUTPUT_FOLDER', /--triton .*triton-file\/sub: cannot write there \(a part of the path is a file, not a folder\)/));
  await assert.rejects(call('/dev/null'), isLumen('OUTPUT_FOLDER', /this is a file, not a folder/));
  assert.equal(readFileSync(file, 'utf8'), 'keep');
  // with --force the model's folder is deleted first: a name must stay one folder inside the repository
  const victim = join(dir, 'victim');
  mkdirSync(victim);
  writeFileSync(join(victim, 'keep.txt'), 'keep');
  for (const name of ['../victim', '..', '.', '', 'a/b', join(dir, 'victim')]) {
    await assert.rejects(call(join(dir, 'repo-names'), name), isLumen('BAD_OPTION', /--name .*a Triton model name is 1–200 letters/), name);
  }
  assert.equal(readFileSync(join(victim, 'keep.txt'), 'utf8'), 'keep');
  const r = await exportExplanationFiles(model, { methods: ['gradcam'], triton: join(dir, 'repo-names'), tritonOptions: { name: 'fashion_v1.2-x' } });
  assert.deepEqual(r.files.map((f) => relative(dir, f)), ['repo-names/fashion_v1.2-x/config.pbtxt', 'repo-names/fashion_v1.2-x/1/model.onnx']);
});
