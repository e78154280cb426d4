import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { buildBackwardGraph, declaredOps, gradientRule, opTraits, opsWhere, registeredOps, registerOp } from '../../src/autodiff/index.js';
import { passesThrough } from '../../src/autodiff/registry.js';
import { unary } from '../../src/autodiff/rules/util.js';
import { LumenError } from '../../src/errors.js';
import { castGraphToFloat64, decomposeForFloat64 } from '../../src/onnx/float64.js';
import { inferElemTypes, inferShapes } from '../../src/onnx/shapes.js';
import { makeTensorProto } from '../../src/onnx/tensor-proto.js';
import { decodeModel } from '../../src/onnx/io.js';
import { parameterLayers } from '../../src/metrics/randomization/model-randomization.js';
import { create } from '@bufbuild/protobuf';
import { OperatorSetIdProtoSchema, TensorProto_DataType } from '../../src/onnx/proto.js';
import { getMethod } from '../../src/methods/registry.js';
import '../../src/methods/load-all.js';
import { Tensor } from '../../src/tensor.js';
import { modelOf } from '../methods/attribution/helpers.js';
import { emptyModel, runModel } from './helpers.js';

const RULES = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'src', 'autodiff', 'rules');

test('every op with a gradient rule has traits, and every op with traits has a rule unless it is declared no-gradient or forward-only', () => {
  const rules = registeredOps();
  const declared = declaredOps();
  assert.ok(rules.length >= 69, `${rules.length} rules`);
  for (const op of rules) assert.ok(opTraits(op), `${op} has a rule but no traits`);
  for (const op of declared) {
    const t = opTraits(op)!;
    const ruleless = t.kind === 'no-gradient' || t.forwardOnly === true;
    assert.equal(gradientRule(op) !== undefined, !ruleless, `${op}: kind ${t.kind}${t.forwardOnly ? ', forward-only' : ''}, rule ${gradientRule(op) ? 'present' : 'missing'}`);
  }
  // every op with a rule has a shape rule (its gradient rule reads static shapes) and says how LRP and DeepLIFT treat
  // it; only activations may leave LRP undecided (then refused)
  for (const op of rules) {
    const t = opTraits(op)!;
    assert.ok(t.shape !== undefined, `${op}: no shape rule`);
    assert.ok(t.deeplift !== undefined, `${op}: no DeepLIFT treatment`);
    assert.ok(t.lrp !== undefined || t.kind === 'activation', `${op} (${t.kind}): no LRP treatment`);
  }
  // …and every file that declares ops is imported by rules/index.ts (a file not imported there would be dead)
  const index = readFileSync(join(RULES, 'index.ts'), 'utf8');
  const declaring = readdirSync(RULES).filter((n) => n.endsWith('.ts') && readFileSync(join(RULES, n), 'utf8').includes('registerOp('));
  assert.ok(declaring.length >= 60, `${declaring.length} files`);
  for (const f of declaring) assert.ok(index.includes(`'./${f.replace(/\.ts$/, '.js')}'`), `rules/${f} is not imported by rules/index.ts`);
});

test('registerOp refuses a differentiable op without a rule and a no-gradient op with one', () => {
  assert.throws(() => registerOp('LumenTestNoRule', { kind: 'activation', doubleKernel: false }), (e: unknown) => e instanceof LumenError && /needs a gradient rule/.test(e.message));
  const pass = unary((_ctx, _x, _y, gy) => gy);
  assert.throws(() => registerOp('LumenTestShape', { kind: 'no-gradient', doubleKernel: true }, pass), (e: unknown) => e instanceof LumenError && /takes no rule/.test(e.message));
  assert.equal(opTraits('LumenTestNoRule'), undefined);
});

function seluNet(): ReturnType<typeof modelOf> {
  const g = emptyModel({ input: ['N', 3] });
  const h = g.op('Gemm', ['input', g.addInitializer(Float32Array.from([0.5, -0.2, 0.3, 0.1, 0.4, -0.6]), [3, 2])]);
  g.addNode('Selu', [h], ['selu_out']);
  g.graph.node[g.graph.node.length - 1]!.name = 'my_selu';
  const logits = g.op('Gemm', ['selu_out', g.addInitializer(Float32Array.from([1, -1, 0.5, 2]), [2, 2])]);
  g.setOutputs([logits]);
  return modelOf(g);
}

test('LRP on an activation whose traits declare no LRP treatment (Selu) is an UNSUPPORTED_OP naming the op and the node, not the plain gradient', async () => {
  const model = seluNet();
  const x = new Tensor(Float32Array.from([0.3, -0.7, 1.1]), [1, 3]);
  assert.equal(opTraits('Selu')?.kind, 'activation');
  assert.equal(opTraits('Selu')?.lrp, undefined);
  await assert.rejects(
    getMethod('lrp').explain(model, x, { target: 0, composite: 'epsilon' }),
    (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_OP' && /LRP: no relevance rule for activation Selu \(node 'my_selu'\)/.test(e.message),
  );
  // the same model differentiates (Saliency) and runs DeepLIFT, which declares Selu's treatment
  const s = await getMethod('saliency').explain(model, x, { target: 0 });
  assert.ok(s.attribution.data.some((v) => v !== 0));
  const d = await getMethod('deeplift').explain(model, x, { target: 0 });
  assert.ok(d.attribution.data.every(Number.isFinite));
  await model.dispose();
});

test('DeepLIFT on an op whose traits declare no DeepLIFT treatment is an UNSUPPORTED_OP naming the op and the node', () => {
  registerOp('LumenTestActivation', { kind: 'activation', doubleKernel: false, shape: 'elementwise', lrp: 'pass' }, unary((_ctx, _x, _y, gy) => gy));
  const g = emptyModel({ input: ['N', 3] });
  g.addNode('LumenTestActivation', ['input'], ['act']);
  g.graph.node[g.graph.node.length - 1]!.name = 'my_act';
  const logits = g.op('Gemm', ['act', g.addInitializer(new Float32Array(6).fill(0.5), [3, 2])]);
  g.setOutputs([logits]);
  for (const ruleSet of ['deeplift-rescale', 'deeplift-rescale-exact']) {
    assert.throws(
      () => buildBackwardGraph(g.model, { target: logits, wrt: ['input'], ruleSet }),
      (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_OP' && /DeepLIFT: no multiplier rule for activation LumenTestActivation \(node 'my_act'\)/.test(e.message),
      ruleSet,
    );
  }
  // the plain gradient and LRP (which it declares) build
  assert.doesNotThrow(() => buildBackwardGraph(g.model, { target: logits, wrt: ['input'] }));
});

test('the doubleKernel trait decides what float64 conversion accepts', () => {
  const graphWith = (op: string): ReturnType<typeof emptyModel> => {
    const g = emptyModel({ input: ['N', 3] });
    const y = g.op(op, ['input']);
    g.setOutputs([y]);
    return g;
  };
  const pass = unary((_ctx, _x, _y, gy) => gy);
  registerOp('LumenTestDouble', { kind: 'math', doubleKernel: true, shape: 'elementwise', lrp: 'plain', deeplift: 'plain' }, pass);
  registerOp('LumenTestSingle', { kind: 'math', doubleKernel: false, shape: 'elementwise', lrp: 'plain', deeplift: 'plain' }, pass);
  assert.doesNotThrow(() => decomposeForFloat64(graphWith('LumenTestDouble').model));
  assert.throws(() => decomposeForFloat64(graphWith('LumenTestSingle').model), (e: unknown) => e instanceof LumenError && /op LumenTestSingle \(node '.*'\) has no double-precision kernel/.test(e.message));
  // an op without traits is refused too, naming it
  assert.throws(() => decomposeForFloat64(graphWith('LumenTestUnknown').model), (e: unknown) => e instanceof LumenError && /op LumenTestUnknown/.test(e.message));
});

test('doubleKernel agrees with ONNX Runtime for the one-input element-wise ops: each op marked double runs on double tensors', async () => {
  const ops = opsWhere((t, op) => t.doubleKernel && t.shape === 'elementwise' && (t.kind === 'activation' || t.kind === 'math') && !op.startsWith('LumenTest'));
  assert.ok(ops.length >= 10, ops.join(', '));
  const x = new Tensor(Float32Array.from([0.25, 1.5, 3]), [1, 3]);
  for (const op of ops) {
    const g = emptyModel({ input: ['N', 3] });
    const d = g.op('Cast', ['input'], { to: { i: TensorProto_DataType.DOUBLE } });
    const y = g.op('Cast', [g.op(op, [d])], { to: { i: TensorProto_DataType.FLOAT } });
    const yf = g.op(op, ['input']);
    g.setOutputs([y, yf]);
    const out = await runModel(g, { input: x }, [y, yf]);
    // the double result rounds to the float32 one
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(out[y]!.data[i]! - out[yf]!.data[i]!) <= 1e-6 * Math.max(1, Math.abs(out[yf]!.data[i]!)), `${op}[${i}]`);
  }
});

test('the traits that replaced the op tables of shapes.ts, cam.ts, model-randomization.ts and float64.ts are complete', () => {
  // constant folding: every shape-only op keeps its input's values in order or folds them (Transpose), never both;
  // every comparison and logic op of broadcast shape folds (Swin's padding chains, torch.expand)
  for (const op of opsWhere((t, o) => t.kind === 'shape-only' && !o.startsWith('LumenTest'))) {
    const t = opTraits(op)!;
    assert.ok((t.keepsValues === true) !== (t.fold !== undefined), `${op}: keepsValues ${t.keepsValues}, fold ${t.fold !== undefined}`);
  }
  assert.deepEqual(opsWhere((t, o) => t.keepsValues === true && !o.startsWith('LumenTest')), ['Dropout', 'Flatten', 'Identity', 'Reshape', 'Squeeze', 'Unsqueeze']);
  // …of which Identity and Dropout also keep the shape: the model looks through them for a final Softmax
  assert.deepEqual(declaredOps().filter((o) => passesThrough(o) && !o.startsWith('LumenTest')), ['Dropout', 'Identity']);
  for (const op of opsWhere((t) => t.shape === 'identity')) assert.equal(opTraits(op)!.keepsValues, true, `${op}: an identity op keeps its values`);
  for (const op of opsWhere((t) => t.outputTypes?.[0] === 'bool' && t.shape === 'broadcast')) assert.ok(opTraits(op)!.fold, `${op}: no fold`);
  assert.ok(opsWhere((t) => t.fold !== undefined).length >= 40);
  // parameter layers (model randomization): the layers LRP's layer rule reads a weight of, and ConvTranspose
  assert.deepEqual(opsWhere((t, o) => t.weightInput !== undefined && !o.startsWith('LumenTest')), ['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
  for (const op of opsWhere((t) => t.lrp === 'conv-layer' || t.lrp === 'dense-layer')) assert.equal(opTraits(op)!.weightInput, 1, op);
  // dense layers: Classic CAM reads the classifier's weight matrix through denseWeight, LRP gives them its dense rule
  assert.deepEqual(opsWhere((t, o) => t.denseWeight !== undefined && !o.startsWith('LumenTest')), opsWhere((t) => t.lrp === 'dense-layer'));
  // products of two tensors (DeepLIFT's two-player split, and the x·g(x) of its gated activations; LRP's gate rule)
  assert.deepEqual([opsWhere((t, o) => t.deeplift === 'product' && !o.startsWith('LumenTest')), opsWhere((t, o) => t.lrp === 'product' && !o.startsWith('LumenTest'))], [['Mul'], ['Mul']]);
  // LRP's in-graph input normalization: x ± c, x · c, c · x and x / c (not c / x)
  assert.deepEqual([opsWhere((t, o) => t.lrpInputNormalization === 'either' && !o.startsWith('LumenTest')), opsWhere((t) => t.lrpInputNormalization === 'first')], [['Add', 'Mul', 'Sub'], ['Div']]);
  // LRP's layer rules: Conv gets the composite's conv rule, Gemm and MatMul its dense rule
  assert.deepEqual([opsWhere((t) => t.lrp === 'conv-layer'), opsWhere((t) => t.lrp === 'dense-layer')], [['Conv'], ['Gemm', 'MatMul']]);
  // weight folding (GradientContext.foldWeights): the builder counts the ops whose rule reads it — every rule file that
  // reads it declares `foldsWeights`, and only those
  assert.deepEqual(opsWhere((t, o) => t.foldsWeights === true && !o.startsWith('LumenTest')), ['Conv']);
  for (const f of readdirSync(RULES).filter((n) => n.endsWith('.ts'))) {
    const text = readFileSync(join(RULES, f), 'utf8');
    assert.equal(text.includes('foldsWeights: true'), /\.foldWeights\b|\{[^}]*\bfoldWeights\b[^}]*\}\s*=\s*ctx/.test(text), `rules/${f}: reads foldWeights ⇔ declares foldsWeights`);
  }
  // Reduce* ops: every one says from which opset its axes are an input (shape inference, folding, its rule, GraphOps.reduce)
  const reductions = opsWhere((t, o) => t.kind === 'reduction' && !o.startsWith('LumenTest'));
  assert.ok(reductions.length >= 7, reductions.join(', '));
  for (const op of reductions) assert.equal(opTraits(op)!.axesInputSince, op === 'ReduceSum' ? 13 : 18, op);
  assert.deepEqual(opsWhere((t) => t.axesInputSince !== undefined), reductions);
  // float64: the ops it retypes or runs in float32, each by its trait
  assert.deepEqual(opsWhere((t) => t.float64 !== undefined), ['Cast', 'Constant', 'ConstantOfShape', 'OneHot']);
  for (const op of ['TopK', 'MaxPool']) assert.deepEqual(opTraits(op)!.outputTypes, ['input', 'int64'], op);
});

test('shape arithmetic folds by the traits only: keepsValues passes values on, an op without a fold leaves them unknown (strict inference fails, never guesses)', () => {
  const pass = unary((_ctx, _x, _y, gy) => gy);
  registerOp('LumenTestKeeps', { kind: 'shape-only', doubleKernel: true, keepsValues: true, shape: 'elementwise', lrp: 'plain', deeplift: 'plain' }, pass);
  registerOp('LumenTestOpaque', { kind: 'shape-only', doubleKernel: true, shape: 'elementwise', lrp: 'plain', deeplift: 'plain' }, pass);
  const reshapedThrough = (op: string): ReturnType<typeof emptyModel> => {
    const g = emptyModel({ input: ['N', 3, 4] });
    // Shape → op → Mul by 1 (a `pairwise` fold, symbolic N · 1 = N) → Reshape target
    const target = g.op('Mul', [g.op(op, [g.op('Shape', ['input'])]), g.int64s([1, 1, 1])]);
    g.setOutputs([g.op('Reshape', ['input', target])]);
    return g;
  };
  const g = reshapedThrough('LumenTestKeeps');
  const shapes = inferShapes(g, undefined, { strict: true });
  assert.deepEqual(shapes.get(g.graph.output[0]!.name), ['N', 3, 4]);
  assert.throws(() => inferShapes(reshapedThrough('LumenTestOpaque'), undefined, { strict: true }), (e: unknown) => e instanceof LumenError && /target shape that is not known statically/.test(e.message));
});

test('CAM follows the pooled features through ops that keep their values (Dropout, Flatten) and refuses any other op between pool and classifier, naming it', async () => {
  const head = (between: string): ReturnType<typeof modelOf> => {
    const g = emptyModel({ input: ['N', 1, 4, 4] });
    g.addNode('Conv', ['input', g.addInitializer(Float32Array.of(1.5, -2, 0.5), [3, 1, 1, 1]), g.addInitializer(Float32Array.of(0.1, -0.3, 0.2), [3])], ['layer']);
    const pooled = g.op(between, [g.op('GlobalAveragePool', ['layer'])]);
    const logits = g.op('Gemm', [g.op('Flatten', [pooled]), g.addInitializer(Float32Array.of(0.7, -0.4, 1.1, -0.2, 0.9, 0.3), [2, 3])], { transB: { i: 1 } });
    g.setOutputs([logits]);
    return modelOf(g);
  };
  const x = new Tensor(Float32Array.from({ length: 16 }, (_, i) => Math.sin(i * 1.3) + 0.2), [1, 1, 4, 4]);
  const kept = head('Dropout');
  const c = await getMethod('cam').explain(kept, x, { target: 1, layer: 'layer', raw: true });
  assert.deepEqual(Array.from((c.extras.weights as Tensor).data).map((v) => Math.round(v * 1e6) / 1e6), [-0.2, 0.9, 0.3]);
  await kept.dispose();
  const relu = head('Relu');
  await assert.rejects(getMethod('cam').explain(relu, x, { target: 1, layer: 'layer' }), (e: unknown) => e instanceof LumenError && /the pooled features go to Relu/.test(e.message));
  await relu.dispose();
});

test('CAM reads the classifier through its denseWeight trait (Gemm: transB, alpha; MatMul: the bias Add after it) up to the logits through Identity and Dropout', async () => {
  const w = [0.7, -0.4, 1.1, -0.2, 0.9, 0.3]; // [2 classes, 3 channels]
  const head = (classifier: 'gemm' | 'matmul', ...after: string[]): ReturnType<typeof modelOf> => {
    const g = emptyModel({ input: ['N', 1, 4, 4] });
    g.addNode('Conv', ['input', g.addInitializer(Float32Array.of(1.5, -2, 0.5), [3, 1, 1, 1]), g.addInitializer(Float32Array.of(0.1, -0.3, 0.2), [3])], ['layer']);
    const pooled = g.op('Flatten', [g.op('GlobalAveragePool', ['layer'])]);
    let logits: string;
    if (classifier === 'matmul') {
      const wT = [0, 1, 2].flatMap((c) => [w[c]!, w[3 + c]!]); // [3, 2]
      logits = g.op('Add', [g.op('MatMul', [pooled, g.addInitializer(Float32Array.from(wT), [3, 2])]), g.addInitializer(Float32Array.of(0.5, -0.5), [2])]);
    } else {
      logits = g.op('Gemm', [pooled, g.addInitializer(Float32Array.from(w), [2, 3])], { transB: { i: 1 }, alpha: { f: 2 } });
    }
    for (const op of after) logits = g.op(op, [logits]);
    g.setOutputs([logits]);
    return modelOf(g);
  };
  const x = new Tensor(Float32Array.from({ length: 16 }, (_, i) => Math.cos(i * 0.7)), [1, 1, 4, 4]);
  const weights = async (model: ReturnType<typeof modelOf>): Promise<number[]> => {
    try {
      const c = await getMethod('cam').explain(model, x, { target: 1, layer: 'layer', raw: true });
      return Array.from((c.extras.weights as Tensor).data).map((v) => Math.round(v * 1e6) / 1e6);
    } finally {
      await model.dispose();
    }
  };
  assert.deepEqual(await weights(head('gemm', 'Identity', 'Dropout')), [-0.4, 1.8, 0.6]);
  assert.deepEqual(await weights(head('matmul', 'Dropout')), [-0.2, 0.9, 0.3]);
});

test('parameter layers and float64 output typing read the traits: a weightInput names the weight, outputTypes keep TopK indices int64', () => {
  registerOp('LumenTestLayer', { kind: 'linear', doubleKernel: true, weightInput: 2, shape: 'elementwise', lrp: 'plain', deeplift: 'plain' }, unary((_ctx, _x, _y, gy) => gy));
  const g = emptyModel({ input: ['N', 3] });
  const w = g.addInitializer(Float32Array.of(1, 2, 3, 4, 5, 6), [3, 2], 'gemm_w');
  const h = g.op('Gemm', ['input', w]);
  const own = g.addInitializer(Float32Array.of(1, 2), [2], 'own_w');
  g.addNode('LumenTestLayer', [h, g.addInitializer(Float32Array.of(0), [1], 'not_a_weight'), own], ['custom']);
  const [values, indices] = [g.uniqueName('values'), g.uniqueName('indices')];
  g.addNode('TopK', ['custom', g.int64s([1])], [values, indices], { axis: { i: 1 } });
  g.setOutputs([values, indices]);
  assert.deepEqual(parameterLayers(g).map((l) => l.weight), [w, own]);
  const typed = emptyModel({ input: ['N', 3] });
  const [, topIndices] = [typed.uniqueName('values'), typed.uniqueName('indices')];
  typed.addNode('TopK', ['input', typed.int64s([1])], ['top_values', topIndices], { axis: { i: 1 } });
  typed.setOutputs([typed.op('Identity', [topIndices])]);
  assert.equal(inferElemTypes(typed).get(topIndices), TensorProto_DataType.INT64);
  castGraphToFloat64(g);
  // the float output is cast back to float32 for the caller; the index output is left alone
  assert.equal(g.graph.node.filter((n) => n.opType === 'Cast' && n.output[0] === values).length, 1);
  assert.equal(g.graph.node.filter((n) => n.opType === 'Cast' && n.output[0] === indices).length, 0);
});

test('nonNegative marks exactly the activations whose output ONNX Runtime never makes negative (CRAFT reads the trait, not a list of its own)', async () => {
  assert.deepEqual(opsWhere((t, o) => t.nonNegative === true && t.kind !== 'activation' && !o.startsWith('LumenTest')), [], 'only activations declare it');
  const activations = opsWhere((t, o) => t.kind === 'activation' && !o.startsWith('LumenTest'));
  assert.ok(activations.length >= 18, activations.join(', '));
  const values = Float32Array.from({ length: 81 }, (_, i) => (i - 40) / 8); // −5 … 5 by 1/8
  for (const op of activations) {
    const g = emptyModel({ input: ['N', values.length] }, 20);
    const extra =
      // Clip as declared: the ReLU6 of exported CNNs (min 0, max 6); with no bounds it is the identity
      op === 'Clip' ? [g.addInitializer(Float32Array.of(0), []), g.addInitializer(Float32Array.of(6), [])]
      : op === 'PRelu' ? [g.addInitializer(Float32Array.of(0.25), [1])]
      : [];
    const domain = op === 'QuickGelu' ? 'com.microsoft' : '';
    if (domain) g.model.opsetImport.push(create(OperatorSetIdProtoSchema, { domain, version: 1n }));
    const [y] = g.addNode(op, ['input', ...extra], 1, {}, domain);
    g.setOutputs([y!]);
    const out = (await runModel(g, { input: new Tensor(values, [1, values.length]) }, [y!]))[y!]!.data;
    const min = Math.min(...out);
    assert.ok(Number.isFinite(min), `${op}: ${min}`);
    assert.equal(opTraits(op)!.nonNegative === true, min >= 0, `${op}: least output ${min} on [−5, 5], nonNegative ${opTraits(op)!.nonNegative}`);
  }
  assert.deepEqual(opsWhere((t, o) => t.nonNegative === true && !o.startsWith('LumenTest')), ['Clip', 'HardSigmoid', 'Relu', 'Sigmoid', 'Softplus', 'ThresholdedRelu']);
});

test('the model finds a final Softmax through the ops that pass values and shape through (Identity, Dropout), not through a Reshape', async () => {
  const ending = (...after: string[]): ReturnType<typeof modelOf> => {
    const g = emptyModel({ input: ['N', 3] });
    const logits = g.op('Gemm', ['input', g.addInitializer(Float32Array.from([0.5, -0.2, 0.3, 0.1, 0.4, -0.6]), [3, 2])]);
    let t = g.op('Softmax', [logits], { axis: { i: 1 } });
    for (const op of after) t = op === 'Flatten' ? g.op(op, [t], { axis: { i: 1 } }) : g.op(op, [t]);
    g.setOutputs([t]);
    return modelOf(g);
  };
  for (const after of [[], ['Dropout'], ['Identity', 'Dropout', 'Identity']]) {
    const model = ending(...after);
    try {
      assert.equal(model.endsInSoftmax, true, after.join(' → '));
      assert.match(model.logitsName, /Gemm/);
    } finally {
      await model.dispose();
    }
  }
  // Flatten keeps the values but not the shape: the Softmax behind it is not the model's last op
  const flat = ending('Flatten');
  try {
    assert.equal(flat.endsInSoftmax, false);
  } finally {
    await flat.dispose();
  }
});

test('element types that follow an attribute or another input than the first are the ops’ own inferTypes rules (no per-op switch in shapes.ts)', () => {
  assert.deepEqual(opsWhere((t, o) => t.inferTypes !== undefined && !o.startsWith('LumenTest')), [
    'Cast', 'CastLike', 'Constant', 'ConstantOfShape', 'DequantizeLinear', 'DynamicQuantizeLinear', 'EyeLike', 'If', 'Loop', 'Multinomial', 'OneHot', 'QuantizeLinear',
    'RandomNormal', 'RandomNormalLike', 'RandomUniform', 'RandomUniformLike', 'Scan', 'Where',
  ]);
  const T = TensorProto_DataType;
  const g = emptyModel({ input: ['N', 3] });
  const ints = g.int64s([1, 2, 3]);
  const halves = g.addInitializer(Float32Array.of(0.5), [1], 'half', T.DOUBLE);
  const cond = g.op('Greater', ['input', g.addInitializer(Float32Array.of(0), [1])]);
  const out: Record<string, [string, number]> = {
    cast: [g.op('Cast', ['input'], { to: { i: T.DOUBLE } }), T.DOUBLE],
    castLike: [g.op('CastLike', ['input', ints]), T.INT64],
    constantTensor: [g.op('Constant', [], { value: { t: makeTensorProto('v', Int32Array.of(7), [1], T.INT32) } }), T.INT32],
    constantFloats: [g.op('Constant', [], { value_floats: { floats: [1, 2] } }), T.FLOAT],
    constantInts: [g.op('Constant', [], { value_ints: { ints: [1, 2] } }), T.INT64],
    constantOfShape: [g.op('ConstantOfShape', [ints]), T.FLOAT],
    constantOfShapeInt: [g.op('ConstantOfShape', [ints], { value: { t: makeTensorProto('v', BigInt64Array.of(1n), [1], T.INT64) } }), T.INT64],
    eyeLike: [g.op('EyeLike', ['input']), T.FLOAT],
    eyeLikeInt: [g.op('EyeLike', ['input'], { dtype: { i: T.INT32 } }), T.INT32],
    oneHot: [g.op('OneHot', [ints, g.int64s([4]), g.int64s([0, 1])]), T.INT64],
    randomNormal: [g.op('RandomNormal', [], { shape: { ints: [2] } }), T.FLOAT],
    randomUniform: [g.op('RandomUniform', [], { shape: { ints: [2] }, dtype: { i: T.DOUBLE } }), T.DOUBLE],
    randomNormalLike: [g.op('RandomNormalLike', [ints], { dtype: { i: T.FLOAT } }), T.FLOAT],
    randomUniformLike: [g.op('RandomUniformLike', ['input']), T.FLOAT],
    where: [g.op('Where', [cond, halves, halves]), T.DOUBLE],
  };
  // (a graph output's declared type would win over inference)
  g.setOutputs([g.op('Identity', ['input'])]);
  const types = inferElemTypes(g);
  for (const [what, [name, type]] of Object.entries(out)) assert.equal(types.get(name), type, what);
});

test('ops Lumen runs but neither differentiates nor converts have traits (their element types, refusals): Multinomial, Unique, the quantization ops, If/Loop/Scan', () => {
  const T = TensorProto_DataType;
  // shapes.ts types no op by name: an op without traits gets input 0's type, so each of these needs its declaration
  const expected: Record<string, { kind: string; forwardOnly: boolean }> = {
    Multinomial: { kind: 'no-gradient', forwardOnly: false },
    Unique: { kind: 'data', forwardOnly: true },
    QuantizeLinear: { kind: 'data', forwardOnly: true },
    DequantizeLinear: { kind: 'data', forwardOnly: true },
    DynamicQuantizeLinear: { kind: 'data', forwardOnly: true },
    If: { kind: 'control-flow', forwardOnly: true },
    Loop: { kind: 'control-flow', forwardOnly: true },
    Scan: { kind: 'control-flow', forwardOnly: true },
  };
  for (const [op, e] of Object.entries(expected)) {
    const t = opTraits(op);
    assert.ok(t, `${op}: no traits`);
    assert.deepEqual([t.kind, t.forwardOnly === true, t.doubleKernel, gradientRule(op)], [e.kind, e.forwardOnly, false, undefined], op);
  }
  const g = emptyModel({ input: ['N', 3] });
  const scale = g.addInitializer(Float32Array.of(0.1), [], 'scale');
  const int8Zero = g.addInitializer(Int8Array.of(0), [], 'zero', T.INT8);
  const halfScale = g.addInitializer(Float32Array.of(0.5), [], 'half', T.FLOAT16);
  const unique = g.addNode('Unique', ['input'], 4);
  const dynamic = g.addNode('DynamicQuantizeLinear', ['input'], 3);
  const out: Record<string, [string, number]> = {
    multinomial: [g.op('Multinomial', ['input']), T.INT32],
    multinomialInt64: [g.op('Multinomial', ['input'], { dtype: { i: T.INT64 } }), T.INT64],
    uniqueValues: [unique[0]!, T.FLOAT],
    uniqueIndices: [unique[1]!, T.INT64],
    uniqueCounts: [unique[3]!, T.INT64],
    quantize: [g.op('QuantizeLinear', ['input', scale]), T.UINT8],
    quantizeInt8: [g.op('QuantizeLinear', ['input', scale, int8Zero]), T.INT8],
    dequantize: [g.op('DequantizeLinear', [int8Zero, scale]), T.FLOAT],
    dequantizeHalf: [g.op('DequantizeLinear', [int8Zero, halfScale]), T.FLOAT16],
    dynamicValues: [dynamic[0]!, T.UINT8],
    dynamicScale: [dynamic[1]!, T.FLOAT],
    dynamicZero: [dynamic[2]!, T.UINT8],
    if: [g.op('If', [g.op('Greater', ['input', scale])]), 0],
    loop: [g.op('Loop', ['', '']), 0],
    scan: [g.op('Scan', ['input']), 0],
  };
  g.setOutputs([g.op('Identity', ['input'])]);
  const types = inferElemTypes(g);
  for (const [what, [name, type]] of Object.entries(out)) assert.equal(types.get(name), type, what);
});

test('a forward-only op on the path is refused by the builder and by float64 conversion, naming it (DequantizeLinear of an activation: no silent zero gradient)', () => {
  const g = emptyModel({ input: ['N', 3] });
  const dq = g.op('DequantizeLinear', ['input', g.addInitializer(Float32Array.of(0.1), [], 'scale')]);
  g.graph.node[g.graph.node.length - 1]!.name = 'my_dq';
  const logits = g.op('MatMul', [dq, g.addInitializer(Float32Array.of(1, 2, 3), [3, 1])]);
  g.setOutputs([logits]);
  assert.throws(() => buildBackwardGraph(g.model, { target: logits, wrt: ['input'] }), (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_OP' && /cannot differentiate op DequantizeLinear \(node 'my_dq'\): no gradient rule/.test(e.message));
  assert.throws(() => decomposeForFloat64(g.model), (e: unknown) => e instanceof LumenError && /op DequantizeLinear \(node 'my_dq'\) has no double-precision kernel in ONNX Runtime and Lumen has no float64 rewrite for it .*Use precision float32/.test(e.message));
});

test('LRP refuses a dense layer (lrp: dense-layer, Gemm or MatMul) whose two operands are activations as an activation product, naming op and node', async () => {
  for (const op of opsWhere((t, o) => t.lrp === 'dense-layer' && !o.startsWith('LumenTest'))) {
    const g = emptyModel({ input: ['N', 3] });
    // x · xᵀ: both operands depend on the input
    g.addNode(op, ['input', g.op('Transpose', ['input'], { perm: { ints: [1, 0] } })], ['product']);
    g.graph.node[g.graph.node.length - 1]!.name = 'my_product';
    g.setOutputs(['product']);
    const model = modelOf(g);
    try {
      await assert.rejects(
        getMethod('lrp').explain(model, new Tensor(Float32Array.of(0.3, -0.7, 1.1), [1, 3]), { target: 0, composite: 'epsilon' }),
        (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_OP' && new RegExp(`LRP: ${op} 'my_product' multiplies two activations`).test(e.message),
        op,
      );
    } finally {
      await model.dispose();
    }
  }
});

test('a quantized model (QuantizeLinear → DequantizeLinear on the data path) is refused by the gradient methods, naming the QuantizeLinear, not explained by a zero gradient', async () => {
  const T = TensorProto_DataType;
  assert.deepEqual(opsWhere((t, o) => t.quantizes === true && !o.startsWith('LumenTest')), ['DynamicQuantizeLinear', 'QuantizeLinear']);
  for (const op of opsWhere((t) => t.quantizes === true)) assert.equal(opTraits(op)!.forwardOnly, true, `${op}: a quantizer on the path is refused, so it has no rule`);
  const g = emptyModel({ input: ['N', 3] });
  const scale = g.addInitializer(Float32Array.of(0.01), [], 'scale');
  const zero = g.addInitializer(Uint8Array.of(128), [], 'zero', T.UINT8);
  g.addNode('QuantizeLinear', ['input', scale, zero], ['quantized']);
  g.graph.node[g.graph.node.length - 1]!.name = 'my_q';
  const logits = g.op('Gemm', [g.op('DequantizeLinear', ['quantized', scale, zero]), g.addInitializer(Float32Array.from([0.5, -0.2, 0.3, 0.1, 0.4, -0.6]), [3, 2])]);
  g.setOutputs([logits]);
  const refused = (e: unknown): boolean => e instanceof LumenError && e.code === 'UNSUPPORTED_OP' && /cannot differentiate op QuantizeLinear \(node 'my_q'\)/.test(e.message);
  // (before the trait: a graph that differentiated 0 nodes and gave zeros for every gradient method)
  assert.throws(() => buildBackwardGraph(g.model, { target: logits, wrt: ['input'] }), refused);
  const model = modelOf(g);
  try {
    for (const id of ['saliency', 'integrated-gradients', 'lrp', 'deeplift']) await assert.rejects(getMethod(id).explain(model, new Tensor(Float32Array.of(0.3, -0.7, 1.1), [1, 3]), { target: 0 }), refused, id);
  } finally {
    await model.dispose();
  }
});

test('every op type in the models the tests and conformance use (models/, test/fixtures/, conformance*/) has traits', () => {
  const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
  const onnxFiles = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? onnxFiles(join(dir, e.name)) : e.name.endsWith('.onnx') ? [join(dir, e.name)] : []));
  const files = ['models', 'test/fixtures', 'conformance', 'conformance-extra'].flatMap(onnxFiles);
  assert.ok(files.length >= 40, `${files.length} models`);
  const ops = new Set(files.flatMap((f) => decodeModel(readFileSync(join(root, f)), f).graph!.node.filter((n) => n.domain === '' || n.domain === 'ai.onnx').map((n) => n.opType)));
  assert.ok(ops.size >= 40, [...ops].join(', '));
  assert.deepEqual([...ops].filter((op) => !opTraits(op)).sort(), []);
});

test('CAM reads a ReduceMean pool\'s axes as its op does (axesInputSince): the attribute at opset 17, the input at opset 18 — same weights', async () => {
  // (a bug fixed: at opset 18, the default of recent torch.onnx exports, CAM refused the ReduceMean with 'it feeds ReduceMean')
  const x = new Tensor(Float32Array.from({ length: 16 }, (_, i) => Math.sin(i * 1.3) + 0.2), [1, 1, 4, 4]);
  for (const opset of [17, 18]) {
    const g = emptyModel({ input: ['N', 1, 4, 4] }, opset);
    g.addNode('Conv', ['input', g.addInitializer(Float32Array.of(1.5, -2, 0.5), [3, 1, 1, 1]), g.addInitializer(Float32Array.of(0.1, -0.3, 0.2), [3])], ['layer']);
    const mean = opset >= 18 ? g.op('ReduceMean', ['layer', g.int64s([-1, 2])], { keepdims: { i: 0 } }) : g.op('ReduceMean', ['layer'], { axes: { ints: [-1, 2] }, keepdims: { i: 0 } });
    g.setOutputs([g.op('Gemm', [mean, g.addInitializer(Float32Array.of(0.7, -0.4, 1.1, -0.2, 0.9, 0.3), [2, 3])], { transB: { i: 1 } })]);
    const model = modelOf(g);
    try {
      const c = await getMethod('cam').explain(model, x, { target: 1, layer: 'layer', raw: true });
      assert.deepEqual(Array.from((c.extras.weights as Tensor).data).map((v) => Math.round(v * 1e6) / 1e6), [-0.2, 0.9, 0.3], `opset ${opset}`);
    } finally {
      await model.dispose();
    }
  }
});
