import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative, resolve } from 'node:path';
import { LumenError } from '../errors.js';
import { writeFileAtomic } from './image-file.js';

/** The lock file a run holds in its output folder (one writer per folder). */
export const LOCK_FILE = '.lumen.lock';

/** Longest file-name stem derived from an input path; longer ones keep a prefix and a hash of the whole path. */
const MAX_STEM = 150;

/**
 * Check and create an output folder, turning every way it can be wrong (empty name, a file, not writable, read-only
 * file system) into one named error. Returns the folder.
 */
export function prepareOutputDir(dir: string, flag = '--out'): string {
  if (typeof dir !== 'string' || dir.trim() === '') throw new LumenError('OUTPUT_FOLDER', `${flag}: the output folder name is empty`, 2);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new LumenError('OUTPUT_FOLDER', `${flag} ${dir}: this is a file, not a folder; give a folder for the outputs`, 2);
  try {
    makeDirs(dir);
    // A probe write: permissions and read-only mounts show here, before any work is done.
    const probe = join(dir, `.lumen-probe-${process.pid}`);
    closeSync(openSync(probe, 'w'));
    rmSync(probe, { force: true });
  } catch (e) {
    throw outputFolderError(e, dir, flag);
  }
  return dir;
}

/**
 * Check an output file path before any work: a name, not empty, and not a folder (the file's folder is the caller's:
 * `prepareOutputFile` creates and probes it). One wording for every output file flag (`-o <file>`, `--cache`).
 * Returns the path.
 */
export function checkOutputFile(path: string, flag: string): string {
  if (typeof path !== 'string' || path.trim() === '') throw new LumenError('OUTPUT_FOLDER', `${flag}: the output file name is empty`, 2);
  if (existsSync(path) && statSync(path).isDirectory()) throw new LumenError('OUTPUT_FOLDER', `${flag} ${path}: this is a folder, not a file; give a file name for the output`, 2);
  return path;
}

/**
 * Never overwrite without --force: refuse an output `path` that exists unless `force`. `where` names the flag and
 * its value (`-o out.onnx`), `what` the thing that exists (default 'the file').
 */
export function refuseOverwrite(path: string, force: boolean | undefined, where: string, what = 'the file'): void {
  if (!force && existsSync(path)) throw new LumenError('OUTPUT_EXISTS', `${where}: ${what} exists (add --force to overwrite it)`, 2);
}

/** `checkOutputFile`, then its folder checked and created as `prepareOutputDir` does: nothing left to fail but the write. */
export function prepareOutputFile(path: string, flag: string): string {
  checkOutputFile(path, flag);
  prepareOutputDir(dirname(path) || '.', flag);
  return path;
}

/**
 * `mkdir -p` that fails instead of looping: Node's recursive mkdirSync spins forever under /proc (mkdir there gives
 * ENOENT although the parent exists). Each missing level is made on its own, so the first failure is thrown.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) mkdirSync(d);
}

/**
 * Write an output file (atomically: writeFileAtomic), a failure being outputFolderError's named error: `flag` names
 * the flag, `shown` the path it gave (default the file; the folder when the user gave a folder).
 */
export function writeOutputFile(path: string, data: Uint8Array | string, flag = '--out', shown = path): void {
  try {
    writeFileAtomic(path, data);
  } catch (e) {
    throw outputFolderError(e, shown, flag);
  }
}

/** A named error for a failed write into the output folder (permissions, full disk, read-only, not a folder). */
export function outputFolderError(e: unknown, path: string, flag = '--out'): LumenError {
  if (e instanceof LumenError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'the file system is read-only',
    ENOTDIR: 'a part of the path is a file, not a folder',
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is exceeded',
    EISDIR: 'a folder is in the way',
    ENAMETOOLONG: 'the name is too long',
  };
  return new LumenError('OUTPUT_FOLDER', `${flag} ${path}: cannot write there (${(code && why[code]) ?? (e instanceof Error ? e.message : String(e))})`);
}

/**
 * Take the folder's lock, or refuse when another live run holds it (two writers would interleave the manifest and
 * claim each other's files). A lock left by a run that died is taken over; this process may take its own lock again
 * (released when every holder has released it). Returns the release function.
 */
export function lockOutputDir(dir: string, flag = '--out'): () => void {
  const path = join(dir, LOCK_FILE);
  const key = resolve(path);
  // Re-entrant within one process: a command holds the lock around its own writes and the batch it runs.
  const held = heldLocks.get(key);
  if (held !== undefined) {
    heldLocks.set(key, held + 1);
    return once(() => release(key, path));
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldLocks.set(key, 1);
      return once(() => release(key, path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw outputFolderError(e, dir, flag);
    }
    const pid = Number(readFileSafe(path));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new LumenError('OUTPUT_LOCKED', `${flag} ${dir}: another Lumen run (process ${pid}) is writing into this folder; wait for it to finish or use another output folder`);
    }
    rmSync(path, { force: true }); // stale: its process is gone
  }
  throw new LumenError('OUTPUT_LOCKED', `${flag} ${dir}: could not take the folder's lock (${path})`);
}

/** Locks this process holds, by lock-file path, with how many holders. */
const heldLocks = new Map<string, number>();

function release(key: string, path: string): void {
  const n = (heldLocks.get(key) ?? 1) - 1;
  if (n > 0) {
    heldLocks.set(key, n);
    return;
  }
  heldLocks.delete(key);
  rmSync(path, { force: true });
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      f();
    }
  };
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A file-name stem for an input path, one-to-one: the path relative to the working folder (extension kept, so
 * x.png and x.npy differ) with every character outside [A-Za-z0-9._-] written as ~XX (so a/b.png → a~2Fb.png and
 * a__b.png stays a__b.png); a leading dot is escaped too. Inputs outside the working folder use their absolute path. Very long paths keep a prefix plus `~~` (which no escaped name holds) and a hash of the whole path.
 */
export function outputStem(file: string): string {
  const full = resolve(file);
  const rel = relative(process.cwd(), full).replace(/\\/g, '/');
  // Outside the working folder the absolute path is used (its escaped leading '/' keeps it apart from relative ones).
  const escaped = escapeName(rel.startsWith('../') || rel === '..' ? full : rel);
  if (escaped.length <= MAX_STEM) return escaped;
  return `${escaped.slice(0, MAX_STEM - 18)}~~${createHash('sha256').update(rel).digest('hex').slice(0, 16)}`;
}

/** Escape a string into a file-name part, one-to-one (see outputStem). */
export function escapeName(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]/gu, (c) => Array.from(new TextEncoder().encode(c), (b) => `~${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''))
    .replace(/^\./, '~2E');
}
