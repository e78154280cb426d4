import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseJsonText } from '../errors.js';
import { conceptReportSections, type ConceptOutputs } from '../report/concepts-html.js';
import { imageFileDataUri } from './image-file.js';

function readJson<T>(file: string): T | undefined {
  return existsSync(file) ? (parseJsonText(readFileSync(file, 'utf8'), file) as T) : undefined;
}

/** The concept outputs of one folder: concepts.json / craft.json as written by their commands, tcav/neighbors/prototypes.json as saved from `--json`. */
export function readConceptOutputs(dir: string): ConceptOutputs {
  const o: ConceptOutputs = {};
  // Paths inside the JSON were written relative to the cwd of that run; the files sit in `dir`, so look there by name too.
  const near = (p: string): string[] => [p, join(dir, p), join(dir, basename(p))];
  const dff = readJson<Omit<NonNullable<ConceptOutputs['dff']>, 'images'> & { images: { image: string; png: string; share: number[] }[] }>(join(dir, 'concepts.json'));
  if (dff) o.dff = { ...dff, images: dff.images.map((i) => ({ image: i.image, share: i.share, picture: imageFileDataUri(join(dir, basename(i.png)), i.png) })) };
  const craft = readJson<Omit<NonNullable<ConceptOutputs['craft']>, 'atlas'> & { atlas: string }>(join(dir, 'craft.json'));
  if (craft) o.craft = { ...craft, atlas: imageFileDataUri(join(dir, basename(craft.atlas)), craft.atlas) };
  const tcav = readJson<NonNullable<ConceptOutputs['tcav']>>(join(dir, 'tcav.json'));
  if (tcav) o.tcav = tcav;
  const nb = readJson<NonNullable<ConceptOutputs['neighbors']>>(join(dir, 'neighbors.json'));
  if (nb) o.neighbors = { ...nb, neighbors: nb.neighbors.map((h) => ({ ...h, picture: imageFileDataUri(...near(h.file)) })) };
  const pr = readJson<{ layer: string; images: number; prototypes: string[]; criticisms: { file: string; witness: number }[] }>(join(dir, 'prototypes.json'));
  if (pr) o.prototypes = { ...pr, prototypes: pr.prototypes.map((f) => ({ file: f, picture: imageFileDataUri(...near(f)) })), criticisms: pr.criticisms.map((c) => ({ ...c, picture: imageFileDataUri(...near(c.file)) })) };
  return o;
}

/** Report sections for the concept outputs in `outDir` and its direct subfolders (e.g. out/concepts, out/craft). */
export function conceptSectionsIn(outDir: string): { title: string; html: string }[] {
  const dirs = [outDir, ...readdirSync(outDir).map((n) => join(outDir, n)).filter((p) => statSync(p).isDirectory()).sort()];
  return dirs.flatMap((d) => conceptReportSections(readConceptOutputs(d)));
}
