import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const webDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(webDir, '..');
const ortDist = join(repoRoot, 'node_modules', 'onnxruntime-web', 'dist');

/** onnxruntime-web's WebAssembly runtime, served from the app itself (never a CDN). */
const ORT_FILES = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs'];

interface BundledFile {
  /** Path under bundled/ in the app. */
  name: string;
  source: string;
}

/** The bundled model and sample images the app preloads (the shipped Fashion-MNIST model, else the conformance copy). */
function bundledFiles(): { files: BundledFile[]; manifest: unknown } {
  const shipped = join(repoRoot, 'models', 'fashion-cnn.onnx');
  const modelPath = existsSync(shipped) ? shipped : join(repoRoot, 'conformance', 'models', 'fashion_cnn.onnx');
  const sidecar = modelPath.replace(/\.onnx$/, '.json');
  const files: BundledFile[] = [{ name: 'model.onnx', source: modelPath }];
  if (existsSync(sidecar)) files.push({ name: 'model.json', source: sidecar });

  const sampleDir = join(repoRoot, 'samples', 'fashion');
  const samples = existsSync(sampleDir)
    ? readdirSync(sampleDir).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)).sort().map((f) => join(sampleDir, f))
    : readdirSync(join(repoRoot, 'conformance', 'inputs')).filter((f) => /^fmnist_.*\.png$/.test(f)).sort().map((f) => join(repoRoot, 'conformance', 'inputs', f));
  for (const s of samples) files.push({ name: `samples/${basename(s)}`, source: s });

  const manifest = {
    model: { name: basename(modelPath), url: 'bundled/model.onnx', ...(existsSync(sidecar) ? { metadataUrl: 'bundled/model.json' } : {}) },
    samples: samples.map((s) => ({ name: basename(s, extname(s)), url: `bundled/samples/${basename(s)}` })),
  };
  return { files, manifest };
}

const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

const MIME: Record<string, string> = { '.wasm': 'application/wasm', '.mjs': 'text/javascript', '.onnx': 'application/octet-stream', '.png': 'image/png', '.json': 'application/json', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

function lumenAssets(): Plugin {
  return {
    name: 'lumen-assets',
    // Dev server: serve the same files from their sources.
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0]!;
        let file: string | undefined;
        let body: string | undefined;
        if (url.startsWith('/ort/') && ORT_FILES.includes(url.slice(5))) file = join(ortDist, url.slice(5));
        else if (url === '/bundled/manifest.json') body = JSON.stringify(bundledFiles().manifest);
        else if (url.startsWith('/bundled/')) file = bundledFiles().files.find((f) => `/bundled/${f.name}` === url)?.source;
        if (!file && body === undefined) return next();
        // Workers (onnxruntime's threads load ort/*.mjs) need their own COEP header in an isolated page.
        for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
        res.setHeader('Content-Type', body !== undefined ? 'application/json' : (MIME[extname(file!)] ?? 'application/octet-stream'));
        res.end(body ?? readFileSync(file!));
      });
    },
    // Build: copy them into web/dist.
    generateBundle(_options, bundle) {
      // onnxruntime-web's own new URL('….wasm', import.meta.url) makes Vite emit a hashed copy; the app loads ort/ instead.
      for (const [key, out] of Object.entries(bundle)) if (out.type === 'asset' && /ort-wasm.*\.wasm$/.test(key)) delete bundle[key];
      for (const f of ORT_FILES) this.emitFile({ type: 'asset', fileName: `ort/${f}`, source: readFileSync(join(ortDist, f)) });
      const { files, manifest } = bundledFiles();
      for (const f of files) this.emitFile({ type: 'asset', fileName: `bundled/${f.name}`, source: readFileSync(f.source) });
      this.emitFile({ type: 'asset', fileName: 'bundled/manifest.json', source: JSON.stringify(manifest, null, 1) });
    },
  };
}

/** The <head> lines every page shares (each page's own <head> holds only its title), injected in dev and build alike. */
function sharedHead(): Plugin {
  return {
    name: 'lumen-shared-head',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { charset: 'utf-8' }, injectTo: 'head-prepend' },
      { tag: 'meta', attrs: { name: 'viewport', content: 'width=device-width, initial-scale=1' }, injectTo: 'head-prepend' },
      { tag: 'link', attrs: { rel: 'icon', href: 'data:,' }, injectTo: 'head' },
    ],
  };
}

/**
 * HTML blocks the pages repeat, written once: a page writes `<lumen-NAME attr="…"></lumen-NAME>` on a line of its own
 * and gets the block there (indented as the tag), in dev and build alike; the built pages hold plain HTML.
 */
const BLOCKS: Record<string, (a: Readonly<Record<string, string>>) => string[]> = {
  /** A page's Run/Cancel buttons and progress bar (ids after `prefix`: '' in index.html, 't-' in tabular.html). */
  'run-controls': ({ prefix = '', run = 'Run' }) => [
    '<div class="actions">',
    `  <button id="${prefix}run" type="button" class="primary">${run}</button>`,
    `  <button id="${prefix}cancel" type="button" disabled>Cancel</button>`,
    '</div>',
    '<div class="progress-wrap">',
    `  <label for="${prefix}progress" id="${prefix}progress-label">Idle</label>`,
    `  <progress id="${prefix}progress" max="1" value="0"></progress>`,
    '</div>',
  ],
  /** A concept view's target-class field (names from the model's labels). */
  'target-class': ({ view }) => [`<label for="${view}-target">Target class (index or name)</label>`, `<input id="${view}-target" type="text" list="concept-classes" value="0" />`],
  /** A concept view's generated option fields, its job (Run/Stop, progress and status: built by web/src/concept-views.ts) and its output. */
  'view-job': ({ view, run, progress, out }) => [
    `<div id="${view}-options"></div>`,
    `<div id="${view}-job" data-run="${run}" data-progress="${progress}"></div>`,
    `<div id="${view}-out"${out ? ` class="${out}"` : ''}></div>`,
  ],
};

function sharedBlocks(): Plugin {
  return {
    name: 'lumen-shared-blocks',
    transformIndexHtml: {
      order: 'pre',
      handler: (html) =>
        html.replace(/^([ \t]*)<lumen-([a-z-]+)((?:\s+[a-z-]+="[^"]*")*)\s*><\/lumen-\2>$/gm, (_all, indent: string, name: string, attrs: string) => {
          const block = BLOCKS[name];
          if (!block) throw new Error(`web: unknown shared block <lumen-${name}> (known: ${Object.keys(BLOCKS).join(', ')})`);
          const values = Object.fromEntries([...attrs.matchAll(/([a-z-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
          return block(values).map((line) => indent + line).join('\n');
        }),
    },
  };
}

export default defineConfig({
  root: webDir,
  base: './',
  plugins: [sharedBlocks(), sharedHead(), lumenAssets()],
  // The WebAssembly-only build of onnxruntime-web (the app uses the wasm execution provider): 14 MB instead of 28 MB.
  resolve: { alias: [{ find: /^onnxruntime-web$/, replacement: 'onnxruntime-web/wasm' }] },
  // Same isolation headers as `lumen serve`, so dev and production behave alike.
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    outDir: join(webDir, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
    // two pages: image classifiers (index.html) and tabular models (tabular.html)
    rollupOptions: { input: { main: join(webDir, 'index.html'), tabular: join(webDir, 'tabular.html') } },
  },
});
