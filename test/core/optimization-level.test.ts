import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LumenModel } from '../../src/model.js';
import { createOrtRuntime, defaultOptimizationLevel, LARGE_GRAPH_NODES, type OrtModule } from '../../src/runtime/ort.js';
import type { Runtime, SessionSettings } from '../../src/runtime/types.js';
import { emptyModel } from '../autodiff/helpers.js';

// The size-based optimization-level policy (issue 23): which level a graph is compiled at. Decisions only, no timing.

/** An ORT module stand-in that records the options of every InferenceSession.create. */
function recordingOrt(): { ort: OrtModule; options: Record<string, unknown>[] } {
  const options: Record<string, unknown>[] = [];
  const session = { inputNames: [], outputNames: [], release: async () => {} };
  const ort = { InferenceSession: { create: async (_m: Uint8Array, o: Record<string, unknown>) => (options.push(o), session) }, Tensor: class {} };
  return { ort: ort as unknown as OrtModule, options };
}

test('graphs from LARGE_GRAPH_NODES nodes on default to level basic, smaller or unknown-size graphs to all', () => {
  assert.equal(defaultOptimizationLevel(undefined), 'all');
  assert.equal(defaultOptimizationLevel(0), 'all');
  assert.equal(defaultOptimizationLevel(LARGE_GRAPH_NODES - 1), 'all');
  assert.equal(defaultOptimizationLevel(LARGE_GRAPH_NODES), 'basic');
  assert.equal(defaultOptimizationLevel(10 * LARGE_GRAPH_NODES), 'basic');
  // the normal models' explanation graphs (a few thousand nodes at most) stay far below the threshold
  assert.ok(LARGE_GRAPH_NODES >= 10_000);
});

test('createOrtRuntime: the size picks the level only when no level is set (call or runtime defaults)', async () => {
  const { ort, options } = recordingOrt();
  const rt = createOrtRuntime(ort, 'fake');
  await rt.createSession(new Uint8Array(), { graphNodes: LARGE_GRAPH_NODES });
  await rt.createSession(new Uint8Array(), { graphNodes: LARGE_GRAPH_NODES - 1 });
  await rt.createSession(new Uint8Array());
  await rt.createSession(new Uint8Array(), { graphNodes: LARGE_GRAPH_NODES, graphOptimizationLevel: 'all' });
  await createOrtRuntime(ort, 'fake', { graphOptimizationLevel: 'disabled' }).createSession(new Uint8Array(), { graphNodes: LARGE_GRAPH_NODES });
  assert.deepEqual(options.map((o) => o.graphOptimizationLevel), ['basic', 'all', 'all', 'all', 'disabled']);
  // the hint is not an ORT option
  assert.ok(options.every((o) => !('graphNodes' in o)));
});

test("LumenModel's compile cache tells the runtime the size of the graph it compiles", async () => {
  const seen: (SessionSettings | undefined)[] = [];
  const runtime: Runtime = {
    name: 'recording',
    createSession: async (_bytes, settings) => (seen.push(settings), { inputNames: [], outputNames: [], run: async () => ({}), dispose: async () => {} }),
  };
  const g = emptyModel({ x: [1, 4] });
  let y = 'x';
  for (let i = 0; i < 5; i++) y = g.op('Relu', [y]);
  g.setOutputs([y]);
  const model = LumenModel.fromBytes(g.toBytes(), { runtime, source: 'relu5', session: { threads: 1 } });
  const big = emptyModel({ x: [1, 4] });
  let z = 'x';
  for (let i = 0; i < 7; i++) z = big.op('Relu', [z]);
  big.setOutputs([z]);
  await model.session('graph', () => big);
  await model.session('bytes', () => big.toBytes(), { graphOptimizationLevel: 'basic' });
  assert.deepEqual(seen, [{ threads: 1, graphNodes: 7 }, { threads: 1, graphOptimizationLevel: 'basic' }]);
  await model.dispose();
});
