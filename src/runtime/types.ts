import type { Tensor } from '../tensor.js';

export interface SessionSettings {
  /**
   * Threads inside one op (ORT intraOpNumThreads); 0 = runtime default (for each segment of a segmented graph: 1,
   * see `ortSessionOptions` in src/runtime/ort.ts).
   */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Node count of the graph being compiled, set by LumenModel's compile cache. Without an explicit
   * graphOptimizationLevel it picks the level (src/runtime/ort.ts, LARGE_GRAPH_NODES).
   */
  graphNodes?: number;
  /**
   * Cut graphs of more than this many nodes into segments of at most this many, one ORT session each; read by
   * LumenModel's compile cache from the model's `session` settings (default `defaultSegmentNodes` in
   * src/runtime/segment.ts: only graphs of at least SEGMENT_MIN_NODES nodes). 0 never cuts. Results are the whole
   * graph's (bit-identical at levels 'basic' and 'disabled'; at 'all' ORT cannot fuse nodes across a cut).
   */
  segmentNodes?: number;
  /** Execution providers, e.g. ['cpu'] (Node) or ['webgpu', 'wasm'] (browser). */
  executionProviders?: string[];
  /**
   * Let idle intra-op threads spin-wait for the next op (ORT's default). Off by default here: Lumen keeps several
   * sessions per model (forward, gradient graphs), and on a busy or shared CPU the spinning threads of one session
   * starve the next one (measured 5–9× slower runs on a loaded 2-core machine; see docs/benchmarks.md).
   */
  spinWait?: boolean;
}

/** Feeds by input name: float32 tensors, or int64 ones given as BigInt64Array. */
export type Feeds = Record<string, Tensor | Int64Feed>;

export interface Int64Feed {
  kind: 'int64';
  data: BigInt64Array;
  dims: readonly number[];
}

/** A compiled graph ready to run. Dispose it when it is no longer needed (the model cache does this). */
export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Run the graph and return the requested outputs (all outputs when `fetches` is omitted). */
  run(feeds: Feeds, fetches?: readonly string[]): Promise<Record<string, Tensor>>;
  dispose(): Promise<void>;
}

/**
 * A graph cut into consecutive segments (src/runtime/segment.ts), compiled as one session per segment and run in
 * order: each segment reads the graph inputs and earlier segments' outputs by name. The runtime's session for it
 * behaves as the whole graph's would (same inputs, outputs, results and error messages).
 */
export interface SegmentedModel {
  readonly kind: 'segmented';
  readonly segments: readonly ModelSegment[];
  /** The whole graph's inputs (fed by the caller) and outputs. */
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

export interface ModelSegment {
  /** The segment as an ONNX model. */
  readonly bytes: Uint8Array;
  /** Values it reads that graph inputs or earlier segments give, and values it gives to later segments or the caller. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly nodes: number;
}

/** One interface over onnxruntime-node and onnxruntime-web. */
export interface Runtime {
  readonly name: string;
  /** Whether `createSession` takes a SegmentedModel; without it every graph is given whole, as bytes. */
  readonly segments?: boolean;
  /** A session for an ONNX model's bytes, or (when `segments`) for a segmented graph. */
  createSession(model: Uint8Array | SegmentedModel, settings?: SessionSettings): Promise<Session>;
}
