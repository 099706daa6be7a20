/**
 * Worker thread that turns batches of objects into pack entries (deflate + CRC), so a large sync
 * compresses on another core while the main thread renders, hashes and builds trees.
 *
 * The worker runs plain JavaScript assembled by workerSource() from the functions below (Node has
 * already stripped their types), not this module: a worker that loads a .ts file starts its own
 * type-stripping compiler, ~25 MiB of resident memory for as long as the worker lives.
 */
import { crc32 } from 'node:zlib';
import { encodeEntry, zlibOptions } from '../entry.ts';

export interface DeflateBatch {
  id: number;
  types: Uint8Array;
  sizes: Uint32Array;
  data: ArrayBuffer;
}

export interface DeflatedBatch {
  id: number;
  out: ArrayBuffer;
  lengths: Uint32Array<ArrayBuffer>;
  crcs: Uint32Array<ArrayBuffer>;
}

/** One batch to its entries, concatenated into one transferable buffer. */
export function deflateBatch(m: DeflateBatch): DeflatedBatch {
  const data = new Uint8Array(m.data);
  const n = m.types.length;
  const lengths = new Uint32Array(n);
  const crcs = new Uint32Array(n);
  const parts: Buffer[] = [];
  let at = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const entry = encodeEntry(m.types[i], data.subarray(at, at + m.sizes[i]));
    at += m.sizes[i];
    parts.push(entry);
    lengths[i] = entry.length;
    crcs[i] = crc32(entry);
    total += entry.length;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { id: m.id, out: out.buffer, lengths, crcs };
}

/** The worker's message loop (runs in the worker, from workerSource()). */
function serve(): void {
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const gc = (globalThis as { gc?: () => void }).gc;
  parentPort?.on('message', (m: DeflateBatch) => {
    const reply = deflateBatch(m);
    parentPort.postMessage(reply, [reply.out, reply.lengths.buffer, reply.crcs.buffer]);
    // What a batch leaves behind is buffers outside this thread's tiny heap, which V8 collects
    // only after tens of MiB of them: resident memory of the whole process. A collection of this
    // heap costs well under a millisecond (gc exists when the process runs with --expose-gc).
    gc?.();
  });
}

/** The worker's script: its imports as CommonJS requires, then the functions it uses. */
export function workerSource(): string {
  return [
    `'use strict';`,
    `const { deflateSync, crc32 } = require('node:zlib');`,
    String(zlibOptions),
    String(encodeEntry),
    String(deflateBatch),
    `(${String(serve)})();`,
  ].join('\n');
}
