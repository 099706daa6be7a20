/**
 * JQL composition, the one home for it: string quoting, ORDER BY stripping, `in (...)` clauses and
 * their chunking, and the incremental query with its date bound and overlap window. Pure
 * functions, no I/O; the engine (controller/sync/) decides what to ask for, this module how to
 * spell it.
 *
 * Jira reads a date literal such as `updated >= "2026/03/29 01:30"` as a wall-clock time in the
 * *searching user's* time zone (the `timeZone` of /myself), at minute granularity. So the cursor
 * instant is converted to that zone, floored to the minute and moved back by an overlap window
 * (clock skew, eventual consistency of the search index). Around a DST fall-back the same wall
 * time happens twice and Jira may read it as the later one; the wall time chosen here is one whose
 * every reading is at or before the wanted instant, so an incremental query never skips an issue.
 */

/** Default overlap subtracted from the cursor before formatting; re-reading a few issues is cheap. */
export const DEFAULT_OVERLAP_MINUTES = 5;

/** The same overlap window in milliseconds, as the incremental sync passes it. */
export const INCREMENTAL_OVERLAP_MS = DEFAULT_OVERLAP_MINUTES * 60_000;

const MINUTE = 60_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch (err) {
      throw new Error(`jql: unknown time zone ${JSON.stringify(timeZone)}`, { cause: err });
    }
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(instant: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour === 24 ? 0 : parts.hour,
    minute: parts.minute,
    second: parts.second,
  };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function toMillis(instant: Date | number | string): number {
  const ms = instant instanceof Date ? instant.getTime() : typeof instant === 'string' ? Date.parse(instant) : instant;
  if (!Number.isFinite(ms)) throw new Error(`jql: not a valid instant: ${String(instant)}`);
  return ms;
}

/** The zone's offset from UTC at an instant, in minutes (e.g. 120 for Europe/Berlin in summer). */
export function zoneOffsetMinutes(instant: Date | number, timeZone: string): number {
  const ms = Math.floor(toMillis(instant) / 1000) * 1000;
  const w = wallClock(ms, timeZone);
  return Math.round((Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - ms) / MINUTE);
}

/** The wall-clock minute of an instant in a zone, as Jira's `"yyyy/MM/dd HH:mm"` literal text (no quotes). */
export function formatJqlDateTime(instant: Date | number | string, timeZone: string): string {
  const w = wallClock(toMillis(instant), timeZone);
  return `${pad(w.year, 4)}/${pad(w.month)}/${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}`;
}

/**
 * A later instant (within three hours, longer than any DST shift) showing the same wall minute,
 * i.e. how much later Jira's reading of `wall` could be; 0 when the wall time is unambiguous.
 */
function laterReadingShift(t: number, wall: string, timeZone: string): number {
  const offset = zoneOffsetMinutes(t, timeZone);
  const seen = new Set<number>();
  for (let k = 1; k <= 12; k++) {
    const o = zoneOffsetMinutes(t + k * 15 * MINUTE, timeZone);
    if (o >= offset || seen.has(o)) continue;
    seen.add(o);
    const shift = (offset - o) * MINUTE;
    if (formatJqlDateTime(t + shift, timeZone) === wall) return shift;
  }
  return 0;
}

/**
 * The Jira date literal text for "at or before `instant` minus `overlapMinutes`" in the zone:
 * floored to the minute and, if the wall time is ambiguous (DST fall-back), moved back so that
 * both readings are early enough.
 */
export function jqlDateTimeAtOrBefore(
  instant: Date | number | string,
  timeZone: string,
  overlapMinutes = DEFAULT_OVERLAP_MINUTES,
): string {
  let t = Math.floor((toMillis(instant) - Math.max(0, overlapMinutes) * MINUTE) / MINUTE) * MINUTE;
  for (let i = 0; i < 4; i++) {
    const wall = formatJqlDateTime(t, timeZone);
    const shift = laterReadingShift(t, wall, timeZone);
    if (shift === 0) return wall;
    t -= shift;
  }
  return formatJqlDateTime(t, timeZone);
}

/** A JQL string literal. */
export function quoteJql(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The JQL without a trailing ORDER BY clause (ignoring "order by" inside quoted strings). */
export function stripOrderBy(jql: string): string {
  // Mask quoted text so a value such as "order by" is never mistaken for the clause.
  let masked = '';
  let quote: string | undefined;
  for (let i = 0; i < jql.length; i++) {
    const c = jql[i];
    if (quote) {
      if (c === '\\') {
        masked += '  ';
        i++;
        continue;
      }
      if (c === quote) quote = undefined;
      masked += ' ';
    } else {
      if (c === '"' || c === "'") quote = c;
      masked += c === '"' || c === "'" ? ' ' : c;
    }
  }
  const m = /\border\s+by\b/i.exec(masked);
  return (m ? jql.slice(0, m.index) : jql).trim();
}

/** `key in ("A-1", "A-2")` style clause. */
export function inClause(field: string, keys: readonly string[]): string {
  return `${field} in (${keys.map(quoteJql).join(', ')})`;
}

/** The project clause for a project key. */
export function projectJql(projectKey: string): string {
  return `project = ${quoteJql(projectKey)}`;
}

/**
 * The incremental query: the scope restricted to issues updated since cursor − overlap, as a wall
 * time in the Jira user's zone that is at or before that instant even around a DST fall-back.
 */
export function incrementalJql(baseJql: string, cursor: Date, overlapMs: number, timeZone: string): string {
  const since = jqlDateTimeAtOrBefore(cursor, timeZone, overlapMs / 60_000);
  return `(${baseJql}) AND updated >= ${quoteJql(since)} ORDER BY updated ASC`;
}

/** Splits keys into `field in (...)` clauses of at most `size` keys. */
export function chunkedIn(field: string, keys: readonly string[], size = 50): string[] {
  const out: string[] = [];
  for (let i = 0; i < keys.length; i += size) out.push(inClause(field, keys.slice(i, i + size)));
  return out;
}
