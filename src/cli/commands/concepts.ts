import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { LumenError } from '../../errors.js';
import { conceptClassesText, conceptLegendLine, conceptTopClasses } from '../../methods/concepts/dff.js';
import { requireSameSize } from '../../methods/concepts/layer.js';
import { dffHeadline, dffNotes, dffSummary, tcavNotes } from '../../methods/concepts/notes.js';
import { conceptTargetClass, getConceptMethod, type ConceptOptions } from '../../methods/concepts/registry.js';
import type { TcavResult } from '../../methods/concepts/tcav.js';
import { mean } from '../../metrics/stats.js';
import type { LumenModel } from '../../model.js';
import { EMBEDDING_CACHE_FILE, fileEmbeddings } from '../../node/embeddings.js';
import { dataUri, encodePng } from '../../node/image-file.js';
import { conceptPageHtml } from '../../report/concepts-html.js';
import { loadInput, type LoadedInput } from '../../node/inputs.js';
import { outputStem, prepareOutputDir, writeOutputFile } from '../../node/output-dir.js';
import { conceptColors, factorizationImage } from '../../render/concepts.js';
import { blit, createImage, fillRect, resizeNearest } from '../../render/canvas.js';
import { drawText } from '../../render/text.js';
import { tensorToImage } from '../../image/preprocess.js';
import { NORMALIZATION_PRESETS } from '../../metadata.js';
import { Tensor } from '../../tensor.js';
import { expandInputs } from '../inputs.js';
import { addConceptFlags, conceptOptionsFromFlags, stageProgress } from '../concept-flags.js';
import { integerFlag } from '../method-flags.js';
import { addModelFlags, withModel, type ModelFlags } from '../model-options.js';
import { printJson, printLine } from '../output.js';
import { flag, modelArgument } from '../flags.js';

/** `lumen concepts`, `tcav`, `neighbors`, `prototypes`: what a layer represents, not only where (docs/concepts.md). */
export function registerConcepts(program: Command): void {
  registerDff(program);
  registerTcav(program);
  registerNeighbors(program);
  registerPrototypes(program);
  registerCraft(program);
}

interface Common extends ModelFlags {
  layer?: string;
  json?: boolean;
}

type Progress = ReturnType<typeof stageProgress>;

/** The registry's progress events on a stage bar. */
const events = (p: Progress): Pick<ConceptOptions, 'onProgress'> => (p.onProgress ? { onProgress: (e) => p.onProgress!(e.done, e.total, e.stage ?? '') } : {});

async function loadImages(paths: readonly string[], model: LumenModel, what: string, progress?: Progress): Promise<{ loaded: LoadedInput[]; batch: Tensor }> {
  const loaded: LoadedInput[] = [];
  for (const p of paths) {
    loaded.push(await loadInput(p, model));
    progress?.onProgress?.(loaded.length, paths.length, `loading ${what}`);
  }
  requireSameSize(loaded.map((l) => ({ name: l.path, dims: l.tensor.dims })), what);
  return { loaded, batch: Tensor.concat(loaded.map((l) => l.tensor)) };
}

/** A class index from a number or a class name. */
function registerDff(program: Command): void {
  addModelFlags(
    addConceptFlags(
      program
        .command('concepts')
        .description("Deep Feature Factorization: split a layer's activations over the images into k concepts (NMF); a colour-coded concept map per image and each concept's class scores")
        .addArgument(modelArgument())
        .argument('<images...>', 'images, folders or globs (factorized together)'),
      'dff',
    )
      .addOption(flag.layer('<tensor>', "layer with spatial extent (see 'lumen layers'); default: the default CAM layer"))
      .option('--top <n>', 'classes listed per concept in the legend', '2')
      .addOption(flag.out('<dir>', 'output folder', 'concepts'))
      .addOption(flag.json()),
  ).action(async (modelPath: string, images: string[], flags: Common & { top: string; out: string }) => {
    const options = conceptOptionsFromFlags('dff', flags);
    const top = integerFlag('top', flags.top, 1);
    const files = await expandInputs(images);
    const out = prepareOutputDir(flags.out);
    await withModel(modelPath, flags, async (model) => {
      const [layer] = await model.resolveLayers(flags.layer);
      const bar = stageProgress(!flags.json);
      const { loaded, batch } = await loadImages(files, model, 'images', bar).finally(() => bar.stop());
      const r = await getConceptMethod('dff').run(model, batch, { ...options, layer: layer! });
      const k = r.k; // as the runner parsed it
      const classes = r.conceptProbabilities!.dims[1]!;
      const concepts = conceptTopClasses(r.conceptProbabilities!, top).map((tops, j) => ({
        concept: j,
        topClasses: tops.map((t) => ({ class: t.class, label: model.classLabel(t.class), probability: t.probability })),
        logits: Array.from(r.conceptLogits!.data.subarray(j * classes, (j + 1) * classes)),
      }));
      const legend = concepts.map((c) => conceptLegendLine(c.concept, c.topClasses));
      const [H, W] = [r.upsampled.dims[2]!, r.upsampled.dims[3]!];
      const perImage = [];
      const figures: { caption: string; src: string }[] = [];
      for (let i = 0; i < loaded.length; i++) {
        const maps = r.upsampled.data.subarray(i * k * H * W, (i + 1) * k * H * W);
        const png = join(out, `${outputStem(loaded[i]!.path)}.concepts.png`);
        const picture = factorizationImage(loaded[i]!.image, maps, k, { labels: legend, scale: Math.max(1, Math.floor(192 / Math.max(W, H))) });
        const bytes = await encodePng(picture);
        writeOutputFile(png, bytes);
        if (i < 50) figures.push({ caption: loaded[i]!.path, src: dataUri(bytes) });
        // each concept's share of the image's (layer-resolution) factorization mass
        const hw = r.h * r.w;
        const mass = Array.from({ length: k }, (_, j) => r.maps.data.subarray((i * k + j) * hw, (i * k + j + 1) * hw).reduce((a, b) => a + b, 0));
        const total = mass.reduce((a, b) => a + b, 0) || 1;
        perImage.push({ image: loaded[i]!.path, png, share: mass.map((m) => m / total) });
      }
      const summary = { layer, k, relativeError: r.relativeError, ...(r.scoresIgnoreConcepts ? { scoresIgnoreConcepts: true } : {}), bypassed: r.bypassed ?? false, ...(r.cutLayer !== undefined ? { cutLayer: r.cutLayer } : {}), concepts, images: perImage };
      const notes = dffNotes(r);
      const counts = { layer: layer!, k, images: loaded.length, relativeError: r.relativeError };
      writeOutputFile(join(out, 'concepts.json'), JSON.stringify(summary, null, 1));
      writeOutputFile(
        join(out, 'report.html'),
        conceptPageHtml({
          title: `Concepts of ${layer}`,
          summary: `Deep Feature Factorization: ${dffSummary(counts)} Concept maps of the first ${figures.length} image(s).${notes.map((n) => ` Note: ${n}`).join('')}`,
          table: { header: ['concept', 'top classes (head softmax)'], rows: concepts.map((c) => [String(c.concept), conceptClassesText(c.topClasses)]) },
          images: figures,
        }),
      );
      if (flags.json) printJson(summary);
      else {
        printLine(`${dffHeadline(counts)}:`);
        for (const l of legend) printLine(`  ${l}`);
        for (const n of notes) printLine(`note: ${n}`);
        printLine(`concept maps and concepts.json in ${out}`);
      }
    });
  });
}

function registerTcav(program: Command): void {
  addModelFlags(
    addConceptFlags(
      program
        .command('tcav')
        .description("TCAV: is the target class sensitive to a concept (a folder of examples) at a layer? CAVs vs random, t-test")
        .addArgument(modelArgument())
        .requiredOption('--concept <dir...>', 'images of the concept; several folders (or --concept repeated): one test each, Bonferroni over them')
        .requiredOption('--random <dir...>', 'random images: one folder is subsampled per run; several folders are one random set each (run r against folder r)')
        .requiredOption('--inputs <dir>', 'images of the target class whose sensitivity is measured')
        .requiredOption('-t, --target <class>', 'target class (index or name)')
        .addOption(flag.layer('<tensor>')),
      'tcav',
    ).addOption(flag.json('print {score, pValue, significant, runs, …}; an array of them, each with its concept folder, for several concepts')),
  ).action(async (modelPath: string, flags: Common & { concept: string[]; random: string[]; inputs: string; target: string }, cmd: Command) => {
    const options = conceptOptionsFromFlags('tcav', flags);
    // several random folders: runs defaults to their number (one run per folder), not the flag's printed default
    if (flags.random.length > 1 && cmd.getOptionValueSource('runs') === 'default') delete options.runs;
    const conceptFiles = await Promise.all(flags.concept.map((d) => expandInputs([d], true)));
    const randomFiles = await Promise.all(flags.random.map((d) => expandInputs([d], true)));
    const inputFiles = await expandInputs([flags.inputs], true);
    await withModel(modelPath, flags, async (model) => {
      const target = conceptTargetClass(model, flags.target, '--target');
      const [layer] = await model.resolveLayers(flags.layer);
      const bar = stageProgress(!flags.json);
      const results = await (async () => {
        const load = async (files: string[][], what: string): Promise<Tensor[]> => {
          const out: Tensor[] = [];
          for (const f of files) out.push((await loadImages(f, model, what, bar)).batch);
          return out;
        };
        const concepts = await load(conceptFiles, '--concept');
        const randoms = await load(randomFiles, '--random');
        const inputs = (await loadImages(inputFiles, model, '--inputs', bar)).batch;
        requireSameSize([...conceptFiles.map((f, i) => ({ name: f[0]!, dims: concepts[i]!.dims.slice(1) })), ...randomFiles.map((f, i) => ({ name: f[0]!, dims: randoms[i]!.dims.slice(1) })), { name: inputFiles[0]!, dims: inputs.dims.slice(1) }], 'tcav');
        const r = await getConceptMethod('tcav').run(model, { concept: concepts, random: randoms.length === 1 ? randoms[0]! : randoms, inputs }, { ...options, layer: layer!, target, ...events(bar) });
        return r.concepts ?? [r];
      })().finally(() => bar.stop());
      const json = (r: TcavResult): Record<string, unknown> => ({
        score: r.score, pValue: r.pValue, significant: r.significant, runs: r.runs, direction: r.direction, threshold: r.threshold, layer: r.layer, target: r.target, t: r.t,
        conceptScores: r.conceptScores, randomScores: r.randomScores, cavAccuracy: r.cavAccuracy, sharedGradient: r.sharedGradient, bypassed: r.bypassed, ...(r.cutLayer !== undefined ? { cutLayer: r.cutLayer } : {}), randomSets: r.randomSets, ...(r.randomPairs ? { randomPairs: r.randomPairs } : {}),
      });
      // one concept: the historical single object (the report and scripts read it); several: one per concept folder
      if (flags.json) printJson(results.length === 1 ? json(results[0]!) : results.map((r, i) => ({ concept: flags.concept[i]!, ...json(r) })));
      else {
        const r0 = results[0]!;
        const how = r0.randomSets > 1 ? `run r against random folder r, ${r0.randomScores.length} random-vs-random CAVs over distinct folders` : 'one random folder, subsampled per run';
        printLine(`TCAV ${model.classLabel(target)} at ${layer}, ${r0.runs} runs (${how}); two-sided Student t-test at ${r0.threshold.toPrecision(3)}${results.length > 1 ? ` (Bonferroni over ${results.length} concepts)` : ''}:`);
        results.forEach((r, i) => printLine(`  ${flags.concept[i]}: score ${r.score.toFixed(3)} (random CAVs ${mean(r.randomScores).toFixed(3)}), p = ${r.pValue.toPrecision(3)}: ${r.significant ? `significant (${r.direction} random)` : 'not significant'}`));
        for (const n of tcavNotes(r0)) printLine(`note: ${n}`);
      }
    });
  });
}

function registerNeighbors(program: Command): void {
  embeddingCommand(program, 'neighbors', "the dataset images nearest to a query in a layer's pooled embedding (cosine); embeddings are cached", (c) =>
    c.argument('<query>', 'query image').requiredOption('--dataset <dir>', 'folder of images (searched recursively)'),
  ).action(async (modelPath: string, query: string, flags: EmbeddingFlags) => {
    const options = conceptOptionsFromFlags('neighbors', flags);
    // the query first: a missing file or a folder is named before the dataset is embedded
    const queries = await expandInputs([query]);
    if (queries.length !== 1 || (existsSync(query) && statSync(query).isDirectory())) throw new LumenError('BAD_OPTION', `<query> ${query}: give one image file, not a folder or a glob (it names ${queries.length} image${queries.length === 1 ? '' : 's'})`, 2);
    const files = await datasetFiles(flags.dataset);
    await withDatasetEmbeddings(modelPath, flags, files, async (model, layer, e) => {
      const q = await fileEmbeddings(model, modelPath, queries, { layer, cachePath: cachePathOf(flags) });
      const r = await getConceptMethod('neighbors').run(model, { query: { data: q.embeddings, n: 1, d: q.d }, dataset: { data: e.embeddings, n: files.length, d: e.d } }, { ...options, layer });
      const hits = r.neighbors.map((h) => ({ file: files[h.index]!, similarity: h.similarity }));
      if (flags.json) printJson({ layer, query, neighbors: hits, cached: e.cached, computed: e.computed, cache: e.cachePath });
      else {
        printLine(`nearest to ${query} at ${layer} (cosine; ${e.cached} embeddings cached, ${e.computed} computed):`);
        for (const h of hits) printLine(`  ${h.similarity.toFixed(4)}  ${h.file}`);
      }
    });
  });
}

function registerPrototypes(program: Command): void {
  embeddingCommand(program, 'prototypes', "MMD-critic: the images that best represent a class (prototypes) and those they represent worst (criticisms), in a layer's pooled embedding", (c) =>
    c.requiredOption('--dataset <dir>', 'folder of images; with --class, its subfolder of that name').option('-c, --class <name>', 'class subfolder of the dataset'),
  ).action(async (modelPath: string, flags: EmbeddingFlags & { class?: string }) => {
    const options = conceptOptionsFromFlags('prototypes', flags);
    const files = await datasetFiles(flags.dataset, flags.class);
    await withDatasetEmbeddings(modelPath, flags, files, async (model, layer, e) => {
      const r = await getConceptMethod('prototypes').run(model, { data: e.embeddings, n: files.length, d: e.d }, { ...options, layer });
      const prototypes = r.prototypes.map((i) => files[i]!);
      const criticisms = r.criticisms.map((i, j) => ({ file: files[i]!, witness: r.witness[j]! }));
      if (flags.json) printJson({ layer, images: files.length, prototypes, criticisms, gamma: r.gamma, cached: e.cached, computed: e.computed });
      else {
        printLine(`MMD-critic over ${files.length} images at ${layer}`);
        printLine('prototypes:');
        for (const p of prototypes) printLine(`  ${p}`);
        printLine('criticisms (largest witness first; witness > 0: under-represented by the prototypes):');
        for (const q of criticisms) printLine(`  ${q.witness.toFixed(4)}  ${q.file}`);
      }
    });
  });
}

type EmbeddingFlags = Common & { dataset: string; cache?: string };

/** The embedding cache of a command over a dataset: --cache, or the one in the dataset folder (the query's too). */
const cachePathOf = (flags: { dataset: string; cache?: string }): string => flags.cache ?? join(flags.dataset, EMBEDDING_CACHE_FILE);

/**
 * A command over a dataset's pooled embeddings (neighbors, prototypes): `<model>`, what `own` adds (arguments,
 * --dataset, …), then --layer, the method's option flags, --cache, --json and the model flags.
 */
function embeddingCommand(program: Command, id: 'neighbors' | 'prototypes', description: string, own: (c: Command) => Command): Command {
  const command = own(program.command(id).description(description).addArgument(modelArgument())).addOption(flag.layer('<tensor>'));
  return addModelFlags(addConceptFlags(command, id).addOption(flag.embeddingCache()).addOption(flag.json()));
}

/** Open the model, resolve the layer and embed the dataset's files (through the cache), then `run`. */
async function withDatasetEmbeddings(modelPath: string, flags: EmbeddingFlags, files: readonly string[], run: (model: LumenModel, layer: string, e: Awaited<ReturnType<typeof embedFolder>>) => Promise<void>): Promise<void> {
  await withModel(modelPath, flags, async (model) => {
    const [layer] = await model.resolveLayers(flags.layer);
    await run(model, layer!, await embedFolder(model, modelPath, files, layer!, flags));
  });
}

/** The dataset's pooled embeddings through the cache, with a progress bar. */
async function embedFolder(model: LumenModel, modelPath: string, files: readonly string[], layer: string, flags: { dataset: string; cache?: string; json?: boolean }): Promise<Awaited<ReturnType<typeof fileEmbeddings>>> {
  const bar = stageProgress(!flags.json);
  const tick = bar.onProgress;
  return fileEmbeddings(model, modelPath, files, { layer, cachePath: cachePathOf(flags), ...(tick ? { onProgress: (done: number, total: number) => tick(done, total, 'embeddings') } : {}) }).finally(() => bar.stop());
}

/** The images of a dataset folder (recursively), or of its subfolder `cls`. */
async function datasetFiles(root: string, cls?: string): Promise<string[]> {
  const dir = cls !== undefined ? join(root, cls) : root;
  if (cls !== undefined && existsSync(root) && !(existsSync(dir) && statSync(dir).isDirectory())) throw new LumenError('FILE_NOT_FOUND', `--class ${cls}: no folder ${dir} (the dataset keeps one subfolder per class)`, 2);
  if (!existsSync(dir)) throw new LumenError('FILE_NOT_FOUND', `dataset folder not found: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new LumenError('FILE_NOT_FOUND', `--dataset ${dir} is a file; give a folder of images`, 2);
  return expandInputs([dir], true);
}

function registerCraft(program: Command): void {
  addModelFlags(
    addConceptFlags(
      program
        .command('craft')
        .description('CRAFT concept discovery over a folder: crops → activations → NMF concept bank, Sobol (or gradient × concept) importance for a class, a concept atlas')
        .addArgument(modelArgument())
        .requiredOption('--dataset <dir>', 'folder of images; with --class, its subfolder of that name')
        .option('-c, --class <name>', 'class subfolder of the dataset')
        .requiredOption('-t, --target <class>', 'class whose concepts are ranked (index or name)')
        .addOption(flag.layer('<tensor>', "layer after a ReLU; default: the default CAM layer")),
      'craft',
    )
      .addOption(flag.out('<dir>', 'output folder (atlas.png, craft.json)', 'craft'))
      .addOption(flag.json()),
  ).action(async (modelPath: string, flags: Common & { dataset: string; class?: string; target: string; out: string }) => {
    const options = conceptOptionsFromFlags('craft', flags);
    const files = await datasetFiles(flags.dataset, flags.class);
    const out = prepareOutputDir(flags.out);
    await withModel(modelPath, flags, async (model) => {
      const target = conceptTargetClass(model, flags.target, '--target');
      const [layer] = await model.resolveLayers(flags.layer);
      const bar = stageProgress(!flags.json);
      const { batch, r } = await (async () => {
        const { batch } = await loadImages(files, model, 'images', bar);
        return { batch, r: await getConceptMethod('craft').run(model, batch, { ...options, layer: layer!, target, ...events(bar) }) };
      })().finally(() => bar.stop());
      const k = r.k; // as the runner parsed it
      // the atlas: one row per concept, most important first; each row its top crops (input-size thumbnails)
      const normalization = model.normalization ?? NORMALIZATION_PRESETS.unit;
      const thumb = 64;
      const pad = 4;
      const labelWidth = 150;
      const cols = Math.max(...r.atlas.map((a) => a.length));
      const atlas = createImage(labelWidth + cols * (thumb + pad) + pad, r.order.length * (thumb + pad) + pad, 3);
      const colors = conceptColors(k);
      r.order.forEach((j, row) => {
        const y = pad + row * (thumb + pad);
        const [cr, cg, cb] = colors[j]!;
        fillRect(atlas, pad, y, 8, 8, [Math.round(cr * 255), Math.round(cg * 255), Math.round(cb * 255)]);
        drawText(atlas, pad + 12, y, `concept ${j}\nimportance\n${r.importance[j]!.toPrecision(3)}`, [0, 0, 0]);
        r.atlas[j]!.forEach((q, col) => {
          const c = r.crops[q]!;
          const [x0, y0, x1, y1] = c.box;
          const image = tensorToImage(batch.item(c.image), normalization, model.layout);
          const crop = createImage(x1 - x0, y1 - y0, 3);
          for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) for (let ch = 0; ch < 3; ch++) crop.data[((yy - y0) * (x1 - x0) + (xx - x0)) * 3 + ch] = image.data[(yy * image.width + xx) * image.channels + (image.channels === 1 ? 0 : ch)]!;
          blit(atlas, resizeNearest(crop, thumb, thumb), labelWidth + col * (thumb + pad), y);
        });
      });
      const png = join(out, 'atlas.png');
      const atlasPng = await encodePng(atlas);
      writeOutputFile(png, atlasPng);
      const summary = {
        layer,
        target,
        k,
        importance: r.importanceMethod,
        relativeError: r.relativeError,
        concepts: r.order.map((j) => ({ concept: j, importance: r.importance[j]!, atlas: r.atlas[j]!.map((q) => ({ file: files[r.crops[q]!.image]!, box: r.crops[q]!.box })) })),
        atlas: png,
      };
      writeOutputFile(join(out, 'craft.json'), JSON.stringify(summary, null, 1));
      writeOutputFile(
        join(out, 'report.html'),
        conceptPageHtml({
          title: `Concepts for ${model.classLabel(target)} at ${layer}`,
          summary: `CRAFT-style discovery: ${r.crops.length} crops of ${files.length} images → pooled activations → NMF bank of ${k} concepts; importance = ${r.importanceMethod === 'sobol' ? 'total-order Sobol index of the concept coefficients' : 'gradient × concept'} for ${model.classLabel(target)}, mean over the images. The atlas shows, per concept (most important first), the crops that express it most.`,
          table: { header: ['concept', 'importance'], rows: summary.concepts.map((c) => [String(c.concept), c.importance.toPrecision(3)]) },
          images: [{ caption: 'concept atlas', src: dataUri(atlasPng) }],
        }),
      );
      if (flags.json) printJson(summary);
      else {
        printLine(`${k} concepts of ${layer} from ${r.crops.length} crops of ${files.length} images, by importance for ${model.classLabel(target)} (${r.importanceMethod === 'sobol' ? 'total-order Sobol indices' : 'gradient × concept'}):`);
        for (const c of summary.concepts) printLine(`  concept ${c.concept}: ${c.importance.toPrecision(3)}`);
        printLine(`atlas: ${png}`);
      }
    });
  });
}
