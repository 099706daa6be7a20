/**
 * Benchmark: issues per second fetched through the Jira layer (enumerate with ids-only search,
 * then bulk fetch of the fields a sync writes) from an emulated 10,000-issue Cloud project.
 * Run alone with `npx node test/bench/jira-bench.ts [issues]`; it prints one JSON line.
 */
import { createJiraSource } from '../../controller/jira/jira.ts';
import { createLimiter } from '../../controller/jira/limiter.ts';
import { startJiraEmulator } from '../jira-emulator/emulator.ts';

/** The fields a sync writes for each issue (see the renderer in controller/sync). */
export const SYNC_FIELDS = [
  'summary', 'status', 'issuetype', 'priority', 'assignee', 'reporter', 'labels', 'created', 'updated',
  'description', 'parent', 'subtasks', 'issuelinks', 'resolution', 'customfield_10016',
] as const;

export interface JiraBenchResult {
  name: 'jira-fetch';
  issues: number;
  seconds: number;
  issuesPerSecond: number;
  requests: number;
  enumerateSeconds: number;
}

/** Enumerates and bulk-fetches a generated project of `size` issues; returns the throughput. */
export async function benchJiraFetch(size = 10_000): Promise<JiraBenchResult> {
  const emu = await startJiraEmulator({ seed: 42, projects: [{ key: 'BENCH', issues: size }] });
  try {
    const source = createJiraSource(
      { baseUrl: emu.url, credentials: { kind: 'basic', email: emu.email, apiToken: emu.apiToken } },
      // A private limiter without pacing: the bench measures the layer, not the production rate cap.
      { limiter: createLimiter({ maxConcurrent: 6, requestsPerSecond: Infinity }), onSchemaMismatch: 'warn' },
    );
    const started = performance.now();
    const keys: string[] = [];
    for await (const page of source.enumerate('project = BENCH ORDER BY key ASC')) for (const r of page) keys.push(r.key);
    const enumerated = performance.now();
    let fetched = 0;
    for await (const chunk of source.fetch(keys, SYNC_FIELDS)) fetched += chunk.length;
    const seconds = (performance.now() - started) / 1000;
    if (fetched !== size) throw new Error(`jira bench: fetched ${fetched} of ${size} issues`);
    return {
      name: 'jira-fetch',
      issues: fetched,
      seconds: Number(seconds.toFixed(3)),
      issuesPerSecond: Math.round(fetched / seconds),
      requests: source.requestCount(),
      enumerateSeconds: Number(((enumerated - started) / 1000).toFixed(3)),
    };
  } finally {
    await emu.stop();
  }
}

if (import.meta.main) {
  const size = Number(process.argv[2] ?? 10_000);
  console.log(JSON.stringify(await benchJiraFetch(size)));
}
