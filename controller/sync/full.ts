/**
 * A full sync: enumerate the whole scope (ids only), fetch it in chunks and stage each issue's
 * file as it arrives, then remove the files of stored issues that left the scope and rebuild
 * every relationship symlink. It ensures that afterwards the tree under `projects/` is exactly
 * the scope as Jira shows it now, except that an issue which failed to render keeps its previous
 * file. Memory holds keys and relationship edges, never issue objects beyond one chunk.
 * Before removing anything, the deletion guard (guard.ts) checks the enumeration against Jira's
 * approximate count and the share of stored issues that would go; a refusal throws before the
 * commit. The id index (idindex.ts) is rewritten from what was stored, so moves are recognised.
 */
import type { JiraIssue } from '../jira/source.ts';
import type { RunContext, SeenTimes } from './context.ts';
import { chunkedIn, quoteJql } from '../jira/jql.ts';
import { isJiraError } from '../jira/errors.ts';
import { SyncError } from './errors.ts';
import type { Scope } from './scope.ts';
import { edgeId, issuePath, parseEdgeId, relationshipsOf, symlinkFor } from './relationships.ts';
import { parseStoredRelations } from './render/yaml.ts';
import { collectGarbage } from '../heap.ts';
import { jiraTime, renderIssue } from './stage.ts';
import { errorMessage } from '../observability/redact.ts';
import { guardDeletion, type DeletionPlan } from './guard.ts';
import { IdIndex } from './idindex.ts';

/** Keys handed to one fetch call (the source splits them into bulk requests of 100). */
const FETCH_BATCH = 5000;

export interface FullOutcome extends SeenTimes {
  removed: number;
}

/** How often the epic's two queries are made again when the epic changed between them. */
const EPIC_READ_ATTEMPTS = 3;

async function listKeys(ctx: RunContext, jql: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of ctx.source.enumerate(jql, ctx.signal)) for (const r of page) keys.push(r.key);
  return keys;
}

/**
 * Every key of an epic scope: the epic, its children, and their sub-tasks. A child deleted or
 * moved between the two queries makes Jira refuse `parent in (...)` with a 400 naming it: the epic
 * changed while it was read, which is transient, so both queries are made again; if it keeps
 * changing the run fails as retryable, never as a spec to fix.
 */
async function epicKeys(ctx: RunContext, epicKey: string): Promise<string[]> {
  // Cloud: `parent = EPIC`; Data Center: its Epic Link field (the source knows which).
  const childClause = (await ctx.source.epicChildren?.(epicKey, ctx.signal)) ?? `parent = ${quoteJql(epicKey)}`;
  for (let attempt = 1; ; attempt++) {
    const children = await listKeys(ctx, childClause);
    try {
      const subtasks: string[] = [];
      for (const clause of chunkedIn('parent', children)) subtasks.push(...(await listKeys(ctx, clause)));
      return [...new Set([epicKey, ...children, ...subtasks])];
    } catch (err) {
      if (!(isJiraError(err) && err.kind === 'badRequest')) throw err;
      if (attempt >= EPIC_READ_ATTEMPTS) {
        throw new SyncError(`epic ${epicKey} kept changing while its children were read (${errorMessage(err, 200)}); the run is retried`, { cause: err });
      }
    }
  }
}

export async function runFull(ctx: RunContext, scope: Scope): Promise<FullOutcome> {
  const { source, checkout, base, root, tracker, signal } = ctx;
  const baseKeys = await base.ownedKeys();
  signal?.throwIfAborted();

  const stored = new Set<string>();
  /** Jira id → key of every issue stored this run, for the id index (moves). */
  const ids = new Map<string, string>();
  const failed = new Set<string>();
  const edges = new Set<string>();
  const seen: SeenTimes = { maxUpdatedMs: -Infinity, minFailedUpdatedMs: Infinity };

  const handle = async (issue: JiraIssue): Promise<void> => {
    const key = String(issue?.key);
    if (stored.has(key) || failed.has(key)) return; // pagination can repeat an issue
    let rendered;
    try {
      rendered = renderIssue(issue, ctx.content.render);
    } catch (err) {
      failed.add(key);
      tracker.failed(key, errorMessage(err, 300));
      const t = jiraTime(issue?.fields?.updated);
      if (t < seen.minFailedUpdatedMs) seen.minFailedUpdatedMs = t;
      return;
    }
    await checkout.writeFile(issuePath(root, rendered.key), rendered.text);
    signal?.throwIfAborted();
    stored.add(rendered.key);
    if (issue.id !== undefined) ids.set(String(issue.id), rendered.key);
    tracker.succeeded();
    for (const r of relationshipsOf(rendered.relations)) edges.add(edgeId(r));
    if (rendered.updatedMs > seen.maxUpdatedMs) seen.maxUpdatedMs = rendered.updatedMs;
  };

  const fetchKeys = async (keys: string[]): Promise<Set<string>> => {
    const returned = new Set<string>();
    for await (const chunk of source.fetch(keys, ctx.fields, signal)) {
      for (const issue of chunk) {
        returned.add(String(issue?.key));
        await handle(issue);
      }
      collectGarbage();
      tracker.report();
    }
    return returned;
  };

  /** Named keys that Jira did not return are failures: the spec asks for something Jira lacks. */
  let namedFound = 0;
  const fetchNamed = async (keys: string[]) => {
    for (let i = 0; i < keys.length; i += FETCH_BATCH) {
      const batch = keys.slice(i, i + FETCH_BATCH);
      const returned = await fetchKeys(batch);
      namedFound += batch.filter((k) => returned.has(k)).length;
      for (const k of batch) {
        if (!returned.has(k) && !stored.has(k) && !failed.has(k)) {
          failed.add(k);
          tracker.failed(k, 'not found in Jira (deleted, moved, or not visible to the Jira user)');
        }
      }
    }
  };

  let approximate: number | undefined;
  let enumerated: number | undefined;
  if (scope.kind === 'keys') {
    tracker.totalIssues = scope.keys.length;
    tracker.enter('fetch-issues');
    await fetchNamed(scope.keys);
  } else if (scope.kind === 'epic') {
    const keys = await epicKeys(ctx, scope.epicKey);
    tracker.totalIssues = keys.length;
    tracker.enter('fetch-issues');
    await fetchNamed([scope.epicKey]);
    for (let i = 1; i < keys.length; i += FETCH_BATCH) await fetchKeys(keys.slice(i, i + FETCH_BATCH));
  } else {
    approximate = await source.count(scope.jql, signal);
    tracker.totalIssues = approximate;
    tracker.enter('fetch-issues');
    const seenKeys = new Set<string>();
    for await (const page of source.enumerate(scope.jql, signal)) {
      for (const r of page) seenKeys.add(r.key);
      await fetchKeys(page.map((r) => r.key));
    }
    enumerated = seenKeys.size;
  }

  tracker.enter('write-files');
  // An issue that failed to render keeps its previous file, and that file's relationships.
  const kept = new Set([...failed].filter((k) => baseKeys.has(k)));
  for (const k of kept) {
    const text = await base.readIssue(k);
    const rel = text === undefined ? undefined : parseStoredRelations(text);
    if (rel) for (const r of relationshipsOf(rel)) edges.add(edgeId(r));
  }
  const present = (k: string) => stored.has(k) || kept.has(k);

  // The id index says which stored keys are moves (same id, now stored under another key): those
  // files are replaced in this run, not lost, so the guard does not count them.
  const index = new IdIndex(checkout, root, signal);
  const previous = await index.all();
  const movedAway = new Set<string>();
  for (const [id, k] of previous) if (ids.has(id) && ids.get(id) !== k) movedAway.add(k);
  const leaving = [...baseKeys].filter((k) => !present(k));
  const plan: DeletionPlan = {
    stored: baseKeys.size,
    deleting: leaving.filter((k) => !movedAway.has(k)).length,
    kept: stored.size + kept.size,
  };
  if (scope.kind !== 'jql' && namedFound === 0) plan.noNamedKeyFound = true;
  if (enumerated !== undefined) plan.enumerated = enumerated;
  if (approximate !== undefined) plan.approximate = approximate;
  guardDeletion(plan, ctx.deletionPolicy);

  for (const k of leaving) checkout.remove(issuePath(root, k));
  const removed = leaving.length;
  baseKeys.clear();

  // Failed issues keep their previous file and so their previous index entry.
  for (const [id, k] of previous) if (kept.has(k) && !ids.has(id)) ids.set(id, k);
  index.replaceAll(ids);
  await index.write();

  // Relationships are rebuilt from scratch: cheaper to reason about than a diff, and the git
  // writer reuses the blob and tree ids of every symlink that did not change.
  for (const project of await base.projects()) checkout.remove(`${root}projects/${project}/relationships`);
  for (const id of edges) {
    signal?.throwIfAborted();
    const e = parseEdgeId(id);
    if (!present(e.from) || !present(e.to)) continue;
    const { path, target } = symlinkFor(root, e);
    await checkout.writeSymlink(path, target);
    collectGarbage();
  }
  signal?.throwIfAborted();
  return { ...seen, removed };
}
