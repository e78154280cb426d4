import { rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LumenError } from '../errors.js';
import { exportExplanation, tritonConfig, type ExportedExplanation, type ExportOptions, type TritonOptions } from '../export/index.js';
import type { LumenModel } from '../model.js';
import { makeDirs, outputFolderError, prepareOutputDir, refuseOverwrite, writeOutputFile } from './output-dir.js';

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
  if (!options.out && options.triton === undefined) throw new LumenError('BAD_OPTION', 'export: give -o FILE.onnx and/or --triton DIR', 2);
  // (an empty --triton was ignored; a file or a path through a file ended in an internal error from rm)
  if (options.triton !== undefined) prepareOutputDir(options.triton, '--triton');
  const given = options.tritonOptions?.name;
  // the name is a folder under --triton that --force deletes first: '../x' or '/x' would delete a folder elsewhere
  if (given !== undefined && (typeof given !== 'string' || !/^[A-Za-z0-9_.-]{1,200}$/.test(given) || given === '.' || given === '..')) {
    throw new LumenError('BAD_OPTION', `--name ${typeof given === 'string' ? `'${given.slice(0, 40)}${given.length > 40 ? '…' : ''}'` : String(given)}: a Triton model name is 1–200 letters, digits, '_', '.' or '-' (it names the model's folder in the repository)`, 2);
  }
  const name = given ?? (options.out ? basename(options.out).replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9_.-]/g, '_') : 'lumen_explain');
  const modelDir = options.triton ? join(options.triton, name) : undefined;
  // refuse before any work
  if (options.out) refuseOverwrite(options.out, options.force, `-o ${options.out}`);
  if (modelDir) refuseOverwrite(modelDir, options.force, `--triton ${options.triton}`, `the model folder ${modelDir}`);
  const exported = await exportExplanation(model, options);
  const config = modelDir ? tritonConfig(exported, { ...options.tritonOptions, name }) : undefined;
  const files: string[] = [];
  const write = (path: string, data: string | Uint8Array, flag: string): void => {
    try {
      makeDirs(dirname(path));
    } catch (e) {
      throw outputFolderError(e, path, flag);
    }
    writeOutputFile(path, data, flag);
    files.push(path);
  };
  if (options.out) write(options.out, exported.bytes, '-o');
  if (modelDir && config !== undefined) {
    try {
      rmSync(modelDir, { recursive: true, force: true });
    } catch (e) {
      throw outputFolderError(e, modelDir, '--triton');
    }
    write(join(modelDir, 'config.pbtxt'), config, '--triton');
    write(join(modelDir, '1', 'model.onnx'), exported.bytes, '--triton');
  }
  return { exported, files };
}
