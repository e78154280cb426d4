import type { Tensor } from '../tensor.js';

export interface SessionSettings {
  /** Threads inside one op (ORT intraOpNumThreads); 0 = runtime default. */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Node count of the graph being compiled, set by LumenModel's compile cache. Without an explicit
   * graphOptimizationLevel it picks the level (src/runtime/ort.ts, LARGE_GRAPH_NODES).
   */
  graphNodes?: number;
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

/** One interface over onnxruntime-node and onnxruntime-web. */
export interface Runtime {
  readonly name: string;
  createSession(model: Uint8Array, settings?: SessionSettings): Promise<Session>;
}
