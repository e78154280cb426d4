import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadModel } from '../../src/node/load.js';
import { computeGradients } from '../../src/autodiff/index.js';
import { resolveTargets } from '../../src/targets/index.js';
import { readNpy, relErr } from './helpers.js';

interface Case { model: string; input: string; input_file: string; target: number }
interface Ref { model: string; target_layer_onnx?: string }
const manifest = JSON.parse(readFileSync('conformance/manifest.json', 'utf8')) as { cases: Case[]; references: Ref[] };

for (const name of ['fashion_cnn', 'tiny_resnet', 'tiny_mobilenet', 'tiny_vgg']) {
  test(`${name}: layer and input gradients equal the PyTorch references (< 1e-4)`, async () => {
    const model = await loadModel(`conformance/models/${name}.onnx`);
    const layer = manifest.references.find((r) => r.model === name && r.target_layer_onnx)!.target_layer_onnx!;
    for (const c of manifest.cases.filter((k) => k.model === name)) {
      const x = readNpy(`conformance/${c.input_file}`);
      const dir = `conformance/refs/${name}/${c.input}/t${c.target}`;
      const { logits } = await model.forward(x);
      const { seed } = resolveTargets(c.target, logits);
      const res = await computeGradients(model, x, seed, { wrt: [layer, model.inputName], fetch: [layer] });
      const layerErr = relErr(res.gradients[layer]!.data, readNpy(`${dir}/target_layer.gradient.npy`).data);
      const inputErr = relErr(res.gradients[model.inputName]!.data, readNpy(`${dir}/Saliency.signed.npy`).data);
      const actErr = relErr(res.tensors[layer]!.data, readNpy(`${dir}/target_layer.activation.npy`).data);
      console.log(`${name}/${c.input}: layer grad ${layerErr.toExponential(2)}, input grad ${inputErr.toExponential(2)}, activation ${actErr.toExponential(2)}`);
      assert.ok(layerErr < 1e-4, `${name}/${c.input} layer gradient error ${layerErr}`);
      assert.ok(inputErr < 1e-4, `${name}/${c.input} input gradient error ${inputErr}`);
      assert.ok(actErr < 1e-4, `${name}/${c.input} activation error ${actErr}`);
      // the in-graph top-1 seed gives the same gradient without knowing the class beforehand
      const ranked = await computeGradients(model, x, { rank: 1 }, { wrt: [layer] });
      assert.deepEqual(ranked.classes, [c.target]);
      assert.ok(relErr(ranked.gradients[layer]!.data, res.gradients[layer]!.data) < 1e-6);
    }
    await model.dispose();
  });
}
