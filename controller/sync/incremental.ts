/**
 * An incremental sync: only the issues updated since the cursor (minus an overlap window, because
 * Jira's JQL dates have minute granularity and its index lags a little) are fetched, compared with
 * their stored files, and restaged when different. Relationship symlinks are recomputed only for
 * the edges those issues touch. When a deletion scan is due, an ids-only enumeration of the whole
 * scope finds stored issues that were deleted or left the scope; they are removed with their
 * symlinks, unless the deletion guard (guard.ts) finds the scan untrustworthy and refuses the run.
 * An issue seen under a key that is not stored is looked up in the id index (idindex.ts): when
 * its id is stored under another key, the issue moved, and the old file goes in this run. The work
 * (and the commit) grows with the change, not with the repository.
 */
import type { RunContext, SeenTimes } from './context.ts';
import { incrementalJql } from '../jira/jql.ts';
import { edgeId, issuePath, parseEdgeId, projectOf, relationshipsOf, symlinkFor, type Relationship } from './relationships.ts';
import { parseStoredRelations, type StoredRelations } from './render/yaml.ts';
import { jiraTime, renderIssue } from './stage.ts';
import { errorMessage } from '../observability/redact.ts';
import { guardDeletion } from './guard.ts';
import { IdIndex } from './idindex.ts';

export interface IncrementalOptions {
  /** The scope's JQL (no ORDER BY). */
  jql: string;
  cursor: Date;
  overlapMs: number;
  /** Run the deletion scan this time. */
  scan: boolean;
}

export interface IncrementalOutcome extends SeenTimes {
  changed: number;
  removed: number;
  /** The JQL of the incremental search, for the commit trailer. */
  query: string;
}

interface Change {
  before?: StoredRelations;
  after: StoredRelations;
}

export async function runIncremental(ctx: RunContext, opts: IncrementalOptions): Promise<IncrementalOutcome> {
  const { source, checkout, base, root, tracker, signal } = ctx;
  const timeZone = await source.timeZone(signal);
  const query = incrementalJql(opts.jql, opts.cursor, opts.overlapMs, timeZone);

  const gone = new Set<string>();
  const index = new IdIndex(checkout, root, signal);
  /** Deletion scan only: Jira id → key of everything enumerated, and the stored keys. */
  let inScope: Map<string, string> | undefined;
  let owned: Set<string> | undefined;
  let approximate: number | undefined;
  if (opts.scan) {
    approximate = await source.count(opts.jql, signal);
    inScope = new Map();
    for await (const page of source.enumerate(opts.jql, signal)) for (const r of page) inScope.set(r.key, String(r.id));
    owned = await base.ownedKeys();
    for (const k of owned) if (!inScope.has(k)) gone.add(k);
  }
  /** Stored keys whose issue came back under another key this run (same Jira id). */
  const moved = new Set<string>();
  const searchedIds = new Map<string, string>();

  tracker.enter('fetch-issues');
  const changes = new Map<string, Change>();
  const lastSeen = new Map<string, number>();
  const seen: SeenTimes = { maxUpdatedMs: -Infinity, minFailedUpdatedMs: Infinity };
  for await (const page of source.search(query, ctx.fields, signal)) {
    for (const issue of page) {
      const key = String(issue?.key);
      const updated = jiraTime(issue?.fields?.updated);
      // Dedupe by key and updated: a page boundary can repeat an issue; keep the newest.
      const prev = lastSeen.get(key);
      if (prev !== undefined && !(updated > prev)) continue;
      lastSeen.set(key, updated);
      let rendered;
      try {
        rendered = renderIssue(issue, ctx.content.render);
      } catch (err) {
        gone.delete(key); // still in scope: its previous file stays
        tracker.failed(key, errorMessage(err, 300));
        if (updated < seen.minFailedUpdatedMs) seen.minFailedUpdatedMs = updated;
        continue;
      }
      gone.delete(rendered.key);
      moved.delete(rendered.key);
      if (issue.id !== undefined) searchedIds.set(rendered.key, String(issue.id));
      const stored = await base.readIssue(rendered.key);
      signal?.throwIfAborted();
      if (stored === undefined && issue.id !== undefined) {
        // A key not stored may be a move: the id index names the key its file is stored under.
        const id = String(issue.id);
        const old = await index.lookup(id);
        if (old !== undefined && old !== rendered.key && !lastSeen.has(old) && (await base.readIssue(old)) !== undefined) moved.add(old);
        await index.set(id, rendered.key);
      }
      if (stored !== rendered.text || changes.has(rendered.key)) {
        await checkout.writeFile(issuePath(root, rendered.key), rendered.text);
        const before = changes.get(rendered.key)?.before ?? (stored === undefined ? undefined : parseStoredRelations(stored));
        changes.set(rendered.key, before ? { before, after: rendered.relations } : { after: rendered.relations });
      }
      tracker.succeeded();
      if (rendered.updatedMs > seen.maxUpdatedMs) seen.maxUpdatedMs = rendered.updatedMs;
    }
    tracker.report();
  }

  if (opts.scan) {
    // Moves are replaced in this run, not lost: the guard counts only what the scan found gone.
    const deleting = [...gone].filter((k) => !moved.has(k)).length;
    const stored = owned?.size ?? 0;
    const after = new Set([...(owned ?? [])].filter((k) => !gone.has(k) && !moved.has(k)));
    for (const k of changes.keys()) after.add(k);
    guardDeletion({ stored, deleting, kept: after.size, enumerated: inScope?.size ?? 0, approximate: approximate ?? 0 }, ctx.deletionPolicy);
    const entries = new Map<string, string>();
    for (const [k, id] of inScope ?? []) if (after.has(k)) entries.set(id, k);
    for (const [k, id] of searchedIds) entries.set(id, k);
    index.replaceAll(entries);
  }
  for (const k of moved) gone.add(k);
  await index.write();

  tracker.enter('write-files');
  const affected = new Set<string>();
  const addAll = (rels: StoredRelations | undefined) => {
    if (rels) for (const r of relationshipsOf(rels)) affected.add(edgeId(r));
  };
  for (const k of gone) {
    const text = await base.readIssue(k);
    addAll(text === undefined ? undefined : parseStoredRelations(text));
    checkout.remove(issuePath(root, k));
    // Edges stored under the removed issue, including ones only the other end's record names.
    const project = projectOf(k);
    for (const kind of await base.relationshipKinds(project)) checkout.remove(`${root}projects/${project}/relationships/${kind}/${k}`);
  }
  for (const c of changes.values()) {
    addAll(c.before);
    addAll(c.after);
  }

  // The other end of an edge is read from the base tree (a lookup per key, cached), not found by
  // listing its project's issues: a listing of 100,000 names would cost more than the whole change.
  const storedRelations = new Map<string, StoredRelations | undefined>();
  const stored = async (k: string): Promise<StoredRelations | undefined> => {
    if (!storedRelations.has(k)) {
      const text = await base.readIssue(k);
      storedRelations.set(k, text === undefined ? undefined : parseStoredRelations(text));
    }
    return storedRelations.get(k);
  };
  const present = async (k: string) => changes.has(k) || (!gone.has(k) && (await stored(k)) !== undefined);
  const claims = async (k: string, id: string): Promise<boolean> => {
    const rels = changes.get(k)?.after ?? (gone.has(k) ? undefined : await stored(k));
    return rels !== undefined && relationshipsOf(rels).some((r: Relationship) => edgeId(r) === id);
  };
  for (const id of affected) {
    signal?.throwIfAborted();
    const e = parseEdgeId(id);
    const link = symlinkFor(root, e);
    const wanted = (await present(e.from)) && (await present(e.to)) && ((await claims(e.from, id)) || (await claims(e.to, id)));
    if (wanted) await checkout.writeSymlink(link.path, link.target);
    else checkout.remove(link.path);
  }
  return { ...seen, changed: changes.size, removed: gone.size, query };
}
