/**
 * Progress lines while the sandbox starts: each step says what it starts, then how long it took
 * and where it is reachable, so a slow first start (builds, large sample projects) explains itself.
 */
import { secs } from './processes.ts';

/** Thrown by a step that begins after a stop was requested. */
export class StopRequested extends Error {
  constructor() {
    super('stop requested');
  }
}

export class Progress {
  readonly #out: (line: string) => void;
  readonly #t0 = Date.now();
  #stopRequested = false;

  constructor(out: (line: string) => void) {
    this.#out = out;
  }

  /** Later steps throw StopRequested instead of starting more. */
  requestStop(): void {
    this.#stopRequested = true;
  }

  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  /** Milliseconds since the sandbox started. */
  get elapsedMs(): number {
    return Date.now() - this.#t0;
  }

  /** A line of its own (indented under the current step). */
  note(line: string): void {
    this.#out(`    ${line}`);
  }

  /** Runs one step: "→ title …", then "✓ title: detail (1.2 s)" or "✗ title (1.2 s): error". */
  async step<T>(title: string, fn: () => Promise<T>, detail?: (result: T) => string): Promise<T> {
    if (this.#stopRequested) throw new StopRequested();
    this.#out(`→ ${title} …`);
    const t0 = Date.now();
    try {
      const result = await fn();
      const d = detail?.(result);
      this.#out(`✓ ${title}${d ? `: ${d}` : ''} (${secs(Date.now() - t0)})`);
      return result;
    } catch (err) {
      if (this.#stopRequested) {
        this.#out(`– ${title}: interrupted (${secs(Date.now() - t0)})`);
        throw err;
      }
      this.#out(`✗ ${title} (${secs(Date.now() - t0)}): ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }
}
