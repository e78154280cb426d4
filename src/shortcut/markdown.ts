/** Markdown table of a shortcut benchmark run (for docs/shortcut.md and the demo's shortcut.md). */
import type { ShortcutMethodRow } from './benchmark.js';
import { formatNumber, formatPercent, type ShortcutModelRun } from './html.js';

/**
 * One row per method: localization on the clean model (object) and on the shortcut model (object vs marker), then
 * faithfulness, randomization and time on both. `clean` and `shortcut` name the two runs.
 */
export function shortcutMarkdown(runs: readonly ShortcutModelRun[], clean = 'clean', shortcut = 'shortcut'): string {
  const c = runs.find((r) => r.name === clean);
  const s = runs.find((r) => r.name === shortcut);
  const ids = [...new Set(runs.flatMap((r) => r.result.rows.map((row) => row.method)))];
  const get = (run: ShortcutModelRun | undefined, id: string): ShortcutMethodRow | undefined => {
    const row = run?.result.rows.find((x) => x.method === id);
    return row && !row.error ? row : undefined;
  };
  const pair = (a: number | undefined, b: number | undefined, digits: number): string => `${formatNumber(a, digits)} / ${formatNumber(b, digits)}`;
  const lines = [
    `| method | clean: PG object | clean: PG marker | clean: mass object | shortcut: PG object | shortcut: PG marker | shortcut: mass object | shortcut: mass marker | shortcut: marker > object | shortcut: marker denser | deletion ↓ (clean / shortcut) | insertion ↑ (clean / shortcut) | randomization ↓ (clean / shortcut) | ms / image (clean / shortcut) |`,
    `|---|---|---|---|---|---|---|---|---|---|---|---|---|---|`,
  ];
  for (const id of ids) {
    const rc = get(c, id);
    const rs = get(s, id);
    const failed = [c, s].flatMap((r) => r?.result.rows.filter((x) => x.method === id && x.error).map((x) => `${r.name}: ${x.error}`) ?? []);
    if (!rc && !rs) {
      lines.push(`| ${id} | failed (${failed.join('; ').replace(/\|/g, '\\|')}) ||||||||||||`);
      continue;
    }
    lines.push(
      `| ${id} | ${formatPercent(rc?.object.pointingGame)} | ${formatPercent(rc?.marker?.pointingGame)} | ${formatNumber(rc?.object.relevanceMass)} | ${formatPercent(rs?.objectOnMarkerImages?.pointingGame)} | ${formatPercent(rs?.marker?.pointingGame)} | ` +
        `${formatNumber(rs?.objectOnMarkerImages?.relevanceMass)} | ${formatNumber(rs?.marker?.relevanceMass)} | ${formatPercent(rs?.markerBeatsObject)} | ${formatPercent(rs?.markerDenser)} | ` +
        `${pair(rc?.deletion, rs?.deletion, 3)} | ${pair(rc?.insertion, rs?.insertion, 3)} | ${pair(rc?.randomization, rs?.randomization, 2)} | ${pair(rc?.msPerImage, rs?.msPerImage, 1)} |`,
    );
  }
  const summary = runs.map((r) => {
    const m = r.result.summary;
    return `- ${r.name} (\`${r.source}\`): accuracy ${formatPercent(m.accuracy)} on ${m.images} images (marker consistent ${formatPercent(m.consistentAccuracy)}, swapped ${formatPercent(m.swappedAccuracy)}; predicts the marker's class on ${formatPercent(m.followsMarker)} of swapped images)`;
  });
  return `${summary.join('\n')}\n\n${lines.join('\n')}\n`;
}
