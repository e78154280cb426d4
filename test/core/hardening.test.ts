/**
 * Regression tests for the hardening audit (issue 23): each bad model, bad argument or fault gives one LumenError
 * naming the problem — never a TypeError, a RangeError, a hang or a native crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import '../../src/api.js';
import { LumenError } from '../../src/errors.js';
import { getMethod } from '../../src/methods/registry.js';
import { MAX_GAUSS_LEGENDRE_STEPS } from '../../src/methods/gradient/quadrature.js';
import { MAX_COUNT } from '../../src/methods/validate.js';
import { LumenModel } from '../../src/model.js';
import { OnnxGraph } from '../../src/onnx/graph.js';
import { decodeModel } from '../../src/onnx/io.js';
import { TensorProto_DataType } from '../../src/onnx/proto.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { parseRuntimeFailure } from '../../src/runtime/errors.js';
import { Tensor } from '../../src/tensor.js';

const runtime = nodeRuntime();
const BYTES = new Uint8Array(readFileSync('models/fashion-cnn.onnx'));
const base = (): OnnxGraph => OnnxGraph.copyOf(decodeModel(BYTES));
/** An empty graph (the bundled model's opsets) with one input of open batch and spatial size, 'x'. */
function openInputGraph(): OnnxGraph {
  const g = base();
  g.graph.node.splice(0);
  g.graph.input.splice(0);
  g.graph.output.splice(0);
  g.graph.initializer.splice(0);
  g.addInput('x', ['n', 1, 'h', 'w']);
  return g;
}
const load = (g: OnnxGraph): LumenModel => LumenModel.fromProto(g.model, { runtime, source: 'mutant.onnx' });
const lumenError = (code: string, text?: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof LumenError, `expected a LumenError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  assert.equal(e.code, code, e.message);
  if (text) assert.match(e.message, text);
  return true;
};
const image = (): Tensor => Tensor.filled([1, 1, 28, 28], 0.5);
/** A value of the wrong type, passed where the types would not allow it (as JavaScript callers can). */
const bad = (v: unknown): never => v as never;

test('ONNX Runtime session errors: an unknown op names the op, the node and what to do', async () => {
  const g = base();
  const node = g.graph.node[1]!;
  node.opType = 'FrobnicateXYZ';
  const model = load(g);
  await assert.rejects(model.forward(image()), lumenError('RUNTIME_ERROR', new RegExp(`op FrobnicateXYZ, node '${node.name}'.*re-export it with standard ONNX operators`)));
  await assert.rejects(getMethod('gradcam').explain(model, image()), lumenError('RUNTIME_ERROR', /FrobnicateXYZ/));
});

test('ONNX Runtime run errors: a wrong-size input to a node names the node, its op and the fed shapes', async () => {
  // input with an open size, added to a fixed 4×4 constant: a 5×5 image fails inside ORT's Add
  const g = openInputGraph();
  const c = g.addInitializer(new Float32Array(16).fill(1), [1, 1, 4, 4], 'bias');
  g.addNode('Add', ['x', c], ['sum']).forEach(() => undefined);
  g.graph.node[0]!.name = 'the_add';
  g.addNode('GlobalAveragePool', ['sum'], ['pooled']);
  g.addNode('Flatten', ['pooled'], ['scores']);
  g.addOutput('scores', ['n', 1]);
  const model = load(g);
  assert.equal((await model.forward(Tensor.filled([1, 1, 4, 4], 1))).logits.data[0], 2);
  await assert.rejects(model.forward(Tensor.filled([1, 1, 5, 5], 1)), lumenError('RUNTIME_ERROR', /at op Add, node 'the_add' on input x \[1, 1, 5, 5\]: the input does not fit/));
});

test('parseRuntimeFailure reads node and op from each of ORT\'s message forms', () => {
  assert.deepEqual(
    { ...parseRuntimeFailure("Non-zero status code returned while running Add node. Name:'add_7' Status Message: ... Attempting to broadcast"), detail: '' },
    { node: 'add_7', op: 'Add', detail: '' },
  );
  const create = parseRuntimeFailure('This is an invalid model. In Node, ("/f/Relu", FrobnicateXYZ, "", -1) : ("a": tensor(float),) -> ("b",) , Error No Op registered for FrobnicateXYZ with domain_version of 17');
  assert.equal(create.node, '/f/Relu');
  assert.equal(create.op, 'FrobnicateXYZ');
  const shape = parseRuntimeFailure('[ONNXRuntimeError] : 1 : FAIL : Node (conv_3) Op (Conv) [ShapeInferenceError] Attribute dilations has incorrect size');
  assert.equal(shape.node, 'conv_3');
  assert.equal(shape.op, 'Conv');
  assert.equal(parseRuntimeFailure('something else entirely').node, undefined);
});

test('declared sizes are checked before anything is allocated (2^40 was a RangeError)', () => {
  const g = base();
  const shape = g.graph.input[0]!.type!.value as { value: { shape: { dim: { value: { case: string; value: bigint } }[] } } };
  shape.value.shape.dim[2]!.value = { case: 'dimValue', value: 2n ** 40n };
  assert.throws(() => load(g), lumenError('UNSUPPORTED_MODEL', /declares \[batch, 1, 1099511627776, 28\].*at most/));
});

test('an Identity cycle at the output is refused at load (it hung followIdentityBack), and a self-loop too', () => {
  const g = base();
  const out = g.graph.output[0]!.name;
  g.producer(out)!.output[0] = 'cut';
  g.addNode('Identity', ['loop'], [out]);
  g.addNode('Identity', [out], ['loop']);
  assert.throws(() => load(g), lumenError('CORRUPT_MODEL', /cycle through nodes .*acyclic/));
  const h = base();
  const relu = h.graph.node.find((n) => n.opType === 'Relu')!;
  relu.input[0] = relu.output[0]!;
  assert.throws(() => load(h), lumenError('CORRUPT_MODEL', /cycle/));
});

test('a model whose output is its input is refused; an output that is not [N, K] class scores is not read as classes', async () => {
  const g = base();
  g.graph.output[0]!.name = g.graph.input[0]!.name;
  assert.throws(() => load(g), lumenError('UNSUPPORTED_MODEL', /output 'input' is one of the model's inputs/));
  const h = base();
  const conv = h.graph.node.filter((n) => n.opType === 'Relu').at(-1)!.output[0]!;
  h.setOutputs([conv]);
  const model = load(h);
  await assert.rejects(model.predict(image()), lumenError('TARGET_RANGE', /\[N, K\] output; this one is \[1, \d+, 7, 7\]/));
  await assert.rejects(getMethod('saliency').explain(model, image()), lumenError('TARGET_RANGE', /\[N, K\]/));
});

test('library arguments: empty batch (was SIGFPE), non-tensors, null options, layer 42, bad counts — one LumenError each', async () => {
  const model = load(base());
  const empty = Tensor.zeros([0, 1, 28, 28]);
  for (const id of ['gradcam', 'saliency', 'occlusion', 'integrated-gradients']) {
    await assert.rejects(getMethod(id).explain(model, empty), lumenError('INPUT_SHAPE', /empty; give at least one item/), id);
  }
  await assert.rejects(model.forward(empty), lumenError('INPUT_SHAPE', /empty/));
  await assert.rejects(model.predict(empty), lumenError('INPUT_SHAPE', /empty/));
  const gradcam = getMethod('gradcam');
  await assert.rejects(gradcam.explain(model, bad(null)), lumenError('BAD_OPTION', /input must be a Tensor, got null/));
  await assert.rejects(gradcam.explain(bad(null), image()), lumenError('BAD_OPTION', /first argument must be a loaded model/));
  await assert.rejects(gradcam.explain(model, bad({ dims: [1, 1, 28, 28], data: [] })), lumenError('BAD_OPTION', /must be a Tensor/));
  await assert.rejects(gradcam.explain(model, image(), bad(null)), lumenError('BAD_OPTION', /options must be an object, got null/));
  await assert.rejects(gradcam.explain(model, image(), { layer: bad(42) }), lumenError('BAD_OPTION', /layer must be a tensor name.*number 42/));
  await assert.rejects(gradcam.explain(model, image(), { seed: 1.5 }), lumenError('BAD_OPTION', /seed must be an integer/));
  await assert.rejects(gradcam.explain(model, image(), { signal: bad('stop') }), lumenError('BAD_OPTION', /AbortSignal/));
  await assert.rejects(getMethod('integrated-gradients').explain(model, image(), { steps: 1e9 }), lumenError('BAD_OPTION', new RegExp(`steps must be within \\[2, ${MAX_COUNT}\\], got 1000000000`)));
  await assert.rejects(getMethod('integrated-gradients').explain(model, image(), { steps: MAX_GAUSS_LEGENDRE_STEPS + 1 }), lumenError('BAD_OPTION', /gausslegendre takes at most 2000 steps.*riemann/));
  await assert.rejects(getMethod('smoothgrad').explain(model, image(), { samples: 1_000_000 }), lumenError('BAD_OPTION', /samples must be within \[1, 100000\]/));
  await assert.rejects(getMethod('rise').explain(model, image(), { numMasks: 1e7 }), lumenError('BAD_OPTION', /numMasks must be within/));
  await assert.rejects(getMethod('rise').explain(model, image(), { numMasks: 0 }), lumenError('BAD_OPTION', /numMasks must be within \[1/));
  await assert.rejects(getMethod('saliency').explain(model, image(), { batchSize: -3 }), lumenError('BAD_OPTION', /batchSize must be within \[1/));
  await assert.rejects(getMethod('integrated-gradients').explain(model, image(), { steps: Number.NaN }), lumenError('BAD_OPTION', /steps must be an integer, got number NaN/));
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(getMethod('integrated-gradients').explain(model, image(), { steps: MAX_COUNT, method: 'riemann_trapezoid', signal: aborted.signal }), lumenError('CANCELLED'));
  // a valid call still works after all that, and equals a fresh one
  const ok = await gradcam.explain(model, image());
  assert.equal(ok.attribution.dims.join(','), '1,1,28,28');
  await assert.rejects(runtime.createSession(BYTES, { threads: 100_000 }), lumenError('BAD_OPTION', /threads must be an integer from 0/));
});

test('non-finite inputs and weights are reported, never returned as a result', async () => {
  const model = load(base());
  const x = image();
  x.data[5] = Number.NaN;
  x.data[9] = Number.POSITIVE_INFINITY;
  await assert.rejects(getMethod('saliency').explain(model, x), lumenError('NON_FINITE', /input holds 2 NaN or infinite values/));
  await assert.rejects(model.predict(x), lumenError('NON_FINITE'));
  const g = base();
  const weight = g.graph.initializer.find((t) => t.dims.length === 4 && t.dataType === TensorProto_DataType.FLOAT)!;
  const values = new Float32Array(weight.rawData.slice().buffer);
  values[0] = Number.NaN;
  weight.rawData = new Uint8Array(values.buffer);
  weight.floatData = [];
  const poisoned = load(g);
  await assert.rejects(poisoned.forward(image()), lumenError('NON_FINITE', /output 'logits' holds \d+ NaN or infinite values/));
  await assert.rejects(getMethod('gradcam').explain(poisoned, image()), lumenError('NON_FINITE'));
});

test('dispose() during a run: the run ends with a LumenError (or its result), and the model works afterwards', async () => {
  const model = load(base());
  const run = getMethod('occlusion').explain(model, image(), { slidingWindow: 3, strides: 1 }).then(
    (r) => r.attribution.size,
    (e: unknown) => e,
  );
  await new Promise((done) => setTimeout(done, 50));
  await model.dispose();
  const outcome = await run;
  if (typeof outcome !== 'number') lumenError('CANCELLED', /disposed while a run was using it/)(outcome);
  const again = await getMethod('gradcam').explain(model, image());
  assert.equal(again.attribution.size, 784);
  await model.dispose();
});

test('devices are not read as models or inputs (/dev/zero was read until memory ran out)', async () => {
  const { loadModel } = await import('../../src/node/load.js');
  const { loadInput } = await import('../../src/node/inputs.js');
  const { readImageFile } = await import('../../src/node/image-file.js');
  const { readNpyFile } = await import('../../src/node/npy-file.js');
  await assert.rejects(loadModel('/dev/zero'), lumenError('NOT_ONNX', /\/dev\/zero is not a regular file/));
  const model = load(base());
  await assert.rejects(loadInput('/dev/zero', model), lumenError('BAD_IMAGE', /not a regular file/));
  await assert.rejects(readImageFile('/dev/zero'), lumenError('BAD_IMAGE', /not a regular file/));
  await assert.rejects(readNpyFile('/dev/zero'), lumenError('BAD_IMAGE', /not a regular file/));
});

test('option values that are objects or empty arrays: refused, and named in the message (was "[object Object]"; [] passed as 0)', async () => {
  const model = load(base());
  await assert.rejects(getMethod('saliency').explain(model, image(), { precision: bad({}) }), (e: unknown) => lumenError('BAD_OPTION', /precision must be one of float32, float64, got an object \(Object\)/)(e) && !String((e as Error).message).includes('[object Object]'));
  await assert.rejects(getMethod('smoothgrad').explain(model, image(), { stdev: bad([]) }), lumenError('BAD_OPTION', /stdev must be a finite number, got an empty array/));
  await assert.rejects(getMethod('kernel-shap').explain(model, image(), { gridSize: bad([]) }), lumenError('BAD_OPTION', /gridSize must be an integer, got an empty array/));
  for (const [id, name] of [['integrated-gradients', 'baseline'], ['gradient-shap', 'baselines'], ['deeplift-shap', 'baselines'], ['lrp', 'low']] as const) {
    await assert.rejects(getMethod(id).explain(model, image(), { [name]: bad({}) }), lumenError('BAD_OPTION', new RegExp(`option ${name}=an object \\(Object\\): expected`)), id);
  }
});

test('an array for a one-number option is refused ([1, 2] reached the methods as NaN sizes: a Tensor error, LIME out of bounds, a 4 GB heap); occlusion baselines take one value per channel or a Tensor', async () => {
  const model = load(base());
  await assert.rejects(getMethod('smoothgrad').explain(model, image(), { samples: bad([1, 2]) }), lumenError('BAD_OPTION', /smoothgrad.explain: samples must be an integer, got an array \(\[1,2\]\)/));
  await assert.rejects(getMethod('integrated-gradients').explain(model, image(), { internalBatchSize: bad([1, 2]) }), lumenError('BAD_OPTION', /internalBatchSize must be an integer, got an array/));
  await assert.rejects(getMethod('lime').explain(model, image(), { numSamples: bad([3]) }), lumenError('BAD_OPTION', /numSamples must be an integer, got an array \(\[3\]\)/));
  await assert.rejects(getMethod('gradient-shap').explain(model, image(), { stdev: bad([1, 2]) }), lumenError('BAD_OPTION', /stdev must be a finite number, got an array/));
  await assert.rejects(getMethod('occlusion').explain(model, image(), { baselines: bad([Number.NaN]) }), lumenError('BAD_OPTION', /baselines must be a finite number, got number NaN/));
  // per channel (one channel here) and a Tensor of the input's shape give the same map as the number
  const opts = { slidingWindowShapes: '7', strides: '7' };
  const ref = (await getMethod('occlusion').explain(model, image(), { ...opts, baselines: 0.25 })).attribution.data;
  for (const baselines of [[0.25], Tensor.filled([1, 1, 28, 28], 0.25)]) {
    const got = (await getMethod('occlusion').explain(model, image(), { ...opts, baselines: bad(baselines) })).attribution.data;
    assert.deepEqual(Array.from(got), Array.from(ref));
  }
});

test('library entry points given null: fromBytes, loadInput, evaluate, explainFiles answer with one LumenError (were TypeErrors)', async () => {
  const { loadInput } = await import('../../src/node/inputs.js');
  const { explainFiles } = await import('../../src/node/explain-files.js');
  const { evaluate } = await import('../../src/metrics/index.js');
  assert.throws(() => LumenModel.fromBytes(bad(null), { runtime }), lumenError('NOT_ONNX', /model bytes must be a Uint8Array, got null/));
  const model = load(base());
  await assert.rejects(loadInput('samples/fashion/1-trouser.png', bad(null)), lumenError('BAD_OPTION', /second argument must be a loaded model, got null/));
  await assert.rejects(loadInput(bad(null), model), lumenError('BAD_OPTION', /path must be a string, got null/));
  await assert.rejects(evaluate(model, image(), bad(null)), lumenError('BAD_OPTION', /evaluate: options must be an object, got null/));
  await assert.rejects(explainFiles(model, bad(null), bad({})), lumenError('BAD_OPTION', /files must be an array of paths, got null/));
});

test('fromBytes(bytes, null), forward(x, null) and getMethod(null) give one LumenError (were TypeErrors)', async () => {
  assert.throws(() => LumenModel.fromBytes(BYTES, bad(null)), lumenError('BAD_OPTION', /options must be an object with a runtime/));
  const model = load(base());
  await assert.rejects(model.forward(image(), bad(null)), lumenError('BAD_OPTION', /tensors to fetch must be an array/));
  assert.throws(() => getMethod(bad(null)), lumenError('UNKNOWN_METHOD', /unknown method 'null'/));
});

test('perturbation runs send fewer copies per ONNX Runtime call for huge images, so AbortSignal is seen (occlusion of 100000×28 was uncancellable)', async () => {
  const { PerturbationRun, MAX_BATCH_VALUES } = await import('../../src/methods/perturbation/perturbation-run.js');
  // an open-size classifier (mean of the image, two classes) fed a 2048×2048 image: 4 194 304 values per copy
  const g = openInputGraph();
  g.addNode('GlobalAveragePool', ['x'], ['pooled']);
  g.addNode('Flatten', ['pooled'], ['one']);
  g.addNode('Concat', ['one', 'one'], ['scores'], { axis: { i: 1 } });
  g.addOutput('scores', ['n', 2]);
  const model = load(g);
  const big = await PerturbationRun.start(model, Tensor.filled([1, 1, 2048, 2048], 0.5), { batchSize: 32, target: 0 });
  assert.equal(big.batchSize, MAX_BATCH_VALUES / (2048 * 2048));
  assert.equal(big.batchSize, 4);
  const small = await PerturbationRun.start(model, Tensor.filled([1, 1, 28, 28], 0.5), { batchSize: 32, target: 0 });
  assert.equal(small.batchSize, 32, 'ordinary images keep the batch size asked for');
  await model.dispose();
});
