/**
 * The sandbox's command line: `npm run sandbox -- [--issues N] [--keep] [--dir DIR] …`.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The repository root (two levels above this file). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

export interface SandboxOptions {
  /** Issues in the generated sample project PROJ. */
  issues: number;
  /** Keep the data directory between runs (the control plane's etcd data in particular). */
  keep: boolean;
  /** The data directory [<repo>/.sandbox]. */
  dir: string;
  /** Written as JSON (SandboxInfo) once everything is up and the samples reached their phases. */
  readyFile?: string;
  /** Shorten the alert rules' `for:` durations so alerts show within a minute or two. */
  fastAlerts: boolean;
  /** How long to wait for the samples to reach their phases, in seconds. */
  waitSeconds: number;
}

export const USAGE = `usage: npm run sandbox -- [options]

Starts jirasync locally on 127.0.0.1 — a control plane (etcd + kube-apiserver), the Jira emulator
with a sample project, a git server, Prometheus and Alertmanager with the shipped alert rules, and
two controller replicas — creates sample JIRASyncs in namespace "demo", waits until they reach their
phases and prints what to try. Ctrl-C stops everything it started.

Options:
  --issues N          issues in the sample project PROJ (default 300)
  --keep              keep the data directory between runs (control plane data, logs); without it
                      the directory is removed on exit
  --dir DIR           data directory (default .sandbox/ at the repository root)
  --real-alert-timing keep the rules' real 'for:' durations (default: shortened in memory so the
                      failing sample's alert shows within a minute or two)
  --wait SECONDS      how long to wait for the samples to reach their phases (default 300)
  --ready-file PATH   write the sandbox's addresses as JSON to PATH once it is ready (for scripts)
  -h, --help          show this help
`;

/** Parses argv (without node and the script); throws with a usage hint on bad input. */
export function parseSandboxArgs(argv: string[]): SandboxOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        issues: { type: 'string' },
        keep: { type: 'boolean' },
        dir: { type: 'string' },
        'ready-file': { type: 'string' },
        'real-alert-timing': { type: 'boolean' },
        wait: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n\n${USAGE}`, { cause: err });
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const issues = count(v.issues, 300, 'issues', 10, 20_000);
  const waitSeconds = count(v.wait, 300, 'wait', 10, 3600);
  return {
    issues,
    keep: v.keep ?? false,
    dir: resolve(v.dir ?? `${repoRoot}/.sandbox`),
    ...(v['ready-file'] ? { readyFile: resolve(v['ready-file']) } : {}),
    fastAlerts: !v['real-alert-timing'],
    waitSeconds,
  };
}

function count(raw: string | undefined, def: number, name: string, min: number, max: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
}
