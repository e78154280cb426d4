import { createReadStream, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, dirname, join, normalize, resolve, sep } from 'node:path';
import { LumenError } from '../errors.js';
import { openModelFile, sidecarPath } from './load.js';
import { mimeType, packageRoot } from './paths.js';
import { encodeModel } from '../onnx/io.js';
import { LumenModel } from '../model.js';
import type { Runtime } from '../runtime/types.js';

export interface ServeOptions {
  /** TCP port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Only loopback addresses are accepted: the app is a local tool, not a public server. Default 127.0.0.1. */
  host?: string;
  /** An ONNX model to offer instead of the bundled one (its sidecar JSON is served too when present). */
  model?: string;
  /** The built app (default: web/dist of this package). Built first when missing. */
  root?: string;
  /** Where progress lines go (default: nowhere). */
  log?: (line: string) => void;
}

export interface WebAppServer {
  /** e.g. http://127.0.0.1:8080/ */
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

const DEFAULT_ROOT = join(packageRoot(), 'web', 'dist');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);


/** Headers on every response: cross-origin isolation lets onnxruntime-web use threads (SharedArrayBuffer). */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  // Only this server's own files run: no inline or foreign scripts, no framing. onnxruntime-web compiles its .wasm
  // ('wasm-unsafe-eval') and may start its threads from blob: workers; overlays and downloads are data:/blob: URLs.
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    "connect-src 'self' data: blob:",
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'Referrer-Policy': 'no-referrer',
};

export { mimeType } from './paths.js';

/** Build the web app with Vite (a dev dependency) into `outDir` (default `web/dist`). */
export async function buildWebApp(log: (line: string) => void = () => {}, outDir?: string): Promise<void> {
  const config = join(packageRoot(), 'web', 'vite.config.ts');
  if (!existsSync(config)) throw new LumenError('FILE_NOT_FOUND', `the web app sources are not in this installation (${config} is missing)`);
  let vite: { build: (c: { configFile: string; logLevel: 'warn'; build?: { outDir: string; emptyOutDir: boolean } }) => Promise<unknown> };
  try {
    vite = (await import('vite')) as unknown as typeof vite;
  } catch {
    throw new LumenError('FILE_NOT_FOUND', `web/dist is missing and Vite is not installed to build it; run 'npm install' then 'npm run build:web'`);
  }
  log(`building the web app (${outDir ?? 'web/dist'}) …`);
  await vite.build({ configFile: config, logLevel: 'warn', ...(outDir ? { build: { outDir: resolve(outDir), emptyOutDir: true } } : {}) });
}

/**
 * Serve the built web app, the bundled model and samples (or `model`) on a loopback address.
 * Resolves once listening; `close()` stops it.
 */
export async function serveWebApp(options: ServeOptions = {}): Promise<WebAppServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    throw new LumenError('BAD_OPTION', `lumen serve only listens on loopback (127.0.0.1, ::1, localhost), not '${host}'`, 2);
  }
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LumenError('BAD_OPTION', `invalid port ${port}`, 2);
  const log = options.log ?? (() => {});
  const root = resolve(options.root ?? DEFAULT_ROOT);
  // checked before a possible build of the app: a bad --model is refused at once
  const userModel = options.model ? resolveUserModel(options.model) : undefined;
  if (!existsSync(join(root, 'index.html'))) {
    if (options.root) throw new LumenError('FILE_NOT_FOUND', `no built web app in ${root} (index.html missing)`);
    await buildWebApp(log);
    if (!existsSync(join(root, 'index.html'))) throw new LumenError('FILE_NOT_FOUND', `building the web app did not produce ${root}/index.html`);
  }

  let allowedHosts = new Set<string>();
  const server = createServer((req, res) => {
    try {
      // DNS rebinding: a page of another site that resolves its own name to 127.0.0.1 sends its own Host; refuse it.
      if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
        send(res, 403, 'text/plain; charset=utf-8', 'forbidden: this server only answers requests addressed to its own loopback name and port');
        return;
      }
      handle(req, res, root, userModel);
    } catch (e) {
      // Never the message: it may name absolute paths of this machine.
      log(`request ${req.url ?? ''} failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error');
      else res.destroy();
    }
  });
  await listen(server, port, host);
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  allowedHosts = new Set([`127.0.0.1:${actualPort}`, `localhost:${actualPort}`, `[::1]:${actualPort}`]);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${actualPort}/`;
  log(`Lumen web app at ${url}${userModel ? ` (model: ${userModel.path})` : ''}`);
  return {
    url,
    port: actualPort,
    host,
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((err) => (err ? fail(err) : done()));
        server.closeAllConnections();
      }),
  };
}

interface UserModel {
  path: string;
  /** The file the path led to when it was checked: a path that leads elsewhere later (a swapped symlink) is not served. */
  real: string;
  sidecar?: string;
  name: string;
  /** A TF.js model.json converted to ONNX here (its metadata inside): served instead of the file. */
  converted?: Uint8Array;
}

function resolveUserModel(path: string): UserModel {
  const full = resolve(path);
  const opened = openModelFile(path);
  const real = realpathSync(full);
  if (opened.format === 'tfjs') {
    const converted = encodeModel(opened.converted.proto);
    LumenModel.fromBytes(converted, { runtime: NO_RUNTIME, source: path });
    return { path: full, real, name: `${basename(dirname(full))}.onnx`, converted };
  }
  // Only a model Lumen can load is served (never an arbitrary file named by --model, e.g. /etc/passwd).
  LumenModel.fromBytes(opened.bytes, { runtime: NO_RUNTIME, source: path });
  return { path: full, real, sidecar: sidecarPath(full), name: basename(full) };
}

/** The served model is only checked here (the page runs it): a runtime that is never asked for a session. */
const NO_RUNTIME: Runtime = {
  name: 'none',
  createSession: () => Promise.reject(new Error('serve does not run models')),
};

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((done, fail) => {
    const onError = (e: NodeJS.ErrnoException) => {
      fail(e.code === 'EADDRINUSE' ? new LumenError('BAD_OPTION', `port ${port} on ${host} is already in use; pick another with --port`, 2) : e);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      done();
    });
  });
}

function handle(req: IncomingMessage, res: ServerResponse, root: string, userModel: UserModel | undefined): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed', { Allow: 'GET, HEAD' });
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    send(res, 400, 'text/plain; charset=utf-8', 'bad request');
    return;
  }

  // --model replaces the bundled model: the manifest points at it and it is streamed from its own path.
  if (userModel) {
    if (pathname === '/bundled/manifest.json') {
      const manifest = readManifest(root);
      manifest.model = { name: userModel.name, url: 'bundled/user-model.onnx', ...(userModel.sidecar ? { metadataUrl: 'bundled/user-model.json' } : {}) };
      send(res, 200, mimeType('.json'), JSON.stringify(manifest, null, 1));
      return;
    }
    if (pathname === '/bundled/user-model.onnx' && userModel.converted) {
      res.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': 'application/octet-stream', 'Content-Length': userModel.converted.length, 'Cache-Control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : userModel.converted);
      return;
    }
    if (pathname === '/bundled/user-model.onnx') return sendFile(req, res, userModel.path, userModel.real);
    if (pathname === '/bundled/user-model.json' && userModel.sidecar) return sendFile(req, res, userModel.sidecar);
  }

  const relative = normalize(pathname).replace(/^([/\\])+/, '');
  const file = resolve(root, relative || 'index.html');
  if (file !== root && !file.startsWith(root + sep)) {
    send(res, 403, 'text/plain; charset=utf-8', 'forbidden');
    return;
  }
  const target = existsSync(file) && statSync(file).isDirectory() ? join(file, 'index.html') : file;
  if (!existsSync(target)) {
    send(res, 404, 'text/plain; charset=utf-8', `not found: ${pathname}`);
    return;
  }
  sendFile(req, res, target);
}

interface Manifest {
  model?: { name: string; url: string; metadataUrl?: string };
  samples?: { name: string; url: string }[];
}

function readManifest(root: string): Manifest {
  const path = join(root, 'bundled', 'manifest.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Manifest) : { samples: [] };
}

function sendFile(req: IncomingMessage, res: ServerResponse, path: string, real?: string): void {
  let size: number;
  try {
    const info = statSync(path);
    // only a regular file (a folder put in its place fails mid-stream), and the checked model only where it was
    if (!info.isFile() || (real !== undefined && realpathSync(path) !== real)) throw new Error('not the file that was checked');
    size = info.size;
  } catch {
    // Deleted or unreadable since start: the URL is named, never the path on disk.
    send(res, 404, 'text/plain; charset=utf-8', `not found: ${new URL(req.url ?? '/', 'http://localhost').pathname}`);
    return;
  }
  const stream = createReadStream(path);
  // An open or read error (permissions, a file deleted between stat and open) must not kill the server.
  stream.once('error', () => {
    if (!res.headersSent) send(res, 404, 'text/plain; charset=utf-8', `cannot read: ${new URL(req.url ?? '/', 'http://localhost').pathname}`);
    else res.destroy();
  });
  stream.once('open', () => {
    res.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': mimeType(path), 'Content-Length': size, 'Cache-Control': 'no-cache' });
    if (req.method === 'HEAD') {
      stream.destroy();
      res.end();
      return;
    }
    stream.pipe(res);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...ISOLATION_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}
