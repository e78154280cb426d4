/**
 * Audit category `server`: `lumen serve` (serveWebApp) under hostile requests — path traversal in every encoding,
 * foreign Host headers (DNS rebinding), other methods — with and without --model; --model given things that are not
 * models; the model deleted or replaced while served; `lumen serve --port` values. Requests go over a raw socket so
 * the exact request line and headers are sent. A 200 whose body is not a file of the served folder (or the model)
 * is a failure, as is a response without the Content-Security-Policy header or a body naming an absolute path.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { serveWebApp, type WebAppServer } from '../../src/node/serve.js';
import { attempt, classifyCli, MODEL, REPO, runCli, tempDir, type AuditCase, type CaseResult, type Category } from './common.js';

interface ServerCase extends AuditCase {
  kind: 'request' | 'model' | 'port';
  /** request: the raw request target, Host (with PORT for the server's port; null = no Host header) and method. */
  target?: string;
  host?: string | null;
  method?: string;
  withModel?: boolean;
  /** model: what --model names, or what happens to it while served. */
  model?: string;
  /** port: the --port value. */
  port?: string;
}

interface Fixture {
  dir: string;
  root: string;
  model: string;
  secret: string;
  /** Contents a 200 may carry: every file of the root, the model and its sidecar. */
  allowed: Set<string>;
}

let fixture: Fixture | undefined;
function makeFixture(): Fixture {
  const dir = tempDir('serve');
  const root = join(dir, 'root');
  mkdirSync(join(root, 'bundled'), { recursive: true });
  mkdirSync(join(root, 'assets'));
  mkdirSync(join(dir, 'root-evil'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'bundled', 'manifest.json'), JSON.stringify({ model: { name: 'm.onnx', url: 'bundled/model.onnx' }, samples: [] }));
  const secret = `SECRET-${randomBytes(8).toString('hex')}`;
  writeFileSync(join(dir, 'secret.txt'), secret);
  writeFileSync(join(dir, 'root-evil', 'secret.txt'), secret);
  writeFileSync(join(dir, 'secret.onnx'), secret);
  const model = join(dir, 'models', 'mine.onnx');
  mkdirSync(join(dir, 'models'));
  copyFileSync(MODEL, model);
  const allowed = new Set<string>();
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else allowed.add(readFileSync(p).toString('latin1'));
    }
  };
  walk(root);
  allowed.add(readFileSync(model).toString('latin1'));
  return { dir, root, model, secret, allowed };
}

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** One request over a raw socket: exactly this request line and these headers. */
function raw(port: number, method: string, target: string, host: string | null): Promise<RawResponse> {
  return new Promise((done, fail) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(20_000, () => socket.destroy(new Error('no response in 20 s')));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', fail);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
      let body = rest.join('\r\n\r\n');
      if (headers.get('transfer-encoding') === 'chunked') body = unchunk(body);
      done({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body });
    });
    socket.write(`${method} ${target} HTTP/1.1\r\n${host === null ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`, 'latin1');
  });
}

function unchunk(body: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    const size = parseInt(body.slice(at, eol), 16);
    if (!size) return out;
    out += body.slice(eol + 2, eol + 2 + size);
    at = eol + 4 + size;
  }
}

/** What is wrong with a response (empty when nothing). */
function responseProblems(r: RawResponse, f: Fixture, hostAllowed: boolean, method = 'GET'): string[] {
  const problems: string[] = [];
  if (r.status === 0) return method === 'CONNECT' ? [] : ['no HTTP response'];
  // (Node itself answers a request without Host with an empty 400, before any handler: nothing there to protect)
  if (!/default-src 'self'/.test(r.headers.get('content-security-policy') ?? '') && r.body.length > 0) problems.push(`a ${r.status} without the Content-Security-Policy header`);
  if (r.body.includes(f.secret) || /root:.*:0:0:/.test(r.body)) problems.push(`served a file outside the served folder (status ${r.status})`);
  else if (r.status === 200 && method !== 'HEAD' && !f.allowed.has(r.body) && !r.body.startsWith('{')) problems.push(`a 200 whose body is none of the served files: ${r.body.slice(0, 60)}`);
  if (r.status === 200 && !hostAllowed) problems.push('answered a foreign Host (DNS rebinding)');
  if (r.status >= 400 && (r.body.includes(f.dir) || r.body.includes(REPO))) problems.push(`an error body naming a path: ${r.body.slice(0, 120)}`);
  return problems;
}

const TRAVERSALS = [
  '../secret.txt', '..%2fsecret.txt', '%2e%2e/secret.txt', '%2e%2e%2fsecret.txt', '..%5csecret.txt', '..\\secret.txt', '%252e%252e%252fsecret.txt',
  '....//secret.txt', '..;/secret.txt', '%c0%ae%c0%ae/secret.txt', '..%00/secret.txt', '../root-evil/secret.txt', '..%2froot-evil%2fsecret.txt',
  '%2e%2e%5c%2e%2e%5csecret.txt', '.%2e/secret.txt', '%2e./secret.txt',
];
const ABSOLUTE = [
  '//etc/passwd', '/etc/passwd', '/%2fetc%2fpasswd', '/..//..//..//..//etc/passwd', `/${'../'.repeat(12)}etc/passwd`, `/${'%2e%2e/'.repeat(12)}etc/passwd`,
  'file:///etc/passwd', 'http://evil.example/../../../../etc/passwd', '/bundled/user-model.onnx/../../../secret.txt', '/\\..\\..\\..\\..\\etc\\passwd',
  '/index.html%00.png', '/%2e%2e', '*', '/bundled/../../secret.txt', '/./././../secret.txt', '/assets/../../secret.onnx',
];
const HOSTS: [string | null, boolean][] = [
  ['127.0.0.1:PORT', true], ['localhost:PORT', true], ['LOCALHOST:PORT', true], ['[::1]:PORT', true],
  ['evil.example', false], ['evil.example:PORT', false], ['127.0.0.1', false], ['localhost', false], ['127.0.0.1:OTHER', false],
  ['localhost.:PORT', false], ['127.0.0.1.nip.io:PORT', false], ['', false], [null, false], ['user@evil.example:PORT', false],
  ['evil.example:PORT@127.0.0.1:PORT', false], ['127.0.0.1:PORT.evil.example', false], ['0.0.0.0:PORT', false], ['localhost:PORT, evil.example', false],
];
const METHODS = ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'HEAD'];
const MODEL_ARGS = ['/etc/passwd', 'secret.onnx (text)', 'empty.onnx', 'a folder', '/dev/null', '/dev/zero', 'missing.onnx', 'symlink to /etc/passwd'];
const MODEL_LIFE = ['deleted while served', 'replaced by a folder', 'replaced by a symlink to /etc/passwd', 'replaced by a text file', 'truncated while served'];

let servers: { plain?: Promise<WebAppServer>; model?: Promise<WebAppServer> } = {};

async function request(c: ServerCase): Promise<CaseResult> {
  const f = (fixture ??= makeFixture());
  const server = await (c.withModel ? (servers.model ??= serveWebApp({ port: 0, root: f.root, model: f.model })) : (servers.plain ??= serveWebApp({ port: 0, root: f.root })));
  const host = c.host === null || c.host === undefined ? c.host ?? null : c.host.replaceAll('PORT', String(server.port)).replaceAll('OTHER', String(server.port + 1));
  const hostAllowed = HOSTS.some(([h, ok]) => ok && h === c.host) || c.host === undefined;
  const r = await raw(server.port, c.method ?? 'GET', c.target ?? '/', c.host === undefined ? `127.0.0.1:${server.port}` : host);
  const problems = responseProblems(r, f, hostAllowed, c.method);
  // the server must still answer afterwards
  const alive = await raw(server.port, 'GET', '/', `127.0.0.1:${server.port}`);
  if (alive.status !== 200) problems.push(`the server stopped answering (${alive.status})`);
  return problems.length ? { outcome: 'failure', detail: problems.join('; ') } : { outcome: r.status < 400 ? 'result' : 'error', code: String(r.status), detail: `${r.status} ${r.body.slice(0, 60).replace(/\s+/g, ' ')}` };
}

async function modelArg(c: ServerCase): Promise<CaseResult> {
  const f = (fixture ??= makeFixture());
  const paths: Record<string, () => string> = {
    '/etc/passwd': () => '/etc/passwd',
    'secret.onnx (text)': () => join(f.dir, 'secret.onnx'),
    'empty.onnx': () => (writeFileSync(join(f.dir, 'empty.onnx'), ''), join(f.dir, 'empty.onnx')),
    'a folder': () => join(f.dir, 'models'),
    '/dev/null': () => '/dev/null',
    '/dev/zero': () => '/dev/zero',
    'missing.onnx': () => join(f.dir, 'missing.onnx'),
    'symlink to /etc/passwd': () => {
      const p = join(f.dir, `link-${randomBytes(4).toString('hex')}.onnx`);
      symlinkSync('/etc/passwd', p);
      return p;
    },
  };
  return attempt(async () => {
    const s = await serveWebApp({ port: 0, root: f.root, model: paths[c.model!]!() });
    const r = await raw(s.port, 'GET', '/bundled/user-model.onnx', `127.0.0.1:${s.port}`);
    await s.close();
    if (r.body.includes(f.secret) || /root:.*:0:0:/.test(r.body)) throw new Error(`--model ${c.model} was served (${r.status})`);
    return `started; /bundled/user-model.onnx: ${r.status}`;
  });
}

async function modelLife(c: ServerCase): Promise<CaseResult> {
  const f = (fixture ??= makeFixture());
  const dir = join(f.dir, `life-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir);
  const model = join(dir, 'm.onnx');
  copyFileSync(MODEL, model);
  const s = await serveWebApp({ port: 0, root: f.root, model });
  try {
    const host = `127.0.0.1:${s.port}`;
    const before = await raw(s.port, 'GET', '/bundled/user-model.onnx', host);
    if (before.status !== 200) return { outcome: 'failure', detail: `the model was not served at first (${before.status})` };
    if (c.model === 'deleted while served') unlinkSync(model);
    else if (c.model === 'replaced by a folder') (unlinkSync(model), mkdirSync(model));
    else if (c.model === 'replaced by a symlink to /etc/passwd') (unlinkSync(model), symlinkSync('/etc/passwd', model));
    else if (c.model === 'replaced by a text file') writeFileSync(model, 'hello');
    else writeFileSync(model, readFileSync(MODEL).subarray(0, 100));
    const after = await raw(s.port, 'GET', '/bundled/user-model.onnx', host);
    const problems = responseProblems(after, f, true).filter((p) => !p.startsWith('a 200 whose body'));
    const alive = await raw(s.port, 'GET', '/', host);
    if (alive.status !== 200) problems.push(`the server stopped answering (${alive.status})`);
    return problems.length ? { outcome: 'failure', detail: problems.join('; ') } : { outcome: after.status < 400 ? 'result' : 'error', code: String(after.status), detail: `then ${after.status} ${after.body.slice(0, 60)}` };
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const server: Category<ServerCase> = {
  name: 'server',
  title: 'lumen serve: path traversal in every encoding, foreign Host headers (DNS rebinding), CSP on every response, other methods, --model that is not a model, the model deleted or replaced while served, --port values',
  timeoutMs: 60_000,
  slice: 8,
  plan() {
    const cases: ServerCase[] = [];
    const add = (c: Omit<ServerCase, 'id'>): void => void cases.push({ id: `server/${cases.length}`, ...c });
    for (const withModel of [false, true]) {
      for (const prefix of ['/', '/bundled/', '/assets/']) for (const t of TRAVERSALS) add({ kind: 'request', name: `GET ${prefix}${t}${withModel ? ' (--model)' : ''}`, target: `${prefix}${t}`, withModel });
      for (const t of ABSOLUTE) add({ kind: 'request', name: `GET ${t}${withModel ? ' (--model)' : ''}`, target: t, withModel });
    }
    for (const [host] of HOSTS) for (const target of ['/', '/bundled/user-model.onnx']) add({ kind: 'request', name: `Host ${host === null ? '(none)' : `'${host}'`} ${target}`, target, host, withModel: true });
    for (const method of METHODS) add({ kind: 'request', name: `${method} /`, target: '/', method });
    for (const model of MODEL_ARGS) add({ kind: 'model', name: `--model ${model}`, model, expect: 'error' });
    for (const model of MODEL_LIFE) add({ kind: 'model', name: `model ${model}`, model });
    for (const port of ['abc', '-1', '65536', '', '1.5', '1e3']) add({ kind: 'port', name: `lumen serve --port '${port}'`, port, expect: 'error' });
    return cases;
  },
  async run(c) {
    if (c.kind === 'request') return request(c);
    if (c.kind === 'model') return MODEL_LIFE.includes(c.model!) ? modelLife(c) : modelArg(c);
    const r = await runCli(['serve', '--port', c.port!], { timeoutMs: 20_000 });
    if (r.killed && /web app at/.test(r.stdout)) return { outcome: 'result', detail: `accepted: ${r.stdout.trim().split('\n')[0]}` };
    return classifyCli(r, 'lumen serve');
  },
};
