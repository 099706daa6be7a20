/**
 * Cron schedules (croner): validation the CRD pattern cannot do (real calendars, time zones), the
 * next run after a time, and the interval exported for freshness alerts.
 */
import { Cron } from 'croner';

export interface Schedule {
  next(after: Date): Date | undefined;
  /** Seconds between two consecutive runs after `from` (for jirasync_schedule_interval_seconds). */
  intervalSeconds(from: Date): number | undefined;
}

/** Parses a spec schedule; throws an Error with a human message when it is invalid. */
export function parseSchedule(expr: string, timeZone = 'UTC'): Schedule {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new Error(`spec.timeZone: unknown time zone "${timeZone}"`);
  }
  let cron: Cron;
  try {
    cron = new Cron(expr, { timezone: timeZone, paused: true, mode: '5-part' });
  } catch (err) {
    throw new Error(`spec.schedule: invalid cron expression "${expr}": ${(err as Error).message}`);
  }
  if (!cron.nextRun()) throw new Error(`spec.schedule: "${expr}" never matches a date`);
  const next = (after: Date) => cron.nextRun(after) ?? undefined;
  return {
    next,
    intervalSeconds(from) {
      const a = next(from);
      const b = a && next(a);
      return a && b ? (b.getTime() - a.getTime()) / 1000 : undefined;
    },
  };
}
