/**
 * The main thread's side of the deflate worker: objects go out in batches (copied into the batch's
 * buffer, so the caller may reuse its own), entries come back in the order they were pushed. Memory stays bounded:
 * callers wait in drain() while too many bytes are in flight.
 */
import { Worker } from 'node:worker_threads';
import { workerSource, type DeflateBatch, type DeflatedBatch } from './deflate-worker.ts';

const BATCH_OBJECTS = 512;
const BATCH_BYTES = 1 << 20;

type Done = (entry: Buffer, crc: number) => void;

export class Deflater {
  #worker: Worker;
  /** The batch being filled: contents are copied straight into `data`, which goes to the worker. */
  #batch: { types: number[]; sizes: number[]; done: Done[]; data: Uint8Array<ArrayBuffer>; bytes: number } = Deflater.#newBatch(0);
  #inflight = new Map<number, { done: Done[]; bytes: number }>();
  #nextId = 0;
  #pendingBytes = 0;
  #waiters: (() => void)[] = [];
  #failed: unknown;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (m: DeflatedBatch) => this.#receive(m));
    worker.on('error', (err) => this.#fail(err));
    worker.on('exit', (code) => {
      if (this.#inflight.size) this.#fail(new Error(`deflate worker exited (${code}) with work in flight`));
    });
  }

  /** Starts the worker; undefined when workers are unavailable (the caller deflates inline). */
  static create(): Deflater | undefined {
    try {
      const worker = new Worker(workerSource(), { eval: true });
      worker.unref();
      return new Deflater(worker);
    } catch {
      return undefined;
    }
  }

  /** Bytes pushed whose entries have not come back yet. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  static #newBatch(atLeast: number) {
    return { types: [], sizes: [], done: [], data: new Uint8Array(Math.max(BATCH_BYTES, atLeast)), bytes: 0 };
  }

  push(typeCode: number, content: Uint8Array, done: Done): void {
    if (this.#failed) throw this.#failed;
    if (this.#batch.bytes + content.byteLength > this.#batch.data.byteLength) this.#dispatch(content.byteLength);
    const b = this.#batch;
    b.types.push(typeCode);
    b.sizes.push(content.byteLength);
    b.done.push(done);
    b.data.set(content, b.bytes);
    b.bytes += content.byteLength;
    this.#pendingBytes += content.byteLength;
    if (b.types.length >= BATCH_OBJECTS || b.bytes >= BATCH_BYTES) this.#dispatch();
  }

  /** Resolves once no more than maxBytes are in flight. */
  async drain(maxBytes: number): Promise<void> {
    while (this.#pendingBytes > maxBytes) {
      if (this.#failed) throw this.#failed;
      if (!this.#inflight.size) this.#dispatch();
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    if (this.#failed) throw this.#failed;
  }

  /** Sends what is batched and waits for every entry. */
  async flush(): Promise<void> {
    this.#dispatch();
    await this.drain(0);
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }

  /** Sends the batch (its buffer is transferred, not copied) and starts one with room for `next` bytes. */
  #dispatch(next = 0): void {
    const b = this.#batch;
    if (!b.types.length) {
      if (next > b.data.byteLength) this.#batch = Deflater.#newBatch(next);
      return;
    }
    this.#batch = Deflater.#newBatch(next);
    const id = this.#nextId++;
    this.#inflight.set(id, { done: b.done, bytes: b.bytes });
    if (this.#inflight.size === 1) this.#worker.ref();
    const msg: DeflateBatch = { id, types: Uint8Array.from(b.types), sizes: Uint32Array.from(b.sizes), data: b.data.buffer };
    this.#worker.postMessage(msg, [b.data.buffer]);
  }

  #receive(m: DeflatedBatch): void {
    const job = this.#inflight.get(m.id);
    if (!job) return;
    this.#inflight.delete(m.id);
    if (!this.#inflight.size) this.#worker.unref();
    const out = Buffer.from(m.out);
    let at = 0;
    for (let i = 0; i < job.done.length; i++) {
      job.done[i](out.subarray(at, at + m.lengths[i]), m.crcs[i]);
      at += m.lengths[i];
    }
    this.#pendingBytes -= job.bytes;
    this.#wake();
  }

  #fail(err: unknown): void {
    this.#failed ??= new Error('deflate worker failed', { cause: err });
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const resolve of w) resolve();
  }
}
