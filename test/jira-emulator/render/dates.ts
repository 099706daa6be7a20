/**
 * Dates the way Jira writes and reads them: responses carry `2024-01-15T10:23:45.123+0100` in the
 * user's time zone, and JQL date literals are wall-clock times in that same zone.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
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
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a RangeError for a zone Intl does not know. */
export function assertTimeZone(timeZone: string): void {
  formatter(timeZone);
}

interface WallClock { y: number; mo: number; d: number; h: number; mi: number; s: number }

function wallClock(ms: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return { y: parts.year, mo: parts.month, d: parts.day, h: parts.hour, mi: parts.minute, s: parts.second };
}

const offsetCache = new Map<string, number>();

/** Offset of the zone from UTC at instant ms, in minutes (east positive). */
export function offsetMinutes(ms: number, timeZone: string): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  // Offsets only change on whole quarter hours, so one lookup serves a 15-minute slot.
  const slot = `${timeZone}@${Math.floor(ms / 900_000)}`;
  const cached = offsetCache.get(slot);
  if (cached !== undefined) return cached;
  const off = computeOffset(ms, timeZone);
  if (offsetCache.size > 200_000) offsetCache.clear();
  offsetCache.set(slot, off);
  return off;
}

function computeOffset(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

/** Jira's REST date-time format in the given zone: `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (offset without colon). */
export function formatJiraDateTime(ms: number, timeZone: string): string {
  const off = offsetMinutes(ms, timeZone);
  const local = new Date(ms + off * 60000);
  const sign = off < 0 ? '-' : '+';
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    `.${pad(local.getUTCMilliseconds(), 3)}${sign}${pad(Math.trunc(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
}

/** A calendar date `yyyy-MM-dd` in the zone (for date-only fields such as duedate). */
export function formatJiraDate(ms: number, timeZone: string): string {
  return formatJiraDateTime(ms, timeZone).slice(0, 10);
}

/**
 * The instant at which the zone's wall clock shows the given time. In a DST gap the later offset
 * wins; in an overlap the earlier instant wins (as java.time resolves local times).
 */
export function zonedWallTimeToUtc(y: number, mo: number, d: number, h: number, mi: number, timeZone: string): number {
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  const off1 = offsetMinutes(guess - 12 * 3600_000, timeZone);
  const off2 = offsetMinutes(guess + 12 * 3600_000, timeZone);
  // Try both offsets seen around the guess; keep the candidates whose wall clock matches.
  const candidates = [guess - off1 * 60000, guess - off2 * 60000].filter((c) => {
    const w = wallClock(c, timeZone);
    return w.y === y && w.mo === mo && w.d === d && w.h === h && w.mi === mi;
  });
  if (candidates.length > 0) return Math.min(...candidates);
  // DST gap: the wall time does not exist; shift forward by the gap as java.time does.
  return guess - Math.min(off1, off2) * 60000;
}
