/**
 * The web app's tabular page in Debian's Chromium: the breast-cancer MLP and its CSV picked through the file inputs,
 * PDP of 'mean radius' on a 20-point grid (typed into the form field generated from the method's declared options)
 * equal to scikit-learn's reference (≤ 1e-5, onnxruntime-web), an ALE and KernelSHAP plot drawn, a bad option value
 * refused in the validator's words, no page errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plot, TabularHook } from '../../web/src/tabular.js';
import { requireChromium, webAppDist, openWebApp } from '../helpers/chromium.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIX = join(ROOT, 'test', 'fixtures', 'tabular');

declare global {
  interface Window {
    __lumenTabular?: TabularHook;
  }
}

test('tabular page: PDP in the browser equals scikit-learn; ALE and KernelSHAP plots drawn', { timeout: 600_000 }, async () => {
  requireChromium();
  const DIST = await webAppDist();
  assert.ok(existsSync(join(DIST, 'tabular.html')), 'the build lacks tabular.html');
  const ref = JSON.parse(readFileSync(join(FIX, 'breast_cancer_pdp_ref.json'), 'utf8')) as { one_d: { feature: string; average: number[] }[] };
  const app = await openWebApp(DIST);
  try {
    const { page, pageErrors, server } = app;
    await page.goto(new URL('tabular.html', server.url).href);
    await page.waitForFunction(() => window.__lumenTabular?.ready === true, undefined, { timeout: 120_000 });
    await page.setInputFiles('#t-model', join(FIX, 'breast_cancer_mlp.onnx'));
    await page.waitForFunction(() => /input features/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 60_000 });
    await page.setInputFiles('#t-csv', join(FIX, 'breast_cancer.csv'));
    await page.waitForFunction(() => (document.getElementById('t-feature') as HTMLSelectElement | null)?.options.length === 30);
    assert.equal(await page.inputValue('#t-target-column'), 'target');

    const run = async (method: string, count: number): Promise<Plot> => {
      await page.selectOption('#t-method', method);
      await page.click('#t-run');
      await page.waitForFunction((n) => window.__lumenTabular!.plots().length === n && !window.__lumenTabular!.busy, count, { timeout: 180_000 });
      return (await page.evaluate(() => window.__lumenTabular!.plots()))[count - 1]!;
    };
    await page.selectOption('#t-feature', 'mean radius');
    // one generated field per declared option of the selected method, the others hidden
    assert.equal(await page.locator('#opts-pdp input, #opts-pdp select').count(), 5);
    assert.equal(await page.locator('#opts-shap').isHidden(), true);
    await page.fill('#opt-pdp-resolution', '20');
    const pdp = await run('pdp', 1);
    const want = ref.one_d.find((r) => r.feature === 'mean radius')!.average;
    assert.equal(pdp.values.length, want.length);
    const diff = Math.max(...pdp.values.map((v, i) => Math.abs(v - want[i]!)));
    assert.ok(diff <= 1e-5, `browser PDP differs from scikit-learn by ${diff}`);
    const ale = await run('ale', 2);
    assert.ok(ale.values.length > 2 && ale.values.some((v) => v !== 0));
    await page.selectOption('#t-method', 'shap');
    await page.fill('#opt-shap-rows', '3');
    const shap = await run('shap', 3);
    assert.equal(shap.values.length, 30);
    assert.equal(await page.locator('#t-plots svg').count(), 3);
    assert.deepEqual(await page.evaluate(() => window.__lumenTabular!.errors), []);
    // a bad value: the words of the API and the CLI flag ('--bins (ale) must be within [1, 100000], got 0')
    await page.selectOption('#t-method', 'ale');
    await page.fill('#opt-ale-bins', '0');
    await page.click('#t-run');
    await page.waitForFunction(() => window.__lumenTabular!.errors.length === 1 && !window.__lumenTabular!.busy);
    assert.deepEqual(await page.evaluate(() => window.__lumenTabular!.errors), ['bins must be within [1, 100000], got 0']);
    assert.deepEqual(pageErrors, []);
  } finally {
    await app.close();
  }
});
