/**
 * Runs bats and reads its TAP output, so that each bats test becomes one tap assertion (and the
 * counts of `npm test` include them).
 */
import { spawn } from 'node:child_process';

export interface BatsCase {
  ok: boolean;
  name: string;
  /** The reason, when bats reported the case as skipped (which counts as a failure here). */
  skip?: string;
  /** The `# ` lines bats printed after the case: the failing command and its output. */
  diagnostics: string[];
}

export interface BatsRun {
  /** The `1..N` plan, if bats printed one. */
  plan?: number;
  cases: BatsCase[];
  exitCode: number | null;
  /** Output that is not TAP (bats' own errors). */
  other: string[];
}

/** Parses bats' TAP output. */
export function parseBatsTap(text: string): Omit<BatsRun, 'exitCode'> {
  const cases: BatsCase[] = [];
  const other: string[] = [];
  let plan: number | undefined;
  for (const line of text.split('\n')) {
    const planMatch = /^1\.\.(\d+)$/.exec(line);
    const result = /^(ok|not ok) \d+ (.*?)(?: # skip ?(.*))?$/.exec(line);
    if (planMatch) plan = Number(planMatch[1]);
    else if (result) {
      cases.push({ ok: result[1] === 'ok', name: result[2], skip: result[3], diagnostics: [] });
    } else if (line.startsWith('#') && cases.length > 0) {
      cases[cases.length - 1].diagnostics.push(line.replace(/^# ?/, ''));
    } else if (line.trim() !== '') {
      other.push(line);
    }
  }
  return { plan, cases, other };
}

/** Runs `bats --tap PATHS...` with ENV; kills it after timeoutMs. */
export function runBats(paths: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<BatsRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('bats', ['--tap', ...paths], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run bats: ${err.message}`, { cause: err }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const parsed = parseBatsTap(out);
      parsed.other.push(...err.split('\n').filter((l) => l.trim() !== ''));
      resolve({ ...parsed, exitCode: code });
    });
  });
}
