import { create, fromBinary, toBinary, clone } from '@bufbuild/protobuf';
import { LumenError } from '../errors.js';
import { describeValue } from '../options.js';
import { GraphProtoSchema, ModelProtoSchema, TensorProtoSchema, TensorProto_DataLocation, type ModelProto, type GraphProto, type TensorProto } from './proto.js';

/** Lowest / highest default-domain opset this project builds explanation graphs for. */
export const MIN_OPSET = 11;
export const MAX_OPSET = 23;
/** Oldest opset loaded: graphs of opsets OLDEST_OPSET…MIN_OPSET−1 are upgraded on load (src/onnx/upgrade.ts). */
export const OLDEST_OPSET = 7;

/**
 * Decode an ONNX ModelProto and check what Lumen needs: a graph, a supported opset, no external data.
 * `source` names the file in error messages.
 */
export function decodeModel(bytes: Uint8Array, source = 'model'): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new LumenError('NOT_ONNX', `${source}: the model bytes must be a Uint8Array, got ${describeValue(bytes)}`);
  if (bytes.length === 0) throw new LumenError('NOT_ONNX', `${source}: the file is empty, not an ONNX model`);
  if (looksLikeText(bytes)) {
    throw new LumenError('NOT_ONNX', `${source}: this is a text file, not an ONNX model (ONNX models are binary protobuf)`);
  }
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new LumenError('CORRUPT_MODEL', `${source}: not a readable ONNX model (truncated or corrupt protobuf: ${reason})`);
  }
  const graph = model.graph;
  if (!graph || graph.node.length === 0 || model.irVersion === 0n) {
    throw new LumenError(
      'NOT_ONNX',
      `${source}: decodes as protobuf but holds no ONNX graph (is it an ONNX model? it may be truncated)`,
    );
  }
  checkExternalData(graph, source);
  const opset = defaultOpset(model);
  if (opset < OLDEST_OPSET || opset > MAX_OPSET) {
    throw new LumenError(
      'UNSUPPORTED_OPSET',
      `${source}: opset ${opset} of the default ONNX domain is not supported (supported: ${OLDEST_OPSET}–${MAX_OPSET}; ${OLDEST_OPSET}–${MIN_OPSET - 1} are upgraded to ${MIN_OPSET} on load); ` +
        `re-export the model with e.g. torch.onnx.export(..., opset_version=17)`,
    );
  }
  return model;
}

/** Initializers at least this large have their raw bytes copied into the output directly (see encodeModel). */
const LARGE_RAW = 4096;

/**
 * Serialize a model. Protobuf-es copies large `bytes` fields through its growing writer (≈ 0.4 s for ResNet-50's
 * 100 MB), so large initializers' raw_data is left out of that pass and spliced into one preallocated buffer, at
 * the place protobuf-es would write it: the output is byte-identical to `toBinary(ModelProtoSchema, model)`.
 */
export function encodeModel(model: ModelProto): Uint8Array {
  const graph = model.graph;
  if (!graph || !graph.initializer.some((t) => t.rawData.length >= LARGE_RAW)) return toBinary(ModelProtoSchema, model);
  // Each part is encoded with an empty placeholder where the big field goes, then cut there (this keeps the writer's
  // field order, whatever it is).
  const [modelBefore, modelAfter] = splitAtPlaceholder(toBinary(ModelProtoSchema, { ...model, graph: create(GraphProtoSchema) }), fieldNumber(ModelProtoSchema, 'graph'));
  const [graphBefore, graphAfter] = splitAtPlaceholder(toBinary(GraphProtoSchema, { ...graph, initializer: [create(TensorProtoSchema)] }), fieldNumber(GraphProtoSchema, 'initializer'));
  const tensors = graph.initializer.map((t) => {
    if (t.rawData.length < LARGE_RAW) {
      const whole = toBinary(TensorProtoSchema, t);
      return { parts: [whole], size: whole.length, raw: undefined };
    }
    const [before, after] = splitAtPlaceholder(toBinary(TensorProtoSchema, { ...t, rawData: new Uint8Array(0) }), fieldNumber(TensorProtoSchema, 'rawData'));
    const raw = t.rawData;
    return { parts: [before, after], raw, size: before.length + 1 + varintLength(raw.length) + raw.length + after.length };
  });
  const graphSize = graphBefore.length + graphAfter.length + tensors.reduce((a, t) => a + 1 + varintLength(t.size) + t.size, 0);
  const out = new Uint8Array(modelBefore.length + 1 + varintLength(graphSize) + graphSize + modelAfter.length);
  let at = 0;
  const put = (bytes: Uint8Array): void => {
    out.set(bytes, at);
    at += bytes.length;
  };
  const tagAndLength = (field: number, length: number): void => {
    at = writeVarint(out, at, (field << 3) | 2); // wire type 2: length-delimited
    at = writeVarint(out, at, length);
  };
  put(modelBefore);
  tagAndLength(fieldNumber(ModelProtoSchema, 'graph'), graphSize);
  put(graphBefore);
  for (const t of tensors) {
    tagAndLength(fieldNumber(GraphProtoSchema, 'initializer'), t.size);
    put(t.parts[0]!);
    if (t.raw) {
      tagAndLength(fieldNumber(TensorProtoSchema, 'rawData'), t.raw.length);
      put(t.raw);
      put(t.parts[1]!);
    }
  }
  put(graphAfter);
  put(modelAfter);
  return out;
}

type AnySchema = typeof ModelProtoSchema | typeof GraphProtoSchema | typeof TensorProtoSchema;

function fieldNumber(schema: AnySchema, localName: string): number {
  const f = schema.fields.find((x) => x.localName === localName);
  if (!f) throw new Error(`internal: ${schema.typeName} has no field ${localName}`);
  return f.number;
}

/** Cut an encoded message around its (first) empty length-delimited entry of field `field`: [before, after]. */
function splitAtPlaceholder(bytes: Uint8Array, field: number): [Uint8Array, Uint8Array] {
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    let tag: number;
    [tag, at] = readVarint(bytes, at);
    const wire = tag & 7;
    if (wire === 0) at = readVarint(bytes, at)[1];
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      let len: number;
      [len, at] = readVarint(bytes, at);
      if (len === 0 && Math.floor(tag / 8) === field) return [bytes.subarray(0, start), bytes.subarray(at)];
      at += len;
    } else throw new Error(`internal: unexpected wire type ${wire}`);
  }
  throw new Error(`internal: placeholder for field ${field} not found`);
}

function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[at++]!;
    value += (b & 127) * scale;
    if (b < 128) return [value, at];
    scale *= 128;
  }
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 128) {
    out[at++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

/**
 * Copy, so explanation graphs never mutate the user's model. Everything is deep-copied except large initializers'
 * raw bytes, which are shared (copying ResNet-50's 100 MB cost ≈ 0.1–0.2 s per explanation graph): code that
 * changes a copy's weights must assign a new `rawData` (as model randomization does), never write into it.
 */
export function cloneModel(model: ModelProto): ModelProto {
  const graph = model.graph;
  if (!graph || !graph.initializer.some((t) => t.rawData.length >= LARGE_RAW)) return clone(ModelProtoSchema, model);
  const copy = clone(ModelProtoSchema, { ...model, graph: { ...graph, initializer: [] } });
  copy.graph!.initializer = graph.initializer.map((t): TensorProto => {
    if (t.rawData.length < LARGE_RAW) return clone(TensorProtoSchema, t);
    const c = clone(TensorProtoSchema, { ...t, rawData: new Uint8Array(0) });
    c.rawData = t.rawData;
    return c;
  });
  return copy;
}

/** Version of the default ('' or 'ai.onnx') domain. */
export function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return entry ? Number(entry.version) : 1;
}

function checkExternalData(graph: GraphProto, source: string): void {
  for (const t of graph.initializer) {
    if (t.dataLocation === TensorProto_DataLocation.EXTERNAL || t.externalData.length > 0) {
      const file = t.externalData.find((e) => e.key === 'location')?.value ?? '?';
      throw new LumenError(
        'EXTERNAL_DATA',
        `${source}: initializer '${t.name}' stores its weights in an external file ('${file}'); ` +
          `Lumen needs a self-contained model: re-save it with onnx.save(model, path, save_as_external_data=False)`,
      );
    }
  }
}

function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 64);
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c < 9 || (c > 13 && c < 32) || c > 126) return false;
  }
  return true;
}
