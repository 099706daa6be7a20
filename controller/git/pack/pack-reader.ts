/**
 * Reads objects straight from the cache's packs: the .idx searched in place (no per-object map),
 * the entry read with one positioned read and inflated with node:zlib, deltas (ofs and ref)
 * resolved with a small cache of bases. isomorphic-git's readObject looks for a loose file and
 * lists the pack directory on every call, which made reading thousands of small trees (the
 * relationship directories) cost milliseconds each.
 */
import { open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

const TYPES = ['', 'commit', 'tree', 'blob', 'tag'] as const;
const OFS_DELTA = 6;
const REF_DELTA = 7;
const CACHE_BYTES = 32 << 20;
/** A pack this small (one push of a small sync) is read whole: one read instead of one per object. */
const WHOLE_PACK_BYTES = 256 << 10;

export interface RawObject {
  type: 'commit' | 'tree' | 'blob' | 'tag';
  content: Buffer;
}

interface Pack {
  name: string;
  /** The open pack file; a small pack is read whole into `data` instead. */
  fh?: FileHandle;
  data?: Buffer;
  dataEnd: number;
  fanout: Uint32Array;
  ids: Buffer;
  offsets: Buffer;
  large: Buffer;
  count: number;
}

async function openPack(dir: string, name: string): Promise<Pack> {
  const idx = await readFile(join(dir, `${name}.idx`));
  if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) throw new Error(`${name}.idx: not a version 2 index`);
  const fanout = new Uint32Array(256);
  for (let i = 0; i < 256; i++) fanout[i] = idx.readUInt32BE(8 + i * 4);
  const count = fanout[255];
  const idsAt = 8 + 1024;
  const offsetsAt = idsAt + count * 20 + count * 4;
  const largeAt = offsetsAt + count * 4;
  let fh: FileHandle | undefined = await open(join(dir, `${name}.pack`), 'r');
  const { size } = await fh.stat();
  let data: Buffer | undefined;
  if (size <= WHOLE_PACK_BYTES) {
    try {
      data = Buffer.allocUnsafe(size);
      if ((await fh.read(data, 0, size, 0)).bytesRead !== size) throw new Error(`${name}.pack: shorter than its size`);
    } finally {
      await fh.close();
    }
    fh = undefined;
  }
  return {
    name,
    fh,
    data,
    dataEnd: size - 20,
    fanout,
    ids: idx.subarray(idsAt, idsAt + count * 20),
    offsets: idx.subarray(offsetsAt, offsetsAt + count * 4),
    large: idx.subarray(largeAt, idx.length - 40),
    count,
  };
}

/** The entry offset of an object in a pack, or -1 (binary search within the fanout bucket). */
function find(p: Pack, id: Buffer): number {
  let lo = id[0] === 0 ? 0 : p.fanout[id[0] - 1];
  let hi = p.fanout[id[0]];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = p.ids.compare(id, 0, 20, mid * 20, mid * 20 + 20);
    if (c === 0) {
      const off = p.offsets.readUInt32BE(mid * 4);
      return off & 0x80000000 ? Number(p.large.readBigUInt64BE((off & 0x7fffffff) * 8)) : off;
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/** Applies a git delta to its base. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let i = 0;
  const varint = () => {
    let v = 0;
    let shift = 0;
    let b: number;
    do {
      b = delta[i++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return v;
  };
  if (varint() !== base.length) throw new Error('delta base size mismatch');
  const out = Buffer.allocUnsafe(varint());
  let o = 0;
  while (i < delta.length) {
    const op = delta[i++];
    if (op & 0x80) {
      let off = 0;
      let size = 0;
      for (let b = 0; b < 4; b++) if (op & (1 << b)) off += delta[i++] * 2 ** (8 * b);
      for (let b = 0; b < 3; b++) if (op & (0x10 << b)) size += delta[i++] * 2 ** (8 * b);
      if (size === 0) size = 0x10000;
      o += base.copy(out, o, off, off + size);
    } else if (op) {
      o += delta.copy(out, o, i, i + op);
      i += op;
    } else throw new Error('invalid delta opcode 0');
  }
  if (o !== out.length) throw new Error('delta result size mismatch');
  return out;
}

/** File handles close after this long without a read, so an abandoned reader holds nothing. */
const IDLE_MS = 20_000;

export class PackReader {
  readonly dir: string;
  #packs = new Map<string, Pack>();
  #cache = new Map<string, RawObject>();
  #cacheBytes = 0;
  #idle: NodeJS.Timeout | undefined;

  readonly #only: ReadonlySet<string> | undefined;

  /** Reads the packs in packDir; with `only`, just the packs of those names (`pack-<sha>`). */
  constructor(packDir: string, only?: ReadonlySet<string>) {
    this.dir = packDir;
    this.#only = only;
  }

  /** Opens packs that appeared since the last call (after a fetch or an installed push). */
  async refresh(): Promise<void> {
    this.#touch();
    const names = (await readdir(this.dir)).filter((f) => f.startsWith('pack-') && f.endsWith('.idx')).map((f) => f.slice(0, -4));
    for (const name of names) if (!this.#packs.has(name) && (!this.#only || this.#only.has(name))) this.#packs.set(name, await openPack(this.dir, name));
  }

  /** The ids of every object in the open packs (a pack's objects may repeat in another). */
  *oids(): Generator<string> {
    for (const p of this.#packs.values()) for (let i = 0; i < p.count; i++) yield p.ids.toString('hex', i * 20, i * 20 + 20);
  }

  /** The object, or undefined when no known pack has it. */
  async read(oid: string): Promise<RawObject | undefined> {
    this.#touch();
    const id = Buffer.from(oid, 'hex');
    for (const p of this.#packs.values()) {
      const at = find(p, id);
      if (at >= 0) return this.#readAt(p, at);
    }
    return undefined;
  }

  /** Closes the pack files (a later read opens them again). */
  async close(): Promise<void> {
    clearTimeout(this.#idle);
    this.#idle = undefined;
    const packs = [...this.#packs.values()];
    this.#packs.clear();
    this.#cache.clear();
    this.#cacheBytes = 0;
    for (const p of packs) await p.fh?.close().catch(() => {});
  }

  #touch(): void {
    if (this.#idle) this.#idle.refresh();
    else {
      this.#idle = setTimeout(() => void this.close(), IDLE_MS);
      this.#idle.unref();
    }
  }

  async #readAt(p: Pack, offset: number): Promise<RawObject> {
    const key = `${p.name}:${offset}`;
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const head = await this.#bytes(p, offset, 32);
    let i = 0;
    let b = head[i++];
    const type = (b >> 4) & 7;
    let size = b & 0x0f;
    let shift = 4;
    while (b & 0x80) {
      b = head[i++];
      size += (b & 0x7f) * 2 ** shift;
      shift += 7;
    }
    let baseOffset = -1;
    let baseId = '';
    if (type === OFS_DELTA) {
      b = head[i++];
      let rel = b & 0x7f;
      while (b & 0x80) {
        b = head[i++];
        rel = (rel + 1) * 128 + (b & 0x7f);
      }
      baseOffset = offset - rel;
    } else if (type === REF_DELTA) {
      baseId = head.toString('hex', i, i + 20);
      i += 20;
    }
    const data = await this.#inflate(p, offset + i, size);
    let obj: RawObject;
    if (type >= 1 && type <= 4) obj = { type: TYPES[type] as RawObject['type'], content: data };
    else if (type === OFS_DELTA || type === REF_DELTA) {
      const base = type === OFS_DELTA ? await this.#readAt(p, baseOffset) : await this.read(baseId);
      if (!base) throw new Error(`${p.name}: delta base ${baseId} not found`);
      obj = { type: base.type, content: applyDelta(base.content, data) };
    } else throw new Error(`${p.name}: unknown entry type ${type} at ${offset}`);
    this.#remember(key, obj);
    return obj;
  }

  /** Up to len bytes of the pack at pos (fewer at its end). */
  async #bytes(p: Pack, pos: number, len: number): Promise<Buffer> {
    if (p.data) return p.data.subarray(pos, pos + len);
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = await p.fh!.read(buf, 0, len, pos);
    return buf.subarray(0, bytesRead);
  }

  /** Inflates the zlib stream at start, expecting size bytes; reads more input if the guess was short. */
  async #inflate(p: Pack, start: number, size: number): Promise<Buffer> {
    for (let guess = size + 64 + (size >>> 6); ; guess *= 4) {
      const len = Math.min(guess, p.dataEnd - start);
      const buf = await this.#bytes(p, start, len);
      try {
        const out = inflateSync(buf, { chunkSize: Math.max(64, Math.min(size + 16, 1 << 20)) });
        if (out.length !== size) throw new Error(`${p.name}: entry at ${start} inflated to ${out.length} bytes, expected ${size}`);
        return out;
      } catch (err) {
        if (len >= p.dataEnd - start || (err as { code?: string }).code !== 'Z_BUF_ERROR') throw err;
      }
    }
  }

  #remember(key: string, obj: RawObject): void {
    if (obj.content.length > CACHE_BYTES / 64) return;
    this.#cache.set(key, obj);
    this.#cacheBytes += obj.content.length;
    for (const [k, v] of this.#cache) {
      if (this.#cacheBytes <= CACHE_BYTES) break;
      this.#cache.delete(k);
      this.#cacheBytes -= v.content.length;
    }
  }
}
