/**
 * Child process of the benchmark's memory check: loads a cached bench model, runs integrated gradients once at the
 * given steps and internal batch, and prints its peak RSS and the RSS before IG (MB). Usage:
 * `ig-memory <model> <steps> <internalBatch> <threads>`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllMethods } from '../methods/load-all.js';
import { getMethod } from '../methods/registry.js';
import { LumenModel } from '../model.js';
import { nodeRuntime } from '../node/runtime.js';
import { Tensor } from '../tensor.js';

const [name = 'mobilenet_v2', steps = '16', internalBatch = '8', threads = '2'] = process.argv.slice(2);
await loadAllMethods();
const bytes = new Uint8Array(readFileSync(join('bench', '.cache', `${name}-224-seed1234.onnx`)));
const model = LumenModel.fromBytes(bytes, { runtime: nodeRuntime({ threads: Number(threads) }), source: name });
const input = new Tensor(new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i)), [1, 3, 224, 224]);
await model.forward(input);
const mb = (b: number): number => b / 2 ** 20;
const base = mb(process.memoryUsage.rss());
const ig = getMethod('integrated-gradients');
const names = new Set(ig.info.options.map((o) => o.name));
const stepsName = names.has('nSteps') ? 'nSteps' : 'steps';
const batchName = names.has('internalBatchSize') ? 'internalBatchSize' : 'batchSize';
await ig.explain(model, input, { [stepsName]: Number(steps), [batchName]: Number(internalBatch) });
// maxRSS is in kB
const peak = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`peakMB=${peak.toFixed(1)} baseMB=${base.toFixed(1)}\n`);
