import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveWebApp, mimeType } from '../../src/node/serve.js';

function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lumen-serve-'));
  mkdirSync(join(dir, 'ort'));
  mkdirSync(join(dir, 'bundled', 'samples'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(dir, 'ort', 'ort-wasm-simd-threaded.wasm'), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
  writeFileSync(join(dir, 'bundled', 'model.onnx'), new Uint8Array([1, 2, 3]));
  writeFileSync(join(dir, 'bundled', 'manifest.json'), JSON.stringify({ model: { name: 'm.onnx', url: 'bundled/model.onnx' }, samples: [{ name: 's', url: 'bundled/samples/s.png' }] }));
  return dir;
}

test('serves the app with cross-origin isolation headers and the right MIME types, on loopback only', async () => {
  const root = fixture();
  const server = await serveWebApp({ port: 0, root });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(server.port > 0);
    const index = await fetch(server.url);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(index.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(index.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(await index.text(), /<title>app<\/title>/);

    const wasm = await fetch(new URL('ort/ort-wasm-simd-threaded.wasm', server.url));
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.equal(wasm.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.deepEqual([...new Uint8Array(await wasm.arrayBuffer())], [0, 97, 115, 109, 1, 0, 0, 0]);

    const missing = await fetch(new URL('nope.js', server.url));
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('cross-origin-opener-policy'), 'same-origin');
    const escape = await fetch(new URL('/..%2f..%2fetc%2fpasswd', server.url));
    assert.ok(escape.status === 403 || escape.status === 404, `path escape answered ${escape.status}`);
    const post = await fetch(server.url, { method: 'POST' });
    assert.equal(post.status, 405);
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('--model replaces the bundled model in the manifest and is streamed from its own path with its sidecar', async () => {
  const root = fixture();
  const other = mkdtempSync(join(tmpdir(), 'lumen-model-'));
  const bytes = new Uint8Array(readFileSync('models/fashion-cnn.onnx'));
  writeFileSync(join(other, 'mine.onnx'), bytes);
  writeFileSync(join(other, 'mine.json'), JSON.stringify({ classes: ['a', 'b'] }));
  const server = await serveWebApp({ port: 0, root, model: join(other, 'mine.onnx') });
  try {
    const manifest = (await (await fetch(new URL('bundled/manifest.json', server.url))).json()) as {
      model: { name: string; url: string; metadataUrl?: string };
      samples: unknown[];
    };
    assert.deepEqual(manifest.model, { name: 'mine.onnx', url: 'bundled/user-model.onnx', metadataUrl: 'bundled/user-model.json' });
    assert.equal(manifest.samples.length, 1);
    const model = await fetch(new URL(manifest.model.url, server.url));
    assert.equal(model.headers.get('content-type'), 'application/octet-stream');
    assert.deepEqual(new Uint8Array(await model.arrayBuffer()), bytes);
    const meta = await (await fetch(new URL(manifest.model.metadataUrl!, server.url))).json();
    assert.deepEqual(meta, { classes: ['a', 'b'] });
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});

test('refuses non-loopback hosts, a missing model and a busy port', async () => {
  const root = fixture();
  try {
    await assert.rejects(serveWebApp({ host: '0.0.0.0', port: 0, root }), /only listens on loopback/);
    await assert.rejects(serveWebApp({ port: 0, root, model: join(root, 'absent.onnx') }), /model file not found/);
    const first = await serveWebApp({ port: 0, root });
    try {
      await assert.rejects(serveWebApp({ port: first.port, root }), new RegExp(`port ${first.port} .*already in use`));
    } finally {
      await first.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('MIME types', () => {
  assert.equal(mimeType('a/b.wasm'), 'application/wasm');
  assert.equal(mimeType('x.mjs'), 'text/javascript; charset=utf-8');
  assert.equal(mimeType('x.PNG'), 'image/png');
  assert.equal(mimeType('x.onnx'), 'application/octet-stream');
});

test('lumen serve --model --port 0 prints the URL, serves the model and stops on SIGTERM', { timeout: 180_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const { buildWebApp } = await import('../../src/node/serve.js');
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  if (!existsSync(join(root, 'web', 'dist', 'index.html'))) await buildWebApp();
  const model = join(root, 'conformance', 'models', 'fashion_cnn.onnx');
  const child = spawn(process.execPath, [join(root, 'bin', 'lumen.js'), 'serve', '--port', '0', '--model', model], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  try {
    const url = await new Promise<string>((done, fail) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Lumen web app at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) done(m[1]!);
      });
      child.on('exit', () => fail(new Error(`lumen serve exited early: ${out}`)));
    });
    const manifest = (await (await fetch(new URL('bundled/manifest.json', url))).json()) as { model: { name: string; url: string } };
    assert.equal(manifest.model.name, 'fashion_cnn.onnx');
    const bytes = new Uint8Array(await (await fetch(new URL(manifest.model.url, url))).arrayBuffer());
    const { readFileSync } = await import('node:fs');
    assert.equal(bytes.length, readFileSync(model).length);
    const page = await fetch(url);
    assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(await page.text(), /<title>Lumen/);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, out);
});
