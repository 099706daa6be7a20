/**
 * The fields beyond the core ones: due date, affected versions, environment, time tracking, the
 * sprint, attachments and worklogs. Each is an explicit override when one was set through the
 * control API, else derived from the issue's seed (generated issues only), in compact form; the
 * renderer (render/extras.ts) turns them into Jira's JSON.
 */
import { CUSTOM_FIELDS } from './catalog.ts';
import { Rng } from './random.ts';
import type { IssueRecord } from './types.ts';

export const VERSIONS = [
  { id: '10200', name: '1.0', released: true, releaseDate: '2024-03-01' },
  { id: '10201', name: '1.1', released: true, releaseDate: '2024-06-01' },
  { id: '10202', name: '2.0', released: false },
] as const;

export interface SprintRecord {
  id: number;
  name: string;
  state: 'closed' | 'active' | 'future';
  startDate?: number;
  endDate?: number;
  completeDate?: number;
}

/** Two-week sprints on board 1, the last one active (generated activity ends at 2025-01-01). */
const SPRINT_EPOCH = Date.UTC(2024, 0, 1, 9);
const SPRINT_MS = 14 * 24 * 3600_000;
export function sprintOf(n: number): SprintRecord {
  const start = SPRINT_EPOCH + (n - 1) * SPRINT_MS;
  const state = n >= 26 ? (n === 26 ? 'active' : 'future') : 'closed';
  return {
    id: n, name: `Board Sprint ${n}`, state,
    ...(state !== 'future' ? { startDate: start, endDate: start + SPRINT_MS } : {}),
    ...(state === 'closed' ? { completeDate: start + SPRINT_MS + 3600_000 } : {}),
  };
}

export interface AttachmentRecord {
  id: number;
  filename: string;
  size: number;
  mimeType: string;
  /** Index into the user list. */
  author: number;
  created: number;
}

export interface WorklogRecord {
  id: number;
  author: number;
  started: number;
  timeSpentSeconds: number;
  comment?: string;
}

export interface TimeTrackingRecord {
  originalEstimateSeconds?: number;
  remainingEstimateSeconds?: number;
  timeSpentSeconds?: number;
}

function over<T>(rec: IssueRecord, key: string): T | undefined {
  return key in rec.overrides ? (rec.overrides[key] as T) : undefined;
}

const rng = (rec: IssueRecord, what: string) => Rng.for(rec.seed, what);

/** `YYYY-MM-DD` or null. */
export function dueDateOf(rec: IssueRecord): string | null {
  const o = over<string | null>(rec, 'duedate');
  if (o !== undefined) return o;
  if (!rec.generated) return null;
  const r = rng(rec, 'duedate');
  if (!r.chance(0.3)) return null;
  return new Date(rec.created + r.int(7, 60) * 86400_000).toISOString().slice(0, 10);
}

/** Version names (affected versions). */
export function versionsOf(rec: IssueRecord): string[] {
  const o = over<string[]>(rec, 'versions');
  if (o !== undefined) return o;
  if (!rec.generated || rec.type !== 'Bug') return [];
  const r = rng(rec, 'versions');
  return r.chance(0.6) ? [r.pick(VERSIONS).name] : [];
}

/** Plain text or null (rendered as ADF on v3, wiki markup on v2). */
export function environmentOf(rec: IssueRecord): string | null {
  const o = over<string | null>(rec, 'environment');
  if (o !== undefined) return o;
  if (!rec.generated || rec.type !== 'Bug') return null;
  const r = rng(rec, 'environment');
  return r.chance(0.5) ? r.pick(['Chrome 120 on macOS 14', 'Firefox 121, Windows 11', 'iOS 17.2, iPhone 15', 'Production (eu-west-1)']) : null;
}

export function timeTrackingOf(rec: IssueRecord): TimeTrackingRecord {
  const o = over<TimeTrackingRecord>(rec, 'timetracking');
  if (o !== undefined) return o;
  if (!rec.generated || rec.type === 'Epic') return {};
  const r = rng(rec, 'timetracking');
  if (!r.chance(0.3)) return {};
  const original = r.pick([1, 2, 4, 8, 16, 24]) * 3600;
  const spent = r.int(0, 4) * 1800;
  return { originalEstimateSeconds: original, remainingEstimateSeconds: Math.max(0, original - spent), ...(spent > 0 ? { timeSpentSeconds: spent } : {}) };
}

/** Sprint numbers the issue was in, oldest first. */
export function sprintsOf(rec: IssueRecord): number[] {
  const o = over<number[]>(rec, CUSTOM_FIELDS.sprint.id);
  if (o !== undefined) return o;
  if (!rec.generated || rec.type === 'Epic' || rec.type === 'Subtask') return [];
  const r = rng(rec, 'sprint');
  if (!r.chance(0.6)) return [];
  const first = r.int(1, 26);
  return r.chance(0.3) && first < 26 ? [first, first + 1] : [first];
}

export function attachmentsOf(rec: IssueRecord, apiUsers: number): AttachmentRecord[] {
  const o = over<AttachmentRecord[]>(rec, 'attachment');
  if (o !== undefined) return o;
  if (!rec.generated) return [];
  const r = rng(rec, 'attachment');
  if (!r.chance(0.15)) return [];
  return Array.from({ length: r.int(1, 2) }, (_, i) => ({
    id: 300_000_000 + rec.id * 4 + i,
    filename: r.pick(['screenshot.png', 'trace.log', 'spec v2.pdf', 'данные.csv']),
    size: r.int(200, 2_000_000),
    mimeType: 'application/octet-stream',
    author: r.int(0, apiUsers - 1),
    created: rec.created + i * 60_000,
  })).map((a) => ({ ...a, mimeType: MIME[a.filename.slice(a.filename.lastIndexOf('.') + 1)] ?? a.mimeType }));
}

const MIME: Record<string, string> = { png: 'image/png', log: 'text/plain', pdf: 'application/pdf', csv: 'text/csv' };

export function worklogsOf(rec: IssueRecord, apiUsers: number): WorklogRecord[] {
  const o = over<WorklogRecord[]>(rec, 'worklog');
  if (o !== undefined) return o;
  if (!rec.generated) return [];
  const r = rng(rec, 'worklog');
  if (!r.chance(0.1)) return [];
  return Array.from({ length: r.int(1, 3) }, (_, i) => ({
    id: 400_000_000 + rec.id * 4 + i,
    author: r.int(0, apiUsers - 1),
    started: rec.created + (i + 1) * 3600_000,
    timeSpentSeconds: r.pick([1800, 3600, 7200]),
    ...(r.chance(0.5) ? { comment: 'Investigated and paired on it' } : {}),
  }));
}

/** Jira's duration text for seconds ("1d 2h 30m"; 8-hour days, 5-day weeks, as Jira's defaults). */
export function durationText(seconds: number): string {
  const parts: string[] = [];
  let s = seconds;
  for (const [unit, size] of [['w', 5 * 8 * 3600], ['d', 8 * 3600], ['h', 3600], ['m', 60]] as const) {
    const n = Math.floor(s / size);
    if (n > 0) parts.push(`${n}${unit}`);
    s -= n * size;
  }
  return parts.join(' ') || '0m';
}
