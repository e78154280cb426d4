/**
 * The class count has one home (src/targets/resolve.ts `classCount`): K of a classifier's [N, K], C of a segmentation
 * map [N, C, H, W]. A caller that reads one kind says so and gets an output of another shape refused; the ONNX export
 * asks it with kind 'class' (it had its own count, the logits' last axis, which is W for a segmentation map).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LumenError } from '../../src/errors.js';
import { exportExplanation } from '../../src/export/index.js';
import '../../src/methods/load-all.js';
import { loadModel } from '../../src/node/load.js';
import { classCount } from '../../src/targets/resolve.js';

const refused = (text: RegExp) => (e: unknown): boolean => e instanceof LumenError && e.code === 'UNSUPPORTED_MODEL' && text.test(e.message);

test('classCount with an explicit kind: a segmentation map counts its C channels and is refused as class scores', async () => {
  const seg = await loadModel('models/shapes-seg.onnx');
  const cls = await loadModel('models/fashion-cnn.onnx');
  try {
    const dims = (await seg.tensorShapes()).get(seg.logitsName)!;
    assert.equal(dims.length, 4);
    assert.notEqual(dims[1], dims[3], 'C and W differ, so the two readings can be told apart');
    assert.equal(await classCount(seg), dims[1]);
    assert.equal(await classCount(seg, seg.zeroInput(), undefined, 'segmentation'), dims[1]);
    await assert.rejects(classCount(seg, seg.zeroInput(), undefined, 'class'), refused(new RegExp(`'${seg.logitsName}' is \\[${dims.join(', ')}\\], not a classifier's \\[batch, classes\\] scores`)));
    assert.equal(await classCount(cls, cls.zeroInput(), undefined, 'class'), 10);
    assert.equal(await classCount(cls), 10);
    await assert.rejects(classCount(cls, cls.zeroInput(), undefined, 'segmentation'), refused(/is \[1, 10\], not a segmentation map/));

    // the export asks the same function: a classifier's declared [batch, K]; a segmentation model refused, clearly
    const exported = await exportExplanation(cls, { methods: ['gradcam'], targetInput: 'weights' });
    assert.deepEqual(exported.outputs.find((o) => o.name === 'logits')!.dims, ['batch', 10]);
    assert.deepEqual(exported.inputs[1]!.dims, ['batch', 10]);
    await assert.rejects(exportExplanation(seg, { methods: ['gradcam'] }), refused(new RegExp(`^export: explains classifiers whose output is \\[batch, classes\\]; '${seg.logitsName}' is \\[${dims.join(', ')}\\], not a classifier's .*segmentation, detection and other targets are not exportable yet`)));
  } finally {
    await seg.dispose();
    await cls.dispose();
  }
});
