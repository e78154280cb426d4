import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runConformance } from '../../src/node/conformance.js';

// The suite runs `lumen conformance` on the repo's copy of the shared reference set (../shared/conformance, copied
// whole). Since the Integrated Gradients rows of the tiny CNNs are computed in float64 on the exported function, every
// CNN row passes, IG included.
//
// OPEN_MODELS lists the models whose rows are still being implemented this round (issue 16: tiny_vit, tiny_swin;
// tiny_segnet's segmentation rows pass since issue 17). Their failures are reported as diagnostics; every other row must pass and nothing may be
// skipped elsewhere. Remove a model from this list as soon as its rows pass: the test then holds it to every row.
const OPEN_MODELS = new Set(['tiny_vit', 'tiny_swin']);

test('lumen conformance on conformance/: every reference passes (models still open this round are listed)', async (t) => {
  const summary = await runConformance('conformance');
  const notPassing = summary.lines.filter((l) => l.status !== 'pass');
  for (const l of notPassing.filter((x) => OPEN_MODELS.has(x.model))) {
    t.diagnostic(`open: ${l.model}/${l.input} ${l.reference}: ${l.status} ${l.detail ?? l.value}`);
  }
  const unexpected = notPassing.filter((l) => !OPEN_MODELS.has(l.model));
  assert.deepEqual(unexpected.map((l) => `${l.model}/${l.input} ${l.reference}: ${l.status} ${l.detail ?? l.value}`), []);
  assert.ok(summary.passed >= 355, `passed ${summary.passed}`);
});
