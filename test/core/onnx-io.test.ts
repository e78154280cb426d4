import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { decodeModel, encodeModel, cloneModel } from '../../src/onnx/io.js';
import { OnnxGraph } from '../../src/onnx/graph.js';
import { TensorProto_DataType } from '../../src/onnx/proto.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { Tensor } from '../../src/tensor.js';
import { LumenError } from '../../src/errors.js';

const MODELS = 'conformance/models';
const runtime = nodeRuntime();

function randomInput(dims: number[], seed: number): Tensor {
  let s = seed >>> 0;
  const t = Tensor.zeros(dims);
  for (let i = 0; i < t.size; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    t.data[i] = s / 2 ** 32 - 0.5;
  }
  return t;
}

for (const file of readdirSync(MODELS).filter((f) => f.endsWith('.onnx'))) {
  test(`round trip is byte-identical and runs identically: ${file}`, async () => {
    const bytes = new Uint8Array(readFileSync(`${MODELS}/${file}`));
    const model = decodeModel(bytes, file);
    const again = encodeModel(cloneModel(model));
    assert.equal(again.length, bytes.length);
    assert.ok(Buffer.from(again).equals(Buffer.from(bytes)), 'encode(decode(x)) must equal x');

    // Add an extra output through the IR and check ORT gives the same logits as the original.
    const g = OnnxGraph.copyOf(model);
    const inputName = g.feedInputs[0]!.name;
    const firstConv = g.nodes.find((n) => n.opType === 'Conv')!.output[0]!;
    g.addOutput(firstConv);
    const dims = file.startsWith('fashion') ? [2, 1, 28, 28] : [2, 3, 64, 64];
    const x = randomInput(dims, 7);
    const a = await (await runtime.createSession(bytes)).run({ [inputName]: x });
    const same = await (await runtime.createSession(again)).run({ [inputName]: x });
    assert.deepEqual(Array.from(same.logits!.data), Array.from(a.logits!.data));
    // Exposing an intermediate output stops ORT fusing that node (e.g. Conv+Clip), so allow float rounding only.
    const b = await (await runtime.createSession(g.toBytes())).run({ [inputName]: x });
    const scale = Math.max(...Array.from(a.logits!.data, Math.abs));
    const diff = Math.max(...Array.from(a.logits!.data, (v, i) => Math.abs(v - b.logits!.data[i]!)));
    assert.ok(diff / scale < 1e-5, `edited graph differs by ${diff}`);
    assert.equal(b[firstConv]!.dims.length, 4);
  });
}

test('a 100 MB model survives decode, edit and re-encode with identical results', async () => {
  // Gemm with a 5000×5000 float weight (100 MB) built through the IR, then decoded from its own bytes.
  const proto = decodeModel(new Uint8Array(readFileSync(`${MODELS}/fashion_cnn.onnx`)));
  const g = OnnxGraph.copyOf(proto);
  g.graph.node.splice(0);
  g.graph.initializer.splice(0);
  g.graph.input.splice(0);
  g.graph.output.splice(0);
  const n = 5000;
  const w = new Float32Array(n * n);
  for (let i = 0; i < w.length; i += 997) w[i] = ((i % 13) - 6) / 100;
  g.addInput('x', ['batch', n]);
  const wName = g.addInitializer(w, [n, n], 'big_weight');
  g.addNode('Gemm', ['x', wName], ['y']);
  g.addOutput('y', ['batch', n], TensorProto_DataType.FLOAT);
  const bytes = g.toBytes();
  assert.ok(bytes.length > 100_000_000);
  const decoded = decodeModel(bytes, 'big');
  const reencoded = encodeModel(decoded);
  assert.equal(reencoded.length, bytes.length);
  const x = randomInput([1, n], 3);
  const a = await (await runtime.createSession(bytes)).run({ x });
  const b = await (await runtime.createSession(reencoded)).run({ x });
  assert.deepEqual(Array.from(b.y!.data.subarray(0, 100)), Array.from(a.y!.data.subarray(0, 100)));
  assert.ok(a.y!.data.some((v) => v !== 0));
});

test('bad model files give specific errors', () => {
  const good = new Uint8Array(readFileSync(`${MODELS}/fashion_cnn.onnx`));
  const expectError = (bytes: Uint8Array, code: string, text: RegExp): void => {
    assert.throws(() => decodeModel(bytes, 'm.onnx'), (e: unknown) => e instanceof LumenError && e.code === code && text.test(e.message));
  };
  expectError(new Uint8Array(0), 'NOT_ONNX', /empty/);
  expectError(new TextEncoder().encode('hello, this is not a model\n'), 'NOT_ONNX', /text file/);
  expectError(good.subarray(0, good.length / 2), 'CORRUPT_MODEL', /truncated or corrupt/);
  // Unsupported opset: rewrite the version of the default domain.
  const m = decodeModel(good);
  m.opsetImport.find((o) => o.domain === '')!.version = 5n;
  expectError(encodeModel(m), 'UNSUPPORTED_OPSET', /opset 5/);
  // External data.
  const ext = decodeModel(good);
  ext.graph!.initializer[0]!.dataLocation = 1;
  expectError(encodeModel(ext), 'EXTERNAL_DATA', /external file/);
});
