/**
 * How to read a concept result: DFF's summary, and the notes for a layer where the numbers say less than they seem
 * to. One wording, shown as it comes (full sentences) by the CLI, the web app and the report. Each takes the fields
 * the result and its JSON (concepts.json, `lumen tcav --json`) carry, so the report words them from the saved files
 * too.
 */

/** DFF's one-line result: `k` concepts of the layer over `images` images, with the NMF's relative error. */
export function dffHeadline(r: { layer: string; k: number; images: number; relativeError: number }): string {
  return `${r.k} concepts of ${r.layer} over ${r.images} image${r.images === 1 ? '' : 's'} (NMF relative error ${r.relativeError.toFixed(3)})`;
}

/** DFF's summary paragraph: the headline, then how to read the maps and the classes. */
export function dffSummary(r: { layer: string; k: number; images: number; relativeError: number }): string {
  return `${dffHeadline(r)}. Each pixel takes the colour of its strongest concept; each concept's classes come from the network's head run on the concept vector.`;
}

/** The layer is bypassed (`bypassed`: a skip connection goes around it), said alike for DFF and TCAV. */
const skipConnection = (layer: string): string => `A skip connection bypasses ${layer} (e.g. a transformer's residual stream around a LayerNorm)`;

/** DFF (DffResult, concepts.json): class scores that ignore the concepts, or scores read through a bypassed layer. */
export function dffNotes(r: { layer: string; scoresIgnoreConcepts?: boolean; bypassed?: boolean; cutLayer?: string }): string[] {
  if (r.scoresIgnoreConcepts) {
    return [`Every concept gets the same class scores: the network's head does not read ${r.layer}'s positions (e.g. a ViT after its last attention block reads only the class token). The maps still show the concepts; for their classes pick an earlier layer (the default CAM layer is one).`];
  }
  if (r.bypassed) {
    return [`${skipConnection(r.layer)}: each concept's classes are the network's output for the first image with the concept in place of the layer${r.cutLayer ? `; ${r.cutLayer} is a layer every path goes through` : ''}.`];
  }
  return [];
}

/** TCAV (TcavResult, `lumen tcav --json`): derivatives through a bypassed layer, or one gradient for every input. */
export function tcavNotes(r: { layer: string; bypassed?: boolean; cutLayer?: string; sharedGradient?: boolean }): string[] {
  return [
    ...(r.bypassed ? [`${skipConnection(r.layer)}: the derivatives follow only the path through it, the bypass held fixed${r.cutLayer ? `; ${r.cutLayer}, which every path goes through, measures the whole effect` : ''}.`] : []),
    ...(r.sharedGradient ? [`Every input has the same gradient at ${r.layer} (a linear head after global pooling), so each CAV scores 0 or 1; an earlier layer gives input-dependent derivatives.`] : []),
  ];
}
