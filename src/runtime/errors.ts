import { LumenError } from '../errors.js';

/** Most intra-op threads a session may ask for (ORT allocates per-thread state; 100 000 threads took 4.3 GB). */
export const MAX_THREADS = 256;

/** What ONNX Runtime's message says about the failing node, when it names one. */
export interface RuntimeFailure {
  node?: string;
  op?: string;
  /** ORT's own message, first line, without its source-file prefix. */
  detail: string;
}

/**
 * Read the node name and op type out of an ONNX Runtime error message. ORT spells them several ways:
 * `Non-zero status code returned while running Add node. Name:'add_1' …` (run),
 * `In Node, ("name", OpType, "", -1) : … No Op registered for OpType …` (session creation),
 * `Node (name) Op (Conv) [ShapeInferenceError] …` and `… of operator (Add) in node (name) …` (type/shape checks).
 */
export function parseRuntimeFailure(message: string): RuntimeFailure {
  const detail = message.replace(/^\s*\[[^\]]*\]\s*/, '').replace(/\s+/g, ' ').trim().slice(0, 600);
  const pick = (re: RegExp): string | undefined => re.exec(message)?.[1];
  const node = pick(/Name:\s*'([^']*)'/) ?? pick(/In Node, \("([^"]*)"/) ?? pick(/Node \(([^)]*)\) Op \(/) ?? pick(/in node \(([^)]*)\)/);
  const op = pick(/running (\S+) node\./) ?? pick(/No Op registered for (\S+)/) ?? pick(/In Node, \("[^"]*", (\w+)/) ?? pick(/\) Op \(([^)]*)\)/) ?? pick(/of operator \(([^)]*)\)/);
  return { node: node || undefined, op, detail };
}

const describe = (f: RuntimeFailure): string =>
  [f.op ? `op ${f.op}` : undefined, f.node ? `node '${f.node}'` : undefined].filter(Boolean).join(', ');

/** A LumenError for a session that ONNX Runtime would not create: what it says, where, and what the user can do. */
export function sessionCreateError(e: unknown): LumenError {
  if (e instanceof LumenError) return e;
  const f = parseRuntimeFailure(e instanceof Error ? e.message : String(e));
  const where = describe(f);
  const advice = /No Op registered|not a registered function|Could not find an implementation/i.test(f.detail)
    ? `the model uses an operator ONNX Runtime does not implement (custom or misspelled op, or not at this opset); re-export it with standard ONNX operators`
    : /ShapeInference|TypeInference|Type Error|type.*invalid|mismatch/i.test(f.detail)
      ? 'the model is inconsistent (tensor types or shapes do not fit its operators); check it with onnx.checker.check_model(full_check=True) and re-export it'
      : 'the model is not a valid ONNX graph for ONNX Runtime; check it with onnx.checker.check_model and re-export it';
  return new LumenError('RUNTIME_ERROR', `ONNX Runtime cannot load the model${where ? ` (${where})` : ''}: ${advice}. ONNX Runtime says: ${f.detail}`);
}

/** A run that ONNX Runtime failed: the user's message, and ORT's parsed failure for callers that act on its kind. */
export class RuntimeRunError extends LumenError {
  constructor(
    message: string,
    readonly failure: RuntimeFailure,
  ) {
    super('RUNTIME_ERROR', message);
  }
}

/**
 * ORT's wording when tensor shapes do not fit one another (Reshape targets, Concat, broadcasting, Gemm/MatMul sizes,
 * or a graph input declared at batch 1, e.g. a gradient graph's seed when the logits' batch stayed 1).
 */
const SHAPE_MISMATCH = /cannot be reshaped|requested shape|mismatched dimensions|dimension mismatch|dimensions must match|incompatible dimensions|cannot broadcast|broadcast an axis|invalid expand shape|shape mismatch|invalid dimensions for input/i;

/**
 * Whether a failed run is ORT refusing shapes that do not fit (not memory, a disposed session, a cancelled call or
 * any other error): the only kind of failure that a batch the graph was not written for can cause.
 */
export function isShapeMismatch(e: unknown): e is RuntimeRunError {
  return e instanceof RuntimeRunError && SHAPE_MISMATCH.test(e.failure.detail) && !/alloc|out of memory/i.test(e.failure.detail);
}

/** A LumenError for a failed run, naming the node, the op and the shapes that were fed. */
export function sessionRunError(e: unknown, feeds: Readonly<Record<string, { dims: readonly number[] }>>): LumenError {
  if (e instanceof LumenError) return e;
  const f = parseRuntimeFailure(e instanceof Error ? e.message : String(e));
  if (/session (already )?(disposed|released)/i.test(f.detail)) {
    return new LumenError('CANCELLED', 'the model was disposed while a run was using it (call dispose() after the runs finish)');
  }
  const where = describe(f);
  const shapes = Object.entries(feeds).map(([n, t]) => `${n} [${t.dims.join(', ')}]`).join(', ');
  const advice = /invalid dimensions|broadcast|shape|dimension|size/i.test(f.detail)
    ? 'the input does not fit what this node expects: give an input of the size the model was exported for (see `lumen layers` for the shapes it runs at), or re-export the model with this size'
    : 'check that the input is what the model was trained on and that the model runs in ONNX Runtime on its own';
  return new RuntimeRunError(`ONNX Runtime failed${where ? ` at ${where}` : ''} on input ${shapes}: ${advice}. ONNX Runtime says: ${f.detail}`, f);
}
