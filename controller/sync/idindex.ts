/**
 * The id index: which key each stored issue's Jira id has, under `{path}/.jirasync/ids/XX.txt`
 * (256 shards by id, lines `id key` sorted by id). It lets a run recognise a move (PROJ-1 became
 * OPS-5: Jira returns the new key with the same id) without asking Jira for history, so the old
 * file goes in the same run that writes the new one. Shards keep the cost proportional to the
 * change: an incremental run reads and rewrites only the shards of issues newly seen under a key
 * it does not store, and a shard holds about 1/256 of the repository (≈ 400 lines at 100,000
 * issues). A full sync and a deletion scan rewrite the whole index from what they enumerated
 * (unchanged shards are byte-identical, so they add nothing to the commit). A branch written
 * before the index existed simply has none until its next full sync or deletion scan.
 */
import { createHash } from 'node:crypto';
import type { Checkout } from '../git/destination.ts';

/** The index folder under the sync root ('' or 'dir/'). */
export function idIndexDir(root: string): string {
  return `${root}.jirasync/ids`;
}

/** The shard an id lives in: two hex digits of id mod 256 (ids are decimal in Jira), else of a hash. */
export function shardOf(id: string): string {
  const n = /^[0-9]{1,15}$/.test(id) ? Number(id) % 256 : createHash('sha1').update(id).digest()[0];
  return n.toString(16).padStart(2, '0');
}

export function parseShard(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const [id, key] = line.trim().split(/\s+/);
    if (id && key) out.set(id, key);
  }
  return out;
}

function byId(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

export function serializeShard(entries: Map<string, string>): string {
  return [...entries.keys()].sort(byId).map((id) => `${id} ${entries.get(id)}\n`).join('');
}

export class IdIndex {
  readonly #checkout: Checkout;
  readonly #dir: string;
  readonly #signal: AbortSignal | undefined;
  readonly #shards = new Map<string, Promise<Map<string, string>>>();
  readonly #dirty = new Set<string>();
  #replaced = false;

  constructor(checkout: Checkout, root: string, signal?: AbortSignal) {
    this.#checkout = checkout;
    this.#dir = idIndexDir(root);
    this.#signal = signal;
  }

  #shard(name: string): Promise<Map<string, string>> {
    let p = this.#shards.get(name);
    if (!p) {
      p = this.#checkout.readFile(`${this.#dir}/${name}.txt`, this.#signal).then((b) => parseShard(b === undefined ? undefined : Buffer.from(b).toString('utf8')));
      this.#shards.set(name, p);
    }
    return p;
  }

  /** The key stored for an id, if any. */
  async lookup(id: string): Promise<string | undefined> {
    return (await this.#shard(shardOf(id))).get(id);
  }

  /** Every entry of the stored index (reads all shards; for full syncs). */
  async all(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const names = (await this.#checkout.listDir(this.#dir, this.#signal))
      .filter((e) => e.type === 'file' && /^[0-9a-f]{2}\.txt$/.test(e.name))
      .map((e) => e.name.slice(0, 2));
    for (const name of names) for (const [id, key] of await this.#shard(name)) out.set(id, key);
    return out;
  }

  async set(id: string, key: string): Promise<void> {
    const name = shardOf(id);
    const shard = await this.#shard(name);
    if (shard.get(id) === key) return;
    shard.set(id, key);
    this.#dirty.add(name);
  }

  /** Replaces the whole index with these entries (full sync, deletion scan). */
  replaceAll(entries: Iterable<[string, string]>): void {
    this.#shards.clear();
    this.#dirty.clear();
    const shards = new Map<string, Map<string, string>>();
    for (const [id, key] of entries) {
      const name = shardOf(id);
      let s = shards.get(name);
      if (!s) shards.set(name, (s = new Map()));
      s.set(id, key);
    }
    for (const [name, s] of shards) {
      this.#shards.set(name, Promise.resolve(s));
      this.#dirty.add(name);
    }
    this.#replaced = true;
  }

  /** Stages the changed shards. */
  async write(): Promise<void> {
    if (this.#replaced) this.#checkout.remove(this.#dir);
    for (const name of [...this.#dirty].sort()) {
      const shard = await this.#shard(name);
      const path = `${this.#dir}/${name}.txt`;
      if (shard.size === 0) this.#checkout.remove(path);
      else await this.#checkout.writeFile(path, serializeShard(shard));
    }
  }
}
