import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lineChartSvg, niceTicks } from '../../src/render/index.js';
import { LumenError } from '../../src/errors.js';

function pathOf(svg: string, name: string): string[] {
  const m = new RegExp(`<path d="([^"]*)"[^>]*data-series="${name}"`).exec(svg);
  assert.ok(m, `no path for ${name}`);
  return m[1]!.split(' ').reduce<string[]>((cmds, tok) => (/^[ML]/.test(tok) ? [...cmds, tok] : cmds), []);
}

test('lineChartSvg draws each series as one path with one command per point', () => {
  const x = [0, 0.25, 0.5, 0.75, 1];
  const svg = lineChartSvg(
    [
      { name: 'deletion', x, y: [0.9, 0.5, 0.2, 0.1, 0.05] },
      { name: 'insertion', x: [0, 0.5, 1], y: [0.1, 0.6, 0.9] },
    ],
    { title: 'Deletion / insertion', xLabel: 'fraction of pixels', yLabel: 'probability', xRange: [0, 1], yRange: [0, 1] },
  );
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="480" height="320"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  const del = pathOf(svg, 'deletion');
  assert.equal(del.length, 5);
  assert.equal(del.filter((c) => c.startsWith('M')).length, 1);
  assert.equal(pathOf(svg, 'insertion').length, 3);
  // self-contained: no links, no external fonts
  assert.doesNotMatch(svg, /href|url\(|@import|<image/);
  assert.match(svg, />Deletion \/ insertion</);
  assert.match(svg, /data-series="insertion"/);
  assert.match(svg, />insertion</); // legend
});

test('lineChartSvg maps the range ends to the plot corners and breaks paths at non-finite points', () => {
  const svg = lineChartSvg([{ name: 's', x: [0, 1, 2, 3], y: [0, Number.NaN, 1, 1] }], { xRange: [0, 3], yRange: [0, 1] });
  const cmds = pathOf(svg, 's');
  assert.deepEqual(cmds.map((c) => c[0]), ['M', 'M', 'L']);
  const plot = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none"/.exec(svg)!;
  const [left, top, w, h] = plot.slice(1).map(Number) as [number, number, number, number];
  const d = /<path d="([^"]*)"/.exec(svg)![1]!;
  const nums = d.replace(/[ML]/g, '').split(' ').map(Number);
  assert.deepEqual(nums.slice(0, 2), [left, top + h]); // (0, 0) at bottom-left
  assert.deepEqual(nums.slice(4, 6), [left + w, top]); // (3, 1) at top-right
  assert.equal(svg.includes('<text'), true);
});

test('lineChartSvg fits a small report chart (220×150, two series, both axis labels)', () => {
  const x = Array.from({ length: 21 }, (_, i) => i / 20);
  const svg = lineChartSvg(
    [
      { name: 'deletion', x, y: x.map((v) => 1 - v) },
      { name: 'insertion', x, y: x },
    ],
    { width: 220, height: 150, xLabel: 'fraction of pixels', yLabel: 'p(class)', xRange: [0, 1], yRange: [0, 1] },
  );
  assert.equal(pathOf(svg, 'deletion').length, 21);
  const plot = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none"/.exec(svg)!;
  const [left, top, w, h] = plot.slice(1).map(Number) as [number, number, number, number];
  assert.ok(left > 0 && top > 0 && left + w < 220 && top + h < 150, `plot ${left},${top} ${w}×${h}`);
  assert.ok(w > 120 && h > 60, `plot ${w}×${h} should keep most of the space`);
  // every text baseline lies inside the picture
  for (const m of svg.matchAll(/<text x="([\d.-]+)" y="([\d.-]+)"/g)) {
    assert.ok(Number(m[2]) > 0 && Number(m[2]) <= 150, `text at y=${m[2]}`);
  }
});

test('lineChartSvg escapes names and rejects mismatched series', () => {
  const svg = lineChartSvg([{ name: 'a<b & "c"', x: [0, 1], y: [1, 2] }], { legend: true });
  assert.match(svg, /a&lt;b &amp; &quot;c&quot;/);
  assert.doesNotMatch(svg, /a<b/);
  assert.throws(() => lineChartSvg([{ name: 'x', x: [0, 1], y: [1] }]), LumenError);
});

test('niceTicks: 1-2-5 steps covering the range', () => {
  assert.deepEqual(niceTicks([0, 0.93], 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks([3, 97], 5), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks([0, 1], 5, true), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks([2, 2], 5), [1.8, 1.9, 2, 2.1, 2.2]);
});
