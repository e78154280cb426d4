import type { GradientRule } from './types.js';

const rules = new Map<string, GradientRule>();

/** Register the plain (true-gradient) rule of an op type. One file per op under rules/ calls this. */
export function registerGradient(opType: string, rule: GradientRule): void {
  rules.set(opType, rule);
}

export function gradientRule(opType: string): GradientRule | undefined {
  return rules.get(opType);
}

export function registeredOps(): string[] {
  return [...rules.keys()].sort();
}

/**
 * Ops whose outputs carry no gradient (shape arithmetic, comparisons, index outputs). The builder never walks
 * through them, so e.g. a Reshape whose target comes from Shape(x) is differentiated only w.r.t. its data.
 */
export const NON_DIFFERENTIABLE = new Set([
  'Shape', 'Size', 'Constant', 'ConstantOfShape', 'ArgMax', 'ArgMin', 'NonZero', 'Equal', 'Greater', 'Less', 'GreaterOrEqual',
  'LessOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf', 'Sign', 'Floor', 'Ceil', 'Round', 'RandomNormal', 'RandomUniform',
  'RandomNormalLike', 'RandomUniformLike', 'Range', 'OneHot', 'EyeLike',
]);
