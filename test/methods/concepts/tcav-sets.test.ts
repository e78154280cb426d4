import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getConceptMethod } from '../../../src/methods/concepts/registry.js';
import { studentTTest } from '../../../src/methods/concepts/stats.js';
import { tcav, tcavConcepts } from '../../../src/methods/concepts/tcav.js';
import { loadModel } from '../../../src/node/load.js';
import { Tensor } from '../../../src/tensor.js';
import { emptyGraph, modelOf } from '../attribution/helpers.js';
import { shapesBatch } from '../../helpers/shapes.js';

/**
 * A two-feature model whose layer is a 1×1 identity Conv and whose logits are that layer (Gemm with B = I): the
 * gradient of logit 0 at the layer is (1, 0) for every input, so a CAV v scores 1 when v₀ > 0 and 0 otherwise. A CAV
 * between two clusters that differ only in x points from the negative cluster to the positive one, so every score
 * below is known in advance from the clusters' x positions.
 */
const LAYER = 'features';
function identityModel(): ReturnType<typeof modelOf> {
  const g = emptyGraph(['N', 2, 1, 1]);
  const [layer] = g.addNode('Conv', ['input', g.addInitializer(Float32Array.of(1, 0, 0, 1), [2, 2, 1, 1])], [LAYER], { kernel_shape: { ints: [1, 1] } });
  g.setOutputs([g.op('Gemm', [g.op('Flatten', [layer!]), g.addInitializer(Float32Array.of(1, 0, 0, 1), [2, 2])])]);
  return modelOf(g);
}

/** n points at x ≈ at (a 0.01 ramp), with the same y spread in every set so only x separates two sets. */
function cluster(at: number, n: number, tail?: { count: number; x: number }): Tensor {
  const total = n + (tail?.count ?? 0);
  const data = new Float32Array(total * 2);
  for (let i = 0; i < total; i++) {
    data[i * 2] = i < n ? at + 0.01 * i : tail!.x;
    data[i * 2 + 1] = ((i % 10) - 4.5) / 5;
  }
  return new Tensor(data, [total, 2, 1, 1]);
}

// four random sets at x = −1, 2, −3, −0.5; set 1 has 4 extra rows at x = −100 that the balanced cut (10 rows, the
// concept's size) must drop: used, they would pull its mean below the concept and flip that run's score to 1
const X = [-1, 2, -3, -0.5];
const randomSets = (): Tensor[] => X.map((x, r) => cluster(x, 10, r === 1 ? { count: 4, x: -100 } : undefined));

test('TCAV with several random sets: run r is trained against random set r; the null is every ordered pair of distinct sets', async () => {
  const model = identityModel();
  try {
    const inputs = cluster(0, 3);
    const r = await tcav(model, { concept: cluster(0, 10), random: randomSets(), inputs }, { layer: LAYER, target: 0 });
    // runs default to the number of sets; concept (x = 0) vs set r scores 1 exactly when X[r] < 0
    assert.equal(r.runs, 4);
    assert.equal(r.randomSets, 4);
    assert.deepEqual(r.conceptScores, [1, 0, 1, 1]);
    assert.deepEqual(r.cavAccuracy, [1, 1, 1, 1]);
    // random-vs-random: (i, j) for i ≠ j, i-major, scoring 1 exactly when X[i] > X[j]
    const pairs = [0, 1, 2, 3].flatMap((i) => [0, 1, 2, 3].filter((j) => j !== i).map((j): [number, number] => [i, j]));
    assert.deepEqual(r.randomPairs, pairs);
    assert.ok(r.randomPairs!.every(([i, j]) => i !== j));
    assert.deepEqual(r.randomScores, pairs.map(([i, j]) => (X[i]! > X[j]! ? 1 : 0)));
    // swapping the labels negates the CAV: each pair and its mirror sum to 1
    pairs.forEach(([i, j], k) => assert.equal(r.randomScores[k]! + r.randomScores[pairs.findIndex(([a, b]) => a === j && b === i)]!, 1));
    const expected = studentTTest([1, 0, 1, 1], r.randomScores);
    assert.equal(r.pValue, expected.pValue);
    assert.equal(r.t, expected.t);
    assert.equal(r.score, 0.75);
    assert.equal(r.sharedGradient, true);

    // fewer runs than sets: the first `runs` sets (tensorflow/tcav takes random_concepts[0 … runs − 1])
    const two = await tcav(model, { concept: cluster(0, 10), random: randomSets(), inputs }, { layer: LAYER, target: 0, runs: 2 });
    assert.deepEqual(two.conceptScores, [1, 0]);
    assert.deepEqual(two.randomPairs, [[0, 1], [1, 0]]);
    assert.deepEqual(two.randomScores, [0, 1]);
    // more runs than sets is an error, as in the reference code, and says what to do
    await assert.rejects(tcav(model, { concept: cluster(0, 10), random: randomSets(), inputs }, { layer: LAYER, target: 0, runs: 5 }), /5 runs need 5 random sets .*4 given: ask for at most 4 runs, or give one random set/);
    // one set, bare or in an array, is the pooled, subsampled set (the historical path: same numbers)
    const pooled = cluster(-1, 20);
    const a = await tcav(model, { concept: cluster(0, 10), random: pooled, inputs }, { layer: LAYER, target: 0, runs: 3, seed: 4 });
    const b = await tcav(model, { concept: cluster(0, 10), random: [pooled], inputs }, { layer: LAYER, target: 0, runs: 3, seed: 4 });
    assert.deepEqual(b, a);
    assert.equal(a.randomSets, 1);
    assert.equal(a.randomPairs, undefined);
    assert.equal(a.randomScores.length, 3);
  } finally {
    await model.dispose();
  }
});

test('TCAV over several concepts: one result each, Bonferroni at alpha / #concepts (tests overrides), registry and library agree', async () => {
  const model = identityModel();
  try {
    const inputs = cluster(0, 3);
    const concepts = [cluster(0, 10), cluster(5, 10)];
    const [a, b] = await tcavConcepts(model, { concepts, random: randomSets(), inputs }, { layer: LAYER, target: 0 });
    assert.equal(a!.threshold, 0.05 / 2);
    assert.equal(b!.threshold, 0.05 / 2);
    assert.deepEqual(a!.conceptScores, [1, 0, 1, 1]);
    assert.deepEqual(b!.conceptScores, [1, 1, 1, 1], 'x = 5 lies right of every random set');
    assert.deepEqual(b!.randomScores, a!.randomScores, 'one null for all concepts');
    assert.equal(b!.significant, b!.pValue < 0.025);
    // the same numbers as one concept at a time, but the threshold
    const single = await tcav(model, { concept: concepts[1]!, random: randomSets(), inputs }, { layer: LAYER, target: 0 });
    assert.deepEqual({ ...b!, threshold: 0, significant: false }, { ...single, threshold: 0, significant: false });
    assert.equal(single.threshold, 0.05);
    const three = await tcavConcepts(model, { concepts, random: randomSets(), inputs }, { layer: LAYER, target: 0, tests: 3, alpha: 0.1 });
    assert.ok(three.every((r) => r.threshold === 0.1 / 3));

    // the registered method: several concepts → `concepts` (Bonferroni over them), top level = the first
    const method = getConceptMethod('tcav');
    const viaRegistry = await method.run(model, { concept: concepts, random: randomSets(), inputs }, { layer: LAYER, target: 0 });
    assert.equal(viaRegistry.concepts?.length, 2);
    assert.deepEqual(viaRegistry.concepts![1], b);
    assert.equal(viaRegistry.score, a!.score);
    assert.equal(viaRegistry.runs, 4, 'several random sets: runs default to their number, not the metadata 10');
    const one = await method.run(model, { concept: concepts[0]!, random: randomSets(), inputs }, { layer: LAYER, target: 0, runs: 3 });
    assert.equal(one.concepts, undefined);
    assert.equal(one.threshold, 0.05);
    assert.deepEqual(one.conceptScores, [1, 0, 1]);
    await assert.rejects(method.run(model, { concept: concepts, random: randomSets(), inputs }, { layer: LAYER, target: 0, runs: 6 }), /6 runs need 6 random sets/);
    await assert.rejects(tcavConcepts(model, { concepts: [cluster(0, 10), cluster(0, 9)], random: randomSets(), inputs }, { layer: LAYER, target: 0 }), /9 concept images \(concept set 2\); at least 10/);
  } finally {
    await model.dispose();
  }
});

const shapes = shapesBatch;

test('shortcut benchmark with 6 random sets (random500_0 … as tensorflow/tcav): the marker is significantly above random on the shortcut model, never on the clean one', async () => {
  const TARGET = 2;
  const concept = shapes(21, 12, 'random', (s) => s.marker.classIndex === TARGET);
  const random = [0, 1, 2, 3, 4, 5].map((r) => shapes(30 + r, 12, 'none'));
  const inputs = shapes(23, 10, 'none', () => true, TARGET);
  const seen: string[] = [];
  for (const name of ['shortcut', 'clean'] as const) {
    const model = await loadModel(`models/shapes-${name}.onnx`);
    try {
      const r = await tcav(model, { concept, random, inputs }, { layer: await model.defaultLayer(), target: TARGET });
      seen.push(`${name}: ${r.conceptScores.join('')} vs mean ${(r.randomScores.reduce((x, y) => x + y, 0) / r.randomScores.length).toFixed(2)}, p ${r.pValue.toPrecision(2)}`);
      assert.equal(r.runs, 6);
      assert.equal(r.randomScores.length, 30);
      // measured: shortcut 1,1,1,1,1,1 and clean 0,0,0,0,0,0 against a null of mean 0.50, p = 0.023 both (clean: below)
      // at this layer (shared gradient) a CAV and its label swap score 1 − each other: the null's mean is exactly 1/2
      assert.equal(r.randomScores.reduce((x, y) => x + y, 0), 15, seen.join('; '));
      if (name === 'shortcut') assert.ok(r.significant && r.direction === 'above' && r.score === 1, seen.join('; '));
      else assert.ok(!(r.significant && r.direction === 'above') && r.score <= 0.5, seen.join('; '));
    } finally {
      await model.dispose();
    }
  }
});
