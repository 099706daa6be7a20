/**
 * Retry timing from spec.retryPolicy: delay = initialDelay × backoffMultiplier^(retry−1), capped
 * at an hour so a large multiplier cannot park a sync for days.
 */
import { DEFAULTS, type RetryPolicy } from '../api/jirasync.ts';

export const MAX_RETRY_DELAY_SECONDS = 3600;

export function resolvedRetryPolicy(p: RetryPolicy | undefined): Required<RetryPolicy> {
  return {
    maxRetries: p?.maxRetries ?? DEFAULTS.retryPolicy.maxRetries,
    backoffMultiplier: p?.backoffMultiplier ?? DEFAULTS.retryPolicy.backoffMultiplier,
    initialDelay: p?.initialDelay ?? DEFAULTS.retryPolicy.initialDelay,
  };
}

/** Seconds to wait before retry number `retry` (1-based). */
export function retryDelaySeconds(policy: RetryPolicy | undefined, retry: number): number {
  const p = resolvedRetryPolicy(policy);
  const delay = p.initialDelay * p.backoffMultiplier ** Math.max(0, retry - 1);
  return Math.min(MAX_RETRY_DELAY_SECONDS, delay);
}
