import { fromBinary, toBinary, clone } from '@bufbuild/protobuf';
import { LumenError } from '../errors.js';
import { ModelProtoSchema, TensorProto_DataLocation, type ModelProto, type GraphProto } from './proto.js';

/** Lowest / highest default-domain opset this project builds explanation graphs for. */
export const MIN_OPSET = 11;
export const MAX_OPSET = 23;

/**
 * Decode an ONNX ModelProto and check what Lumen needs: a graph, a supported opset, no external data.
 * `source` names the file in error messages.
 */
export function decodeModel(bytes: Uint8Array, source = 'model'): ModelProto {
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
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new LumenError(
      'UNSUPPORTED_OPSET',
      `${source}: opset ${opset} of the default ONNX domain is not supported (supported: ${MIN_OPSET}–${MAX_OPSET}); ` +
        `re-export the model with e.g. torch.onnx.export(..., opset_version=17)`,
    );
  }
  return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

/** Deep copy, so explanation graphs never mutate the user's model. */
export function cloneModel(model: ModelProto): ModelProto {
  return clone(ModelProtoSchema, model);
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
