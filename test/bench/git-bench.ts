/**
 * Benchmark of the git writer: 10,000 small YAML files written through a Checkout into an empty
 * repository on the test git server (HTTPS, loopback), against `git fast-import` writing the same
 * files from a prepared stream, measured in the same run. The "stage" is what fast-import also
 * does (blobs, trees, commit into a pack); the push is timed separately, next to the git CLI
 * pushing the fast-import result. Returns times, ratios and peak RSS; `npm run bench` calls
 * benchGitWrite(), and `npx node test/bench/git-bench.ts [files] [--compare-push]` runs it alone
 * (--compare-push also times isomorphic-git's own git.push of the same commit).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { createGitDestination } from '../../controller/git/git.ts';
import { createTransport } from '../../controller/git/http.ts';
import { gitCliEnv, git as gitCli } from '../git-server/cli.ts';
import { hermeticGitEnv, startGitServer } from '../git-server/server.ts';
import { quietLog } from '../git/harness.ts';

export interface GitBenchResult {
  name: 'git-write';
  files: number;
  /** writeFile for every file, then tree build and commit into a pack (what fast-import does). */
  stageSeconds: number;
  /** Our push of that commit to the empty repository (ref discovery, pack upload, report). */
  pushSeconds: number;
  /** open + stage + push, end to end. */
  totalSeconds: number;
  /** git fast-import of the same files from a prepared stream, default environment. */
  fastImportSeconds: number;
  /** stageSeconds / fastImportSeconds (target: at most 2). */
  ratio: number;
  /** git fast-import again with glibc's heap trimming off: this VM makes brk() slow, and fast-import calls it per blob. */
  fastImportNoTrimSeconds: number;
  ratioNoTrim: number;
  /** The git CLI pushing the fast-import result to another empty repository on the same server. */
  gitCliPushSeconds: number;
  /** isomorphic-git's git.push of our commit, when asked for (compare-push). */
  isomorphicGitPushSeconds?: number;
  /** Highest RSS sampled during the stage and push, and the process's lifetime peak. */
  peakRssMb: number;
  maxRssMb: number;
  packBytes: number;
}

/** The YAML the engine writes for one issue, roughly (key order and size matter, not fidelity). */
export function issueYaml(i: number): string {
  return [
    `key: BENCH-${i}`,
    `summary: "Benchmark issue ${i}: make the thing ${i % 7 === 0 ? 'faster' : 'better'}"`,
    'description: |-',
    `  As a user I want issue ${i} done.`,
    '  - first point',
    `  - second point with a [link](https://example.test/${i})`,
    'status:',
    `  name: ${['To Do', 'In Progress', 'Done'][i % 3]}`,
    `  category: ${['new', 'indeterminate', 'done'][i % 3]}`,
    'assignee:',
    `  name: User ${i % 50}`,
    `created: "2024-01-${String((i % 28) + 1).padStart(2, '0')}T10:00:00.000+0000"`,
    `updated: "2024-02-${String((i % 28) + 1).padStart(2, '0')}T10:00:00.000+0000"`,
    `priority: ${['High', 'Medium', 'Low'][i % 3]}`,
    'issuetype: Story',
    `labels: [bench, l${i % 10}]`,
    '',
  ].join('\n');
}

const path = (i: number) => `projects/BENCH/issues/BENCH-${i}.yaml`;

function fastImportStream(files: number): Buffer {
  const parts: Buffer[] = [Buffer.from('commit refs/heads/main\ncommitter Bench <bench@example.test> 1700000000 +0000\ndata 5\nbench\n')];
  for (let i = 0; i < files; i++) {
    const c = Buffer.from(issueYaml(i));
    parts.push(Buffer.from(`M 100644 inline ${path(i)}\ndata ${c.length}\n`), c, Buffer.from('\n'));
  }
  parts.push(Buffer.from('done\n'));
  return Buffer.concat(parts);
}

function runFastImport(gitdir: string, stream: Buffer, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('git', ['--git-dir', gitdir, 'fast-import', '--quiet', '--done'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`git fast-import failed: ${stderr}`))));
    child.stdin.end(stream);
  });
}

const round = (s: number) => Number(s.toFixed(3));

/** Runs the benchmark and returns its numbers (see GitBenchResult). */
export async function benchGitWrite(files = 10_000, opts: { comparePush?: boolean } = {}): Promise<GitBenchResult> {
  const server = await startGitServer();
  const work = await mkdtemp(join(tmpdir(), 'jirasync-git-bench-'));
  try {
    // Baseline first, on a prepared stream, so stream building is not timed.
    const stream = fastImportStream(files);
    const fiRepo = join(work, 'fast-import.git');
    const fiRepo2 = join(work, 'fast-import-notrim.git');
    const env = hermeticGitEnv();
    await gitCli(['init', '--quiet', '--bare', fiRepo], { env });
    await gitCli(['init', '--quiet', '--bare', fiRepo2], { env });
    const fastImportSeconds = await runFastImport(fiRepo, stream, env);
    const fastImportNoTrimSeconds = await runFastImport(fiRepo2, stream, { ...env, MALLOC_TRIM_THRESHOLD_: '268435456', MALLOC_TOP_PAD_: '67108864' });
    const cliUrl = await server.createRepo('cli-push');
    const cliStarted = performance.now();
    await gitCli(['--git-dir', fiRepo, 'push', '--quiet', cliUrl, 'main'], { env: gitCliEnv(server) });
    const gitCliPushSeconds = (performance.now() - cliStarted) / 1000;

    const url = await server.createRepo('bench');
    const times = new Map<string, number>();
    const dest = createGitDestination(
      {
        wrap: async (info, call) => {
          const t0 = performance.now();
          try {
            return await call();
          } finally {
            times.set(info.operation, (times.get(info.operation) ?? 0) + (performance.now() - t0) / 1000);
          }
        },
      },
      { log: quietLog() },
    );
    let peak = process.memoryUsage.rss();
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
    const target = {
      url,
      branch: 'main',
      auth: { username: server.username, password: server.password },
      author: { name: 'Bench', email: 'bench@example.test' },
      cacheDir: join(work, 'cache'),
      caCertificates: server.caPem,
    };
    const started = performance.now();
    const co = await dest.open(target);
    const opened = performance.now();
    for (let i = 0; i < files; i++) await co.writeFile(path(i), issueYaml(i));
    const written = (performance.now() - opened) / 1000;
    const res = await co.commitAndPush(() => 'bench');
    const totalSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
    if (!res.commit || res.diff.added.length !== files) throw new Error(`git bench: expected ${files} added files, got ${res.diff.added.length}`);
    const count = (await gitCli(['--git-dir', server.barePath('bench'), 'ls-tree', '-r', '--name-only', 'main'], { env })).trim().split('\n').length;
    if (count !== files) throw new Error(`git bench: the remote has ${count} files, expected ${files}`);
    const packBytes = fs
      .readdirSync(join(target.cacheDir, 'objects/pack'))
      .filter((f) => f.endsWith('.pack'))
      .reduce((n, f) => n + fs.statSync(join(target.cacheDir, 'objects/pack', f)).size, 0);

    let isomorphicGitPushSeconds: number | undefined;
    if (opts.comparePush) {
      const other = await server.createRepo('isogit-push');
      const transport = createTransport({ caCertificates: server.caPem });
      const t0 = performance.now();
      await git.push({
        fs,
        http: transport.client(),
        gitdir: target.cacheDir,
        url: other,
        ref: 'main',
        remoteRef: 'refs/heads/main',
        onAuth: () => ({ username: server.username, password: server.password }),
      });
      isomorphicGitPushSeconds = round((performance.now() - t0) / 1000);
      transport.close();
    }
    const stageSeconds = written + (times.get('build-tree') ?? 0) + (times.get('commit') ?? 0);
    return {
      name: 'git-write',
      files,
      stageSeconds: round(stageSeconds),
      pushSeconds: round(times.get('push') ?? 0),
      totalSeconds: round(totalSeconds),
      fastImportSeconds: round(fastImportSeconds),
      ratio: round(stageSeconds / fastImportSeconds),
      fastImportNoTrimSeconds: round(fastImportNoTrimSeconds),
      ratioNoTrim: round(stageSeconds / fastImportNoTrimSeconds),
      gitCliPushSeconds: round(gitCliPushSeconds),
      ...(isomorphicGitPushSeconds === undefined ? {} : { isomorphicGitPushSeconds }),
      peakRssMb: Math.round(peak / 2 ** 20),
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      packBytes,
    };
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 10_000);
  const result = await benchGitWrite(files, { comparePush: process.argv.includes('--compare-push') });
  console.log(JSON.stringify(result));
}
