/** The attention family (vision transformers): importing this module registers every method. */
export { attentionRollout, rolloutRow, fuseHeads, HEAD_FUSIONS, type HeadFusion } from './rollout.js';
export { attentionRelevance, relevanceRow } from './relevance.js';
export { attentionBlocks, type AttentionBlocks } from './attention-blocks.js';
