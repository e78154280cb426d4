import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readImageFile } from '../../src/node/image-file.js';
import { runShortcutDemo } from '../../src/node/shortcut.js';

describe('runShortcutDemo (lumen demo --shortcut)', () => {
  const out = mkdtempSync(join(tmpdir(), 'lumen-shortcut-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('explains both models on the same images and writes the table, the JSON and the example grid', async () => {
    const lines: string[] = [];
    const { runs, html, examplesPng } = await runShortcutDemo({ outDir: out, images: 6, methods: ['gradcam'], faithfulnessImages: 0, onLine: (l) => lines.push(l) });
    assert.deepEqual(runs.map((r) => r.name), ['clean', 'shortcut']);
    const [clean, shortcut] = runs;
    // images 0–5: three consistent markers (0, 2, 4) and three swapped (1, 3, 5)
    assert.equal(clean!.result.summary.followsMarker, 0);
    assert.equal(shortcut!.result.summary.followsMarker, 1);
    assert.equal(clean!.result.rows[0]!.markerBeatsObject, 0);
    assert.equal(lines.filter((l) => l.includes('gradcam')).length, 2);

    const md = readFileSync(join(out, 'shortcut.md'), 'utf8');
    assert.match(md, /^\| gradcam \| \d+ % \| \d+ % \| 0\.\d\d \|/m); // clean: PG object, PG marker, mass object
    const json = JSON.parse(readFileSync(join(out, 'shortcut.json'), 'utf8')) as { name: string; result: { rows: { perImage: unknown[] }[] } }[];
    assert.equal(json[1]!.result.rows[0]!.perImage.length, 6);
    assert.match(html, /<th colspan="\d+">clean model<\/th><th colspan="\d+">shortcut model<\/th>/);
    assert.match(html, /<img src="data:image\/png;base64,/);

    // input row + one row per example method (only gradcam here); 3 examples × 2 models, 64 px shown at 2×
    assert.ok(examplesPng && existsSync(examplesPng));
    const grid = await readImageFile(examplesPng);
    assert.ok(grid.width > 6 * 128 && grid.width < 6 * 128 + 400, `width ${grid.width}`);
    assert.ok(grid.height > 2 * 128 && grid.height < 2 * 128 + 100, `height ${grid.height}`);
  });

  it('rejects a non-positive image count', async () => {
    await assert.rejects(runShortcutDemo({ outDir: out, images: 0 }), /positive integer/);
  });
});
