/**
 * Lease leader election with active/standby callbacks, following client-go's leaderelection
 * semantics on a coordination.k8s.io/v1 Lease:
 *
 * - A candidate takes the Lease only when it is free (no holder) or when it has seen the same
 *   record unchanged for the record's leaseDurationSeconds on its OWN clock; the holder's
 *   timestamps are never trusted for expiry (clocks differ between nodes).
 * - Every write carries the resourceVersion last read; a 409 means someone else wrote, so the
 *   Lease is read again and the decision made afresh.
 * - leaseTransitions grows by one on every change of holder; acquireTime is kept while the same
 *   holder renews; both times are MicroTime.
 * - The leader stops leading the moment it has not renewed within the renew deadline, and at once
 *   when it sees another valid holder. The renew deadline is shorter than the lease duration, so
 *   the old leader has stopped before any standby may take over.
 * - release() stops the work, then writes an empty holder with leaseDurationSeconds 1 (client-go's
 *   ReleaseOnCancel), so a standby takes over at once.
 *
 * Beyond client-go: standbys also WATCH the Lease (the watch is only a hint to read it again), and
 * wake exactly when the observed record would expire, so a released Lease is taken in well under a
 * second and a dead leader's Lease right after the lease duration, instead of up to two jittered
 * retry periods later. Polling at the retry period remains the fallback when the watch is down.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig, V1Lease } from '@kubernetes/client-node';
import { log as rootLog, type Logger } from '../observability/log.ts';
import { errorMessage } from '../observability/redact.ts';
import { LeaseClient, LeaseWatch, statusCode } from './lease-client.ts';
import { leaseSpec, microNow, recordFromLease, sameRecord, type LeaderRecord } from './record.ts';

export { newIdentity } from './record.ts';

export interface LeaderElectorOptions {
  kc: KubeConfig;
  /** Namespace of the Lease (the controller's own, POD_NAMESPACE). */
  namespace: string;
  /** Name of the Lease (LEASE_NAME, `jirasync-leader` by default). */
  name: string;
  /** This candidate's unique identity, e.g. from newIdentity(). */
  identity: string;
  /** How long standbys wait, on their own clock, after the last change they saw [15]. */
  leaseDurationSeconds?: number;
  /** How long the leader keeps leading without a successful renewal [10]. */
  renewDeadlineSeconds?: number;
  /** How often the leader renews and standbys poll [2]. */
  retryPeriodSeconds?: number;
  log?: Logger;
}

export interface LeaderCallbacks {
  /**
   * Called when this candidate becomes the leader. The signal aborts when leadership is lost or
   * released. A returned promise is awaited (bounded by the renew deadline) by release() before
   * the Lease is given up, so work can wind down before a standby starts.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called once after leadership ends (lost or released), after the signal has aborted. */
  onStoppedLeading(): void;
  /** Called when the observed holder changes to a new (non-empty) identity, this one included. */
  onNewLeader?(identity: string): void;
}

type Wake = 'timer' | 'watch' | 'stop';

/** One candidate in a Lease election. start() once, release() once at shutdown. */
export class LeaderElector {
  readonly #identity: string;
  readonly #leaseMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryMs: number;
  readonly #callbacks: LeaderCallbacks;
  readonly #log: Logger;
  readonly #client: LeaseClient;
  readonly #watch: LeaseWatch;
  /** Aborts requests in flight when release() is called. */
  readonly #stopRequests = new AbortController();

  #lease: V1Lease | undefined;
  #observed: LeaderRecord | undefined;
  /** Our monotonic clock when the observed record last changed. */
  #observedAt = 0;
  #reportedLeader: string | undefined;

  #leading = false;
  #leadAbort: AbortController | undefined;
  #leadWork: Promise<void> | undefined;
  /** When the last acquire-or-renew attempt started, so a failing leader still waits a period. */
  #lastAttemptAt = 0;
  /** Whether the last attempt ended in an error. */
  #failed = false;
  #deadlineTimer: NodeJS.Timeout | undefined;

  #started = false;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #released: Promise<void> | undefined;
  #wakeUp: ((why: Wake) => void) | undefined;
  #pendingWake = false;
  #lastEventRv: string | undefined;

  constructor(opts: LeaderElectorOptions, callbacks: LeaderCallbacks) {
    this.#identity = opts.identity;
    this.#leaseMs = (opts.leaseDurationSeconds ?? 15) * 1000;
    this.#renewDeadlineMs = (opts.renewDeadlineSeconds ?? 10) * 1000;
    this.#retryMs = (opts.retryPeriodSeconds ?? 2) * 1000;
    if (!opts.identity) throw new Error('leader election: identity must not be empty');
    if (!(this.#leaseMs > this.#renewDeadlineMs)) throw new Error('leader election: lease duration must be greater than the renew deadline');
    if (!(this.#renewDeadlineMs > 1.2 * this.#retryMs)) throw new Error('leader election: renew deadline must exceed 1.2 × retry period');
    if (!(this.#retryMs > 0)) throw new Error('leader election: retry period must be positive');
    this.#callbacks = callbacks;
    this.#log = (opts.log ?? rootLog).child({ component: 'leader', lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
    this.#client = new LeaseClient(opts.kc, opts.namespace, opts.name, this.#renewDeadlineMs);
    this.#watch = new LeaseWatch(opts.kc, opts.namespace, opts.name, this.#retryMs, {
      onChange: (rv) => {
        if (rv !== undefined && rv === this.#lease?.metadata?.resourceVersion) return;
        this.#lastEventRv = rv;
        this.#wake('watch');
      },
      onError: (err, denied) => {
        if (denied) this.#log.warn({ err: errorMessage(err) }, 'not allowed to watch the lease (RBAC needs watch on leases); polling only');
        else this.#log.debug({ err: errorMessage(err) }, 'lease watch ended; reconnecting');
      },
    });
  }

  /** Starts campaigning in the background. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#watch.start();
    this.#loop = this.#run();
  }

  /** True while this candidate leads. */
  isLeader(): boolean {
    return this.#leading;
  }

  /** The holder identity last observed in the Lease, if any. */
  leader(): string | undefined {
    return this.#observed?.holderIdentity || undefined;
  }

  /**
   * Stops campaigning. When leading: aborts the leader's signal, calls onStoppedLeading, waits
   * (at most the renew deadline) for onStartedLeading's promise, then gives the Lease up.
   */
  release(): Promise<void> {
    this.#released ??= this.#release();
    return this.#released;
  }

  async #release(): Promise<void> {
    this.#stopped = true;
    this.#watch.stop();
    this.#wake('stop');
    const wasLeading = this.#leading;
    const work = this.#leadWork;
    this.#stopLeading('released');
    if (wasLeading && work) await Promise.race([work, sleep(this.#renewDeadlineMs)]);
    this.#stopRequests.abort();
    await this.#loop;
    if (this.#observed?.holderIdentity === this.#identity) await this.#giveUp();
  }

  async #run(): Promise<void> {
    let wake: Wake = 'timer';
    while (!this.#stopped) {
      this.#failed = false;
      try {
        // A change seen by the watch while leading is checked with a read only: renewing on it
        // would echo our own write back to us as a new event.
        if (wake === 'watch' && this.#leading) await this.#verify();
        else await this.#tryAcquireOrRenew();
      } catch (err) {
        this.#failed = true;
        if (!this.#stopped) this.#log.warn({ err: errorMessage(err) }, 'leader election attempt failed');
      }
      if (this.#stopped) break;
      wake = await this.#sleep(this.#nextDelayMs());
    }
  }

  /** When to look again: the next renewal, or the earlier of a poll and the observed expiry. */
  #nextDelayMs(): number {
    const now = performance.now();
    if (this.#leading) return Math.max(0, this.#lastAttemptAt + this.#retryMs - now);
    const poll = this.#retryMs * (1 + Math.random() * 0.2);
    const rec = this.#observed;
    // After an error, wait a period even when the lease looks free or expired: no tight loop.
    if (this.#failed || !rec?.holderIdentity) return poll;
    const expiresIn = this.#observedAt + rec.leaseDurationSeconds * 1000 - now;
    return Math.max(0, Math.min(poll, expiresIn + 10));
  }

  #isLeaseValid(now = performance.now()): boolean {
    return this.#observedAt + (this.#observed?.leaseDurationSeconds ?? 0) * 1000 > now;
  }

  /** client-go's tryAcquireOrRenew: a fast renewal when leading, else read, decide, write. */
  async #tryAcquireOrRenew(): Promise<void> {
    const signal = this.#stopRequests.signal;
    const startedAt = performance.now();
    this.#lastAttemptAt = startedAt;
    const now = microNow();
    const fresh = { holderIdentity: this.#identity, leaseDurationSeconds: this.#leaseMs / 1000, acquireTime: now, renewTime: now };

    if (this.#leading && this.#lease && this.#observed && this.#isLeaseValid()) {
      const spec = leaseSpec({ ...fresh, acquireTime: this.#observed.acquireTime || now, leaseTransitions: this.#observed.leaseTransitions });
      try {
        this.#succeeded(await this.#client.replace(this.#lease, spec, signal), startedAt);
        return;
      } catch (err) {
        if (statusCode(err) !== 409) throw new Error(`renewing the lease: ${errorMessage(err)}`, { cause: err });
        this.#log.debug('lease changed since it was read (409); reading it again');
      }
    }

    for (let attempt = 0; attempt < 3 && !this.#stopped; attempt++) {
      const lease = await this.#client.get(signal);
      if (!lease) {
        try {
          this.#succeeded(await this.#client.create(leaseSpec({ ...fresh, leaseTransitions: 0 }), signal), startedAt);
          return;
        } catch (err) {
          if (statusCode(err) === 409) {
            this.#log.debug('lease created by someone else (409); reading it again');
            continue;
          }
          throw new Error(`creating the lease: ${errorMessage(err)}`, { cause: err });
        }
      }
      this.#observe(lease);
      const old = this.#observed!;
      if (old.holderIdentity && old.holderIdentity !== this.#identity && this.#isLeaseValid()) {
        this.#stopLeading(`the lease is held by ${old.holderIdentity}`);
        return;
      }
      const mine = old.holderIdentity === this.#identity;
      const spec = leaseSpec({
        ...fresh,
        acquireTime: mine ? old.acquireTime || now : now,
        leaseTransitions: mine ? old.leaseTransitions : old.leaseTransitions + 1,
      });
      try {
        this.#succeeded(await this.#client.replace(lease, spec, signal), startedAt);
        return;
      } catch (err) {
        if (statusCode(err) === 409) {
          this.#log.debug('lease changed since it was read (409); reading it again');
          continue;
        }
        throw new Error(`acquiring the lease: ${errorMessage(err)}`, { cause: err });
      }
    }
  }

  /** A leader's check after a watch event: read the Lease and stop if someone else holds it. */
  async #verify(): Promise<void> {
    const lease = await this.#client.get(this.#stopRequests.signal);
    if (lease) this.#observe(lease);
    else this.#stopLeading('the lease was deleted');
  }

  /** Records what the server holds now; reports a new holder. */
  #observe(lease: V1Lease): void {
    this.#lease = lease;
    const rec = recordFromLease(lease);
    if (!sameRecord(rec, this.#observed)) {
      this.#observed = rec;
      this.#observedAt = performance.now();
    }
    // Another valid holder ends our leadership before anyone hears of the new leader.
    if (this.#leading && rec.holderIdentity !== this.#identity && (rec.holderIdentity === '' || this.#isLeaseValid())) {
      this.#stopLeading(`the lease is held by ${rec.holderIdentity || 'nobody'}`);
    }
    const holder = rec.holderIdentity || undefined;
    if (holder !== this.#reportedLeader) {
      this.#reportedLeader = holder;
      if (holder && holder !== this.#identity) this.#log.info({ leader: holder }, 'observed a new leader');
      if (holder) this.#call('onNewLeader', () => this.#callbacks.onNewLeader?.(holder));
    }
  }

  /** Our write went through: we hold the Lease as of `startedAt` (when the request was sent). */
  #succeeded(lease: V1Lease, startedAt: number): void {
    this.#observe(lease);
    if (this.#stopped) return;
    clearTimeout(this.#deadlineTimer);
    const left = startedAt + this.#renewDeadlineMs - performance.now();
    // An answer slower than the renew deadline proves nothing about now; try again instead.
    if (left <= 0) return;
    this.#deadlineTimer = setTimeout(() => this.#stopLeading('the lease was not renewed within the renew deadline'), left);
    if (this.#leading) return;
    this.#leading = true;
    this.#leadAbort = new AbortController();
    const signal = this.#leadAbort.signal;
    this.#log.info({ transitions: this.#observed?.leaseTransitions }, 'started leading');
    this.#leadWork = Promise.resolve()
      .then(() => this.#callbacks.onStartedLeading(signal))
      .catch((err: unknown) => this.#log.error({ err: errorMessage(err) }, 'onStartedLeading failed'));
  }

  /** Ends leadership now: aborts the signal and calls onStoppedLeading (once). */
  #stopLeading(reason: string): void {
    clearTimeout(this.#deadlineTimer);
    if (!this.#leading) return;
    this.#leading = false;
    this.#log[reason === 'released' ? 'info' : 'warn']({ reason }, 'stopped leading');
    this.#leadAbort?.abort(new Error(`leadership ended: ${reason}`));
    this.#call('onStoppedLeading', () => this.#callbacks.onStoppedLeading());
  }

  /** client-go's release: empty holder, leaseDurationSeconds 1, transitions kept. */
  async #giveUp(): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = microNow();
      const spec = leaseSpec({ holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: this.#observed?.leaseTransitions ?? 0 });
      try {
        if (this.#lease) {
          this.#observe(await this.#client.replace(this.#lease, spec));
          this.#log.info('released the lease');
          return;
        }
      } catch (err) {
        if (statusCode(err) !== 409) {
          this.#log.warn({ err: errorMessage(err) }, 'could not release the lease; standbys take over after it expires');
          return;
        }
      }
      try {
        const lease = await this.#client.get();
        if (!lease) return;
        this.#observe(lease);
        if (this.#observed?.holderIdentity !== this.#identity) return;
      } catch (err) {
        this.#log.warn({ err: errorMessage(err) }, 'could not read the lease to release it');
        return;
      }
    }
  }

  #call(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err: errorMessage(err) }, `${name} callback failed`);
    }
  }

  #wake(why: Wake): void {
    const wakeUp = this.#wakeUp;
    if (wakeUp) {
      this.#wakeUp = undefined;
      wakeUp(why);
    } else if (why !== 'timer') {
      this.#pendingWake = true;
    }
  }

  #sleep(ms: number): Promise<Wake> {
    if (this.#stopped) return Promise.resolve('stop');
    if (this.#pendingWake) {
      this.#pendingWake = false;
      // The event that woke us may be the echo of the write we just made.
      if (this.#lastEventRv === undefined || this.#lastEventRv !== this.#lease?.metadata?.resourceVersion) return Promise.resolve('watch');
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#wake('timer'), ms);
      this.#wakeUp = (why) => {
        clearTimeout(timer);
        resolve(why);
      };
    });
  }
}
