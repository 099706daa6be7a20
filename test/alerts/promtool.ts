/**
 * Runs Debian's `promtool` on rule files and splits its report into one entry per failing case,
 * so a tap test can name each failing alert and evaluation time instead of dumping the whole output.
 */
import { execFile } from 'node:child_process';

/** What one promtool invocation printed, and how it exited. */
export interface PromtoolRun {
  code: number;
  output: string;
}

/** One failing unit-test case: the alert (or expression) and evaluation time it was checked at. */
export interface PromtoolFailure {
  /** `alertname: X` or `expr: "..."`, as promtool names the case. */
  subject: string;
  /** The evaluation time as promtool prints it, e.g. `10m` or `9h41m`. */
  time: string;
  /** The case's full report (expected and got), for the failure message. */
  detail: string;
}

/** Runs `promtool ARGS...` from `cwd` and resolves with its exit code and combined output. */
export function promtool(args: string[], cwd: string): Promise<PromtoolRun> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (err && typeof err.code !== 'number') {
        reject(new Error(`promtool ${args.join(' ')}: could not run`, { cause: err }));
        return;
      }
      resolve({ code: err ? Number(err.code) : 0, output });
    });
  });
}

const caseStart = /^ {4}(alertname: [^,]+|expr: .*?), time: ([^,]+),/;

/**
 * Splits `promtool test rules` output into failing cases. Lines that belong to no case (a file that
 * does not load, a YAML error) are returned as one failure with subject `promtool`, so nothing a
 * broken run printed is lost.
 */
export function parseTestFailures(output: string): PromtoolFailure[] {
  const failures: PromtoolFailure[] = [];
  const loose: string[] = [];
  let current: PromtoolFailure | undefined;
  for (const line of output.split('\n')) {
    const m = caseStart.exec(line);
    if (m) {
      current = { subject: m[1].trim(), time: m[2].trim(), detail: line.trim() };
      failures.push(current);
    } else if (current && line.startsWith('        ')) {
      current.detail += `\n${line}`;
    } else if (line.trim() !== '' && !/^Unit Testing: |^\s+(SUCCESS|FAILED:)\s*$/.test(line)) {
      current = undefined;
      loose.push(line.trim());
    }
  }
  if (loose.length > 0) failures.unshift({ subject: 'promtool', time: '-', detail: loose.join('\n') });
  return failures;
}
