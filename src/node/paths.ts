import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
