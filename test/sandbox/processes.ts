/**
 * Process bookkeeping for the sandbox: what to stop, in which order, and a last sweep that kills
 * any descendant still alive, so Ctrl-C never leaves a process (and its port) behind even when a
 * building block's own stop() missed one (a git http-backend mid-request, a stuck child).
 * Linux only: descendants are found through /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Pids of every live descendant of `root` (children, grandchildren, …), parents first. */
export function descendants(root: number = process.pid): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** The parent pid from /proc/PID/stat (undefined if the process is gone or a zombie). */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may contain spaces and parentheses, so split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return undefined;
    return Number(rest[1]);
  } catch {
    return undefined;
  }
}

/** Whether a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  return parentOf(pid) !== undefined;
}

/** The command line of a process, arguments joined by spaces ('' if it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** SIGKILLs the descendants of this process still alive; returns how many it had to kill. */
export async function killLeftovers(): Promise<number> {
  const left = descendants();
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (let i = 0; i < 50 && left.some(alive); i++) await sleep(100);
  return left.length;
}

/**
 * Stop actions registered as things start, run last-in first-out: controllers stop before the API
 * server they talk to, the API server before etcd. Each runs once, bounded by its own timeout.
 */
export class StopStack {
  readonly #items: { what: string; stop: () => Promise<unknown> }[] = [];

  push(what: string, stop: () => Promise<unknown>): void {
    this.#items.push({ what, stop });
  }

  /** Runs every stop action, newest first; a failing or hanging one does not block the rest. */
  async stopAll(report: (line: string) => void, timeoutMs = 30_000): Promise<void> {
    while (this.#items.length > 0) {
      const { what, stop } = this.#items.pop()!;
      const t0 = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`did not stop within ${timeoutMs / 1000} s`), timeoutMs);
      });
      const result = await Promise.race([
        stop().then(() => '', (err: unknown) => `stop failed: ${err instanceof Error ? err.message : String(err)}`),
        timeout,
      ]);
      clearTimeout(timer);
      report(result ? `${what}: ${result}` : `stopped ${what} (${secs(Date.now() - t0)})`);
    }
  }
}

/** Milliseconds as "1.2 s". */
export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
