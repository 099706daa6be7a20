/**
 * The deletion guard: a run that enumerated its scope may delete the stored files of issues it did
 * not see, but only when that enumeration can be trusted. An expired Jira token answers 200 with
 * zero issues, and enhanced search has been seen to stop paging early; either would otherwise wipe
 * the mirror in one honest-looking commit. The guard refuses such a run (StallingError with reason
 * DeletionRefused) before anything is committed, whatever the cause, and names the counts so a
 * person can check Jira and, when the deletion is intended, confirm exactly that deletion through
 * `spec.deletionPolicy.confirmDeletion`. docs/deletion-guard.md describes the rules.
 */
import type { DeletionPolicy } from '../api/jirasync.ts';
import { StallingError } from './errors.ts';

/** Default share of the stored issues one run may delete without confirmation. */
export const DEFAULT_MAX_DELETE_PERCENT = 50;
/** The percentage rule applies only when the branch holds more than this many issues. */
export const MIN_STORED_FOR_PERCENT = 10;
/** Jira's approximate count lags; an enumeration may fall short of it by this share… */
export const COUNT_TOLERANCE = 0.1;
/** …or by this many issues, whichever is larger. */
export const COUNT_SLACK = 5;

export interface DeletionPlan {
  /** Issue files the branch holds before the run. */
  stored: number;
  /** Issue files the run would delete (moves replaced in the same run are not counted). */
  deleting: number;
  /** Issue files the branch would hold after the run. */
  kept: number;
  /** How many issues the enumeration returned (omitted for named-key scopes). */
  enumerated?: number;
  /** Jira's approximate count for the same JQL (omitted for named-key scopes). */
  approximate?: number;
  /** Named-key scopes (single, batch, epic): Jira returned none of the keys the spec names. */
  noNamedKeyFound?: boolean;
}

const n = (x: number) => x.toLocaleString('en-US');

/** Why the plan is not trustworthy, or undefined when the deletion may go ahead unconfirmed. */
export function deletionConcern(plan: DeletionPlan, policy: DeletionPolicy | undefined): string | undefined {
  if (plan.deleting <= 0) return undefined;
  const { stored, deleting, kept, enumerated, approximate } = plan;
  if (enumerated !== undefined && approximate !== undefined) {
    const allowedShortfall = Math.max(Math.ceil(approximate * COUNT_TOLERANCE), COUNT_SLACK);
    if (approximate - enumerated > allowedShortfall) return `Jira enumerated ${n(enumerated)} issues but its approximate count is ${n(approximate)}`;
  }
  if (plan.noNamedKeyFound) return 'Jira returned none of the issues the spec names';
  if (stored > 0 && kept === 0) return 'it would delete every stored issue';
  const max = policy?.maxDeletePercent ?? DEFAULT_MAX_DELETE_PERCENT;
  if (stored > MIN_STORED_FOR_PERCENT && deleting * 100 > stored * max) {
    return `that is more than spec.deletionPolicy.maxDeletePercent (${max}%) of the stored issues`;
  }
  return undefined;
}

/**
 * Throws DeletionRefused unless the plan is trustworthy or `confirmDeletion` names exactly the
 * number of files this run would delete (a confirmation for another count confirms nothing, so
 * one left in the spec cannot let a later, different mass deletion through).
 */
export function guardDeletion(plan: DeletionPlan, policy: DeletionPolicy | undefined): void {
  const concern = deletionConcern(plan, policy);
  if (concern === undefined) return;
  if (policy?.confirmDeletion === plan.deleting) return;
  const jira =
    plan.enumerated === undefined
      ? ''
      : `; Jira enumerated ${n(plan.enumerated)}${plan.approximate === undefined ? '' : `, its approximate count is ${n(plan.approximate)}`}`;
  const stale =
    policy?.confirmDeletion === undefined ? '' : ` (spec.deletionPolicy.confirmDeletion is ${n(policy.confirmDeletion)}, which confirms a different count)`;
  throw new StallingError(
    `deletion refused: the run would delete ${n(plan.deleting)} of ${n(plan.stored)} stored issues${jira}; ${concern}. ` +
      'Nothing was committed. Check the Jira credentials and that the scope really shrank; if the deletion is intended, ' +
      `set spec.deletionPolicy.confirmDeletion: ${plan.deleting}${stale}. See docs/deletion-guard.md.`,
    { reason: 'DeletionRefused' },
  );
}
