/** Concept- and example-based explanations (docs/concepts.md): what a layer represents, not only where. */
export { nmf, reconstructionError, type NmfOptions, type NmfResult } from './nmf.js';
export { conceptScores, headLogits, deepFeatureFactorization, factorizeActivations, reconstruct as reconstructFactorization, type DffOptions, type DffResult, type Factorization } from './dff.js';
export { tcav, tcavConcepts, MIN_CONCEPT_IMAGES, TCAV_SUBSAMPLE, type TcavOptions, type TcavRandom, type TcavResult } from './tcav.js';
export { logisticRegression, type LinearClassifier, type LogisticOptions } from './linear.js';
export { studentTTest, studentTwoSided, type TTestResult } from './stats.js';
export { mmdCritic, nearestByCosine, type MmdCriticOptions, type MmdCriticResult, type Neighbor } from './examples.js';
export { layerActivations, pooled as pooledEmbeddings, type LayerActivations } from './layer.js';
export { dffNotes, tcavNotes } from './notes.js';
export { craft, sobolConceptImportance, type CraftCrop, type CraftImportance, type CraftOptions, type CraftResult } from './craft.js';
export { haltonSequence, jansenTotalIndices, sobolDesign } from './sobol.js';
export {
  getConceptMethod,
  listConceptMethods,
  validateConceptCall,
  type ConceptMethod,
  type ConceptMethodId,
  type ConceptMethodInfo,
  type ConceptMethodTypes,
  type ConceptOptions,
  type ConceptOptionSpec,
  type Embeddings,
  type NeighborsResult,
  type PrototypesResult,
} from './registry.js';
