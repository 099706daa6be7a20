/** What clients sent and what they got, for tests to assert on (bounded ring of recent entries). */

export interface RequestLogEntry {
  seq: number;
  /** Epoch ms when the request arrived. */
  at: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** The JSON body, summarised: long strings cut, long arrays replaced by `{ length, first }`. */
  body?: unknown;
  /** HTTP status answered; 0 when the connection was dropped. */
  status: number;
  ms: number;
  /** Which injected fault (if any) produced the answer. */
  fault?: 'rate-limit' | 'early-retry' | '5xx' | 'drop' | 'malformed-json';
  auth: 'basic' | 'bearer' | 'none';
  /** True when the credentials were refused and the answer was an anonymous user's (expired-token mode). */
  anonymous?: boolean;
}

const MAX_ENTRIES = 20_000;

function summarise(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length > 500 ? `${v.slice(0, 500)}…` : v;
  if (Array.isArray(v)) {
    if (depth > 3) return { length: v.length };
    return v.length > 20 ? { length: v.length, first: v.slice(0, 5).map((x) => summarise(x, depth + 1)) } : v.map((x) => summarise(x, depth + 1));
  }
  if (v && typeof v === 'object') {
    if (depth > 3) return '{…}';
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, summarise(x, depth + 1)]));
  }
  return v;
}

export class RequestLog {
  #entries: RequestLogEntry[] = [];
  #seq = 0;

  add(e: Omit<RequestLogEntry, 'seq' | 'body'> & { body?: unknown }): RequestLogEntry {
    const entry: RequestLogEntry = { ...e, seq: ++this.#seq, ...(e.body === undefined ? {} : { body: summarise(e.body) }) };
    this.#entries.push(entry);
    if (this.#entries.length > MAX_ENTRIES) this.#entries.splice(0, this.#entries.length - MAX_ENTRIES);
    return entry;
  }

  /** Entries in arrival order, optionally only those after sequence number `since`. */
  entries(since = 0): RequestLogEntry[] {
    return this.#entries.filter((e) => e.seq > since);
  }

  reset(): void {
    this.#entries = [];
  }
}
