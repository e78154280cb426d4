import type { Tensor } from '../tensor.js';
import type { ImageGeometry } from './image-scoring.js';
import { relevanceMap } from './image-scoring.js';
import { minMaxNormalize, spearman, ssim } from './stats.js';

export interface MapSimilarity {
  /** Spearman rank correlation of the absolute per-pixel relevance (Adebayo et al. 2018 "absolute value" variant). */
  spearman: number;
  /** SSIM of the absolute maps, each min-max scaled to [0,1] (data range 1, Gaussian window 11, σ 1.5). */
  ssim: number;
}

/** How alike two explanations of the same image are, as Adebayo et al. 2018 compare them. */
export function mapSimilarity(a: Tensor, b: Tensor, geometry: ImageGeometry): MapSimilarity {
  const ma = relevanceMap(a, geometry).map(Math.abs);
  const mb = relevanceMap(b, geometry).map(Math.abs);
  return {
    spearman: spearman(ma, mb),
    ssim: ssim(minMaxNormalize(ma), minMaxNormalize(mb), geometry.height, geometry.width),
  };
}
