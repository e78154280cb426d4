/**
 * SVG plots of the tabular methods (self-contained, like chart.ts): PDP with ICE curves, ALE curves, 2-D PDP/ALE
 * heatmaps, and horizontal bar charts (permutation importance with its spread, Shapley values of a row).
 */
import type { AleResult } from '../methods/tabular/ale.js';
import type { ImportanceResult } from '../methods/tabular/importance.js';
import type { PdpResult } from '../methods/tabular/pdp.js';
import type { ShapResult } from '../methods/tabular/shap.js';
import type { TabularColumn } from '../tabular/dataset.js';
import { escapeXml, fmt, FONT, formatNumber, lineChartSvg, niceTicks, svgHeader, type ChartSeries } from './chart.js';
import { colormap, DIVERGING_COLORMAPS, type ColormapName } from './colormaps.js';
import { minMax } from '../math/min-max.js';

export interface Bar {
  label: string;
  value: number;
  /** Half-width of an error bar (e.g. a standard deviation). */
  error?: number;
}

/** Horizontal bars (one per label, top to bottom), signed values around a zero line, optional error bars. */
export function barChartSvg(bars: readonly Bar[], options: { title?: string; xLabel?: string; width?: number } = {}): string {
  const width = options.width ?? 560;
  const font = 11;
  const rowH = 18;
  const labelW = Math.min(220, 8 + font * 0.6 * Math.max(4, ...bars.map((b) => b.label.length)));
  const top = options.title ? 30 : 10;
  const plotH = rowH * bars.length;
  const height = top + plotH + font + 10 + (options.xLabel ? font + 12 : 0) + 6;
  const left = labelW + 6;
  const right = width - 16;
  const lo = Math.min(0, ...bars.map((b) => b.value - (b.error ?? 0)));
  const hi = Math.max(0, ...bars.map((b) => b.value + (b.error ?? 0)));
  const ticks = niceTicks([lo, hi], 5);
  const [x0, x1] = [ticks[0]!, ticks[ticks.length - 1]!];
  const px = (v: number): number => left + ((v - x0) / (x1 - x0 || 1)) * (right - left);
  const out = svgHeader(width, height, options.title);
  const bottom = top + plotH;
  for (const t of ticks) {
    out.push(`<line x1="${fmt(px(t))}" y1="${top}" x2="${fmt(px(t))}" y2="${bottom}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${fmt(px(t))}" y="${bottom + font + 3}" font-size="${font}" ${FONT} text-anchor="middle">${formatNumber(t)}</text>`);
  }
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const a = px(Math.min(0, b.value));
    const w = Math.abs(px(b.value) - px(0));
    const color = b.value >= 0 ? '#1f77b4' : '#d62728';
    out.push(`<text x="${labelW}" y="${fmt(y + rowH / 2 + font * 0.35)}" font-size="${font}" ${FONT} text-anchor="end">${escapeXml(b.label)}</text>`);
    out.push(`<rect x="${fmt(a)}" y="${fmt(y + 3)}" width="${fmt(Math.max(w, 0.5))}" height="${rowH - 6}" fill="${color}" data-label="${escapeXml(b.label)}" data-value="${b.value}"/>`);
    if (b.error) {
      const cy = fmt(y + rowH / 2);
      out.push(`<line x1="${fmt(px(b.value - b.error))}" y1="${cy}" x2="${fmt(px(b.value + b.error))}" y2="${cy}" stroke="#333333" stroke-width="1.2"/>`);
    }
  });
  out.push(`<line x1="${fmt(px(0))}" y1="${top}" x2="${fmt(px(0))}" y2="${bottom}" stroke="#333333"/>`);
  if (options.xLabel) out.push(`<text x="${fmt((left + right) / 2)}" y="${bottom + 2 * font + 12}" font-size="${font + 1}" ${FONT} text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface HeatmapOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Default 'viridis'; a diverging map ('RdBu', 'bwr') is centred at 0. */
  colormap?: ColormapName;
}

/**
 * Values at the points of a grid (values[i·ys.length + j] at (xs[i], ys[j])) as coloured cells whose borders are
 * halfway between neighbouring grid values, with a colour bar.
 */
export function heatmapSvg(xs: readonly number[], ys: readonly number[], values: ArrayLike<number>, options: HeatmapOptions = {}): string {
  const width = 520;
  const height = 420;
  const font = 11;
  const top = options.title ? 30 : 10;
  const left = 64;
  const right = width - 90;
  const bottom = height - 44;
  const name = options.colormap ?? 'viridis';
  const lut = colormap(name);
  let [lo, hi] = minMax(values);
  if ((DIVERGING_COLORMAPS as readonly string[]).includes(name)) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    [lo, hi] = [-m, m];
  }
  const colour = (v: number): string => {
    let t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    if (name === 'RdBu') t = 1 - t; // red for high values
    const k = Math.max(0, Math.min(255, Math.round(t * 255))) * 3;
    return `rgb(${lut[k]},${lut[k + 1]},${lut[k + 2]})`;
  };
  const bounds = (v: readonly number[]): number[] => {
    if (v.length === 1) return [v[0]! - 0.5, v[0]! + 0.5];
    const b = [v[0]! - (v[1]! - v[0]!) / 2];
    for (let i = 0; i < v.length - 1; i++) b.push((v[i]! + v[i + 1]!) / 2);
    b.push(v[v.length - 1]! + (v[v.length - 1]! - v[v.length - 2]!) / 2);
    return b;
  };
  const bx = bounds(xs);
  const by = bounds(ys);
  const px = (v: number): number => left + ((v - bx[0]!) / (bx[bx.length - 1]! - bx[0]! || 1)) * (right - left);
  const py = (v: number): number => bottom - ((v - by[0]!) / (by[by.length - 1]! - by[0]! || 1)) * (bottom - top);
  const out = svgHeader(width, height, options.title);
  for (let i = 0; i < xs.length; i++) {
    for (let j = 0; j < ys.length; j++) {
      const x = px(bx[i]!);
      const y = py(by[j + 1]!);
      out.push(`<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(px(bx[i + 1]!) - x + 0.3)}" height="${fmt(py(by[j]!) - y + 0.3)}" fill="${colour(values[i * ys.length + j]!)}"/>`);
    }
  }
  out.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#333333"/>`);
  for (const t of niceTicks([bx[0]!, bx[bx.length - 1]!], 5).filter((t) => t >= bx[0]! && t <= bx[bx.length - 1]!)) {
    out.push(`<text x="${fmt(px(t))}" y="${bottom + font + 3}" font-size="${font}" ${FONT} text-anchor="middle">${formatNumber(t)}</text>`);
  }
  for (const t of niceTicks([by[0]!, by[by.length - 1]!], 5).filter((t) => t >= by[0]! && t <= by[by.length - 1]!)) {
    out.push(`<text x="${left - 4}" y="${fmt(py(t) + font * 0.35)}" font-size="${font}" ${FONT} text-anchor="end">${formatNumber(t)}</text>`);
  }
  if (options.xLabel) out.push(`<text x="${(left + right) / 2}" y="${bottom + 2 * font + 12}" font-size="${font + 1}" ${FONT} text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel) out.push(`<text x="14" y="${(top + bottom) / 2}" font-size="${font + 1}" ${FONT} text-anchor="middle" transform="rotate(-90 14 ${(top + bottom) / 2})">${escapeXml(options.yLabel)}</text>`);
  // colour bar
  const cbx = right + 16;
  const steps = 64;
  for (let s = 0; s < steps; s++) {
    const v = lo + ((s + 0.5) / steps) * (hi - lo);
    const y = bottom - ((s + 1) / steps) * (bottom - top);
    out.push(`<rect x="${cbx}" y="${fmt(y)}" width="14" height="${fmt((bottom - top) / steps + 0.3)}" fill="${colour(v)}"/>`);
  }
  out.push(`<text x="${cbx + 18}" y="${top + font}" font-size="${font}" ${FONT}>${formatNumber(hi)}</text>`);
  out.push(`<text x="${cbx + 18}" y="${bottom}" font-size="${font}" ${FONT}>${formatNumber(lo)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** A PDP: the mean curve over at most `iceCurves` ICE curves (grey), or a heatmap for a pair; bars for a categorical feature. */
export function pdpSvg(result: PdpResult, columns: readonly TabularColumn[], options: { iceCurves?: number; title?: string } = {}): string {
  const label = result.centered ? `${result.responseLabel} − value at the first grid point` : result.responseLabel;
  if (result.features.length === 2) {
    return heatmapSvg(result.grid[0]!, result.grid[1]!, result.average, { title: options.title ?? `Partial dependence of ${result.responseLabel}`, xLabel: result.features[0], yLabel: result.features[1] });
  }
  const col = columns[0];
  if (col?.kind === 'categorical') {
    const bars = result.grid[0]!.map((k, p) => ({ label: col.categories![k] ?? String(k), value: result.average[p]! }));
    return barChartSvg(bars, { title: options.title ?? `Partial dependence: ${result.features[0]}`, xLabel: label });
  }
  const g = result.grid[0]!;
  const series: ChartSeries[] = [];
  const curves = Math.min(options.iceCurves ?? 0, result.rows);
  // evenly spaced rows, so a large dataset still shows its spread
  for (let c = 0; c < curves; c++) {
    const i = Math.floor((c * result.rows) / curves);
    series.push({ name: `row ${i}`, x: g, y: result.individual.subarray(i * g.length, (i + 1) * g.length), color: '#c7c7c7' });
  }
  series.push({ name: 'PDP', x: g, y: result.average, color: '#d62728' });
  return lineChartSvg(series, { title: options.title ?? `${curves > 0 ? 'ICE and partial dependence' : 'Partial dependence'}: ${result.features[0]}`, xLabel: result.features[0], yLabel: label, legend: false, width: 560, height: 380 });
}

export function aleSvg(result: AleResult, options: { title?: string } = {}): string {
  if (result.features.length === 2) {
    return heatmapSvg(result.edges[0]!, result.edges[1]!, result.values, { title: options.title ?? `Second-order ALE of ${result.responseLabel}`, xLabel: result.features[0], yLabel: result.features[1], colormap: 'RdBu' });
  }
  return lineChartSvg([{ name: 'ALE', x: result.edges[0]!, y: result.values, color: '#1f77b4' }], {
    title: options.title ?? `Accumulated local effects: ${result.features[0]}`,
    xLabel: result.features[0],
    yLabel: `ALE of ${result.responseLabel}`,
    legend: false,
    width: 560,
    height: 380,
  });
}

/** Permutation importances, largest first (at most `top`), with ± one standard deviation. */
export function importanceSvg(result: ImportanceResult, options: { top?: number } = {}): string {
  const order = [...result.mean.keys()].sort((a, b) => result.mean[b]! - result.mean[a]!).slice(0, options.top ?? 30);
  return barChartSvg(order.map((j) => ({ label: result.features[j]!, value: result.mean[j]!, error: result.std[j]! })), {
    title: `Permutation importance (${result.repeats} repeats)`,
    xLabel: `drop in ${result.metric === 'log-loss' || result.metric === 'mse' || result.metric === 'mae' ? `−${result.metric}` : result.metric} (baseline ${formatNumber(result.baseline)})`,
  });
}

/** Shapley values of explained row k, largest |φ| first (at most `top`). */
export function shapSvg(result: ShapResult, k: number, options: { top?: number } = {}): string {
  const M = result.features.length;
  const phi = result.values.subarray(k * M, (k + 1) * M);
  const order = [...phi.keys()].sort((a, b) => Math.abs(phi[b]!) - Math.abs(phi[a]!)).slice(0, options.top ?? 20);
  return barChartSvg(order.map((j) => ({ label: result.features[j]!, value: phi[j]! })), {
    title: `Shapley values, row ${result.rows[k]} (${result.algorithm === 'exact' ? 'exact' : 'KernelSHAP'})`,
    xLabel: `φ of ${result.responseLabel}: f(x) = ${formatNumber(result.fx[k]!)}, base ${formatNumber(result.baseValue)}`,
  });
}

/** Mean |φ| over the explained rows (a global summary of several rows' Shapley values). */
export function shapSummarySvg(result: ShapResult, options: { top?: number } = {}): string {
  const M = result.features.length;
  const n = result.rows.length;
  const meanAbs = result.features.map((_, j) => {
    let s = 0;
    for (let k = 0; k < n; k++) s += Math.abs(result.values[k * M + j]!);
    return s / n;
  });
  const order = [...meanAbs.keys()].sort((a, b) => meanAbs[b]! - meanAbs[a]!).slice(0, options.top ?? 20);
  return barChartSvg(order.map((j) => ({ label: result.features[j]!, value: meanAbs[j]! })), {
    title: `Mean |Shapley value| over ${n} rows`,
    xLabel: `mean |φ| of ${result.responseLabel}`,
  });
}
