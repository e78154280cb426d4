/**
 * Browser case of the benchmark: Grad-CAM on MobileNetV2 with onnxruntime-web (WASM) in Debian's headless Chromium,
 * driven by playwright-core (dev dependency) like test/web/e2e.test.ts. The page is bundled with esbuild (present
 * through tsx) and served cross-origin isolated, so WASM gets the same thread count as Node. Node-only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from '../node/chromium.js';
import { packageRoot } from '../node/paths.js';
import { median } from './timing.js';
import type { BrowserBenchSetup } from './browser-page.js';

const ROOT = packageRoot();
const ORT_DIST = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
const ORT_FILES = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs'];

export interface BrowserGradcamResult {
  skipped?: string;
  /** Medians of the browser's calls and of the Node calls interleaved with them. */
  browser: { gradcamMs: number; forwardMs: number; gradcamSamplesMs: number[] };
  node: { gradcamMs: number; forwardMs: number; gradcamSamplesMs: number[] };
  threads: number;
  isolated: boolean;
}

/** What runs on the Node side between browser calls: the same model, method and input through onnxruntime-node. */
export type NodeCall = (what: 'forward' | 'gradcam') => Promise<void>;

export async function browserGradcam(options: { repeats: number; threads: number; log: (line: string) => void; node: NodeCall }): Promise<BrowserGradcamResult> {
  const empty = { gradcamMs: NaN, forwardMs: NaN, gradcamSamplesMs: [] };
  const none = { browser: empty, node: empty, threads: 0, isolated: false };
  if (!existsSync(CHROMIUM)) return { ...none, skipped: `${CHROMIUM} not installed (apt-get install chromium)` };
  let esbuild: typeof import('esbuild');
  let playwright: typeof import('playwright-core');
  try {
    esbuild = await import('esbuild');
    playwright = await import('playwright-core');
  } catch (e) {
    return { ...none, skipped: `dev dependencies missing (${(e as Error).message})` };
  }
  const entry = join(ROOT, 'src', 'bench', 'browser-page.ts');
  if (!existsSync(entry)) return { ...none, skipped: `needs the source tree (${entry})` };
  const bundle = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    alias: { 'onnxruntime-web': 'onnxruntime-web/wasm' },
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.text;
  const html = '<!doctype html><meta charset="utf-8"><title>lumen bench</title><script type="module" src="/bench.js"></script>';
  const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0]!;
    const send = (type: string, body: string | Buffer): void => {
      res.writeHead(200, { 'Content-Type': type, ...headers });
      res.end(body);
    };
    if (url === '/') send('text/html', html);
    else if (url === '/bench.js') send('text/javascript', script);
    else if (url.startsWith('/ort/') && ORT_FILES.includes(url.slice(5))) send(url.endsWith('.wasm') ? 'application/wasm' : 'text/javascript', readFileSync(join(ORT_DIST, url.slice(5))));
    else {
      res.writeHead(404, headers);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const browser = await playwright.chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => typeof (globalThis as { lumenBenchSetup?: unknown }).lumenBenchSetup === 'function', undefined, { timeout: 60_000 });
    const setup = await page.evaluate((threads) => (globalThis as unknown as { lumenBenchSetup: (t: number) => Promise<BrowserBenchSetup> }).lumenBenchSetup(threads), options.threads);
    await options.node('forward');
    await options.node('gradcam');
    const samples = { browserForward: [] as number[], browserGradcam: [] as number[], nodeForward: [] as number[], nodeGradcam: [] as number[] };
    const timeNode = async (what: 'forward' | 'gradcam'): Promise<number> => {
      const t0 = performance.now();
      await options.node(what);
      return performance.now() - t0;
    };
    const inPage = (what: 'forward' | 'gradcam'): Promise<number> =>
      page.evaluate((w) => (globalThis as unknown as { lumenBenchOnce: (x: string) => Promise<number> }).lumenBenchOnce(w), what);
    for (let r = 0; r < options.repeats; r++) {
      samples.browserGradcam.push(await inPage('gradcam'));
      samples.nodeGradcam.push(await timeNode('gradcam'));
      samples.browserForward.push(await inPage('forward'));
      samples.nodeForward.push(await timeNode('forward'));
    }
    if (errors.length) options.log(`  page errors: ${errors.join('; ')}`);
    if (setup.threads !== options.threads) options.log(`  note: WASM ran ${setup.threads} threads (Node: ${options.threads}); cross-origin isolated: ${setup.isolated}`);
    return {
      browser: { gradcamMs: median(samples.browserGradcam), forwardMs: median(samples.browserForward), gradcamSamplesMs: samples.browserGradcam },
      node: { gradcamMs: median(samples.nodeGradcam), forwardMs: median(samples.nodeForward), gradcamSamplesMs: samples.nodeGradcam },
      threads: setup.threads,
      isolated: setup.isolated,
    };
  } finally {
    await browser.close();
    server.close();
  }
}
