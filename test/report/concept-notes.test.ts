import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dffNotes, tcavNotes } from '../../src/methods/concepts/notes.js';
import { conceptReportSections } from '../../src/report/concepts-html.js';
import { escapeXml } from '../../src/render/chart.js';

const esc = escapeXml;

test('concept notes: one wording (src/methods/concepts/notes.ts), which the report shows from the saved JSON as the CLI and the web app show it', () => {
  const dff = { layer: 'L', k: 2, relativeError: 0.1, concepts: [], images: [] };
  assert.deepEqual(dffNotes({ layer: 'L' }), []);
  const [same] = dffNotes({ layer: 'L', scoresIgnoreConcepts: true, bypassed: true });
  assert.match(same!, /^Every concept gets the same class scores: the network's head does not read L's positions .*pick an earlier layer/);
  assert.deepEqual(dffNotes({ layer: 'L', scoresIgnoreConcepts: true, bypassed: true }), [same], 'scores that ignore the concepts: the bypass adds nothing');
  const [bypass] = dffNotes({ layer: 'L', bypassed: true, cutLayer: 'C' });
  assert.equal(bypass, "A skip connection bypasses L (e.g. a transformer's residual stream around a LayerNorm): each concept's classes are the network's output for the first image with the concept in place of the layer; C is a layer every path goes through.");
  const section = (extra: object): string => conceptReportSections({ dff: { ...dff, ...extra } })[0]!.html;
  assert.ok(section({ scoresIgnoreConcepts: true }).includes(`<p><strong>Note:</strong> ${esc(same!)}</p>`));
  assert.ok(section({ bypassed: true, cutLayer: 'C' }).includes(`<p><strong>Note:</strong> ${esc(bypass!)}</p>`));
  assert.doesNotMatch(section({}), /Note:/);

  const t = { layer: 'L', bypassed: true, cutLayer: 'C', sharedGradient: true };
  const notes = tcavNotes(t);
  assert.equal(notes.length, 2);
  assert.match(notes[0]!, /^A skip connection bypasses L .*: the derivatives follow only the path through it, the bypass held fixed; C, which every path goes through, measures the whole effect\.$/);
  assert.match(notes[1]!, /^Every input has the same gradient at L /);
  assert.deepEqual(tcavNotes({ layer: 'L' }), []);
  const tcav = conceptReportSections({ tcav: { score: 0.5, pValue: 0.5, significant: false, runs: 2, ...t } })[0]!.html;
  for (const n of notes) assert.ok(tcav.includes(`<p><strong>Note:</strong> ${esc(n)}</p>`), n);
});
