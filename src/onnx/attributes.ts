import { create } from '@bufbuild/protobuf';
import { AttributeProtoSchema, AttributeProto_AttributeType, type AttributeProto, type NodeProto, type TensorProto } from './proto.js';

/** An attribute value to write; the key says the ONNX attribute type. */
export type AttrValue =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { t: TensorProto };

export type AttrMap = Record<string, AttrValue | undefined>;

export function makeAttribute(name: string, v: AttrValue): AttributeProto {
  if ('i' in v) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(Math.trunc(v.i)) });
  if ('f' in v) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: v.f });
  if ('s' in v) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.STRING, s: new TextEncoder().encode(v.s) });
  if ('ints' in v) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INTS, ints: v.ints.map((x) => BigInt(Math.trunc(x))) });
  if ('floats' in v) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOATS, floats: [...v.floats] });
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.TENSOR, t: v.t });
}

export function getAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = getAttribute(node, name);
  return a ? Number(a.i) : fallback;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined;
export function attrInts(node: NodeProto, name: string, fallback: number[]): number[];
export function attrInts(node: NodeProto, name: string, fallback?: number[]): number[] | undefined {
  const a = getAttribute(node, name);
  return a ? a.ints.map(Number) : fallback;
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = getAttribute(node, name);
  return a ? a.f : fallback;
}

export function attrFloats(node: NodeProto, name: string): number[] | undefined {
  const a = getAttribute(node, name);
  return a ? [...a.floats] : undefined;
}

export function attrString(node: NodeProto, name: string, fallback: string): string {
  const a = getAttribute(node, name);
  return a ? new TextDecoder().decode(a.s) : fallback;
}

export function attrTensor(node: NodeProto, name: string): TensorProto | undefined {
  return getAttribute(node, name)?.t;
}
