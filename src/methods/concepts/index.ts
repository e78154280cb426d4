/** Concept- and example-based explanations (docs/concepts.md): what a layer represents, not only where. */
export { nmf, reconstructionError, type NmfOptions, type NmfResult } from './nmf.js';
export { conceptScores, deepFeatureFactorization, factorizeActivations, reconstruct as reconstructFactorization, type DffOptions, type DffResult, type Factorization } from './dff.js';
export { tcav, MIN_CONCEPT_IMAGES, TCAV_SUBSAMPLE, type TcavOptions, type TcavResult } from './tcav.js';
export { logisticRegression, type LinearClassifier, type LogisticOptions } from './linear.js';
export { studentTTest, studentTwoSided, type TTestResult } from './stats.js';
export { mmdCritic, nearestByCosine, type MmdCriticOptions, type MmdCriticResult, type Neighbor } from './examples.js';
export { layerActivations, pooled as pooledEmbeddings, type LayerActivations } from './layer.js';
export { craft, type CraftCrop, type CraftOptions, type CraftResult } from './craft.js';
