import { existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { glob } from 'tinyglobby';
import { LumenError } from '../errors.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.npy'];

/**
 * Expand CLI inputs (files, folders, globs) into a sorted list of image/.npy files. Folders are walked
 * (recursively with `recursive`); a pattern that matches nothing, or a missing file, is an error naming it.
 */
export async function expandInputs(inputs: readonly string[], recursive = false): Promise<string[]> {
  const out: string[] = [];
  for (const item of inputs) {
    if (existsSync(item)) {
      if (statSync(item).isDirectory()) {
        const pattern = recursive ? '**/*' : '*';
        const files = await glob(pattern, { cwd: item, onlyFiles: true, expandDirectories: false });
        const images = files.filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase())).sort().map((f) => join(item, f));
        if (images.length === 0) throw new LumenError('FILE_NOT_FOUND', `folder ${item} holds no images (${IMAGE_EXTENSIONS.join(', ')})${recursive ? '' : '; use --recursive for subfolders'}`);
        out.push(...images);
      } else {
        out.push(item);
      }
    } else if (/[*?[\]{}]/.test(item)) {
      const files = (await glob(item, { onlyFiles: true, expandDirectories: false })).filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase())).sort();
      if (files.length === 0) throw new LumenError('FILE_NOT_FOUND', `no images match ${item}`);
      out.push(...files);
    } else {
      throw new LumenError('FILE_NOT_FOUND', `input not found: ${item}`);
    }
  }
  return out;
}
