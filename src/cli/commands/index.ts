import type { Command } from 'commander';
import { registerActivations } from './activations.js';
import { registerBench } from './bench.js';
import { registerConcepts } from './concepts.js';
import { registerConformance } from './conformance.js';
import { registerConvert } from './convert.js';
import { registerDemo } from './demo.js';
import { registerEvaluate } from './evaluate.js';
import { registerExplain } from './explain.js';
import { registerExport } from './export.js';
import { registerLayers } from './layers.js';
import { registerMerge } from './merge.js';
import { registerMethods } from './methods.js';
import { registerPredict } from './predict.js';
import { registerReport } from './report.js';
import { registerServe } from './serve.js';
import { registerTabular } from './tabular.js';

/** Every `lumen` subcommand; each lives in its own file. */
export function registerCommands(program: Command): void {
  registerPredict(program);
  registerLayers(program);
  registerExplain(program);
  registerEvaluate(program);
  registerExport(program);
  registerActivations(program);
  registerReport(program);
  registerMerge(program);
  registerDemo(program);
  registerMethods(program);
  registerConformance(program);
  registerConvert(program);
  registerServe(program);
  registerBench(program);
  registerTabular(program);
  registerConcepts(program);
}
