import type { Prediction } from '../../src/browser.js';
import type { CurveScores } from './scores.js';

/**
 * The page's test hook (window.__lumen, set by main.ts): the browser tests (test/web/e2e, tfjs-e2e, targets) read
 * the model, input, predictions and attribution values from here and compare them with the Node API.
 */
export interface TestHook {
  ready: boolean;
  busy: boolean;
  runs: number;
  errors: string[];
  model(): { name: string; inputDims: number[]; layers: string[]; defaultLayer?: string } | undefined;
  input(): { dims: number[]; data: number[] } | undefined;
  predictions(): Prediction[];
  /** The class map's categories or the boxes after NMS shown under Predictions (undefined for a classifier). */
  structured(): { kind: string; categories?: { category: number; pixels: number }[]; detections?: { index: number; cls: number; score: number; box: { x0: number; y0: number; x1: number; y1: number } }[]; map?: number[] } | undefined;
  results(): { method: string; target: number; layer?: string; dims: number[]; attribution: number[]; map: number[]; scores?: CurveScores }[];
}
