/**
 * A child process a test starts and must stop: its recent output kept for error messages, a
 * bounded wait for an HTTP readiness endpoint, and a stop that escalates from SIGTERM to SIGKILL.
 * A process still running when the test process exits is killed, so none is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** A started child process. */
export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** The last lines it printed (stdout and stderr), for error messages. */
  output(): string;
  /** Resolves with the exit code (or signal) once it has exited. */
  exited: Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const KEEP_LINES = 200;

/** Spawns `bin args...` with piped output; `name` labels it in errors. */
export function startProcess(name: string, bin: string, args: string[], env?: NodeJS.ProcessEnv): ManagedProcess {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  running.add(child);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
    if (lines.length > KEEP_LINES) lines.splice(0, lines.length - KEEP_LINES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => {
      running.delete(child);
      lines.push(`${name}: could not start ${bin}: ${err.message}`);
      resolve(`error ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(signal ? `signal ${signal}` : `code ${code}`);
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  return {
    name,
    child,
    output: () => lines.join('\n'),
    exited,
    async stop(graceMs = 5_000) {
      if (hasExited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Polls `url` until it answers 200, at most `timeoutMs`. Fails at once, with the process output,
 * if `proc` exits first.
 */
export async function waitForHttp(url: string, proc: ManagedProcess, timeoutMs: number): Promise<void> {
  let gone: string | undefined;
  void proc.exited.then((how) => {
    gone = how;
  });
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${proc.name} exited (${gone}) before ${url} was ready:\n${proc.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${proc.name}: ${url} not ready after ${timeoutMs} ms (${last}):\n${proc.output()}`);
}
