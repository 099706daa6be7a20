/**
 * The sandbox's sample JIRASyncs in namespace `demo`: three that succeed (a single issue, a
 * scheduled JQL query, an epic with its children) and one with a wrong git token whose failure is
 * reported on OPS-1, each writing under its own folder of one repository. Applying replaces
 * whatever a kept sandbox left (ports change on every start), so the samples always point here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION, type JIRASync, type JIRASyncSpec, type Phase } from '../../controller/api/jirasync.ts';
import type { EmulatorState } from '../jira-emulator/state.ts';

export const DEMO_NAMESPACE = 'demo';
/** The issue the failing sample reports on; its project's workflow has no "Failed". */
export const FAILURE_ISSUE = 'OPS-1';

/** One sample and what it should end in. */
export interface Sample {
  name: string;
  syncType: JIRASyncSpec['syncType'];
  /** Folder of the repository it writes under. */
  path: string;
  expect: Extract<Phase, 'Completed' | 'Failed'>;
  /** One line for the guide. */
  about: string;
  spec: JIRASyncSpec;
}

/** What the samples connect to. */
export interface SampleTargets {
  jira: { url: string; email: string; apiToken: string };
  git: { username: string; password: string; repoUrl: string };
  /** A Story/Task/Bug key for the `single` sample. */
  singleKey: string;
  /** An Epic with children for the `epic` sample. */
  epicKey: string;
}

/** Picks sample issues from the generated project: the first plain issue and the epic with most children. */
export function pickIssues(state: EmulatorState, project: string, count: number): { singleKey: string; epicKey: string; epicChildren: number } {
  let singleKey: string | undefined;
  const children = new Map<string, number>();
  for (let n = 1; n <= count; n++) {
    const issue = state.issue(`${project}-${n}`);
    if (!issue) continue;
    if (!singleKey && ['Story', 'Task', 'Bug'].includes(issue.type)) singleKey = issue.key;
    if (issue.epic) children.set(issue.epic, (children.get(issue.epic) ?? 0) + 1);
  }
  const [epicKey, epicChildren] = [...children.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
  if (!singleKey || !epicKey) throw new Error(`sample project ${project} has no plain issue or no epic with children; try more --issues`);
  return { singleKey, epicKey, epicChildren: epicChildren ?? 0 };
}

/** The four samples for the given targets. */
export function sampleSyncs(t: SampleTargets): Sample[] {
  const base = (path: string, gitSecret = 'git'): Pick<JIRASyncSpec, 'destination' | 'jira' | 'retryPolicy'> => ({
    destination: { repository: t.git.repoUrl, branch: 'main', path, secretRef: { name: gitSecret } },
    jira: { secretRef: { name: 'jira' } },
    retryPolicy: { maxRetries: 2, initialDelay: 2, backoffMultiplier: 2 },
  });
  const sample = (name: string, path: string, expect: Sample['expect'], about: string, spec: Omit<JIRASyncSpec, 'destination'> & Partial<JIRASyncSpec>): Sample =>
    ({ name, syncType: spec.syncType, path, expect, about, spec: { ...base(path), ...spec } as JIRASyncSpec });
  return [
    sample('single', 'single', 'Completed', `one issue (${t.singleKey})`, {
      syncType: 'single', target: { issueKeys: [t.singleKey] },
    }),
    sample('jql', 'jql', 'Completed', 'PROJ issues in progress or in review; re-runs every 2 minutes', {
      syncType: 'jql', target: { jqlQuery: 'project = PROJ AND status in ("In Progress", "In Review")' }, schedule: '*/2 * * * *',
    }),
    sample('epic', 'epic', 'Completed', `epic ${t.epicKey} and its children`, {
      syncType: 'epic', target: { epicKey: t.epicKey },
    }),
    // The git token is wrong, the Jira one right: the report goes out with the sync's own identity
    // (a sync whose Jira token is refused cannot report, and no other identity is ever used).
    sample('bad-credentials', 'bad-credentials', 'Failed', `wrong git token: fails after 2 retries (GitAuthFailed), reported on ${FAILURE_ISSUE}`, {
      ...base('bad-credentials', 'git-wrong-token'),
      syncType: 'single', target: { issueKeys: [t.singleKey] },
      failurePolicy: { issueKey: FAILURE_ISSUE, transitionTo: ['Failed', 'Blocked'] },
    }),
  ];
}

/** Creates the namespace and Secrets and (re)creates the samples. */
export async function applySamples(kc: k8s.KubeConfig, targets: SampleTargets): Promise<Sample[]> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const objects = kc.makeApiClient(k8s.CustomObjectsApi);
  const namespace = DEMO_NAMESPACE;
  await ignore409(() => core.createNamespace({ body: { metadata: { name: namespace } } }));
  await putSecret(core, 'jira', { baseUrl: targets.jira.url, email: targets.jira.email, apiToken: targets.jira.apiToken });
  await putSecret(core, 'git', { username: targets.git.username, token: targets.git.password });
  await putSecret(core, 'git-wrong-token', { username: targets.git.username, token: 'not-the-right-token' });
  const samples = sampleSyncs(targets);
  const ref = { group: GROUP, version: VERSION, namespace, plural: PLURAL };
  for (const s of samples) {
    try {
      await objects.deleteNamespacedCustomObject({ ...ref, name: s.name });
      await waitGone(objects, s.name);
    } catch (err) {
      if (!is(err, 404)) throw new Error(`deleting the old sample ${s.name}`, { cause: err });
    }
    const body: JIRASync = { apiVersion: API_VERSION, kind: KIND, metadata: { name: s.name, namespace, labels: { 'app.kubernetes.io/part-of': 'jirasync-sandbox', 'sync.jira.io/credentials': 'true' } }, spec: s.spec };
    await objects.createNamespacedCustomObject({ ...ref, body });
  }
  return samples;
}

/**
 * Polls until every sample has reached its expected phase at least once (the failing one also with
 * its Jira report done); reports each the first time it gets there. Throws on timeout with what is missing.
 */
export async function waitForSamples(
  kc: k8s.KubeConfig,
  samples: Sample[],
  opts: { timeoutMs: number; onReached: (s: Sample, obj: JIRASync) => void; cancelled: () => boolean },
): Promise<Map<string, JIRASync>> {
  const objects = kc.makeApiClient(k8s.CustomObjectsApi);
  const reached = new Map<string, JIRASync>();
  const last = new Map<string, JIRASync>();
  const deadline = Date.now() + opts.timeoutMs;
  while (reached.size < samples.length) {
    if (opts.cancelled()) throw new Error('cancelled');
    const list = (await objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: DEMO_NAMESPACE, plural: PLURAL })) as { items: JIRASync[] };
    for (const s of samples) {
      const obj = list.items.find((o) => o.metadata.name === s.name);
      if (!obj || reached.has(s.name)) continue;
      last.set(s.name, obj);
      const done = s.expect === 'Completed'
        ? obj.status?.phase === 'Completed'
        : obj.status?.phase === 'Failed' && ['Reported', 'Skipped'].includes(obj.status?.jiraReport?.state ?? '');
      if (done) {
        reached.set(s.name, obj);
        opts.onReached(s, obj);
      } else if (s.expect === 'Completed' && obj.status?.phase === 'Failed') {
        // Retries are exhausted: waiting longer shows nothing new.
        throw new Error(`sample ${s.name} Failed: ${obj.status.lastError ?? 'no lastError'}`);
      }
    }
    if (reached.size === samples.length) break;
    if (Date.now() > deadline) {
      const missing = samples.filter((s) => !reached.has(s.name))
        .map((s) => `${s.name} (expected ${s.expect}, is ${last.get(s.name)?.status?.phase ?? 'without status'}${last.get(s.name)?.status?.lastError ? `: ${last.get(s.name)?.status?.lastError}` : ''})`);
      throw new Error(`samples did not reach their phases in ${opts.timeoutMs / 1000} s: ${missing.join('; ')}`);
    }
    await sleep(500);
  }
  return reached;
}

async function putSecret(core: k8s.CoreV1Api, name: string, stringData: Record<string, string>): Promise<void> {
  const body: k8s.V1Secret = { metadata: { name, namespace: DEMO_NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'jirasync-sandbox', 'sync.jira.io/credentials': 'true' } }, stringData };
  try {
    await core.createNamespacedSecret({ namespace: DEMO_NAMESPACE, body });
  } catch (err) {
    if (!is(err, 409)) throw new Error(`creating Secret ${DEMO_NAMESPACE}/${name}`, { cause: err });
    await core.replaceNamespacedSecret({ name, namespace: DEMO_NAMESPACE, body });
  }
}

async function waitGone(objects: k8s.CustomObjectsApi, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await objects.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: DEMO_NAMESPACE, plural: PLURAL, name });
    } catch (err) {
      if (is(err, 404)) return;
      throw err;
    }
    await sleep(100);
  }
  throw new Error(`JIRASync ${DEMO_NAMESPACE}/${name} still exists 10 s after deletion`);
}

async function ignore409(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!is(err, 409)) throw err;
  }
}

/** Whether a client error carries the HTTP status `code`. */
export function is(err: unknown, code: number): boolean {
  return (err as { code?: number }).code === code;
}
