import type { LumenModel } from '../model.js';
import { OnnxGraph } from '../onnx/graph.js';
import { Tensor } from '../tensor.js';
import { seedRows, targetTensor, type ResolvedTargets } from './resolve.js';
import { appendTargetScore, TARGET_SEED_INPUT } from './score.js';

/** What an in-session score needs of a resolved target: its seed, transform and tensor. */
export type ScoredTarget = Pick<ResolvedTargets, 'seed' | 'output' | 'tensor'>;

/**
 * The explained scalar of each image of `input`, computed inside the ORT session (seed graph as ONNX nodes,
 * src/targets/score.ts): only [N] numbers are fetched, not the target tensor. Image i is scored with seed row
 * `seedRow(i)` (default: its own); the same value as `targetScores` on the forwarded tensor.
 */
export async function forwardScores(model: LumenModel, input: Tensor, targets: ScoredTarget, seedRow: (i: number) => number = (i) => i): Promise<Float64Array> {
  model.checkInput(input);
  const n = input.dims[0]!;
  const tensor = targetTensor(model, targets);
  const rank = targets.seed.rank;
  const session = await model.session(`score:${targets.output}:${rank}:${tensor}`, () => {
    const g = OnnxGraph.copyOf(model.proto);
    appendTargetScore(g, tensor, targets.output, rank);
    return g;
  });
  const name = session.outputNames[0]!;
  const result = await session.run({ [model.inputName]: input, [TARGET_SEED_INPUT]: rowsFor(targets, n, seedRow) }, [name]);
  return Float64Array.from(result[name]!.data);
}

/** One broadcast row when every image uses the same seed row, else [n, …] rows. */
export function rowsFor(targets: Pick<ResolvedTargets, 'seed'>, n: number, seedRow: (i: number) => number): Tensor {
  const first = seedRow(0);
  let same = true;
  for (let i = 1; i < n && same; i++) same = seedRow(i) === first;
  return seedRows(targets, same ? 1 : n, same ? () => first : seedRow);
}
