import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LumenModel, type Compiled } from '../../src/model.js';
import { loadModel } from '../../src/node/load.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { OnnxGraph } from '../../src/onnx/graph.js';
import { LumenError } from '../../src/errors.js';
import { lrp } from '../../src/methods/gradient/lrp.js';
import { ablationcam } from '../../src/methods/cam/ablationcam.js';
import { Tensor } from '../../src/tensor.js';
import type { Runtime, SessionSettings } from '../../src/runtime/types.js';
import { emptyModel } from '../autodiff/helpers.js';

/** A runtime that counts what a model asks of it: sessions created and disposed, runs. */
function countingRuntime(): { runtime: Runtime; counts: { created: number; disposed: number; runs: number; settings: (SessionSettings | undefined)[] } } {
  const inner = nodeRuntime({ threads: 1 });
  const counts = { created: 0, disposed: 0, runs: 0, settings: [] as (SessionSettings | undefined)[] };
  const runtime: Runtime = {
    name: 'counting',
    async createSession(bytes, settings) {
      const s = await inner.createSession(bytes, settings);
      counts.created++;
      counts.settings.push(settings);
      return {
        inputNames: s.inputNames,
        outputNames: s.outputNames,
        run: (feeds, fetches) => {
          counts.runs++;
          return s.run(feeds, fetches);
        },
        dispose: async () => {
          counts.disposed++;
          await s.dispose();
        },
      };
    },
  };
  return { runtime, counts };
}

/** x [N, 3, 4, 4] → Conv (2 channels, 3×3, pad 1) → [BatchNormalization] → Relu → GAP → Flatten → logits [N, 2]. */
function smallModel(runtime: Runtime, batchNorm = false, session?: SessionSettings): { model: LumenModel; conv: string; relu: string } {
  const g = emptyModel({ x: ['N', 3, 4, 4] });
  const w = Float32Array.from({ length: 2 * 3 * 9 }, (_, i) => Math.sin(i + 1) / 4);
  const conv = g.op('Conv', ['x', g.addInitializer(w, [2, 3, 3, 3]), g.addInitializer(Float32Array.of(0.1, -0.2), [2])], { pads: { ints: [1, 1, 1, 1] } });
  const normed = batchNorm ? g.op('BatchNormalization', [conv, ...[[1.5, 0.5], [0.2, -0.1], [0.05, -0.3], [2, 0.5]].map((v) => g.addInitializer(Float32Array.from(v), [2]))], { epsilon: { f: 1e-3 } }) : conv;
  const relu = g.op('Relu', [normed]);
  const pooled = g.op('GlobalAveragePool', [relu]);
  g.addNode('Flatten', [pooled], ['logits']);
  g.setOutputs(['logits']);
  return { model: LumenModel.fromProto(g.model, { runtime, source: 'small', ...(session ? { session } : {}) }), conv, relu };
}

const image = (n = 1): Tensor => new Tensor(Float32Array.from({ length: n * 48 }, (_, i) => Math.cos(i * 0.7)), [n, 3, 4, 4]);

test('compile: one build and one session per key, shared by concurrent callers and by session(); meta is typed', async () => {
  const { runtime, counts } = countingRuntime();
  const { model, conv, relu } = smallModel(runtime);
  let builds = 0;
  const build = (output: string) => () => {
    builds++;
    const g = OnnxGraph.copyOf(model.proto);
    g.setOutputs([output]);
    return { graph: g, meta: { output, channels: 2 } };
  };
  const [a, b] = await Promise.all([model.compile('test:relu', build(relu)), model.compile('test:relu', build(relu))]);
  assert.equal(builds, 1);
  assert.equal(counts.created, 1);
  assert.equal(a, b);
  // meta keeps the builder's type: these lines type-check (npx tsc) only because `meta` is { output: string; channels: number }
  const typed: Compiled<{ output: string; channels: number }> = a;
  const channels: number = typed.meta.channels;
  // @ts-expect-error meta has no field the builder did not return
  assert.equal(a.meta.names, undefined);
  assert.equal(channels, 2);
  const out = await a.session.run({ x: image(2) }, [a.meta.output]);
  assert.deepEqual(out[relu]!.dims, [2, 2, 4, 4]);
  // the same key through session() is the same compiled graph: no build, no session
  assert.equal(await model.session('test:relu', () => assert.fail('built twice')), a.session);
  // another key is another graph
  const c = await model.compile('test:conv', build(conv));
  assert.equal(builds, 2);
  assert.equal(counts.created, 2);
  assert.notEqual(c.session, a.session);
  await model.dispose();
});

test('compile: a failed build or session creation is evicted, so the next call retries and reports its own error', async () => {
  const { runtime, counts } = countingRuntime();
  const { model, relu } = smallModel(runtime);
  let builds = 0;
  const failing = () => {
    builds++;
    throw new LumenError('UNSUPPORTED_OP', 'no rule for op Foo');
  };
  await assert.rejects(model.compile('test:k', failing), /no rule for op Foo/);
  await assert.rejects(model.compile('test:k', failing), /no rule for op Foo/);
  assert.equal(builds, 2, 'the failed build is not cached');
  // bytes ORT cannot parse: the session creation fails, and is not cached either
  await assert.rejects(model.compile('test:k', () => ({ graph: Uint8Array.of(1, 2, 3), meta: 0 })));
  const ok = await model.compile('test:k', () => {
    const g = OnnxGraph.copyOf(model.proto);
    g.setOutputs([relu]);
    return { graph: g, meta: 1 };
  });
  assert.equal(ok.meta, 1);
  assert.equal(counts.created, 1);
  // derived values: a rejected promise is evicted, a thrown error is not stored
  let makes = 0;
  await assert.rejects(model.derived('test:d', async () => {
    makes++;
    throw new Error('first try fails');
  }), /first try fails/);
  await new Promise((r) => setImmediate(r));
  assert.equal(await model.derived('test:d', async () => ++makes), 2);
  assert.equal(await model.derived('test:d', async () => ++makes), 2, 'a resolved value is kept');
  assert.throws(() => model.derived('test:e', () => {
    throw new Error('sync');
  }), /sync/);
  assert.equal(model.derived('test:e', () => 'made'), 'made');
  await model.dispose();
  assert.equal(counts.disposed, 1);
});

test('dispose releases every compiled session and derived value, failed ones included; the model recompiles after', async () => {
  const { runtime, counts } = countingRuntime();
  const { model, conv, relu } = smallModel(runtime);
  const graphOf = (o: string) => () => {
    const g = OnnxGraph.copyOf(model.proto);
    g.setOutputs([o]);
    return { graph: g, meta: o };
  };
  await model.compile('test:a', graphOf(relu));
  await model.compile('test:b', graphOf(conv));
  await model.forward(image());
  await assert.rejects(model.compile('test:bad', () => ({ graph: Uint8Array.of(0), meta: 0 })));
  const released: string[] = [];
  model.derived('test:plain', () => 'p', (v) => released.push(v));
  await model.derived('test:promise', async () => 'q', (v) => released.push(v));
  const rejected = model.derived('test:rejected', () => Promise.reject(new Error('no')), () => released.push('never'));
  await assert.rejects(rejected);
  assert.equal(counts.created, 3);
  await model.dispose();
  assert.equal(counts.disposed, 3);
  assert.deepEqual(released.sort(), ['p', 'q']);
  // after dispose, a key is built again
  let rebuilt = 0;
  await model.compile('test:a', () => {
    rebuilt++;
    return graphOf(relu)();
  });
  assert.equal(rebuilt, 1);
  await model.dispose();
  assert.equal(counts.disposed, counts.created);
});

test('LRP\'s BatchNorm-folded copy and Ablation-CAM\'s head are cached on the model and disposed with it', async () => {
  const { runtime, counts } = countingRuntime();
  const { model, relu } = smallModel(runtime, true, { graphOptimizationLevel: 'basic' });
  const x = image(2);
  const first = await lrp.explain(model, x, { target: 0, canonize: true });
  assert.match(String(first.extras?.foldedBatchNorms), /BatchNormalization/);
  const created = counts.created;
  const again = await lrp.explain(model, x, { target: 0, canonize: true });
  assert.equal(counts.created, created, 'the folded copy and its gradient graph are reused');
  assert.deepEqual(Array.from(again.attribution.data), Array.from(first.attribution.data));
  const cam = await ablationcam.explain(model, x, { target: 1, layer: relu });
  const afterCam = counts.created;
  const cam2 = await ablationcam.explain(model, x, { target: 1, layer: relu });
  assert.equal(counts.created, afterCam, 'the head graph is compiled once');
  assert.deepEqual(Array.from(cam2.attribution.data), Array.from(cam.attribution.data));
  await model.dispose();
  // every session, the folded copy's included, is released (the copy used to outlive the model)
  assert.equal(counts.disposed, counts.created);
  // and the folded copy compiles with the model's session settings (it used to take the runtime's defaults)
  assert.ok(counts.settings.every((s) => s?.graphOptimizationLevel === 'basic'), JSON.stringify(counts.settings));
});

test('tensorShapes: static inference alone when it determines every float tensor (no session); in graph order', async () => {
  const { runtime, counts } = countingRuntime();
  const { model, conv, relu } = smallModel(runtime);
  const shapes = await model.tensorShapes();
  assert.equal(counts.created, 0);
  assert.deepEqual([...shapes.entries()], [[conv, [1, 2, 4, 4]], [relu, [1, 2, 4, 4]], [model.graph.producer('logits')!.input[0]!, [1, 2, 1, 1]], ['logits', [1, 2]]]);
  assert.equal(await model.tensorShapes(), shapes, 'cached per probe size');
  await model.dispose();
});

test('tensorShapes: a size static inference leaves open is measured on zeros; an error of that run is reported, not cached', async () => {
  // Range(0, mean(x) + 5, delta): a length that depends on the input's values (5 for the zero probe)
  const build = (delta: 'one' | 'data'): { g: OnnxGraph; range: string } => {
    const g = emptyModel({ x: ['N', 3, 4, 4] });
    const mean = g.op('ReduceMean', ['x'], { keepdims: { i: 0 } });
    const limit = g.op('Add', [mean, g.addInitializer(Float32Array.of(5), [])]);
    const step = delta === 'one' ? g.addInitializer(Float32Array.of(1), []) : mean;
    const range = g.op('Range', [g.addInitializer(Float32Array.of(0), []), limit, step]);
    const pooled = g.op('GlobalAveragePool', ['x']);
    g.addNode('Flatten', [pooled], ['logits']);
    g.setOutputs(['logits']);
    return { g, range };
  };
  const { runtime, counts } = countingRuntime();
  const ok = build('one');
  const model = LumenModel.fromProto(ok.g.model, { runtime, source: 'range' });
  const shapes = await model.tensorShapes();
  assert.deepEqual(shapes.get(ok.range), [5]);
  assert.deepEqual(shapes.get('logits'), [1, 3]);
  assert.equal(counts.runs, 1);
  await model.dispose();

  // delta = mean(x) = 0 on the zero probe: ORT refuses the Range, and the caller sees that error
  const bad = build('data');
  const failing = LumenModel.fromProto(bad.g.model, { runtime, source: 'range-zero-delta' });
  const runs = counts.runs;
  await assert.rejects(failing.tensorShapes(), /delta|Range/i);
  await assert.rejects(failing.tensorShapes(), /delta|Range/i);
  assert.equal(counts.runs, runs + 2, 'the failed measurement is retried, not served from the cache');
  await failing.dispose();
});

test('tensorShapes equal ORT\'s run-time shapes on every conformance model and transformer fixture', async () => {
  const files = [
    ...['fashion_cnn', 'tiny_mobilenet', 'tiny_resnet', 'tiny_segnet', 'tiny_swin', 'tiny_vgg', 'tiny_vit'].map((m) => `conformance/models/${m}.onnx`),
    ...['vit', 'swin', 'convnext', 'maxvit'].map((m) => `test/fixtures/transformers/${m}/model.onnx`),
    'models/shapes-det.onnx',
  ];
  for (const file of files) {
    const model = await loadModel(file);
    const shapes = await model.tensorShapes();
    const names = [...shapes.keys()];
    const session = await model.session('test:ort-shapes', () => {
      const g = OnnxGraph.copyOf(model.proto);
      g.setOutputs(names);
      return g;
    });
    const measured = await session.run({ [model.inputName]: model.zeroInput() }, names);
    assert.ok(names.length > 10, file);
    for (const t of names) assert.deepEqual(shapes.get(t), [...measured[t]!.dims], `${file}: ${t}`);
    await model.dispose();
  }
});
