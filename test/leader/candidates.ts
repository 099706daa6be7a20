/**
 * Builders for leader election tests: candidates that record every callback with a timestamp,
 * a logger whose lines the test can read, and small polling helpers.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { LeaderElector } from '../../controller/leader/leader.ts';
import type { Logger } from '../../controller/observability/log.ts';
import { captureLog } from '../fixtures/log-capture.ts';

export { captureLog };

/** Short timings so a test sees expiry and takeover in seconds: lease 3 s, renew 2 s, retry 0.5 s. */
export const FAST = { leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.5 } as const;

/** Election timings in seconds. */
export interface Timing {
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

export interface Recorded {
  /** performance.now() when it happened. */
  at: number;
  what: 'new-leader' | 'started' | 'signal-aborted' | 'stopped';
  who?: string;
}

export interface Candidate {
  identity: string;
  elector: LeaderElector;
  events: Recorded[];
  /** The signal of the current (or last) leadership. */
  signal?: AbortSignal;
  /** When the candidate last started leading (performance.now()), if ever. */
  startedAt(): number | undefined;
}

/** A candidate with recording callbacks; not started. */
export function candidate(
  kc: KubeConfig,
  namespace: string,
  name: string,
  identity: string,
  opts: { log?: Logger; timing?: Timing } = {},
): Candidate {
  const events: Recorded[] = [];
  const c: Candidate = {
    identity,
    events,
    elector: new LeaderElector(
      { kc, namespace, name, identity, ...(opts.timing ?? FAST), log: opts.log ?? captureLog().log },
      {
        onStartedLeading(signal) {
          c.signal = signal;
          events.push({ at: performance.now(), what: 'started' });
          signal.addEventListener('abort', () => events.push({ at: performance.now(), what: 'signal-aborted' }));
        },
        onStoppedLeading() {
          events.push({ at: performance.now(), what: 'stopped' });
        },
        onNewLeader(who) {
          events.push({ at: performance.now(), what: 'new-leader', who });
        },
      },
    ),
    startedAt() {
      return events.findLast((e) => e.what === 'started')?.at;
    },
  };
  return c;
}

