/**
 * Benchmark: issues per second fetched through the Jira layer (enumerate with ids-only search,
 * then bulk fetch of the fields a sync writes) from an emulated 10,000-issue Cloud project — or,
 * with `datacenter`, a Data Center one (classic search pages of 1,000, `key in (...)` fetches of
 * 1,000, a PAT whose deployment is detected), with its request target.
 * Run alone with `npx node test/bench/jira-bench.ts [issues] [cloud|datacenter]`; it prints one JSON line.
 */
import { createJiraSource, type JiraConnection } from '../../controller/jira/jira.ts';
import { createLimiter } from '../../controller/jira/limiter.ts';
import { startJiraEmulator } from '../jira-emulator/emulator.ts';

/** The fields a sync writes for each issue (see the renderer in controller/sync). */
export const SYNC_FIELDS = [
  'summary', 'status', 'issuetype', 'priority', 'assignee', 'reporter', 'labels', 'created', 'updated',
  'description', 'parent', 'subtasks', 'issuelinks', 'resolution', 'customfield_10016',
] as const;

export interface JiraBenchResult {
  name: 'jira-fetch';
  mode: 'cloud' | 'datacenter';
  issues: number;
  seconds: number;
  issuesPerSecond: number;
  requests: number;
  enumerateSeconds: number;
  /** ⌈n/page⌉ for the enumeration + ⌈n/chunk⌉ for the fetch + the fixed requests (c). */
  requestTarget: number;
  /** How the target is made up, for the report. */
  targetFormula: string;
  pass: boolean;
}

/**
 * Cloud: ⌈n/5000⌉ + ⌈n/100⌉ + 1 (/myself). Data Center: ⌈n/1000⌉ + ⌈n/1000⌉ + 3 (serverInfo,
 * /myself, /field for the Epic Link because `parent` is fetched) + one look-up per distinct user
 * mentioned in descriptions (mentions.ts; bounded by the user directory, at most 100), so still c.
 */
export function requestTarget(mode: 'cloud' | 'datacenter', n: number, users = 0): { target: number; formula: string } {
  return mode === 'cloud'
    ? { target: Math.ceil(n / 5000) + Math.ceil(n / 100) + 1, formula: 'ceil(n/5000) + ceil(n/100) + 1 identity check' }
    : { target: 2 * Math.ceil(n / 1000) + 3 + users, formula: `ceil(n/1000) pages + ceil(n/1000) key-in chunks + 3 (serverInfo, myself, field) + ${users} mentioned users (once each)` };
}

/** Enumerates and bulk-fetches a generated project of `size` issues; returns the throughput. */
export async function benchJiraFetch(size = 10_000, mode: 'cloud' | 'datacenter' = 'cloud'): Promise<JiraBenchResult> {
  const emu = await startJiraEmulator({ mode, seed: 42, projects: [{ key: 'BENCH', issues: size }] });
  try {
    const conn: JiraConnection = mode === 'cloud'
      ? { baseUrl: emu.url, credentials: { kind: 'basic', email: emu.email, apiToken: emu.apiToken } }
      : { baseUrl: emu.url, credentials: { kind: 'bearer', token: emu.pat } };
    const source = createJiraSource(
      conn,
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
    // Distinct users mentioned in the descriptions: what the emulator's users could be (its directory).
    const lookups = emu.state.requestLog.filter((e) => e.path.endsWith('/user')).map((e) => JSON.stringify(e.query));
    if (new Set(lookups).size !== lookups.length || lookups.length > 100) throw new Error(`jira bench: ${lookups.length} user look-ups, some twice or over the bound`);
    const { target, formula } = requestTarget(mode, size, new Set(lookups).size);
    return {
      name: 'jira-fetch',
      mode,
      issues: fetched,
      seconds: Number(seconds.toFixed(3)),
      issuesPerSecond: Math.round(fetched / seconds),
      requests: source.requestCount(),
      enumerateSeconds: Number(((enumerated - started) / 1000).toFixed(3)),
      requestTarget: target,
      targetFormula: formula,
      pass: source.requestCount() <= target,
    };
  } finally {
    await emu.stop();
  }
}

if (import.meta.main) {
  const size = Number(process.argv[2] ?? 10_000);
  const mode = process.argv[3] === 'datacenter' ? 'datacenter' : 'cloud';
  console.log(JSON.stringify(await benchJiraFetch(size, mode)));
}
