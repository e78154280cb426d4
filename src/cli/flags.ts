import { existsSync, readFileSync, statSync } from 'node:fs';
import { Argument, Option } from 'commander';
import { LumenError } from '../errors.js';
import { EMBEDDING_CACHE_FILE } from '../node/embeddings.js';
import { checkOutputFile } from '../node/output-dir.js';

/**
 * A flag value that names something (a layer, an output, a file): an empty one is refused where it is parsed (an
 * empty --layer or --output was ignored, and the default used without a word).
 */
function named(option: Option, what: string, parse: (value: string) => unknown = (value) => value): Option {
  return option.argParser((value: string) => {
    if (value.trim() === '') throw new LumenError('BAD_OPTION', `--${option.attributeName()}: an empty value; give a ${what}`, 2);
    return parse(value);
  });
}

/**
 * A comma-separated list flag (`-m`, `--metric`, `-l a,b`, `--classes a,b`, bench's `--models`/`--only`, the tabular
 * commands' column lists), the one rule: entries trimmed; no entry at all is `<flag>: no <what> given<hint>`, and an
 * empty entry (`a,,b`, a comma at either end) is refused, not dropped. A list of numbers is read by its number check.
 */
export function parseList(flag: string, text: string, what: string, hint = ''): string[] {
  const entries = text.split(',').map((s) => s.trim());
  if (entries.every((e) => e === '')) throw new LumenError('BAD_OPTION', `${flag}: no ${what} given${hint}`, 2);
  if (entries.includes('')) throw new LumenError('BAD_OPTION', `${flag}: an empty ${what} in the list '${text}'; remove the extra comma`, 2);
  return entries;
}

/**
 * The text of the file a flag names (`--regions`, `--classes`): an empty value, a missing file, a folder and what is
 * not a regular file (a device or a pipe would be read forever) are refused, naming the flag and what to give.
 */
export function readFlagFile(flag: string, path: string, what: string): string {
  if (path.trim() === '') throw new LumenError('BAD_OPTION', `${flag}: an empty value; give a ${what}`, 2);
  if (!existsSync(path)) throw new LumenError('FILE_NOT_FOUND', `${flag} file not found: ${path}`);
  const stat = statSync(path);
  if (stat.isDirectory()) throw new LumenError('BAD_OPTION', `${flag} ${path}: a folder, not a ${what}`, 2);
  if (!stat.isFile()) throw new LumenError('BAD_OPTION', `${flag} ${path}: not a regular file; give a ${what}`, 2);
  return readFileSync(path, 'utf8');
}

/**
 * The flags several commands take, each spelled once here (long name, short form, value placeholder, and the help
 * text where the commands agree); a command words the help for what the flag does there. Flags generated from
 * method metadata are in `method-flags.ts`, the model flags in `model-options.ts`.
 */
export const flag = {
  json: (help = 'machine-readable output'): Option => new Option('--json', help),
  /**
   * `-o, --out`: a folder or a file, depending on the command. A file is checked where it is parsed (`checkOutputFile`:
   * not empty, not a folder); a folder when it is prepared (`prepareOutputDir`).
   */
  out: (placeholder: '<dir>' | '<file>', help: string, fallback?: string): Option => {
    const option = new Option(`-o, --out ${placeholder}`, help).default(fallback);
    return placeholder === '<file>' ? option.argParser((value: string) => checkOutputFile(value, '-o')) : option;
  },
  force: (help: string): Option => new Option('--force', help),
  recursive: (): Option => new Option('--recursive', 'walk folders recursively'),
  seed: (help: string, fallback?: string): Option => new Option('--seed <n>', help).default(fallback),
  batchSize: (help: string, fallback: string): Option => new Option('--batch-size <n>', help).default(fallback),
  /**
   * `-l, --layer`: one ONNX tensor (`<tensor>`: the name) or a comma-separated list (`<tensors>`, CAM methods: parsed
   * into the names, each trimmed).
   */
  layer: (placeholder: '<tensor>' | '<tensors>', help = 'layer; default: the default CAM layer'): Option =>
    named(new Option(`-l, --layer ${placeholder}`, help), "layer name (see 'lumen layers')", placeholder === '<tensors>' ? (value) => parseList('--layer', value, 'layer name', " (see 'lumen layers')") : undefined),
  /** `--cache`: the pooled-embedding cache of a dataset folder (concept commands). */
  embeddingCache: (): Option => new Option('--cache <file>', `embedding cache file (default: <dataset>/${EMBEDDING_CACHE_FILE})`),
  /** `--output`: which model output a target or a prediction reads (multi-output models). */
  output: (help: string): Option => named(new Option('--output <name>', help), 'model output name'),
};

/** The `<model>` argument of every command that loads an ONNX model. */
export const modelArgument = (): Argument => new Argument('<model>', 'ONNX model file');
