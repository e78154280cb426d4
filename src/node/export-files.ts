import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LumenError } from '../errors.js';
import { exportExplanation, tritonConfig, type ExportedExplanation, type ExportOptions, type TritonOptions } from '../export/index.js';
import type { LumenModel } from '../model.js';
import { makeDirs, outputFolderError } from './output-dir.js';

export interface ExportFileOptions extends ExportOptions {
  /** The .onnx file to write (optional when `triton` is given). */
  out?: string;
  /** A Triton model repository folder to write (`<triton>/<name>/config.pbtxt`, `<triton>/<name>/1/model.onnx`). */
  triton?: string;
  tritonOptions?: Partial<TritonOptions>;
  /** Overwrite an existing file or Triton model folder. */
  force?: boolean;
}

export interface ExportFileResult {
  exported: ExportedExplanation;
  /** Paths written. */
  files: string[];
}

/** Export an explanation graph and write it as an .onnx file and/or a Triton model repository. */
export async function exportExplanationFiles(model: LumenModel, options: ExportFileOptions): Promise<ExportFileResult> {
  if (!options.out && !options.triton) throw new LumenError('BAD_OPTION', 'export: give -o FILE.onnx and/or --triton DIR', 2);
  const name = options.tritonOptions?.name ?? (options.out ? basename(options.out).replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9_.-]/g, '_') : 'lumen_explain');
  const modelDir = options.triton ? join(options.triton, name) : undefined;
  // refuse before any work
  if (options.out && existsSync(options.out) && !options.force) throw new LumenError('OUTPUT_EXISTS', `-o ${options.out}: the file exists (add --force to overwrite it)`, 2);
  if (modelDir && existsSync(modelDir) && !options.force) throw new LumenError('OUTPUT_EXISTS', `--triton ${options.triton}: the model folder ${modelDir} exists (add --force to overwrite it)`, 2);
  const exported = await exportExplanation(model, options);
  const config = modelDir ? tritonConfig(exported, { ...options.tritonOptions, name }) : undefined;
  const files: string[] = [];
  const write = (path: string, data: string | Uint8Array, flag: string): void => {
    try {
      makeDirs(dirname(path));
      writeFileSync(path, data);
    } catch (e) {
      throw outputFolderError(e, path, flag);
    }
    files.push(path);
  };
  if (options.out) write(options.out, exported.bytes, '-o');
  if (modelDir && config !== undefined) {
    rmSync(modelDir, { recursive: true, force: true });
    write(join(modelDir, 'config.pbtxt'), config, '--triton');
    write(join(modelDir, '1', 'model.onnx'), exported.bytes, '--triton');
  }
  return { exported, files };
}
