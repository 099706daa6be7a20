/**
 * JQL date operands: absolute `yyyy/MM/dd HH:mm`, `yyyy-MM-dd HH:mm`, `yyyy/MM/dd`, `yyyy-MM-dd`
 * (wall-clock time in the user's zone, minute granularity) and relative periods such as `-6h`,
 * `-2d`, `4w 2d` (from now).
 */
import { zonedWallTimeToUtc } from '../render/dates.ts';
import { JqlError } from './errors.ts';

const UNIT_MS: Record<string, number> = { w: 7 * 86400_000, d: 86400_000, h: 3600_000, m: 60_000 };

function invalid(value: string, field: string): JqlError {
  return new JqlError(`Date value '${value}' for field '${field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', ` +
    `'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.`);
}

/** The instant (epoch ms) a JQL date operand denotes. */
export function parseJqlDate(value: string, field: string, now: number, timeZone: string): number {
  const v = value.trim();
  const abs = /^(\d{4})([/-])(\d{1,2})\2(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$/.exec(v);
  if (abs) {
    const [y, mo, d] = [Number(abs[1]), Number(abs[3]), Number(abs[4])];
    const [h, mi] = abs[5] === undefined ? [0, 0] : [Number(abs[5]), Number(abs[6])];
    const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59) throw invalid(value, field);
    return zonedWallTimeToUtc(y, mo, d, h, mi, timeZone);
  }
  const rel = /^([+-])?\s*((?:\d+\s*[wdhm]\s*)+)$/.exec(v);
  if (rel) {
    let ms = 0;
    for (const m of rel[2].matchAll(/(\d+)\s*([wdhm])/g)) ms += Number(m[1]) * UNIT_MS[m[2]];
    return rel[1] === '-' ? now - ms : now + ms;
  }
  throw invalid(value, field);
}
