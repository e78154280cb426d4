import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder (where models/ and samples/ are), from src/ or dist/ alike. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + dirname(fileURLToPath(import.meta.url)));
    dir = up;
  }
  return dir;
}

/** The bundled Fashion-MNIST classifier (`models/fashion-cnn.onnx` inside the installed package). */
export const bundledModelPath = (): string => join(packageRoot(), 'models', 'fashion-cnn.onnx');
/** The bundled sample images, one Fashion-MNIST test image per class (`samples/fashion/`). */
export const bundledSamplesDir = (): string => join(packageRoot(), 'samples', 'fashion');

/** Content types by file extension (lower case): what `lumen serve` sends, and the reports' inline pictures. */
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.npy': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** A file's content type by its extension; unknown extensions are 'application/octet-stream'. */
export function mimeType(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}
