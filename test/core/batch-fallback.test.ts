/**
 * A fixed-batch model's opened batch falls back to one item at a time only when ONNX Runtime refuses the batch as
 * mismatched shapes and the first item runs alone (src/batch.ts). Any other failure of the first batched run — a
 * cancelled call, a disposed session, memory, an input that fails alone too — reaches the caller and leaves the
 * mode to be checked by the next batch; the reason for a switch is recorded on the model's `batchOpening`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchTolerantSession, type BatchOpening } from '../../src/batch.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LumenError } from '../../src/errors.js';
import { encodeNpy } from '../../src/io/npy.js';
import { encodeModel } from '../../src/onnx/io.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { getMethod } from '../../src/methods/registry.js';
import '../../src/methods/gradient/index.js';
import type { ExplainOptions } from '../../src/methods/types.js';
import { LumenModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { isShapeMismatch, sessionRunError } from '../../src/runtime/errors.js';
import type { Feeds, Session } from '../../src/runtime/types.js';
import { Tensor } from '../../src/tensor.js';
import { emptyModel, randn, randomTensor, relErr, rng } from '../autodiff/helpers.js';

const runtime = nodeRuntime({ threads: 1 });
const opening = (): BatchOpening => ({ fixed: 1, reshapes: 1, mode: 'unverified' });
const x3 = (): Tensor => new Tensor(Float32Array.from({ length: 6 }, (_, i) => i), [3, 2]);

/** A session that doubles its input; a batch of more than one throws `batchError`, a single item `itemError`. */
function fakeSession(batchError: () => unknown, itemError?: () => unknown): Session & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    inputNames: ['x'],
    outputNames: ['y'],
    dispose: async () => {},
    async run(feeds: Feeds) {
      const x = feeds.x as Tensor;
      calls.push(x.dims[0]!);
      if (x.dims[0]! > 1) throw batchError();
      if (itemError) throw itemError();
      return { y: new Tensor(x.data.map((v) => 2 * v), [...x.dims]) };
    },
  };
}

/** ORT's own message as the runtime wraps it (src/runtime/ort.ts). */
const ortError = (message: string, dims = [3, 2]): LumenError => sessionRunError(new Error(message), { x: { dims } });
const CONCAT = "Non-zero status code returned while running Concat node. Name:'cat' Status Message: concat.cc:154 PrepareForCompute Non concat axis dimensions must match: Axis 0 has mismatched dimensions of 3 and 1";
const MEMORY = "Non-zero status code returned while running Conv node. Name:'conv' Status Message: Failed to allocate memory for requested buffer of size 8589934592";

test('errors that do not mean "this graph cannot run batched" reach the caller; the mode stays unverified', async () => {
  const controller = new AbortController();
  controller.abort();
  const cases: { what: string; error: () => unknown; item?: () => unknown; is: (e: unknown) => boolean }[] = [
    { what: 'an aborted signal', error: () => controller.signal.reason, is: (e) => e instanceof DOMException && e.name === 'AbortError' },
    { what: 'a disposed session', error: () => sessionRunError(new Error('Session already disposed'), { x: { dims: [3, 2] } }), is: (e) => e instanceof LumenError && e.code === 'CANCELLED' },
    { what: 'out of memory', error: () => ortError(MEMORY), is: (e) => e instanceof LumenError && /Failed to allocate memory/.test(e.message) },
    { what: 'a plain error', error: () => new RangeError('Invalid typed array length'), is: (e) => e instanceof RangeError },
    // a shape error that the first item alone repeats is the input's: the item's own error is reported
    { what: 'a bad input', error: () => ortError(CONCAT), item: () => ortError(CONCAT.replace('of 3 and 1', 'of 1 and 2'), [1, 2]), is: (e) => e instanceof LumenError && /mismatched dimensions of 1 and 2/.test(e.message) },
  ];
  for (const c of cases) {
    const inner = fakeSession(c.error, c.item);
    const o = opening();
    const s = batchTolerantSession(inner, o);
    await assert.rejects(s.run({ x: x3() }), c.is, c.what);
    assert.equal(o.mode, 'unverified', c.what);
    assert.equal(o.reason, undefined, c.what);
    // the next batch is checked again (tried batched first), not split for good
    await assert.rejects(s.run({ x: x3() }), c.is, c.what);
    assert.equal(inner.calls[c.item ? 2 : 1], 3, `${c.what}: calls ${inner.calls}`);
  }
  assert.ok(!isShapeMismatch(ortError(MEMORY)));
  assert.ok(!isShapeMismatch(new Error(CONCAT)), 'only a run error wrapped by the runtime is read');
});

test('a shape mismatch on the batch while one item runs: one item at a time from then on, with the reason', async () => {
  const inner = fakeSession(() => ortError(CONCAT));
  const o = opening();
  const s = batchTolerantSession(inner, o);
  const out = await s.run({ x: x3() });
  assert.deepEqual([...out.y!.data], [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(out.y!.dims, [3, 2]);
  assert.deepEqual(inner.calls, [3, 1, 1, 1], 'the item run that checked the batch is kept, not repeated');
  assert.equal(o.mode, 'single');
  assert.match(o.reason!, /^a batch of 3 failed in ONNX Runtime at op Concat \(node 'cat'\) while one item runs: .*mismatched dimensions of 3 and 1; the model runs one item at a time$/);
  await s.run({ x: x3() });
  assert.deepEqual(inner.calls.slice(4), [1, 1, 1]);
});

/**
 * Conv → Relu with the batch fixed at 1 in the file, then shape arithmetic that only holds at batch 1. `token`: a
 * learned [1, 1, 8] token concatenated in front of the pixel sequence (ViT's class token; ORT: Concat mismatched
 * dimensions). Otherwise `flatten`: Reshape to [288] (a 1-D target with no batch axis, which opening makes [-1]),
 * Unsqueeze to [1, 288·n], so the Gemm's inner sizes disagree for n > 1.
 */
function fixedBatchGraph(kind: 'token' | 'flatten'): ModelProto {
  const r = rng(41);
  const g = emptyModel({ input: [1, 3, 6, 6] }, 13);
  const w = (dims: number[], s: number): string => g.addInitializer(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => s * randn(r)), dims);
  const features = g.op('Relu', [g.op('Conv', ['input', w([8, 3, 3, 3], 0.4), w([8], 0.1)], { pads: { ints: [1, 1, 1, 1] } })]);
  let flat: string;
  let width = 8 * 36;
  if (kind === 'token') {
    const seq = g.op('Transpose', [g.op('Reshape', [features, g.int64s([1, 8, 36])])], { perm: { ints: [0, 2, 1] } });
    flat = g.op('Reshape', [g.op('Concat', [w([1, 1, 8], 0.5), seq], { axis: { i: 1 } }), g.int64s([1, -1])]);
    width = 8 * 37;
  } else {
    flat = g.op('Unsqueeze', [g.op('Reshape', [features, g.int64s([288])]), g.int64s([0])]);
  }
  g.setOutputs([g.op('Gemm', [flat, w([5, width], 0.1), w([5], 0.1)], { transB: { i: 1 } })]);
  return g.model;
}
const fixedBatchModel = (kind: 'token' | 'flatten'): LumenModel => LumenModel.fromProto(fixedBatchGraph(kind), { runtime, source: `fixed-${kind}` });

for (const [kind, op] of [['token', 'Concat'], ['flatten', 'Gemm']] as const) {
  test(`a real fixed-batch model whose ${kind} shape arithmetic breaks when batched falls back (ORT error at ${op})`, async () => {
    const model = fixedBatchModel(kind);
    try {
      assert.equal(model.batchOpening?.mode, 'unverified');
      const x = randomTensor([3, 3, 6, 6], rng(9));
      const batched = await model.forward(x);
      assert.equal(model.batchOpening!.mode, 'single');
      assert.match(model.batchOpening!.reason!, new RegExp(`^a batch of 3 failed in ONNX Runtime at op ${op} .*one item at a time$`));
      const items: number[] = [];
      for (let i = 0; i < 3; i++) items.push(...(await model.forward(x.item(i))).logits.data);
      assert.deepEqual(batched.logits.dims, [3, 5]);
      assert.ok(relErr(batched.logits.data, items) < 1e-6);
    } finally {
      await model.dispose();
    }
  });
}

test('the first batched run a gradient graph: its seed input declared at batch 1 is refused by ORT, and it falls back too', async () => {
  // the token keeps the logits' inferred batch at 1, so the gradient graph declares its seed [1, 5]: ORT refuses a
  // batch of samples at the graph's input ('Got invalid dimensions for input'), before any node runs
  const first = fixedBatchModel('token');
  const forwardFirst = fixedBatchModel('token');
  try {
    const x = randomTensor([1, 3, 6, 6], rng(12));
    const options: ExplainOptions = { target: 'top1', samples: 4, seed: 2 };
    const got = await getMethod('smoothgrad').explain(first, x, options);
    assert.match(first.batchOpening!.reason!, /^a batch of 4 failed in ONNX Runtime .*invalid dimensions for input: lumen_seed.*one item at a time$/);
    await forwardFirst.forward(randomTensor([2, 3, 6, 6], rng(13)));
    assert.match(forwardFirst.batchOpening!.reason!, /at op Concat/);
    const want = await getMethod('smoothgrad').explain(forwardFirst, x, options);
    assert.ok(relErr(got.attribution.data, want.attribution.data) < 1e-6);
  } finally {
    await Promise.all([first.dispose(), forwardFirst.dispose()]);
  }
});

test('lumen predict on such a file: a note in the text output, the reason in the --json rows that ran after the switch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lumen-batch-fallback-'));
  try {
    const file = join(dir, 'fixed-token.onnx');
    writeFileSync(file, encodeModel(fixedBatchGraph('token')));
    const inputs = [0, 1].map((i) => {
      const x = randomTensor([1, 3, 6, 6], rng(20 + i));
      writeFileSync(join(dir, `${i}.npy`), encodeNpy(x.data, x.dims));
      return join(dir, `${i}.npy`);
    });
    const run = (...args: string[]): string => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'predict', file, ...inputs, '--batch-size', '2', ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    assert.match(run(), /note: .*fixed-token\.onnx fixes the batch at 1: a batch of 2 failed in ONNX Runtime at op Concat .*one item at a time/);
    const rows = JSON.parse(run('--json')) as { status: string; batchOpening?: BatchOpening }[];
    assert.deepEqual(rows.map((r) => [r.status, r.batchOpening?.mode]), [['ok', 'single'], ['ok', 'single']]);
    assert.match(rows[0]!.batchOpening!.reason!, /^a batch of 2 failed in ONNX Runtime at op Concat/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
