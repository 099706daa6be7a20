/**
 * Whether a JIRASync should run now, and if not, when to look again. Pure: the reconciler acts on
 * the answer. A sync runs once per change of what it syncs (configHash), on a new
 * `sync.jira.io/requestedAt` value, on its schedule, when a retry is due, or when a run was cut
 * short (phase Running seen by a new leader).
 */
import { REQUESTED_AT_ANNOTATION, type JIRASync } from '../api/jirasync.ts';
import { configHash } from '../api/fingerprint.ts';
import { parseSchedule } from './schedule.ts';

export type Decision =
  | { action: 'suspend' }
  | { action: 'invalid'; message: string }
  | { action: 'run'; why: 'new-config' | 'requested' | 'schedule' | 'retry' | 'resume' | 'first'; fresh: boolean }
  | { action: 'report' }
  | { action: 'wait'; until?: Date; observe: boolean };

export function decide(obj: JIRASync, now: Date): Decision {
  const spec = obj.spec;
  const st = obj.status ?? {};
  if (spec.suspend) return { action: 'suspend' };

  let schedule;
  if (spec.schedule) {
    try {
      schedule = parseSchedule(spec.schedule, spec.timeZone);
    } catch (err) {
      return { action: 'invalid', message: (err as Error).message };
    }
  } else if (spec.timeZone) {
    try {
      parseSchedule('0 0 * * *', spec.timeZone);
    } catch (err) {
      return { action: 'invalid', message: (err as Error).message };
    }
  }

  const requested = obj.metadata.annotations?.[REQUESTED_AT_ANNOTATION];
  if (requested !== undefined && requested !== st.lastHandledRequestedAt) return { action: 'run', why: 'requested', fresh: true };
  if (!st.phase || !st.syncState?.configHash) return { action: 'run', why: 'first', fresh: true };
  if (st.syncState.configHash !== configHash(spec)) return { action: 'run', why: 'new-config', fresh: true };
  // Not a content change (retry or failure policy, schedule): only observedGeneration needs writing.
  const observe = st.observedGeneration !== obj.metadata.generation;

  switch (st.phase) {
    case 'Running':
      return { action: 'run', why: 'resume', fresh: false };
    case 'Suspended':
      return { action: 'run', why: 'resume', fresh: false };
    case 'Pending': {
      if (!st.nextRunTime) return { action: 'run', why: 'retry', fresh: false };
      const at = new Date(st.nextRunTime);
      if (at <= now) return { action: 'run', why: (st.retryCount ?? 0) > 0 ? 'retry' : 'schedule', fresh: false };
      return { action: 'wait', until: at, observe };
    }
    case 'Failed': {
      if (st.jiraReport?.state === 'Pending') return { action: 'report' };
      const next = schedule && st.syncState.startTime ? schedule.next(new Date(st.syncState.startTime)) : undefined;
      if (next && next <= now) return { action: 'run', why: 'schedule', fresh: true };
      return { action: 'wait', until: next, observe };
    }
    case 'Completed': {
      const base = st.syncState.startTime ?? st.syncState.lastSyncTime;
      const next = schedule && base ? schedule.next(new Date(base)) : undefined;
      if (next && next <= now) return { action: 'run', why: 'schedule', fresh: false };
      return { action: 'wait', until: next, observe };
    }
  }
}
