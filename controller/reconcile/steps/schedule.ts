/**
 * Step 5, schedule: a scheduled JIRASync's next run. `nextRun` is the first schedule time after
 * this run started (in spec.timeZone), written into the success status by the record step;
 * `scheduleNext` then queues the key for that time. A sync without a schedule is not queued
 * again: it runs on the next spec change or sync.jira.io/requestedAt.
 */
import { parseSchedule } from '../schedule.ts';
import type { Run } from './run.ts';

export function nextRun(run: Run): Date | undefined {
  const { spec } = run.initial;
  const schedule = spec.schedule ? parseSchedule(spec.schedule, spec.timeZone) : undefined;
  return schedule?.next(run.startTime);
}

export function scheduleNext(run: Run, nextRunTime: Date | undefined): 'success' | 'requeue_after' {
  if (!nextRunTime) return 'success';
  run.deps.queue.addAfter(run.key, nextRunTime.getTime() - run.now().getTime());
  return 'requeue_after';
}
