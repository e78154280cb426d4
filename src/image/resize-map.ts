/**
 * Resizes of single-channel float maps, each reproducing one reference library exactly: CAM post-processing must
 * match pytorch-grad-cam / Captum to 1e-4, so the sampling conventions matter more than image quality here.
 */

/** cv2.resize INTER_LINEAR on float maps: half-pixel centres, border-clamped, no antialiasing. */
export function resizeMapBilinear(map: Float32Array, inW: number, inH: number, outW: number, outH: number): Float32Array {
  return sample(map, inW, linearTaps(inW, outW), linearTaps(inH, outH), outW, outH);
}

/** torch F.interpolate(mode='nearest'): src = floor(dst · in/out). */
export function resizeMapNearest(map: Float32Array, inW: number, inH: number, outW: number, outH: number): Float32Array {
  const out = new Float32Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(Math.floor((y * inH) / outH), inH - 1);
    for (let x = 0; x < outW; x++) {
      const sx = Math.min(Math.floor((x * inW) / outW), inW - 1);
      out[y * outW + x] = map[sy * inW + sx]!;
    }
  }
  return out;
}

/** torch nn.UpsamplingBilinear2d (bilinear, align_corners=True): src = dst · (in−1)/(out−1). */
export function resizeMapBilinearAlignCorners(map: Float32Array, inW: number, inH: number, outW: number, outH: number): Float32Array {
  const taps = (n: number, m: number): { i0: Int32Array; i1: Int32Array; f: Float64Array } => {
    const i0 = new Int32Array(m);
    const i1 = new Int32Array(m);
    const f = new Float64Array(m);
    const scale = m > 1 ? (n - 1) / (m - 1) : 0;
    for (let d = 0; d < m; d++) {
      const s = d * scale;
      const lo = Math.min(Math.floor(s), n - 1);
      i0[d] = lo;
      i1[d] = Math.min(lo + 1, n - 1);
      f[d] = s - lo;
    }
    return { i0, i1, f };
  };
  return sample(map, inW, taps(inW, outW), taps(inH, outH), outW, outH);
}

function linearTaps(n: number, m: number): { i0: Int32Array; i1: Int32Array; f: Float64Array } {
  const i0 = new Int32Array(m);
  const i1 = new Int32Array(m);
  const f = new Float64Array(m);
  const scale = n / m;
  for (let d = 0; d < m; d++) {
    const s = (d + 0.5) * scale - 0.5;
    let lo = Math.floor(s);
    let frac = s - lo;
    if (lo < 0) {
      lo = 0;
      frac = 0;
    }
    if (lo >= n - 1) {
      lo = n - 1;
      frac = 0;
    }
    i0[d] = lo;
    i1[d] = Math.min(lo + 1, n - 1);
    f[d] = frac;
  }
  return { i0, i1, f };
}

function sample(map: Float32Array, inW: number, xs: ReturnType<typeof linearTaps>, ys: ReturnType<typeof linearTaps>, outW: number, outH: number): Float32Array {
  const out = new Float32Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    const r0 = ys.i0[y]! * inW;
    const r1 = ys.i1[y]! * inW;
    const fy = ys.f[y]!;
    for (let x = 0; x < outW; x++) {
      const fx = xs.f[x]!;
      const top = map[r0 + xs.i0[x]!]! * (1 - fx) + map[r0 + xs.i1[x]!]! * fx;
      const bottom = map[r1 + xs.i0[x]!]! * (1 - fx) + map[r1 + xs.i1[x]!]! * fx;
      out[y * outW + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}
