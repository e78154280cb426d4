import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Command, type Option } from 'commander';
import { registerConcepts } from '../../src/cli/commands/concepts.js';
import { conceptOptionsFromFlags, stageProgress } from '../../src/cli/concept-flags.js';
import { getConceptMethod, listConceptMethods } from '../../src/methods/concepts/registry.js';

test('concept commands: every option of every concept method is a flag of its command, with the metadata default', () => {
  const program = new Command();
  registerConcepts(program);
  const ids = listConceptMethods().map((m) => m.id);
  assert.deepEqual(ids, ['dff', 'craft', 'tcav', 'neighbors', 'prototypes']);
  for (const info of listConceptMethods()) {
    const cmd = program.commands.find((c) => c.name() === info.command);
    assert.ok(cmd, `command ${info.command}`);
    for (const spec of info.options) {
      const long = spec.flag ? /--[a-z-]+/.exec(spec.flag)![0] : `--${spec.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      const option: Option | undefined = cmd.options.find((o) => o.long === long);
      assert.ok(option, `${info.command} ${long}`);
      assert.equal(option.defaultValue, spec.default === undefined ? undefined : String(spec.default), `${info.command} ${long} default`);
    }
  }
  // the CLI keeps its historical short flags
  assert.ok(program.commands.find((c) => c.name() === 'concepts')!.options.some((o) => o.short === '-k' && o.long === '--concepts'));
  assert.ok(program.commands.find((c) => c.name() === 'neighbors')!.options.some((o) => o.short === '-k' && o.long === '--count'));
});

test('concept flags are parsed and range-checked by the OptionSpecs; errors name the flag', () => {
  assert.deepEqual(conceptOptionsFromFlags('craft', { concepts: '4', seed: '3', importance: 'gradient', designs: '16', cropSize: '0.5', stride: '0.25', atlasSize: '6' }), {
    k: 4,
    seed: 3,
    importance: 'gradient',
    designs: 16,
    cropSize: 0.5,
    stride: 0.25,
    atlasSize: 6,
  });
  assert.throws(() => conceptOptionsFromFlags('craft', { designs: '1' }), /--designs must be within \[2, 4096\], got 1/);
  assert.throws(() => conceptOptionsFromFlags('craft', { importance: 'shap' }), /--importance must be one of sobol, gradient, got 'shap'/);
  assert.throws(() => conceptOptionsFromFlags('dff', { concepts: '0' }), /--concepts must be within \[1, 4096\], got 0/);
  assert.throws(() => conceptOptionsFromFlags('tcav', { runs: 'many' }), /--runs must be an integer, got 'many'/);
  assert.throws(() => conceptOptionsFromFlags('tcav', { alpha: '0.9' }), /--alpha must be within \[0.000001, 0.5\], got 0.9/);
  assert.deepEqual(conceptOptionsFromFlags('prototypes', { prototypes: '4', criticisms: '0', witness: 'absolute' }), { prototypes: 4, criticisms: 0, witness: 'absolute' });
});

test('concept methods validate their options once, as explain does (library calls)', async () => {
  const model = { checkInput: () => undefined } as never;
  await assert.rejects(getConceptMethod('tcav').run(model, {} as never, { runs: 1 }), /tcav\.run: runs must be within \[2, 1000\], got 1/);
  await assert.rejects(getConceptMethod('craft').run(model, {} as never, { importance: 'rise' }), /craft\.run: importance must be one of sobol, gradient, got 'rise'/);
  await assert.rejects(getConceptMethod('dff').run(model, {} as never, { k: 2.5 }), /dff\.run: k must be an integer, got number 2\.5/);
  await assert.rejects(getConceptMethod('neighbors').run(model, {} as never, { layer: 3 as never }), /neighbors\.run: layer must be a tensor name/);
  assert.throws(() => getConceptMethod('tcv'), /unknown concept method 'tcv'\. Available: dff, craft, tcav, neighbors, prototypes \(closest: tcav/);
});

test('folder work shows a progress bar per stage on a terminal, and nothing otherwise', () => {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true }) as unknown as NodeJS.WriteStream;
  let text = '';
  (stream as unknown as PassThrough).on('data', (b: Buffer) => (text += b.toString()));
  const p = stageProgress(true, stream);
  p.onProgress!(1, 4, 'loading images');
  p.onProgress!(4, 4, 'loading images');
  p.onProgress!(2, 10, 'crops');
  p.stop();
  assert.match(text, /loading images \[[^\]]+\] 4\/4/);
  assert.match(text, /crops \[[^\]]+\] 2\/10/);
  assert.equal(stageProgress(false, stream).onProgress, undefined, '--json: no bar');
  assert.equal(stageProgress(true, Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream).onProgress, undefined, 'not a terminal: no bar');
});
