/**
 * Worker thread that turns batches of objects into pack entries (deflate + CRC), so a large sync
 * compresses on another core while the main thread renders, hashes and builds trees.
 */
import { parentPort } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { encodeEntry } from '../entry.ts';

const gc = (globalThis as { gc?: () => void }).gc;

export interface DeflateBatch {
  id: number;
  types: Uint8Array;
  sizes: Uint32Array;
  data: ArrayBuffer;
}

export interface DeflatedBatch {
  id: number;
  out: ArrayBuffer;
  lengths: Uint32Array;
  crcs: Uint32Array;
}

parentPort?.on('message', (m: DeflateBatch) => {
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
  const reply: DeflatedBatch = { id: m.id, out: out.buffer, lengths, crcs };
  parentPort?.postMessage(reply, [out.buffer, lengths.buffer, crcs.buffer]);
  // What a batch leaves behind is buffers outside this thread's tiny heap, which V8 collects only
  // after tens of MiB of them: resident memory of the whole process. A collection of this heap
  // costs well under a millisecond (gc exists when the process runs with --expose-gc).
  gc?.();
});
