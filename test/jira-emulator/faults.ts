/**
 * Injected faults, each switchable per test: Jira Cloud-style rate limiting (429 + Retry-After and
 * the X-RateLimit-* / RateLimit-Reason headers), eventual consistency of search, 5xx answers, slow
 * answers (before or after the request was carried out), slow answers, dropped connections,
 * malformed JSON, and enhanced search that stops paging early. A `path` option limits a fault to
 * request paths containing that text.
 */
import { Rng } from './model/random.ts';

export interface RateLimitOptions {
  /** Limit every Nth matching request (default: every request). */
  everyN?: number;
  /** Seconds for Retry-After; 0 is allowed (Data Center sends it). */
  retryAfter: number;
  /** Stop after this many 429 answers (default: until cleared). */
  forRequests?: number;
  /** RateLimit-Reason header value (default jira-burst-based). */
  reason?: string;
  path?: string;
  /**
   * Answer 429 to any request that arrives before the previous Retry-After has passed (counted as
   * an early retry), as Jira does. Default true.
   */
  enforceWindow?: boolean;
}

export interface Fail5xxOptions {
  status?: number;
  /** Fail the next N matching requests… */
  count?: number;
  /** …or each matching request with this probability (seeded, so runs repeat). */
  probability?: number;
  path?: string;
  /** Only requests with this method (GET and POST of a comment share a path). */
  method?: string;
  /** Optional Retry-After seconds on the 5xx (Jira sends it with some 503s). */
  retryAfter?: number;
  /**
   * Carry the request out first, then answer the 5xx — a gateway timing out on a write that did
   * happen (a retried comment POST then posts twice unless the client checks). Default false.
   */
  afterProcessing?: boolean;
}

export interface FaultStats {
  rateLimited: number;
  earlyRetries: number;
  failed5xx: number;
  dropped: number;
  malformed: number;
}

export interface FaultSnapshot {
  rateLimit?: RateLimitOptions & { remaining?: number };
  eventualConsistencySeconds: number;
  fail5xx?: Fail5xxOptions & { remaining?: number };
  latency: { ms: number; path?: string }[];
  dropConnections?: { remaining: number; path?: string };
  malformedJson?: { remaining: number; path?: string };
  /** Enhanced search ends (isLast, no nextPageToken) after this many issues of a result. */
  truncatePaging?: { afterIssues: number };
  stats: FaultStats;
}

export type RateLimitDecision = { retryAfter: number; early: boolean; reason: string } | undefined;

const matches = (path: string, filter?: string) => filter === undefined || path.includes(filter);

export class Faults {
  #rate?: { opts: RateLimitOptions; seen: number; limited: number; windowUntil: number };
  #ecSeconds = 0;
  #fail?: { opts: Fail5xxOptions; failed: number; rng: Rng };
  #latency: { ms: number; path?: string }[] = [];
  #drop?: { remaining: number; path?: string };
  #malformed?: { remaining: number; path?: string };
  #truncate?: { afterIssues: number };
  #ipAllowlist = false;
  #stats: FaultStats = { rateLimited: 0, earlyRetries: 0, failed5xx: 0, dropped: 0, malformed: 0 };
  readonly #seed: number;

  constructor(seed: number) {
    this.#seed = seed;
  }

  rateLimit(opts: RateLimitOptions): void {
    if (!(opts.retryAfter >= 0)) throw new Error('rateLimit: retryAfter (seconds, >= 0) is required');
    if (opts.everyN !== undefined && !(opts.everyN >= 1)) throw new Error('rateLimit: everyN must be >= 1');
    this.#rate = { opts: { ...opts }, seen: 0, limited: 0, windowUntil: 0 };
  }

  eventualConsistency(seconds: number): void {
    if (!(seconds >= 0)) throw new Error('eventualConsistency: seconds must be >= 0');
    this.#ecSeconds = seconds;
  }

  get eventualConsistencySeconds(): number {
    return this.#ecSeconds;
  }

  fail5xx(opts: Fail5xxOptions): void {
    const status = opts.status ?? 503;
    if (status < 500 || status > 599) throw new Error('fail5xx: status must be 5xx');
    if (opts.count === undefined && opts.probability === undefined) throw new Error('fail5xx: give count or probability');
    this.#fail = { opts: { ...opts, status }, failed: 0, rng: Rng.for(this.#seed, 'fail5xx') };
  }

  /** Delay matching responses by ms; 0 removes the delay for that path. */
  latency(ms: number, path?: string): void {
    this.#latency = this.#latency.filter((l) => l.path !== path);
    if (ms > 0) this.#latency.push({ ms, path });
  }

  dropConnections(count: number, path?: string): void {
    this.#drop = { remaining: count, path };
  }

  malformedJson(count: number, path?: string): void {
    this.#malformed = { remaining: count, path };
  }

  /**
   * Enhanced search (`/search/jql`) pretends a result ends after `afterIssues` issues: the page that
   * reaches it says isLast and carries no nextPageToken — Jira's early-stop bug. Count is unaffected.
   */
  truncatePaging(afterIssues: number): void {
    if (!(Number.isInteger(afterIssues) && afterIssues >= 0)) throw new Error('truncatePaging: afterIssues must be an integer >= 0');
    this.#truncate = { afterIssues };
  }

  /**
   * The site's IP allowlist (an Atlassian Guard setting) does not include the client: every
   * authenticated request is answered 403, whatever the credentials — the one run-wide 403 a
   * correct token meets in practice.
   */
  ipAllowlistDenies(on: boolean): void {
    this.#ipAllowlist = on;
  }

  get ipAllowlistDenied(): boolean {
    return this.#ipAllowlist;
  }

  /** The truncation point of enhanced search, if that fault is on. */
  get truncatedAfter(): number | undefined {
    return this.#truncate?.afterIssues;
  }

  clear(): void {
    this.#truncate = undefined;
    this.#ipAllowlist = false;
    this.#rate = undefined;
    this.#ecSeconds = 0;
    this.#fail = undefined;
    this.#latency = [];
    this.#drop = undefined;
    this.#malformed = undefined;
  }

  resetStats(): void {
    this.#stats = { rateLimited: 0, earlyRetries: 0, failed5xx: 0, dropped: 0, malformed: 0 };
  }

  // ---- decisions, one per request --------------------------------------------------------

  delayFor(path: string): number {
    return this.#latency.filter((l) => matches(path, l.path)).reduce((s, l) => s + l.ms, 0);
  }

  shouldDrop(path: string): boolean {
    const d = this.#drop;
    if (!d || d.remaining <= 0 || !matches(path, d.path)) return false;
    d.remaining--;
    this.#stats.dropped++;
    return true;
  }

  rateLimitFor(path: string, now: number): RateLimitDecision {
    const r = this.#rate;
    if (!r || !matches(path, r.opts.path)) return undefined;
    const reason = r.opts.reason ?? 'jira-burst-based';
    if (r.opts.enforceWindow !== false && now < r.windowUntil) {
      this.#stats.earlyRetries++;
      this.#stats.rateLimited++;
      return { retryAfter: Math.ceil((r.windowUntil - now) / 1000), early: true, reason };
    }
    if (r.opts.forRequests !== undefined && r.limited >= r.opts.forRequests) return undefined;
    r.seen++;
    if (r.opts.everyN !== undefined && r.seen % r.opts.everyN !== 0) return undefined;
    r.limited++;
    r.windowUntil = now + r.opts.retryAfter * 1000;
    this.#stats.rateLimited++;
    return { retryAfter: r.opts.retryAfter, early: false, reason };
  }

  failFor(path: string, method: string): { status: number; retryAfter?: number; afterProcessing: boolean } | undefined {
    const f = this.#fail;
    if (!f || !matches(path, f.opts.path)) return undefined;
    if (f.opts.method !== undefined && f.opts.method.toUpperCase() !== method) return undefined;
    let fail: boolean;
    if (f.opts.count !== undefined) fail = f.failed < f.opts.count;
    else fail = f.rng.next() < (f.opts.probability ?? 0);
    if (!fail) return undefined;
    f.failed++;
    this.#stats.failed5xx++;
    return { status: f.opts.status ?? 503, retryAfter: f.opts.retryAfter, afterProcessing: f.opts.afterProcessing === true };
  }

  shouldMalform(path: string): boolean {
    const m = this.#malformed;
    if (!m || m.remaining <= 0 || !matches(path, m.path)) return false;
    m.remaining--;
    this.#stats.malformed++;
    return true;
  }

  snapshot(): FaultSnapshot {
    return {
      ...(this.#rate ? { rateLimit: { ...this.#rate.opts, ...(this.#rate.opts.forRequests !== undefined ? { remaining: Math.max(0, this.#rate.opts.forRequests - this.#rate.limited) } : {}) } } : {}),
      eventualConsistencySeconds: this.#ecSeconds,
      ...(this.#fail ? { fail5xx: { ...this.#fail.opts, ...(this.#fail.opts.count !== undefined ? { remaining: Math.max(0, this.#fail.opts.count - this.#fail.failed) } : {}) } } : {}),
      latency: this.#latency.map((l) => ({ ...l })),
      ...(this.#drop && this.#drop.remaining > 0 ? { dropConnections: { ...this.#drop } } : {}),
      ...(this.#malformed && this.#malformed.remaining > 0 ? { malformedJson: { ...this.#malformed } } : {}),
      ...(this.#truncate ? { truncatePaging: { ...this.#truncate } } : {}),
      stats: { ...this.#stats },
    };
  }
}
