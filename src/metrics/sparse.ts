/**
 * A small sparse SPD solver for ROAD's imputation systems. The unknowns are pixels and every equation couples a
 * pixel to its 8 neighbours, so matrices are stored as 3×3 stencils: 9 slots per row, slot (dy+1)·3 + (dx+1),
 * column −1 when empty. Conjugate gradients are preconditioned by an aggregation multigrid V-cycle: 2×2 pixel
 * blocks become one coarse unknown, coarse operators are Galerkin products PᵀAP (again 3×3 stencils), smoothing is
 * symmetric Gauss–Seidel. Plain Jacobi-CG needs ~800 iterations for a 224×224 image with a 90 % hole; this ~20.
 */

export interface StencilMatrix {
  n: number;
  /** Grid coordinates of each unknown on its level. */
  ys: Int32Array;
  xs: Int32Array;
  /** n × 9 neighbour columns (−1 = none) and values; slot 4 is the diagonal. */
  cols: Int32Array;
  vals: Float64Array;
}

export function stencilMatrix(ys: Int32Array, xs: Int32Array): StencilMatrix {
  const n = ys.length;
  return { n, ys, xs, cols: new Int32Array(n * 9).fill(-1), vals: new Float64Array(n * 9) };
}

export function multiply(a: StencilMatrix, x: Float64Array, out: Float64Array): void {
  const { cols, vals } = a;
  for (let i = 0; i < a.n; i++) {
    let s = 0;
    for (let k = i * 9; k < i * 9 + 9; k++) {
      const j = cols[k]!;
      if (j >= 0) s += vals[k]! * x[j]!;
    }
    out[i] = s;
  }
}

export interface Level {
  a: StencilMatrix;
  /** Fine unknown → coarse unknown (absent on the coarsest level). */
  aggregate?: Int32Array;
  coarse?: Level;
}

/** Multigrid hierarchy by 2×2 block aggregation, down to at most `coarsest` unknowns. */
export function buildHierarchy(a: StencilMatrix, coarsest = 64): Level {
  const level: Level = { a };
  if (a.n <= coarsest) return level;
  let width = 0;
  for (let i = 0; i < a.n; i++) width = Math.max(width, a.xs[i]! + 1);
  const cw = (width + 1) >> 1;
  const ids = new Map<number, number>();
  const aggregate = new Int32Array(a.n);
  const cy: number[] = [];
  const cx: number[] = [];
  for (let i = 0; i < a.n; i++) {
    const by = a.ys[i]! >> 1;
    const bx = a.xs[i]! >> 1;
    const key = by * cw + bx;
    let id = ids.get(key);
    if (id === undefined) {
      id = cy.length;
      ids.set(key, id);
      cy.push(by);
      cx.push(bx);
    }
    aggregate[i] = id;
  }
  if (cy.length >= a.n) return level;
  const c = stencilMatrix(Int32Array.from(cy), Int32Array.from(cx));
  for (let i = 0; i < a.n; i++) {
    const I = aggregate[i]!;
    for (let k = i * 9; k < i * 9 + 9; k++) {
      const j = a.cols[k]!;
      if (j < 0) continue;
      const J = aggregate[j]!;
      const slot = (c.ys[J]! - c.ys[I]! + 1) * 3 + (c.xs[J]! - c.xs[I]! + 1);
      c.cols[I * 9 + slot] = J;
      c.vals[I * 9 + slot] += a.vals[k]!;
    }
  }
  level.aggregate = aggregate;
  level.coarse = buildHierarchy(c, coarsest);
  return level;
}

function gaussSeidel(a: StencilMatrix, x: Float64Array, b: Float64Array, backward: boolean): void {
  const { cols, vals } = a;
  for (let t = 0; t < a.n; t++) {
    const i = backward ? a.n - 1 - t : t;
    let s = b[i]!;
    for (let k = i * 9; k < i * 9 + 9; k++) {
      const j = cols[k]!;
      if (j >= 0 && j !== i) s -= vals[k]! * x[j]!;
    }
    x[i] = s / vals[i * 9 + 4]!;
  }
}

/**
 * Over-correction of the coarse-grid correction: plain (piecewise-constant) aggregation underestimates smooth
 * errors; scaling by ~1.7 (Braess 1995, "Towards algebraic multigrid for elliptic problems of second order")
 * cuts CG iterations from ~50 to ~20 on ROAD systems. The operator stays symmetric, as CG needs.
 */
const COARSE_SCALE = 1.7;

/** One symmetric V-cycle for A e = r from e = 0 (a fixed symmetric linear operator, so usable inside CG). */
export function vCycle(level: Level, r: Float64Array): Float64Array {
  const { a } = level;
  const e = new Float64Array(a.n);
  if (!level.coarse) {
    for (let s = 0; s < 20; s++) {
      gaussSeidel(a, e, r, false);
      gaussSeidel(a, e, r, true);
    }
    return e;
  }
  gaussSeidel(a, e, r, false);
  const ae = new Float64Array(a.n);
  multiply(a, e, ae);
  const agg = level.aggregate!;
  const rc = new Float64Array(level.coarse.a.n);
  for (let i = 0; i < a.n; i++) rc[agg[i]!] += r[i]! - ae[i]!;
  const ec = vCycle(level.coarse, rc);
  for (let i = 0; i < a.n; i++) e[i] += COARSE_SCALE * ec[agg[i]!]!;
  gaussSeidel(a, e, r, true);
  return e;
}

/** Preconditioned conjugate gradients; stops when ‖b − Ax‖ ≤ tolerance·‖b‖. */
export function solveSpd(a: StencilMatrix, b: Float64Array, precondition: (r: Float64Array) => Float64Array, tolerance = 1e-10, maxIterations = 2000): { x: Float64Array; iterations: number } {
  const n = a.n;
  const x = new Float64Array(n);
  const bNorm = Math.sqrt(dot(b, b));
  if (bNorm === 0) return { x, iterations: 0 };
  const r = Float64Array.from(b);
  let z = precondition(r);
  const p = Float64Array.from(z);
  const ap = new Float64Array(n);
  let rz = dot(r, z);
  let it = 0;
  for (; it < maxIterations; it++) {
    if (Math.sqrt(dot(r, r)) <= tolerance * bNorm) break;
    multiply(a, p, ap);
    const alpha = rz / dot(p, ap);
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i]!;
      r[i] -= alpha * ap[i]!;
    }
    z = precondition(r);
    const rzNext = dot(r, z);
    const beta = rzNext / rz;
    rz = rzNext;
    for (let i = 0; i < n; i++) p[i] = z[i]! + beta * p[i]!;
  }
  return { x, iterations: it };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
