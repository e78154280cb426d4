#!/usr/bin/env node
// Walks the import graph of the browser entry (src/browser.ts) and fails when anything in it reaches Node-only code:
// a Node built-in (`node:*`, `fs`, `path`, …), a Node-only package (sharp, onnxruntime-node) or a file under src/node/.
// Then checks the folder rule of DEVELOPERS.md file by file: only the Node-only places (NODE_ONLY below: src/node/,
// src/cli/, src/bench/ and the Node entry src/index.ts) may import Node built-ins, Node-only packages or each other;
// every other file under src/ must not, whether or not the browser entry reaches it yet. Last, the web app's files
// (web/src/, a browser bundle) must reach nothing Node-only either.
// Usage: node scripts/check-browser-imports.mjs [--entry file.ts] [--root dir]
import { builtinModules } from 'node:module';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_ONLY_PACKAGES = new Set(['sharp', 'onnxruntime-node', 'cli-progress', 'commander', 'tinyglobby']);
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, m.split('/')[0]]));

/** Every module specifier in a source file: static imports/exports, side-effect imports and dynamic import(). */
export function specifiersOf(source) {
  const code = stripComments(source);
  const found = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*(['"])([^'"]+)\1/g,
    /\bimport\s*(['"])([^'"]+)\1/g,
    /\bimport\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) {
      // `import type … from` / `export type … from` vanish at compile time and cannot pull code in.
      if (/^(?:import|export)\s+type\s/.test(m[0])) continue;
      found.push({ specifier: m[2], dynamicTemplate: m[1] === '`' && m[2].includes('${') });
    }
  }
  return found;
}

function stripComments(source) {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Why a bare or built-in specifier is not allowed in the browser, or undefined when it is fine. */
export function forbiddenReason(specifier) {
  if (specifier.startsWith('node:')) return 'Node built-in';
  const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  if (BUILTINS.has(pkg)) return 'Node built-in';
  if (NODE_ONLY_PACKAGES.has(pkg)) return 'Node-only package';
  return undefined;
}

/** Source files a relative specifier can mean: './x.js' is written for './x.ts'. Template parts match any name. */
function resolveRelative(fromFile, specifier, dynamicTemplate) {
  const base = dirname(fromFile);
  if (dynamicTemplate) {
    const pattern = specifier.replace(/\$\{[^}]*\}/g, '*');
    return expandGlob(base, pattern.split('/')).flatMap((p) => resolveFile(p));
  }
  return resolveFile(resolve(base, specifier));
}

function expandGlob(dir, parts) {
  if (parts.length === 0) return [dir];
  const [head, ...rest] = parts;
  if (head === '.' || head === '') return expandGlob(dir, rest);
  if (head === '..') return expandGlob(dirname(dir), rest);
  if (!head.includes('*')) return expandGlob(join(dir, head), rest);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const re = new RegExp(`^${head.split('*').map(escapeRegExp).join('.*')}$`);
  return readdirSync(dir).filter((e) => re.test(e)).flatMap((e) => expandGlob(join(dir, e), rest));
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function resolveFile(path) {
  const candidates = [path, path.replace(/\.js$/, '.ts'), path.replace(/\.mjs$/, '.mts'), `${path}.ts`, join(path, 'index.ts')];
  const hit = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  return hit ? [hit] : [];
}

/**
 * Check the graph from `entry`. Returns the problems found (empty = browser-safe) and the files visited.
 * `nodeDir` is the folder whose files are Node-only (src/node).
 */
export function checkBrowserImports(entry, { nodeDir = join(dirname(entry), 'node') } = {}) {
  const problems = [];
  const visited = new Set();
  const queue = [{ file: resolve(entry), chain: [] }];
  const nodeRoot = resolve(nodeDir) + sep;
  while (queue.length > 0) {
    const { file, chain } = queue.shift();
    if (visited.has(file)) continue;
    visited.add(file);
    const here = [...chain, file];
    if (file.startsWith(nodeRoot)) {
      problems.push({ file, reason: 'file under src/node/ (Node-only)', chain: here });
      continue;
    }
    for (const { specifier, dynamicTemplate } of specifiersOf(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.') || specifier.startsWith('/')) {
        const targets = resolveRelative(file, specifier, dynamicTemplate);
        if (targets.length === 0 && !dynamicTemplate) {
          problems.push({ file, reason: `unresolved import '${specifier}'`, chain: here });
        }
        for (const t of targets) queue.push({ file: t, chain: here });
        continue;
      }
      const reason = forbiddenReason(specifier);
      if (reason) problems.push({ file, reason: `${reason} '${specifier}'`, chain: here });
    }
  }
  return { problems, files: [...visited] };
}

/** The Node-only places under src/ (folders end with '/'); everything else under src/ must be browser-safe. */
export const NODE_ONLY = ['node/', 'cli/', 'bench/', 'index.ts'];

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/**
 * The folder rule: every source file under `srcDir` outside `nodeOnly` imports no Node built-in, no Node-only package
 * and no file inside `nodeOnly` (checked on each file's own imports, so the closure is browser-safe too).
 */
export function checkNodeOnlyFolders(srcDir, nodeOnly = NODE_ONLY) {
  const root = resolve(srcDir) + sep;
  const isNodeOnly = (f) => {
    const rel = f.slice(root.length).split(sep).join('/');
    return nodeOnly.some((n) => (n.endsWith('/') ? rel.startsWith(n) : rel === n));
  };
  const problems = [];
  const files = sourceFiles(resolve(srcDir)).filter((f) => !isNodeOnly(f));
  for (const file of files) {
    for (const { specifier, dynamicTemplate } of specifiersOf(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.') || specifier.startsWith('/')) {
        for (const t of resolveRelative(file, specifier, dynamicTemplate)) {
          if (t.startsWith(root) && isNodeOnly(t)) problems.push({ file, reason: `imports Node-only ${t.slice(root.length)}`, chain: [file] });
        }
        continue;
      }
      const reason = forbiddenReason(specifier);
      if (reason) problems.push({ file, reason: `${reason} '${specifier}' outside the Node-only folders`, chain: [file] });
    }
  }
  return { problems, files };
}

/**
 * The web app (web/src/, bundled by Vite for the browser): the import graph from each of its files must reach no Node
 * built-in, no Node-only package and nothing under src/node/ (Vite would only warn and externalize a built-in).
 */
export function checkWebApp(webDir, nodeDir) {
  if (!existsSync(webDir)) return { problems: [], files: [] };
  const problems = [];
  const seen = new Set();
  const files = sourceFiles(resolve(webDir));
  for (const file of files) {
    for (const p of checkBrowserImports(file, { nodeDir }).problems) {
      const key = `${p.file}|${p.reason}`;
      if (!seen.has(key)) problems.push(p);
      seen.add(key);
    }
  }
  return { problems, files };
}

function parseArgs(argv) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const args = { entry: undefined, root };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--entry') args.entry = resolve(argv[++i]);
    else if (argv[i] === '--root') args.root = resolve(argv[++i]);
  }
  return args;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const { entry: given, root } = parseArgs(process.argv.slice(2));
  const entry = given ?? join(root, 'src', 'browser.ts');
  if (!existsSync(entry)) {
    console.error(`check-browser-imports: entry not found: ${entry}`);
    process.exit(1);
  }
  const graph = checkBrowserImports(entry, { nodeDir: join(root, 'src', 'node') });
  const folders = given ? { problems: [], files: [] } : checkNodeOnlyFolders(join(root, 'src'));
  const web = given ? { problems: [], files: [] } : checkWebApp(join(root, 'web', 'src'), join(root, 'src', 'node'));
  const problems = [...graph.problems, ...folders.problems, ...web.problems];
  const files = graph.files;
  const rel = (f) => relative(root, f) || f;
  if (problems.length > 0) {
    for (const p of problems) {
      console.error(`check-browser-imports: ${rel(p.file)}: ${p.reason}\n  via ${p.chain.map(rel).join(' -> ')}`);
    }
    console.error(`check-browser-imports: ${problems.length} problem(s) in the import graph of ${rel(entry)} or the Node-only folder rule`);
    process.exit(1);
  }
  console.log(`check-browser-imports: ok (${files.length} files reachable from ${rel(entry)}, no Node-only imports${given ? '' : `; ${folders.files.length} files outside ${NODE_ONLY.map((n) => `src/${n}`).join(', ')} import nothing Node-only; the web app's ${web.files.length} files under web/src/ reach nothing Node-only`})`);
}
