import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { buildBackwardGraph, declaredOps, gradientRule, opTraits, opsWhere, registeredOps, registerOp } from '../../src/autodiff/index.js';
import { unary } from '../../src/autodiff/rules/util.js';
import { LumenError } from '../../src/errors.js';
import { decomposeForFloat64 } from '../../src/onnx/float64.js';
import { TensorProto_DataType } from '../../src/onnx/proto.js';
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
