/** A dense float32 tensor in row-major (C) order. The one currency between runtime, methods and rendering. */
export class Tensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];

  constructor(data: Float32Array, dims: readonly number[]) {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new Error(`Tensor data has ${data.length} values but dims [${dims.join(', ')}] need ${size}`);
    }
    this.data = data;
    this.dims = [...dims];
  }

  static zeros(dims: readonly number[]): Tensor {
    return new Tensor(new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }

  static filled(dims: readonly number[], value: number): Tensor {
    return new Tensor(new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(value), dims);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.dims.length;
  }

  /** Same data, new dims (no copy). */
  reshape(dims: readonly number[]): Tensor {
    return new Tensor(this.data, dims);
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), this.dims);
  }

  /** Item `i` along the first axis, as a view with that axis kept (size 1). */
  item(i: number): Tensor {
    const n = this.dims[0] ?? 1;
    if (i < 0 || i >= n) throw new RangeError(`item ${i} out of range for batch of ${n}`);
    const stride = this.size / n;
    return new Tensor(this.data.subarray(i * stride, (i + 1) * stride), [1, ...this.dims.slice(1)]);
  }

  /** Items `start` to `end` (exclusive) along the first axis, as a view: one chunk of a batch. */
  rows(start: number, end: number): Tensor {
    const n = this.dims[0] ?? 1;
    if (!(start >= 0 && start <= end && end <= n)) throw new RangeError(`rows ${start}…${end} out of range for batch of ${n}`);
    const stride = this.size / n;
    return new Tensor(this.data.subarray(start * stride, end * stride), [end - start, ...this.dims.slice(1)]);
  }

  /** Concatenate along the first axis. */
  static concat(parts: readonly Tensor[]): Tensor {
    if (parts.length === 0) throw new Error('concat of no tensors');
    const rest = parts[0]!.dims.slice(1);
    const total = parts.reduce((a, p) => a + p.size, 0);
    const out = new Float32Array(total);
    let off = 0;
    let n = 0;
    for (const p of parts) {
      if (p.dims.slice(1).join(',') !== rest.join(',')) {
        throw new Error(`concat: shape [${p.dims.join(',')}] does not match [*, ${rest.join(',')}]`);
      }
      out.set(p.data, off);
      off += p.size;
      n += p.dims[0] ?? 1;
    }
    return new Tensor(out, [n, ...rest]);
  }
}

export function shapeSize(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
