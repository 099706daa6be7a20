/** What every step of one sync run shares. */
import type { DeletionPolicy } from '../api/jirasync.ts';
import type { Checkout } from '../git/destination.ts';
import type { IssueSource } from '../jira/source.ts';
import type { ContentPlan } from './content.ts';
import type { ProgressTracker } from './progress.ts';
import type { BaseTree } from './tree.ts';

export interface RunContext {
  source: IssueSource;
  checkout: Checkout;
  base: BaseTree;
  /** '' (repository root) or 'dir/'. */
  root: string;
  fields: readonly string[];
  /** What issue files hold beyond the core fields (content.ts); resolved by the first fetch or search. */
  content: ContentPlan;
  tracker: ProgressTracker;
  /** spec.deletionPolicy, for the deletion guard (guard.ts). */
  deletionPolicy?: DeletionPolicy;
  signal?: AbortSignal;
}

/** What a fetch pass saw, for the incremental cursor. */
export interface SeenTimes {
  /** Latest `updated` among issues stored successfully (epoch ms; -Infinity when none). */
  maxUpdatedMs: number;
  /** Earliest `updated` among issues that failed (epoch ms; Infinity when none). */
  minFailedUpdatedMs: number;
}
