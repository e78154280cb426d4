/** Image folders picked in the page (`<input type=file webkitdirectory>` or several files) for the concept views. */
import { LumenError, Tensor, decodeImageBlob, prepareImage, type LumenModel, type PreparedImage } from '../../src/browser.js';
import { requireSameSize } from '../../src/methods/concepts/layer.js';

const IMAGE_FILE = /\.(png|jpe?g|webp|gif|bmp)$/i;

/** A picked folder's image files: `label` names it in messages, `files` keeps the images only, sorted by path. */
export interface Folder {
  label: string;
  files: File[];
  /** Files picked that are not images (counted in the "holds no images" message). */
  skipped: number;
}

/** Where a file sits in the picked folder ("shapes/circle/001.png"), or its name for plain file picks. */
export function pathOf(f: File): string {
  return f.webkitRelativePath || f.name;
}

/** The image files of a picked folder (or of several picked files), sorted by relative path as the CLI sorts its globs. */
export function folderOf(list: FileList | readonly File[] | null | undefined, fallbackLabel: string): Folder {
  const all = Array.from(list ?? []);
  const files = all.filter((f) => f.type.startsWith('image/') || IMAGE_FILE.test(f.name)).sort((a, b) => (pathOf(a) < pathOf(b) ? -1 : pathOf(a) > pathOf(b) ? 1 : 0));
  const top = all[0] && pathOf(all[0]).includes('/') ? pathOf(all[0]).split('/')[0]! : undefined;
  return { label: top ?? fallbackLabel, files, skipped: all.length - files.length };
}

/** The subfolders directly under the picked folder that hold images (class folders, as `lumen prototypes --class`). */
export function subfolders(folder: Folder): string[] {
  const names = new Set<string>();
  for (const f of folder.files) {
    const parts = pathOf(f).split('/');
    if (parts.length >= 3) names.add(parts[1]!);
  }
  return [...names].sort();
}

/** The folder's images, or only those of subfolder `cls` when given. */
export function inClass(folder: Folder, cls: string | undefined): Folder {
  if (!cls) return folder;
  return { label: `${folder.label}/${cls}`, files: folder.files.filter((f) => pathOf(f).split('/')[1] === cls && pathOf(f).split('/').length >= 3), skipped: 0 };
}

/** One clear error for a folder with too few images (an empty pick, a folder of other files). */
export function requireImages(folder: Folder | undefined, what: string, atLeast = 1): Folder {
  if (!folder || (folder.files.length === 0 && folder.skipped === 0)) throw new LumenError('FILE_NOT_FOUND', `${what}: no folder picked, or the folder is empty`, 2);
  if (folder.files.length === 0) throw new LumenError('FILE_NOT_FOUND', `${what}: the folder ${folder.label} holds no images (${folder.skipped} other file${folder.skipped === 1 ? '' : 's'}; expected PNG, JPEG, WebP, GIF or BMP)`, 2);
  if (folder.files.length < atLeast) throw new LumenError('BAD_OPTION', `${what}: the folder ${folder.label} holds ${folder.files.length} image${folder.files.length === 1 ? '' : 's'}; at least ${atLeast} are needed`, 2);
  return folder;
}

export interface LoadedFolder {
  files: File[];
  images: PreparedImage[];
  /** [n, C, H, W]: the images prepared for the model (resize + normalization, as `lumen` loads files). */
  batch: Tensor;
}

/** Decode and prepare every image of `folder` for `model`; all must share one input size. */
export async function loadFolder(model: LumenModel, folder: Folder, what: string, tick?: (done: number, total: number) => void, signal?: AbortSignal): Promise<LoadedFolder> {
  const images: PreparedImage[] = [];
  for (const [i, f] of folder.files.entries()) {
    signal?.throwIfAborted();
    images.push(prepareImage(await decodeImageBlob(f), model));
    tick?.(i + 1, folder.files.length);
  }
  requireSameSize(images.map((p, i) => ({ name: pathOf(folder.files[i]!), dims: p.tensor.dims })), what);
  return { files: folder.files, images, batch: Tensor.concat(images.map((p) => p.tensor)) };
}
