import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveWebApp } from '../../src/node/serve.js';

function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lumen-serve-h-'));
  mkdirSync(join(dir, 'bundled'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(dir, 'bundled', 'manifest.json'), JSON.stringify({ model: { name: 'm.onnx', url: 'bundled/model.onnx' }, samples: [] }));
  return dir;
}

/** A GET with a chosen Host header (fetch does not let a caller set it). */
function get(port: number, path: string, host: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

test('serve answers only its own loopback Host (DNS rebinding), with a strict CSP on every response', async () => {
  const root = fixture();
  const server = await serveWebApp({ port: 0, root });
  try {
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `LOCALHOST:${server.port}`]) {
      assert.equal((await get(server.port, '/', host)).status, 200, host);
    }
    for (const host of ['evil.example', `evil.example:${server.port}`, '127.0.0.1', `127.0.0.1:${server.port + 1}`]) {
      const r = await get(server.port, '/', host);
      assert.equal(r.status, 403, `Host '${host}'`);
      assert.doesNotMatch(r.body, /app/);
    }
    const ok = await get(server.port, '/', `127.0.0.1:${server.port}`);
    const csp = String(ok.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    assert.doesNotMatch(csp.split(';').find((d) => d.includes('script-src'))!, /unsafe-inline|\*|http/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /object-src 'none'/);
    assert.match(String((await get(server.port, '/nope', `127.0.0.1:${server.port}`)).headers['content-security-policy']), /default-src 'self'/);
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('serve --model: only an ONNX model is served; a model that disappears gives a 404 without paths and the server lives on', async () => {
  const root = fixture();
  const other = mkdtempSync(join(tmpdir(), 'lumen-serve-m-'));
  try {
    await assert.rejects(serveWebApp({ port: 0, root, model: '/etc/passwd' }), (e: Error) => e.name === 'LumenError' && /passwd/.test(e.message));
    writeFileSync(join(other, 'text.onnx'), 'hello, not a model');
    await assert.rejects(serveWebApp({ port: 0, root, model: join(other, 'text.onnx') }), (e: Error) => e.name === 'LumenError');
    const model = join(other, 'mine.onnx');
    copyFileSync('models/fashion-cnn.onnx', model);
    const server = await serveWebApp({ port: 0, root, model });
    const host = `127.0.0.1:${server.port}`;
    try {
      const first = await get(server.port, '/bundled/user-model.onnx', host);
      assert.equal(first.status, 200);
      assert.equal(Buffer.byteLength(first.body, 'latin1') > 0, true);
      unlinkSync(model);
      const gone = await get(server.port, '/bundled/user-model.onnx', host);
      assert.equal(gone.status, 404);
      assert.doesNotMatch(gone.body, new RegExp(other.replace(/[/\\^$.*+?()[\]{}|]/g, '\\$&')));
      assert.doesNotMatch(gone.body, /\/tmp\//);
      // a folder where the file was: the read stream fails after open; the server must survive it
      mkdirSync(model);
      const folder = await get(server.port, '/bundled/user-model.onnx', host).catch(() => ({ status: -1, body: '' }));
      assert.notEqual(folder.status, 200);
      assert.doesNotMatch(folder.body, /\/tmp\//);
      assert.equal((await get(server.port, '/', host)).status, 200, 'the server still answers');
      assert.equal(readFileSync(join(root, 'index.html'), 'utf8').includes('app'), true);
    } finally {
      await server.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});

test('serve --model: a device (/dev/zero hung the server at start) is refused; a model path that later leads elsewhere (a swapped symlink) or to a folder is not served', async () => {
  const root = fixture();
  const other = mkdtempSync(join(tmpdir(), 'lumen-serve-s-'));
  try {
    await assert.rejects(serveWebApp({ port: 0, root, model: '/dev/zero' }), (e: Error) => e.name === 'LumenError' && /not a regular file/.test(e.message));
    const model = join(other, 'mine.onnx');
    copyFileSync('models/fashion-cnn.onnx', model);
    const server = await serveWebApp({ port: 0, root, model });
    const host = `127.0.0.1:${server.port}`;
    try {
      assert.equal((await get(server.port, '/bundled/user-model.onnx', host)).status, 200);
      unlinkSync(model);
      symlinkSync('/etc/passwd', model);
      const swapped = await get(server.port, '/bundled/user-model.onnx', host);
      assert.equal(swapped.status, 404);
      assert.doesNotMatch(swapped.body, /root:/);
      unlinkSync(model);
      mkdirSync(model);
      assert.equal((await get(server.port, '/bundled/user-model.onnx', host)).status, 404, 'a folder in its place: a clean 404, not a 200 cut short');
      assert.equal((await get(server.port, '/', host)).status, 200);
    } finally {
      await server.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});
