/**
 * Packfiles written directly (format v2, no deltas) with their .idx (v2). Writing thousands of
 * loose objects costs one file each (5-8 s for 10,000 blobs); appending them deflated to one file
 * costs about what `git fast-import` does. Blobs are staged into a scratch file as they arrive,
 * holding only id, offset, length and CRC in memory; a push assembles the pack it sends from the
 * staged entries it needs (raw bytes copied, not recompressed) plus the new trees and the commit.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { collectGarbage } from '../../heap.ts';
import { Deflater } from './deflater.ts';
import { PackReader } from './pack-reader.ts';
import { encodeEntry } from '../entry.ts';
import { OBJECT_TYPES, type ObjectType } from '../objects.ts';

const FLUSH_BYTES = 1 << 20;
/** Bytes of staged entries read back at once when a pack is assembled. */
const READ_BYTES = 1 << 20;
/** Objects deflated inline before a worker is worth starting (an incremental sync stays below). */
const WORKER_AFTER = 256;
/** Bytes of objects in flight to the worker before add() waits. */
const MAX_INFLIGHT = 8 << 20;

export interface PackEntry {
  oid: string;
  offset: number;
  length: number;
  crc: number;
}

/**
 * Buffered sequential writes to a file, optionally hashed, through one buffer reused for the
 * whole file: a buffer per flush (or per chunk read back) is garbage that, for the pack of a
 * first sync, piles up as tens of MiB of resident memory before a collection frees it.
 */
class Writer {
  readonly fh: FileHandle;
  readonly hash: Hash | undefined;
  size = 0;
  #buf = Buffer.allocUnsafe(FLUSH_BYTES);
  #used = 0;
  #written = 0;

  constructor(fh: FileHandle, hashed: boolean) {
    this.fh = fh;
    this.hash = hashed ? createHash('sha1') : undefined;
  }

  /** Copies buf (the caller may reuse it once this resolves). */
  async write(buf: Uint8Array, hashed = true): Promise<void> {
    this.size += buf.byteLength;
    if (hashed) this.hash?.update(buf);
    if (this.#used + buf.byteLength > this.#buf.length) await this.flush();
    if (buf.byteLength >= this.#buf.length) {
      await this.#out(buf, buf.byteLength);
      return;
    }
    this.#buf.set(buf, this.#used);
    this.#used += buf.byteLength;
  }

  async flush(): Promise<void> {
    const n = this.#used;
    this.#used = 0;
    if (n) await this.#out(this.#buf, n);
  }

  async #out(buf: Uint8Array, n: number): Promise<void> {
    for (let at = 0; at < n; ) {
      const { bytesWritten } = await this.fh.write(buf, at, n - at, this.#written);
      at += bytesWritten;
      this.#written += bytesWritten;
    }
  }
}

/**
 * The scratch file blobs are appended to while a sync stages them, holding only id, offset,
 * length and CRC per object in memory. Past a few hundred objects, deflating moves to a worker
 * thread; entries land in the file in the order they come back, bytes reach the disk in 1 MiB
 * batches.
 */
export class PackStaging {
  readonly path: string;
  #fh: FileHandle;
  #entries = new Map<string, PackEntry>();
  #queued = new Set<string>();
  #deflater: Deflater | undefined;
  #inline = 0;
  #useWorker: boolean;
  #size = 0;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #pendingAt = 0;
  #io: Promise<void> = Promise.resolve();
  #failed: unknown;

  private constructor(path: string, fh: FileHandle, useWorker: boolean) {
    this.path = path;
    this.#fh = fh;
    this.#useWorker = useWorker;
  }

  static async create(path: string, opts: { worker?: boolean } = {}): Promise<PackStaging> {
    return new PackStaging(path, await open(path, 'w+'), opts.worker ?? true);
  }

  get count(): number {
    return this.#entries.size + this.#queued.size;
  }

  has(oid: string): boolean {
    return this.#entries.has(oid) || this.#queued.has(oid);
  }

  /** A staged entry; call after flush() so that every queued object has landed. */
  get(oid: string): PackEntry | undefined {
    return this.#entries.get(oid);
  }

  /** Stages an object (once per id). The content may be reused by the caller once this resolves. */
  async add(type: ObjectType, content: Uint8Array, oid: string): Promise<void> {
    if (this.#failed) throw this.#failed;
    if (this.has(oid)) return;
    if (!this.#deflater && this.#useWorker && this.#inline >= WORKER_AFTER) {
      this.#deflater = Deflater.create();
      if (!this.#deflater) this.#useWorker = false;
    }
    if (this.#deflater) {
      this.#queued.add(oid);
      this.#deflater.push(OBJECT_TYPES[type], content, (bytes, crc) => {
        this.#queued.delete(oid);
        this.#append(oid, bytes, crc);
      });
      await this.#deflater.drain(MAX_INFLIGHT);
    } else {
      const entry = encodeEntry(OBJECT_TYPES[type], content);
      this.#inline++;
      this.#append(oid, entry, crc32(entry));
    }
    if (this.#pendingBytes >= FLUSH_BYTES) await this.#writeOut();
  }

  #append(oid: string, entry: Buffer, crc: number): void {
    this.#entries.set(oid, { oid, offset: this.#size, length: entry.length, crc });
    if (!this.#pendingBytes) this.#pendingAt = this.#size;
    this.#size += entry.length;
    this.#pending.push(entry);
    this.#pendingBytes += entry.length;
  }

  #writeOut(): Promise<void> {
    if (this.#pendingBytes) {
      // Written as they are (slices of the worker's answers): a concatenated copy per MiB was
      // garbage of the size of the whole pack.
      const bufs = this.#pending;
      const at = this.#pendingAt;
      const n = this.#pendingBytes;
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#io = this.#io.then(async () => {
        const { bytesWritten } = await this.#fh.writev(bufs, at);
        // A short write (rare, on a full disk) is finished piece by piece.
        if (bytesWritten < n) await this.#fh.write(Buffer.concat(bufs).subarray(bytesWritten), 0, n - bytesWritten, at + bytesWritten);
      });
      this.#io.catch((err: unknown) => (this.#failed ??= err));
    }
    return this.#io;
  }

  /** Waits for every staged object to be deflated and on disk. */
  async flush(): Promise<void> {
    await this.#deflater?.flush();
    await this.#writeOut();
  }

  /**
   * Reads the raw bytes of staged entries, in file order, coalescing neighbours into one read
   * buffer reused throughout: each yielded slice is valid until the consumer asks for the next.
   * Sorts `entries` in place.
   */
  async *read(entries: PackEntry[]): AsyncGenerator<{ entry: PackEntry; bytes: Buffer }> {
    await this.flush();
    const sorted = entries.sort((a, b) => a.offset - b.offset);
    const reused = Buffer.allocUnsafe(READ_BYTES);
    let i = 0;
    while (i < sorted.length) {
      let j = i + 1;
      let end = sorted[i].offset + sorted[i].length;
      while (j < sorted.length && sorted[j].offset === end && end + sorted[j].length - sorted[i].offset <= READ_BYTES) {
        end += sorted[j].length;
        j++;
      }
      const start = sorted[i].offset;
      // Only an entry larger than the buffer (a huge tree) gets one of its own.
      const buf = end - start <= READ_BYTES ? reused.subarray(0, end - start) : Buffer.allocUnsafe(end - start);
      const { bytesRead } = await this.#fh.read(buf, 0, buf.length, start);
      if (bytesRead !== buf.length) throw new Error('staged pack file is shorter than expected');
      for (; i < j; i++) yield { entry: sorted[i], bytes: buf.subarray(sorted[i].offset - start, sorted[i].offset - start + sorted[i].length) };
    }
  }

  async close(): Promise<void> {
    await this.#deflater?.close();
    await this.#io.catch(() => {});
    await this.#fh.close().catch(() => {});
    await rm(this.path, { force: true });
  }
}

export interface WrittenPack {
  /** Hex SHA-1 of the pack (its trailer), which names pack-<sha>.pack. */
  sha: string;
  path: string;
  size: number;
  count: number;
  idx: Buffer;
}

/** An object to put in a pack that is not staged (a tree, the commit, a blob read back). */
export interface LooseObject {
  type: ObjectType;
  content: Uint8Array;
  oid: string;
}

/**
 * Writes a complete pack at path: the staged entries given (copied raw) and the other objects.
 * Returns its checksum and the .idx content; the caller decides where it goes.
 */
export async function writePack(path: string, staging: PackStaging | undefined, staged: PackEntry[], others: LooseObject[]): Promise<WrittenPack> {
  const count = staged.length + others.length;
  const fh = await open(path, 'w');
  const idxEntries: PackEntry[] = [];
  try {
    const w = new Writer(fh, true);
    const header = Buffer.alloc(12);
    header.write('PACK', 0, 'latin1');
    header.writeUInt32BE(2, 4);
    header.writeUInt32BE(count, 8);
    await w.write(header);
    if (staging && staged.length) {
      for await (const { entry, bytes } of staging.read(staged)) {
        idxEntries.push({ ...entry, offset: w.size });
        await w.write(bytes);
        collectGarbage();
      }
    }
    for (const o of others) {
      const bytes = encodeEntry(OBJECT_TYPES[o.type], o.content);
      idxEntries.push({ oid: o.oid, offset: w.size, length: bytes.length, crc: crc32(bytes) });
      await w.write(bytes);
    }
    const trailer = w.hash!.digest();
    await w.write(trailer, false);
    await w.flush();
    return { sha: trailer.toString('hex'), path, size: w.size, count, idx: buildIndex(idxEntries, trailer) };
  } finally {
    await fh.close();
  }
}

/**
 * The .idx (version 2) for a pack's entries. Sorted by the hex id (lower-case hex sorts as the
 * bytes do) and written straight into the index buffer: a Buffer per id cost ~100 bytes per
 * object, tens of MiB for a first sync's pack.
 */
export function buildIndex(entries: PackEntry[], packSha: Buffer): Buffer {
  const sorted = [...entries].sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
  const n = sorted.length;
  const large = sorted.filter((e) => e.offset >= 0x80000000);
  const buf = Buffer.alloc(8 + 256 * 4 + n * 28 + large.length * 8 + 40);
  buf.writeUInt32BE(0xff744f63, 0);
  buf.writeUInt32BE(2, 4);
  const fanout = new Array<number>(256).fill(0);
  for (const e of sorted) fanout[Number.parseInt(e.oid.slice(0, 2), 16)]++;
  let acc = 0;
  for (let i = 0; i < 256; i++) buf.writeUInt32BE((acc += fanout[i]), 8 + i * 4);
  let at = 8 + 1024;
  for (const e of sorted) at += buf.write(e.oid, at, 20, 'hex');
  for (const e of sorted) at = buf.writeUInt32BE(e.crc >>> 0, at);
  let li = 0;
  for (const e of sorted) at = buf.writeUInt32BE(e.offset >= 0x80000000 ? (0x80000000 | li++) >>> 0 : e.offset, at);
  for (const e of large) at = buf.writeBigUInt64BE(BigInt(e.offset), at);
  at += packSha.copy(buf, at);
  createHash('sha1').update(buf.subarray(0, at)).digest().copy(buf, at);
  return buf;
}

/** Moves a written pack into objects/pack with its index (pack first, so an .idx always has its pack). */
export async function installPack(gitdir: string, pack: WrittenPack): Promise<void> {
  const base = `${gitdir}/objects/pack/pack-${pack.sha}`;
  await rename(pack.path, `${base}.pack`);
  const tmp = `${gitdir}/objects/pack/tmp_idx_${pack.sha}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(pack.idx);
  } finally {
    await fh.close();
  }
  await rename(tmp, `${base}.idx`);
}

/**
 * SHA-1 of a file's first `end` bytes, read through one reused buffer: a read stream allocates a
 * fresh 1 MiB chunk per read, and for a large cache pack that garbage stays resident until the
 * next collection.
 */
async function sha1File(path: string, end: number): Promise<Buffer> {
  const hash = createHash('sha1');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fh = await open(path, 'r');
  try {
    for (let at = 0; at < end; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - at), at);
      if (bytesRead === 0) throw new Error(`${path}: shorter than expected`);
      hash.update(buf.subarray(0, bytesRead));
      at += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return hash.digest();
}

/**
 * Merges a cache's small packs (each under `smallBytes`) into one once there are more than
 * `limit`: a cache that many syncs share gains a pack per push, and each run opens every pack.
 * Objects are read whole (deltas resolved) and written again; large packs (a clone) stay as they
 * are. Returns how many packs were merged. The caller holds the cache.
 */
export async function mergeSmallPacks(gitdir: string, limit: number, smallBytes = 1 << 20): Promise<number> {
  const dir = join(gitdir, 'objects/pack');
  const packs = (await readdir(dir)).filter((f) => f.startsWith('pack-') && f.endsWith('.pack'));
  // Most opens find few packs: no stat of each on the run's path then.
  if (packs.length <= limit) return 0;
  const names: string[] = [];
  for (const f of packs) {
    const { size } = await stat(join(dir, f));
    if (size < smallBytes && (await stat(join(dir, `${f.slice(0, -5)}.idx`)).then(() => true, () => false))) names.push(f.slice(0, -5));
  }
  if (names.length <= limit) return 0;
  const reader = new PackReader(dir, new Set(names));
  const objects = new Map<string, LooseObject>();
  try {
    await reader.refresh();
    for (const oid of reader.oids()) {
      if (objects.has(oid)) continue;
      const o = await reader.read(oid);
      if (!o) throw new Error(`object ${oid} listed in a pack index could not be read`);
      if (o.type === 'tag') return 0; // never fetched (tags: false); left as it came
      objects.set(oid, { type: o.type, content: o.content, oid });
    }
  } finally {
    await reader.close();
  }
  const pack = await writePack(join(dir, `tmp_merge_${randomBytes(6).toString('hex')}`), undefined, [], [...objects.values()]);
  await installPack(gitdir, pack);
  // The index first: a pack without its index is ignored, an index without its pack is not.
  for (const n of names) {
    if (n === `pack-${pack.sha}`) continue;
    await rm(join(dir, `${n}.idx`), { force: true });
    await rm(join(dir, `${n}.pack`), { force: true });
  }
  return names.length;
}

/** Per pack directory: the packs found sound, by name, with the size and mtime they had then. */
const verified = new Map<string, Map<string, string>>();

/**
 * Checks every pack in a directory against its own checksum and its index (the index's checksum
 * and the pack id it names). Returns what is wrong, or undefined when all is sound. Reading each
 * pack once costs far less than a clone, and catches damage in objects a run would not touch.
 * Packs never change once written, so a pack already found sound by this process (same size and
 * mtime of pack and index) is not read again: a cache shared by many syncs holds many packs.
 */
export async function verifyPacks(packDir: string): Promise<string | undefined> {
  const before = verified.get(packDir);
  const sound = new Map<string, string>();
  verified.delete(packDir);
  for (const f of await readdir(packDir)) {
    if (!f.endsWith('.idx')) continue;
    const idxPath = join(packDir, f);
    const packPath = idxPath.replace(/\.idx$/, '.pack');
    const [idxStat, packStat] = await Promise.all([stat(idxPath), stat(packPath).catch(() => undefined)]);
    if (!packStat || packStat.size < 32) return `${f}: pack file missing or truncated`;
    const signature = `${idxStat.size}:${idxStat.mtimeMs}:${packStat.size}:${packStat.mtimeMs}`;
    if (before?.get(f) !== signature) {
      const damage = await verifyPack(f, idxPath, packPath, packStat.size);
      if (damage) return damage;
    }
    sound.set(f, signature);
  }
  verified.set(packDir, sound);
  return undefined;
}

async function verifyPack(f: string, idxPath: string, packPath: string, size: number): Promise<string | undefined> {
  const idx = await readFile(idxPath);
  if (idx.length < 8 + 1024 + 40 || idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) return `${f}: not a version 2 pack index`;
  if (!createHash('sha1').update(idx.subarray(0, idx.length - 20)).digest().equals(idx.subarray(idx.length - 20))) return `${f}: index checksum mismatch`;
  const fh = await open(packPath, 'r');
  const head = Buffer.alloc(12);
  const tail = Buffer.alloc(20);
  try {
    await fh.read(head, 0, 12, 0);
    await fh.read(tail, 0, 20, size - 20);
  } finally {
    await fh.close();
  }
  if (head.toString('latin1', 0, 4) !== 'PACK') return `${f}: pack file has no PACK header`;
  if (!tail.equals(idx.subarray(idx.length - 40, idx.length - 20))) return `${f}: pack and index disagree`;
  if (!(await sha1File(packPath, size - 20)).equals(tail)) return `${f}: pack checksum mismatch`;
  return undefined;
}
