/**
 * Occlusion (Zeiler & Fergus 2014) with Captum's semantics: a window of shape (c, h, w) slides over the (C, H, W)
 * input with strides (sc, sh, sw); ceil((D − w)/s) + 1 positions per dimension, the last one clipped at the border.
 * Each position j is replaced by the baseline and d_j = f(x) − f(x with window j = baseline). A value's attribution is
 * the mean of d_j over the windows that cover it (Σ_{j∋p} d_j / #{j∋p}).
 */
import { LumenError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { ExplainOptions, Explanation, Method, OptionValues } from '../types.js';
import type { LumenModel } from '../../model.js';
import { PerturbationRun, type PreparedImage } from './perturbation-run.js';
import { intListOption } from '../../options.js';
import { familyInfo } from '../family.js';
import { batchSizeOption } from '../common-options.js';

export const occlusionInfo = familyInfo('perturbation', {
  id: 'occlusion',
  aliases: ['sliding-window', 'occlusion-sensitivity'],
  title: 'Occlusion',
  summary:
    'How much the explained score drops when a sliding window around each pixel is replaced by a baseline (Captum Occlusion). Positive = the region supports the class.',
  output: 'input',
  cost: '1 + Π_d (ceil((D_d − window_d) / stride_d) + 1) forward passes per image (d over C, H, W); 225 for 64×64 with 8×8 windows, stride 4',
  reference: 'Captum 0.8.0 Occlusion (conformance: every Occlusion reference, window (C,8,8), stride (C,4,4), baseline 0)',
  options: [
    {
      name: 'slidingWindowShapes',
      type: 'string',
      description:
        "Window shape: 'h,w' (all channels) or 'c,h,w', or one number for a square spanning all channels. Default: 8 for images up to 64 px on their shorter side, else round(shorter side / 8).",
    },
    {
      name: 'strides',
      type: 'string',
      description: "Window step, same forms as slidingWindowShapes ('c,h,w', 'h,w' or one number). Default: half the window (rounded up), all channels at once.",
    },
    {
      name: 'baselines',
      type: 'number',
      default: 0,
      perChannel: true,
      description: 'Value occluded windows take, in the normalized input space (0 = dataset mean). API: also a Tensor of the input shape, one image, or one value per channel.',
    },
    batchSizeOption(32, 'Occluded images per forward pass.'),
  ],
});

/** The window and stride for an image of C×H×W, from the options (see the option descriptions for defaults). */
export function occlusionGeometry(options: ExplainOptions, C: number, H: number, W: number): { window: [number, number, number]; stride: [number, number, number] } {
  const short = Math.min(H, W);
  const auto = short <= 64 ? 8 : Math.max(1, Math.round(short / 8));
  const expand = (v: number[] | undefined, name: string, fallback: [number, number, number]): [number, number, number] => {
    if (!v) return fallback;
    if (v.length === 1) return [C, v[0]!, v[0]!];
    if (v.length === 2) return [C, v[0]!, v[1]!];
    if (v.length === 3) return [v[0]!, v[1]!, v[2]!];
    throw new LumenError('BAD_OPTION', `option ${name}: give 1, 2 or 3 integers (got ${v.length})`, 2);
  };
  const window = expand(intListOption(options, 'slidingWindowShapes'), 'slidingWindowShapes', [C, Math.min(auto, H), Math.min(auto, W)]);
  const stride = expand(intListOption(options, 'strides'), 'strides', [C, Math.max(1, Math.ceil(window[1] / 2)), Math.max(1, Math.ceil(window[2] / 2))]);
  const dims = [C, H, W];
  for (let d = 0; d < 3; d++) {
    if (window[d]! > dims[d]!) throw new LumenError('BAD_OPTION', `occlusion window (${window.join(',')}) is larger than the input (${dims.join(',')})`, 2);
    // Captum: a stride larger than the window would leave values never occluded.
    if (stride[d]! > window[d]! && window[d] !== dims[d]) throw new LumenError('BAD_OPTION', `occlusion stride (${stride.join(',')}) exceeds the window (${window.join(',')}): some values would never be occluded`, 2);
  }
  return { window, stride };
}

/** Baseline values for one image (C·H·W, planar), from a number, a per-channel list or a Tensor. */
function baselineFor(options: ExplainOptions, image: PreparedImage): Float32Array {
  const size = image.channels * image.pixels;
  const b = options.baselines;
  // (a single value arrives as a number: registerMethod has applied the default and converted flag text)
  if (typeof b === 'number') return new Float32Array(size).fill(b);
  const values = b instanceof Tensor ? b.data : Array.isArray(b) ? Float32Array.from(b as number[]) : undefined;
  if (!values) throw new LumenError('BAD_OPTION', 'option baselines: expected a number, a per-channel array or a Tensor', 2);
  if (values.length === image.channels) {
    const out = new Float32Array(size);
    for (let c = 0; c < image.channels; c++) out.fill(values[c]!, c * image.pixels, (c + 1) * image.pixels);
    return out;
  }
  if (values.length === size || (values.length % size === 0 && values.length / size > image.index)) {
    const start = values.length === size ? 0 : image.index * size;
    return Float32Array.from(values.subarray(start, start + size));
  }
  throw new LumenError('BAD_OPTION', `option baselines has ${values.length} values; expected 1, ${image.channels} (per channel) or ${size} (one image)`, 2);
}

/**
 * Captum Occlusion's windows along one axis of length `dim`: [start, end) of each, starts 0, s, 2s, … while a whole
 * window fits, plus the last one that reaches past the end (ceil((dim − w)/s) + 1 windows), clipped to the axis.
 * `explain` and the ONNX export (src/export) place them with it.
 */
export function windowSpans(dim: number, window: number, stride: number): [start: number, end: number][] {
  return Array.from({ length: Math.ceil((dim - window) / stride) + 1 }, (_, j) => [j * stride, Math.min(j * stride + window, dim)]);
}

async function explainOcclusion(model: LumenModel, input: Tensor, options: ExplainOptions & OptionValues<typeof occlusionInfo.options>): Promise<Explanation> {
  const run = await PerturbationRun.start(model, input, options);
  const first = run.images[0]!;
  const { window, stride } = occlusionGeometry(options, first.channels, first.height, first.width);
  const spans = [windowSpans(first.channels, window[0], stride[0]), windowSpans(first.height, window[1], stride[1]), windowSpans(first.width, window[2], stride[2])] as const;
  const [nc, ny, nx] = spans.map((s) => s.length) as [number, number, number];
  const perImage = nc * ny * nx;
  run.plan(perImage * run.images.length);

  const maps: Float32Array[] = [];
  for (const image of run.images) {
    const { channels: C, width: W, pixels: P } = image;
    const baseline = baselineFor(options, image);
    // Window j = (jc, jy, jx) covers its span in each dimension.
    const range = (j: number): [number, number, number, number, number, number] => {
      const [c0, c1] = spans[0][Math.floor(j / (ny * nx))]!;
      const [y0, y1] = spans[1][Math.floor(j / nx) % ny]!;
      const [x0, x1] = spans[2][j % nx]!;
      return [c0, c1, y0, y1, x0, x1];
    };
    const scores = await run.score(
      image,
      perImage,
      (j, out) => {
        out.set(image.data);
        const [c0, c1, y0, y1, x0, x1] = range(j);
        for (let c = c0; c < c1; c++) {
          for (let y = y0; y < y1; y++) {
            const o = c * P + y * W;
            out.set(baseline.subarray(o + x0, o + x1), o + x0);
          }
        }
      },
      'occlusion',
    );
    const sum = new Float64Array(C * P);
    const hits = new Float64Array(C * P);
    for (let j = 0; j < perImage; j++) {
      const d = image.score - scores[j]!;
      const [c0, c1, y0, y1, x0, x1] = range(j);
      for (let c = c0; c < c1; c++) {
        for (let y = y0; y < y1; y++) {
          const o = c * P + y * W;
          for (let x = x0; x < x1; x++) {
            sum[o + x]! += d;
            hits[o + x]! += 1;
          }
        }
      }
    }
    const map = new Float32Array(C * P);
    for (let i = 0; i < map.length; i++) map[i] = hits[i]! > 0 ? sum[i]! / hits[i]! : 0;
    maps.push(map);
  }
  return run.finish('occlusion', maps, first.channels, {
    window: [...window],
    stride: [...stride],
    passes: 1 + perImage,
  });
}

export const occlusion: Method = registerMethod({ info: occlusionInfo, explain: explainOcclusion });
