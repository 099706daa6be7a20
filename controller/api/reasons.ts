/**
 * Why a run failed, as one stable CamelCase word: the same word is the Ready/Stalled condition
 * reason, the Warning Event's reason, the `reason` label of jirasync_sync_failures_total and what
 * alerts and the shell tools match on. Errors carry it from where they arise (a `reason` property
 * on the error or on one of its causes); nobody matches on message text.
 *
 * `kind` says what the reconciler does next (Flux's model):
 * - `stalling`: only a change to the spec, a Secret or the operator's configuration can help, so
 *   no retry is scheduled and the sync is Failed at once.
 * - `waiting`: a temporary refusal with a known wait (rate limit); retried after it without
 *   counting against retryPolicy.maxRetries.
 * - `retryable`: anything else; retried with backoff per retryPolicy, then Failed.
 *
 * docs/reasons.md is tested against this table (test/api/reasons.test.ts).
 */

export const ERROR_KINDS = ['stalling', 'waiting', 'retryable'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface ReasonInfo {
  kind: ErrorKind;
  /** One sentence for docs and `kubectl describe` readers: what it means and what to do. */
  help: string;
}

export const FAILURE_REASONS = {
  InvalidSpec: { kind: 'stalling', help: 'The spec cannot work as written (target, schedule, path, durations); edit the spec.' },
  OwnershipConflict: { kind: 'stalling', help: 'Another JIRASync owns the destination path; choose another destination.path.' },
  CredentialsMissing: {
    kind: 'stalling',
    help: 'The spec names no Secret and the controller\'s default connection is not offered to this namespace or URL; add a secretRef.',
  },
  SecretNotFound: { kind: 'retryable', help: 'A Secret the spec names does not exist in the JIRASync\'s namespace; create it.' },
  SecretInvalid: { kind: 'retryable', help: 'A Secret the spec names lacks the keys it needs; fix its keys.' },
  SecretNotAllowed: {
    kind: 'retryable',
    help: 'A Secret the spec names is not opted in (label sync.jira.io/credentials: "true", type Opaque); label it or name another.',
  },
  AuthenticationFailed: {
    kind: 'retryable',
    help: 'Jira refused the credentials (401, or answered as an anonymous user); rotate the token in the Secret (Data Center: a personal access token; its server may refuse Basic auth).',
  },
  PermissionDenied: { kind: 'retryable', help: 'Jira accepted the credentials but the user may not do this (403); grant the permission.' },
  JiraRequestRejected: { kind: 'stalling', help: 'Jira rejected the request as invalid (bad JQL, unknown project or field), or redirected to another origin; edit the spec, or baseUrl in the Secret.' },
  RateLimited: { kind: 'waiting', help: 'Jira answered 429 for longer than the client waits; the run is retried after Retry-After, not counted.' },
  JiraUnavailable: { kind: 'retryable', help: 'Jira did not answer usefully (5xx, network, malformed body); retried with backoff.' },
  GitAuthFailed: { kind: 'retryable', help: 'The git server refused the credentials (401/403); fix the git Secret.' },
  GitRepositoryNotFound: { kind: 'retryable', help: 'The repository does not exist or the token may not see it (404); check the URL.' },
  GitTargetInvalid: { kind: 'stalling', help: 'The repository URL or branch cannot work as written; edit spec.destination.' },
  GitTlsFailed: { kind: 'retryable', help: 'The git server\'s certificate is not trusted; add its CA (git.ca in the chart).' },
  GitPushRejected: { kind: 'retryable', help: 'The git server refused the push (protected branch, hook); fix the branch settings.' },
  GitUnavailable: { kind: 'retryable', help: 'The git server did not answer usefully, or the branch kept moving; retried with backoff.' },
  EgressDenied: { kind: 'stalling', help: 'The controller\'s egress policy does not allow this host; the operator must allow it.' },
  ResponseTooLarge: { kind: 'retryable', help: 'A Jira or git answer exceeded the controller\'s byte cap; the run stopped without writing.' },
  DeadlineExceeded: { kind: 'retryable', help: 'The run took longer than spec.timeout (or the controller default); nothing was pushed.' },
  DeletionRefused: {
    kind: 'stalling',
    help: 'The run would delete more stored files than the deletion guard allows; check Jira, then confirm (see docs/deletion-guard.md).',
  },
  SyncFailed: { kind: 'retryable', help: 'Any other failure; the message says what happened.' },
} as const satisfies Record<string, ReasonInfo>;

export type FailureReason = keyof typeof FAILURE_REASONS;

/** Reasons for conditions that are not about one failure's cause. */
export const STATE_REASONS = {
  Succeeded: 'Succeeded',
  SyncInProgress: 'SyncInProgress',
  SyncActive: 'SyncActive',
  ProgressMade: 'ProgressMade',
  Idle: 'Idle',
  RetryScheduled: 'RetryScheduled',
  RetriesExhausted: 'RetriesExhausted',
  Suspended: 'Suspended',
  Waiting: 'Waiting',
  NotStalled: 'NotStalled',
} as const;

/** Whether a string is one of the failure reasons. */
export function isFailureReason(value: unknown): value is FailureReason {
  return typeof value === 'string' && Object.hasOwn(FAILURE_REASONS, value);
}

/** What the reconciler does next for a reason. */
export function kindOf(reason: FailureReason): ErrorKind {
  return FAILURE_REASONS[reason].kind;
}
