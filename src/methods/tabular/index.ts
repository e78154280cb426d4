/**
 * Global explanations of feature-vector (tabular) models: PDP / ICE, ALE, permutation importance and Shapley values
 * over a dataset. They explain a model over many rows, so they take a TabularModel (model + dataset + response)
 * instead of the image methods' explain(model, input, options).
 */
export { TabularModel, type TabularModelOptions, type TabularOutput } from './model.js';
export { partialDependence, columnGrid, type PdpOptions, type PdpResult } from './pdp.js';
export { accumulatedLocalEffects, type AleOptions, type AleResult } from './ale.js';
export { permutationImportance, type ImportanceMetric, type ImportanceOptions, type ImportanceResult } from './importance.js';
export { shapValues, exactShapley, MAX_EXACT_FEATURES, type ShapOptions, type ShapResult } from './shap.js';
export { featureGrid, aleBins, mquantile, type GridKind, type GridOptions as TabularGridOptions, type AleBins } from './grid.js';
export { TABULAR_METHODS, type TabularMethodInfo } from './info.js';
