/**
 * The sync engine: one JIRASync run, Jira → files → one commit. Reads as a short script:
 * resolve the target and check ownership → fetch and stage (a full pass, or an incremental one
 * when a cursor for the same scope exists) → write the state file → commit and push once.
 * Nothing here knows Kubernetes; Jira is reached only through IssueSource and git only through
 * Checkout. A cancelled run (AbortSignal) stops before the commit, leaving the remote untouched.
 */
import { DEFAULTS, type JIRASyncSpec } from '../api/jirasync.ts';
import type { Checkout, TreeDiff } from '../git/destination.ts';
import type { IssueSource } from '../jira/source.ts';
import type { RunContext, SeenTimes } from './context.ts';
import { isAbortError, StallingError, SyncError, withContext } from './errors.ts';
import { runFull } from './full.ts';
import { runIncremental } from './incremental.ts';
import { ContentPlan, contentSettings, contentSource } from './content.ts';
import { commitMessage, issueChanges } from './message.ts';
import { meteredSource } from './metered-source.ts';
import { ProgressTracker, type SyncProgress } from './progress.ts';
import { FORMAT_VERSION, scopeHash } from '../api/fingerprint.ts';
import { INCREMENTAL_OVERLAP_MS } from '../jira/jql.ts';
import { parseDuration, resolveScope, type Scope } from './scope.ts';
import { fieldList } from './stage.ts';
import { checkOwnership, parseState, serializeState, statePath, type StateFile } from './state.ts';
import { BaseTree, syncRoot } from './tree.ts';

export { OPERATIONS, type Operation, type SyncProgress } from './progress.ts';

export interface SyncInput {
  owner: { namespace: string; name: string };
  spec: JIRASyncSpec;
  now?: Date;
  /** Force a deletion scan on an incremental sync. */
  fullScan?: boolean;
  /**
   * When the last deletion scan ran, as the caller remembers it (status.syncState.lastFullScanTime).
   * The state file also records it, but only in commits that change something else, so that a
   * scan finding nothing makes no commit; the later of the two is used.
   */
  lastFullScanTime?: string;
}

export interface SyncResult {
  /** The pushed commit, or undefined when nothing changed (no commit, no push). */
  commit?: string;
  /**
   * The branch head after the run: the pushed commit, else the commit the run started from. A run
   * after a takeover that finds its content already pushed (the old leader died before writing
   * status) records this, so status names the commit that holds the content.
   */
  head?: string;
  added: number;
  updated: number;
  removed: number;
  totalIssues: number;
  processedIssues: number;
  successfulIssues: number;
  failedIssues: number;
  /** The first 20 failed issues with their reason. */
  failures: { key: string; error: string }[];
  /** Incremental only: the cursor now stored. */
  cursor?: string;
  /** Whether this run enumerated the whole scope (full sync or deletion scan). */
  fullScan: boolean;
  lastFullScanTime?: string;
  /** Jira requests this run asked for. */
  jiraRequests?: number;
}

export interface SyncDeps {
  source: IssueSource;
  checkout: Checkout;
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  const ta = a ? Date.parse(a) : Number.NaN;
  const tb = b ? Date.parse(b) : Number.NaN;
  if (Number.isNaN(ta)) return Number.isNaN(tb) ? undefined : b;
  return Number.isNaN(tb) || ta >= tb ? a : b;
}

/**
 * The new cursor: the latest `updated` seen, never earlier than the old one, but held at the
 * earliest failed issue so that the next run fetches it again.
 */
function nextCursor(old: string | undefined, seen: SeenTimes): string | undefined {
  let ms = old ? Date.parse(old) : -Infinity;
  if (seen.maxUpdatedMs > ms) ms = seen.maxUpdatedMs;
  if (Number.isFinite(seen.minFailedUpdatedMs) && seen.minFailedUpdatedMs < ms) ms = seen.minFailedUpdatedMs;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : old;
}

/** Runs one sync. Throws SyncError (with a kind) or the signal's abort reason. */
export async function runSync(
  input: SyncInput,
  deps: SyncDeps,
  onProgress: (p: SyncProgress) => void,
  signal?: AbortSignal,
): Promise<SyncResult> {
  const tracker = new ProgressTracker(onProgress);
  try {
    return await run(input, deps, tracker, signal);
  } catch (err) {
    if (isAbortError(err, signal) || err instanceof SyncError) throw err;
    throw withContext(`sync failed during ${tracker.operation}`, err, signal);
  }
}

async function run(input: SyncInput, deps: SyncDeps, tracker: ProgressTracker, signal?: AbortSignal): Promise<SyncResult> {
  signal?.throwIfAborted();
  const now = input.now ?? new Date();
  const { spec } = input;
  const owner = `${input.owner.namespace}/${input.owner.name}`;
  tracker.enter('resolve-target');

  let scope: Scope;
  let root: string;
  try {
    scope = resolveScope(spec);
    root = syncRoot(spec.destination?.path);
  } catch (err) {
    throw err instanceof SyncError ? err : new StallingError((err as Error).message, { cause: err });
  }
  const content = new ContentPlan(contentSettings(spec));
  const interval = parseDuration(spec.deletionScanInterval ?? DEFAULTS.deletionScanInterval);
  if (interval === undefined || interval <= 0) {
    throw new StallingError(`deletionScanInterval ${JSON.stringify(spec.deletionScanInterval)} is not a duration such as 6h or 90m`);
  }

  const { checkout } = deps;
  const metered = meteredSource(deps.source, signal);
  const stateBytes = await checkout.readFile(statePath(root), signal);
  signal?.throwIfAborted();
  const state = parseState(stateBytes === undefined ? undefined : Buffer.from(stateBytes).toString('utf8'));
  checkOwnership(state, owner, root === '' ? '/' : root);

  const hash = scopeHash(spec);
  const ctx: RunContext = {
    source: contentSource(metered.source, content),
    checkout,
    base: new BaseTree(checkout, root, signal),
    root,
    fields: fieldList([]),
    content,
    tracker,
    signal,
  };
  if (spec.deletionPolicy) ctx.deletionPolicy = spec.deletionPolicy;
  const next: StateFile = { formatVersion: FORMAT_VERSION, owner, syncType: spec.syncType, scopeHash: hash };
  let query = scope.query;
  let fullScan = true;
  let lastFullScanTime: string | undefined = now.toISOString();
  let note: string | undefined;

  const canContinue =
    spec.syncType === 'incremental' &&
    scope.kind === 'jql' &&
    state?.syncType === 'incremental' &&
    state.scopeHash === hash &&
    state.formatVersion === FORMAT_VERSION &&
    state.cursor !== undefined;

  if (canContinue && scope.kind === 'jql' && state?.cursor) {
    const last = later(state.lastFullScanTime, input.lastFullScanTime);
    fullScan = input.fullScan === true || last === undefined || now.getTime() - Date.parse(last) >= interval;
    const out = await runIncremental(ctx, { jql: scope.jql, cursor: new Date(state.cursor), overlapMs: INCREMENTAL_OVERLAP_MS, scan: fullScan });
    query = out.query;
    next.cursor = nextCursor(state.cursor, out);
    const changedSomething = out.changed > 0 || out.removed > 0 || next.cursor !== state.cursor;
    // Record a scan in the file only when the commit happens anyway (a clean scan makes no commit).
    const recorded = fullScan && changedSomething ? now.toISOString() : state.lastFullScanTime;
    if (recorded !== undefined) next.lastFullScanTime = recorded;
    lastFullScanTime = fullScan ? now.toISOString() : last;
    if (fullScan) note = 'Deletion scan: the whole scope was enumerated.';
  } else {
    const out = await runFull(ctx, scope);
    if (spec.syncType === 'incremental') {
      const cursor = nextCursor(undefined, out);
      if (cursor !== undefined) next.cursor = cursor;
      next.lastFullScanTime = now.toISOString();
    }
  }

  await checkout.writeFile(statePath(root), serializeState(next));
  signal?.throwIfAborted();

  tracker.enter('commit');
  const message = (diff: TreeDiff) => commitMessage({ label: scope.label, changes: issueChanges(diff, root), owner, query, note });
  const result = await checkout.commitAndPush(message, signal);
  const changes = issueChanges(result.diff, root);
  tracker.finish();

  const out: SyncResult = {
    added: changes.added.length,
    updated: changes.updated.length,
    removed: changes.removed.length,
    totalIssues: Math.max(tracker.totalIssues ?? 0, tracker.processedIssues),
    processedIssues: tracker.processedIssues,
    successfulIssues: tracker.successfulIssues,
    failedIssues: tracker.failedIssues,
    failures: [...tracker.failures],
    fullScan,
    jiraRequests: metered.requests(),
  };
  if (result.commit) out.commit = result.commit;
  const head = result.commit ?? checkout.baseCommit;
  if (head) out.head = head;
  if (next.cursor) out.cursor = next.cursor;
  if (lastFullScanTime) out.lastFullScanTime = lastFullScanTime;
  return out;
}
