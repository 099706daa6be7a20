/**
 * The small state file a sync keeps next to its files (`{path}/.jirasync/state.json`), so that
 * ownership and the incremental cursor survive the loss of the controller and of the cluster.
 * It deliberately holds no per-issue list: the set of owned issues is the listing of
 * `projects/*\/issues/`, so an incremental commit never rewrites a file that grows with the
 * repository. Serialisation is deterministic: unchanged state → byte-identical file → no commit.
 */
import type { SyncType } from '../api/jirasync.ts';
import { FORMAT_VERSION } from '../api/fingerprint.ts';
import { StallingError } from './errors.ts';

export interface StateFile {
  formatVersion: number;
  /** `namespace/name` of the JIRASync that owns this path. */
  owner: string;
  syncType: SyncType;
  /** scopeHash() of the spec that wrote the files. */
  scopeHash: string;
  /** Incremental only: the latest `updated` seen (ISO 8601, UTC). */
  cursor?: string;
  /** Incremental only: when the last deletion scan (full enumeration) ran. */
  lastFullScanTime?: string;
}

/** The state file's path under the sync root ('' or 'dir/'). */
export function statePath(root: string): string {
  return `${root}.jirasync/state.json`;
}

/** Reads a state file; undefined when absent or unreadable (then the path is treated as fresh). */
export function parseState(text: string | undefined): StateFile | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.owner !== 'string' || typeof o.formatVersion !== 'number') return undefined;
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  const state: StateFile = {
    formatVersion: o.formatVersion,
    owner: o.owner,
    syncType: (str(o.syncType) ?? 'project') as SyncType,
    scopeHash: str(o.scopeHash) ?? '',
  };
  const cursor = str(o.cursor);
  const last = str(o.lastFullScanTime);
  if (cursor && !Number.isNaN(Date.parse(cursor))) state.cursor = cursor;
  if (last && !Number.isNaN(Date.parse(last))) state.lastFullScanTime = last;
  return state;
}

/** Deterministic JSON text of the state (fixed key order, trailing newline). */
export function serializeState(s: StateFile): string {
  const ordered: Record<string, unknown> = {
    formatVersion: s.formatVersion,
    owner: s.owner,
    syncType: s.syncType,
    scopeHash: s.scopeHash,
  };
  if (s.cursor !== undefined) ordered.cursor = s.cursor;
  if (s.lastFullScanTime !== undefined) ordered.lastFullScanTime = s.lastFullScanTime;
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/**
 * Throws a stalling error when the path belongs to another JIRASync or was written by a newer
 * format than this controller understands.
 */
export function checkOwnership(state: StateFile | undefined, owner: string, path: string): void {
  if (!state) return;
  if (state.owner !== owner) {
    throw new StallingError(`destination path already used by ${state.owner} (${JSON.stringify(path)} holds its state file)`, { reason: 'OwnershipConflict' });
  }
  if (state.formatVersion > FORMAT_VERSION) {
    throw new StallingError(
      `destination path ${JSON.stringify(path)} was written by a newer jirasync (format ${state.formatVersion}, this controller knows ${FORMAT_VERSION})`,
    );
  }
}
