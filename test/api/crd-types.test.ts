/**
 * The TypeScript types in controller/api/jirasync.ts agree with the CRD schema: a fully populated
 * object (the compiler forces every field of the types to be present, and rejects extra ones)
 * has exactly the schema's field paths, and the real API server keeps every one of them.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type JIRASync, type JIRASyncStatus } from '../../controller/api/jirasync.ts';
import { readCrd } from '../env/crd.ts';
import { testCluster, stopTestCluster } from '../env/cluster.ts';

type DeepRequired<T> = T extends (infer U)[] ? DeepRequired<U>[] : T extends object ? { [K in keyof T]-?: DeepRequired<T[K]> } : T;

const full: DeepRequired<JIRASync> = {
  apiVersion: 'sync.jira.io/v1alpha1',
  kind: 'JIRASync',
  metadata: {
    name: 'full', namespace: 'x', uid: 'u', generation: 1, resourceVersion: '1', creationTimestamp: 't', deletionTimestamp: 't', labels: {}, annotations: {},
  },
  spec: {
    syncType: 'project',
    target: { issueKeys: ['A-1'], jqlQuery: 'project = A', projectKey: 'A', epicKey: 'A-1' },
    destination: {
      repository: 'https://git.example.com/a.git', branch: 'main', path: '/teams/a',
      secretRef: { name: 'git' }, author: { name: 'Bot', email: 'bot@example.com' },
    },
    jira: { secretRef: { name: 'jira' } },
    customFields: ['customfield_10016', 'Story Points'],
    content: { comments: { maxPerIssue: 50 }, attachments: { maxPerIssue: 100 }, worklogs: { maxPerIssue: 20 }, changelog: { maxPerIssue: 200 } },
    schedule: '*/5 * * * *',
    timeZone: 'Europe/Berlin',
    deletionScanInterval: '6h',
    timeout: '30m',
    deletionPolicy: { maxDeletePercent: 50, confirmDeletion: 9950 },
    suspend: false,
    retryPolicy: { maxRetries: 3, backoffMultiplier: 2, initialDelay: 30 },
    failurePolicy: { comment: true, commentOnRecovery: true, transitionTo: ['Failed'], issueKey: 'OPS-1' },
  },
  status: {
    phase: 'Running',
    observedGeneration: 1,
    progress: { percentage: 65, currentOperation: 'fetch-issues', totalOperations: 5, completedOperations: 2, estimatedCompletion: '2024-01-15T11:45:00Z' },
    syncState: {
      startTime: '2024-01-15T11:00:00Z', totalIssues: 150, processedIssues: 98, successfulIssues: 96, failedIssues: 2,
      lastSyncTime: '2024-01-15T11:30:00Z', configHash: '7f9a8b2c3d4e5f6a', cursor: '2024-01-15T11:29:00.000+0000',
      lastFullScanTime: '2024-01-15T11:00:00Z', lastCommit: 'abc123', lastRunChanges: { added: 1, updated: 2, removed: 3 },
    },
    lastError: 'Rate limit exceeded',
    retryCount: 1,
    nextRunTime: '2024-01-15T12:00:00Z',
    lastStatusUpdate: '2024-01-15T11:30:15Z',
    lastHandledRequestedAt: 'now-1',
    jiraReport: { episode: 'e1', state: 'Reported', issueKeys: ['OPS-1'], transition: 'Failed', message: 'ok', lastAttemptTime: '2024-01-15T11:30:15Z' },
    conditions: [{ type: 'Ready', status: 'False', reason: 'SyncInProgress', message: '65%', lastTransitionTime: '2024-01-15T11:30:00Z', observedGeneration: 1 }],
  },
};

/** Field paths of a JSON schema (arrays as [], maps with free keys as {}). */
function schemaPaths(schema: k8s.V1JSONSchemaProps, prefix: string, out: Set<string>): Set<string> {
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.add(path);
    if (sub.type === 'array' && sub.items) schemaPaths(sub.items as k8s.V1JSONSchemaProps, `${path}[]`, out);
    else schemaPaths(sub, path, out);
  }
  return out;
}

/** Field paths of a value. */
function valuePaths(value: unknown, prefix: string, out: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) valuePaths(v, `${prefix}[]`, out);
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      valuePaths(v, path, out);
    }
  }
  return out;
}

t.test('every spec and status field of the schema is in the types, and nothing more', async (t) => {
  const schema = readCrd().spec.versions[0].schema!.openAPIV3Schema!;
  for (const part of ['spec', 'status'] as const) {
    const fromSchema = [...schemaPaths(schema.properties![part], part, new Set())].sort();
    const fromTypes = [...valuePaths(full[part], part, new Set())].sort();
    t.same(fromTypes, fromSchema, `${part} fields agree`);
  }
});

t.test('an object built from the types is accepted by the API server and nothing is pruned', async (t) => {
  const cluster = await testCluster();
  t.teardown(stopTestCluster);
  const namespace = await cluster.newNamespace('types');
  const api = cluster.kc.makeApiClient(k8s.CustomObjectsApi);
  const spec = { ...full.spec, target: { projectKey: 'A' } };
  const created = (await api.createNamespacedCustomObject({
    group: GROUP, version: VERSION, namespace, plural: PLURAL,
    body: { apiVersion: full.apiVersion, kind: full.kind, metadata: { name: 'full' }, spec },
  })) as JIRASync;
  t.same(created.spec, spec, 'spec kept whole');
  const status: JIRASyncStatus = full.status;
  const patched = (await api.patchNamespacedCustomObjectStatus(
    { group: GROUP, version: VERSION, namespace, plural: PLURAL, name: 'full', body: { status } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  )) as JIRASync;
  t.same(patched.status, status, 'status kept whole');
});
