/**
 * The concept commands' flags from the concept methods' metadata (src/methods/concepts/registry.ts), as
 * method-flags.ts does for `explain`, and their progress bars on stderr.
 */
import { Option, type Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { getConceptMethod, type ConceptMethodId, type ConceptOptionSpec } from '../methods/concepts/registry.js';
import { parseOption } from './method-flags.js';

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** `--crop-size <value>`, or the spec's own flag ('-k, --concepts <k>'). */
function flagOf(spec: ConceptOptionSpec): string {
  return spec.flag ?? (spec.type === 'boolean' ? `--${kebab(spec.name)} [bool]` : `--${kebab(spec.name)} <value>`);
}

/** The attribute commander stores the flag under ('--crop-size' → cropSize, '-k, --concepts <k>' → concepts). */
function attributeOf(spec: ConceptOptionSpec): string {
  const long = /--([a-z0-9-]+)/.exec(flagOf(spec))![1]!;
  return camel(long);
}

/** One flag per option of the concept method, with its default and choices in the help. */
export function addConceptFlags(cmd: Command, id: ConceptMethodId): Command {
  for (const spec of getConceptMethod(id).info.options) {
    const choices = spec.choices ? ` (${spec.choices.join('|')})` : '';
    const option = new Option(flagOf(spec), `${spec.description}${choices}`);
    if (spec.default !== undefined) option.default(String(spec.default));
    cmd.addOption(option);
  }
  return cmd;
}

/** The method's options from the parsed flags, each parsed and range-checked by its spec (errors name the flag). */
export function conceptOptionsFromFlags(id: ConceptMethodId, parsed: object): Record<string, unknown> {
  const flags = parsed as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const spec of getConceptMethod(id).info.options) {
    const attr = attributeOf(spec);
    const raw = flags[attr];
    if (raw === undefined) continue;
    out[spec.name] = parseOption({ ...spec, name: attr }, raw, undefined);
  }
  return out;
}

/**
 * A progress bar on stderr for folder work, one bar per stage ('concept activations', 'crops', …); nothing when
 * stderr is not a terminal or the output is --json (stdout stays machine-readable either way).
 */
export function stageProgress(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): { onProgress?: (done: number, total: number, stage: string) => void; stop(): void } {
  if (!enabled || !stream.isTTY) return { stop: () => undefined };
  const bar = new SingleBar({ format: '{stage} [{bar}] {value}/{total} | ETA {eta_formatted}', hideCursor: true, stream }, Presets.shades_classic);
  let stage: string | undefined;
  return {
    onProgress(done, total, next) {
      if (next !== stage) {
        if (stage !== undefined) bar.stop();
        stage = next;
        bar.start(total, done, { stage });
      } else bar.update(done);
    },
    stop: () => {
      if (stage !== undefined) bar.stop();
    },
  };
}
