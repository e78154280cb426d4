import type { LumenModel } from '../model.js';
import type { Tensor } from '../tensor.js';
import type { TargetSpec } from '../targets/index.js';

export type MethodFamily = 'cam' | 'gradient' | 'perturbation' | 'attention';

/** A user-settable option of a method; drives CLI flags, web-app form fields and report text. */
export interface OptionSpec {
  /** camelCase name in the API; the CLI uses its kebab-case form. */
  name: string;
  type: 'number' | 'integer' | 'boolean' | 'string' | 'enum';
  default?: number | boolean | string;
  choices?: readonly string[];
  min?: number;
  /** `min` itself is refused too (a scale or width that must be > 0): the values are (min, max], not [min, max]. */
  exclusiveMin?: boolean;
  max?: number;
  /**
   * A number option that the API also takes as one value per channel (an array) or a Tensor, and a flag as 'a,b,c'
   * (occlusion's baselines). Any other number or integer option takes exactly one number: an array is refused.
   */
  perChannel?: boolean;
  description: string;
}

/**
 * The value an option has once registerMethod has parsed it (src/methods/validate.ts `parseOptionValues`): numbers
 * and integers as numbers, booleans as booleans, an enum as one of its choices; 'string' options (baselines, bounds,
 * window shapes) may also be numbers, lists or Tensors from the API, so the method reads those itself.
 */
export type OptionValue<S extends OptionSpec> = S['type'] extends 'number' | 'integer'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : S['type'] extends 'enum'
      ? S['choices'] extends readonly (infer C extends string)[] ? C : string
      : unknown;

/**
 * The parsed values of a declared option list (written `as const`, or inferred so by `familyInfo`/`registerMethod`):
 * an option with a declared default is always set; one without may be undefined. Specs whose name is not a literal
 * type add nothing.
 */
export type OptionValues<S extends readonly OptionSpec[]> = {
  [O in S[number] as string extends O['name'] ? never : O['name']]: O extends { default: number | boolean | string } ? OptionValue<O> : OptionValue<O> | undefined;
};

/**
 * The options a caller passes for a declared list: each declared option optional (registerMethod applies the
 * defaults), typed as its parsed value. A method adds the API-only forms its specs cannot express (a Tensor, a list of
 * numbers) beside it, saying why.
 */
export type OptionsOf<S extends readonly OptionSpec[]> = ExplainOptions & Partial<OptionValues<S>>;

/** The options `explain` receives for a declared list: checked and parsed by registerMethod (defaults applied). */
export type ParsedOptions<S extends readonly OptionSpec[]> = ExplainOptions & OptionValues<S>;

export interface MethodInfo {
  id: string;
  aliases: readonly string[];
  /** Human name, e.g. 'Grad-CAM'. */
  title: string;
  family: MethodFamily;
  /** One or two sentences: what the map means. */
  summary: string;
  needsGradients: boolean;
  needsBaseline: boolean;
  /** Uses a target layer (CAM methods). */
  needsLayer: boolean;
  /** 'map' = one channel at input resolution ([N,1,H,W]); 'input' = same shape as the input ([N,C,H,W]). */
  output: 'map' | 'input';
  /** Whether values can be negative (signed attributions are shown with a diverging colormap). */
  signed: boolean;
  /** Cost in passes, e.g. '1 forward + backward to the layer' or 'steps × (forward + backward)'. */
  cost: string;
  /** What it is checked against, e.g. 'pytorch-grad-cam 1.5.5 GradCAM'. */
  reference?: string;
  /** A known limit of the method from its literature, shown in the HTML report's "how to read this". */
  caveat?: string;
  options: readonly OptionSpec[];
}

export interface ProgressEvent {
  done: number;
  total: number;
  stage?: string;
}

/** Options every method accepts; method-specific options sit beside them. */
export interface ExplainOptions {
  target?: TargetSpec;
  /** Target layer(s) for CAM methods (ONNX tensor names); default = the model's default layer. */
  layer?: string | readonly string[];
  seed?: number;
  /** Forward passes per ORT run for methods that need many. */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  [option: string]: unknown;
}

export interface Timings {
  /** Building + compiling explanation graphs (0 when cached). */
  compileMs: number;
  runMs: number;
}

export interface Explanation {
  method: string;
  /** [N,1,H,W] for 'map' methods, [N,C,H,W] for 'input' methods, at the input's resolution. */
  attribution: Tensor;
  /** The class explained for each image (-1 for a weighted combination). */
  targets: number[];
  /** Method-specific extras: raw maps, channel weights, convergence delta, superpixels, R², … */
  extras: Record<string, Tensor | number | number[] | string | undefined>;
  timings: Timings;
}

export interface Method {
  readonly info: MethodInfo;
  explain(model: LumenModel, input: Tensor, options?: ExplainOptions): Promise<Explanation>;
}

/**
 * A method as its file writes it: `explain` receives the options registerMethod has validated and parsed against
 * `info.options` (defaults applied, strings from the CLI and forms converted), typed from the declared list.
 */
export interface MethodDefinition<S extends readonly OptionSpec[] = readonly OptionSpec[]> {
  readonly info: MethodInfo & { readonly options: S };
  explain(model: LumenModel, input: Tensor, options: ParsedOptions<S>): Promise<Explanation>;
}
