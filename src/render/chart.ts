import { LumenError } from '../errors.js';
import { minMax } from '../math/min-max.js';

export interface ChartSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Any SVG colour. Default: the next colour of a 10-colour palette (matplotlib's "tab10"). */
  color?: string;
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Default 480. */
  width?: number;
  /** Default 320. */
  height?: number;
  /** Axis ranges; default: the data range widened to round tick values. */
  xRange?: [number, number];
  yRange?: [number, number];
  /** Show the legend. Default: when there is more than one series. */
  legend?: boolean;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
/** The font attribute of every SVG plot's text. */
export const FONT = 'font-family="sans-serif"';
/**
 * A line chart as self-contained SVG text (no external fonts, scripts or images), e.g. deletion/insertion curves.
 * Each series is one <path> with one M/L command per finite point (a non-finite y starts a new sub-path);
 * the path carries `data-series="<name>"`. Text and tick counts shrink for small charts (under 320 px wide).
 */
export function lineChartSvg(series: readonly ChartSeries[], options: LineChartOptions = {}): string {
  const { title, xLabel, yLabel, width = 480, height = 320 } = options;
  const showLegend = options.legend ?? series.length > 1;
  for (const s of series) {
    if (s.x.length !== s.y.length) {
      throw new LumenError('BAD_OPTION', `series '${s.name}' has ${s.x.length} x values and ${s.y.length} y values`, 2);
    }
  }
  const small = width < 320 || height < 200;
  const font = small ? 9 : 11;
  const titleFont = small ? 11 : 14;
  const charWidth = font * 0.6; // average sans-serif advance, for layout only

  // Legend entries flow in rows under the plot (outside it, so they never hide a curve).
  const legendRows: { series: number; x: number }[][] = [];
  if (showLegend) {
    let row: { series: number; x: number }[] = [];
    let x = 0;
    series.forEach((s, i) => {
      const entryWidth = 22 + charWidth * s.name.length + (small ? 10 : 16);
      if (row.length > 0 && 8 + x + entryWidth > width - 4) {
        legendRows.push(row);
        row = [];
        x = 0;
      }
      row.push({ series: i, x });
      x += entryWidth;
    });
    if (row.length > 0) legendRows.push(row);
  }
  const legendLine = font + 6;
  const legendTop = height - 4 - legendLine * legendRows.length;
  const top = title ? titleFont + 14 : font;
  const bottom = legendTop - (font + 6) - (xLabel ? font + 8 : 0) - 4;

  const xs = series.flatMap((s) => finitePairs(s).map(([x]) => x));
  const ys = series.flatMap((s) => finitePairs(s).map(([, y]) => y));
  const yTicks = niceTicks(options.yRange ?? extent(ys), clampCount((bottom - top) / (font * 2.5), 2, 5), options.yRange !== undefined);
  const yTickWidth = charWidth * Math.max(...yTicks.map((t) => formatNumber(t).length));
  const left = 8 + yTickWidth + (yLabel ? font + 8 : 0);
  const right = width - Math.max(10, charWidth * 2);
  const xTicks = niceTicks(options.xRange ?? extent(xs), clampCount((right - left) / (font * 4.5), 2, 6), options.xRange !== undefined);
  if (right - left < 10 || bottom - top < 10) {
    throw new LumenError('BAD_OPTION', `chart ${width}×${height} is too small for its labels`, 2);
  }
  const [x0, x1] = [xTicks[0]!, xTicks[xTicks.length - 1]!];
  const [y0, y1] = [yTicks[0]!, yTicks[yTicks.length - 1]!];
  const px = (x: number): number => left + ((x - x0) / (x1 - x0 || 1)) * (right - left);
  const py = (y: number): number => bottom - ((y - y0) / (y1 - y0 || 1)) * (bottom - top);
  const text = (x: number, y: number, size: number, content: string, extra = ''): string =>
    `<text x="${fmt(x)}" y="${fmt(y)}" font-size="${size}" ${FONT}${extra}>${escapeXml(content)}</text>`;

  const out = svgHeader(width, height, title, titleFont);
  // Grid lines and tick labels.
  for (const t of xTicks) {
    const x = fmt(px(t));
    out.push(`<line x1="${x}" y1="${fmt(top)}" x2="${x}" y2="${fmt(bottom)}" stroke="#e5e5e5" stroke-width="1"/>`);
    out.push(text(px(t), bottom + font + 3, font, formatNumber(t), ' text-anchor="middle"'));
  }
  for (const t of yTicks) {
    const y = fmt(py(t));
    out.push(`<line x1="${fmt(left)}" y1="${y}" x2="${fmt(right)}" y2="${y}" stroke="#e5e5e5" stroke-width="1"/>`);
    out.push(text(left - 4, py(t) + font * 0.35, font, formatNumber(t), ' text-anchor="end"'));
  }
  out.push(
    `<rect x="${fmt(left)}" y="${fmt(top)}" width="${fmt(right - left)}" height="${fmt(bottom - top)}" fill="none" stroke="#333333" stroke-width="1"/>`,
  );
  if (xLabel) out.push(text((left + right) / 2, bottom + 2 * font + 10, font + 1, xLabel, ' text-anchor="middle"'));
  if (yLabel) {
    const cx = font + 2;
    const cy = (top + bottom) / 2;
    out.push(text(cx, cy, font + 1, yLabel, ` text-anchor="middle" transform="rotate(-90 ${fmt(cx)} ${fmt(cy)})"`));
  }
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const commands: string[] = [];
    let pen = false;
    for (let k = 0; k < s.x.length; k++) {
      const x = s.x[k]!;
      const y = s.y[k]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        pen = false;
        continue;
      }
      commands.push(`${pen ? 'L' : 'M'}${fmt(px(x))} ${fmt(py(y))}`);
      pen = true;
    }
    out.push(
      `<path d="${commands.join(' ')}" fill="none" stroke="${escapeXml(color)}" stroke-width="${small ? 1.5 : 2}" stroke-linejoin="round" data-series="${escapeXml(s.name)}"/>`,
    );
  });
  legendRows.forEach((row, r) => {
    const ly = legendTop + legendLine * r + legendLine / 2;
    for (const { series: i, x } of row) {
      const s = series[i]!;
      const color = s.color ?? PALETTE[i % PALETTE.length]!;
      const lx = 8 + x;
      out.push(`<line x1="${fmt(lx)}" y1="${fmt(ly)}" x2="${fmt(lx + 16)}" y2="${fmt(ly)}" stroke="${escapeXml(color)}" stroke-width="2"/>`);
      out.push(text(lx + 21, ly + font * 0.35, font, s.name));
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function clampCount(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.floor(n)));
}

function finitePairs(s: ChartSeries): [number, number][] {
  const pairs: [number, number][] = [];
  for (let k = 0; k < s.x.length; k++) {
    if (Number.isFinite(s.x[k]!) && Number.isFinite(s.y[k]!)) pairs.push([s.x[k]!, s.y[k]!]);
  }
  return pairs;
}

function extent(values: number[]): [number, number] {
  return values.length === 0 ? [0, 1] : minMax(values);
}

/**
 * Round tick values covering [lo, hi] with steps of 1, 2 or 5 × 10^k. With `exact`, the ends are lo and hi
 * themselves and the round values in between.
 */
export function niceTicks([lo, hi]: [number, number], target: number, exact = false): number[] {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const raw = (hi - lo) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? 10 * mag;
  const clean = (v: number): number => Number(v.toPrecision(12));
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const inner: number[] = [];
  for (let k = first; k <= last; k++) inner.push(clean(k * step));
  if (exact) {
    const mid = inner.filter((v) => v > lo + step * 0.25 && v < hi - step * 0.25);
    return [lo, ...mid, hi];
  }
  const out = inner.slice();
  if (out[0]! > lo + 1e-12) out.unshift(clean((first - 1) * step));
  if (out[out.length - 1]! < hi - 1e-12) out.push(clean((last + 1) * step));
  return out;
}

export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e5 || abs < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

export function fmt(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/**
 * The first lines of every SVG plot (line charts here, the tabular plots' bars and heatmaps): the root element, a white
 * background and, when given, the title bold and centred at the top (`titleFont` px).
 */
export function svgHeader(width: number, height: number, title?: string, titleFont = 14): string[] {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (title) out.push(`<text x="${fmt(width / 2)}" y="${fmt(titleFont + 4)}" font-size="${titleFont}" ${FONT} text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`);
  return out;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
