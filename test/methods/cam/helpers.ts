// Shared conformance-set helpers live in test/helpers/conformance.ts.
export * from '../../helpers/conformance.js';
