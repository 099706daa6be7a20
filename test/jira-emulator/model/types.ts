/** The emulator's in-memory records. Generated text lives nowhere: it is derived from `seed` on render. */

export type Mode = 'cloud' | 'datacenter';

export const ISSUE_TYPES = ['Epic', 'Story', 'Task', 'Bug', 'Subtask'] as const;
export type IssueTypeName = (typeof ISSUE_TYPES)[number];

/** One issue. References to other issues are by id, so a move (new key) keeps them intact. */
export interface IssueRecord {
  id: number;
  key: string;
  project: string;
  type: IssueTypeName;
  status: string;
  /** Epoch ms. */
  created: number;
  updated: number;
  statusChanged: number;
  /** Real clock time of the last write through the control API or REST, for eventual consistency (0 = never). */
  lastWrite: number;
  /** Parent of a subtask. */
  parentId?: number;
  /** The epic a story/task/bug belongs to (Cloud shows it as `parent`, Data Center as Epic Link). */
  epicId?: number;
  labels: string[];
  /** Index into the user list, -1 for unassigned. */
  assignee: number;
  reporter: number;
  /** Index into PRIORITIES. */
  priority: number;
  hidden: boolean;
  /**
   * How a hidden issue answers on GET issue, comments and transitions: 404 (default: Jira does not
   * say whether it exists) or 403 (the user may not see it, as with issue-level security).
   */
  hiddenStatus?: 403 | 404;
  /** Seed for generated text (summary, description, custom fields, generated comments and history). */
  seed: number;
  /** Whether the generated-text seed applies (false for issues created through the control API). */
  generated: boolean;
  /** Field values set explicitly (summary, description, customfield_*), in v3 form (ADF for rich text). */
  overrides: Record<string, unknown>;
}

export interface UserRecord {
  accountId: string;
  displayName: string;
  email?: string;
  timeZone: string;
  active: boolean;
  /** Data Center username and user key. */
  name: string;
  userKey: string;
}

export interface StatusRecord {
  id: string;
  name: string;
  category: 'new' | 'indeterminate' | 'done';
}

export interface WorkflowTransition {
  id: string;
  name: string;
  /** Target status name. */
  to: string;
  /** Status names it is offered from; absent = from every status (a global transition). */
  from?: string[];
  /** Fields its screen requires: a POST without them in `fields` is a 400 naming each one. */
  requiredFields?: string[];
  /** A workflow validator that always fails: every POST of it is a 400 with this message. */
  validatorError?: string;
}

export interface ProjectRecord {
  id: string;
  key: string;
  name: string;
  nextNum: number;
  workflow: WorkflowTransition[];
}

export interface LinkRecord {
  id: number;
  /** Link type name (Blocks, Relates, Duplicate, Cloners). */
  type: string;
  outwardId: number;
  inwardId: number;
}

export interface CommentRecord {
  id: number;
  issueId: number;
  author: number;
  /** ADF document. */
  body: Record<string, unknown>;
  created: number;
  updated: number;
  visibility?: { type: string; value: string };
  /** True for comments a client posted (as opposed to generated ones). */
  posted: boolean;
}

export interface ChangeItem { field: string; fieldtype: string; fieldId?: string; from: string | null; fromString: string | null; to: string | null; toString: string | null }
export interface HistoryRecord { id: number; author: number; created: number; items: ChangeItem[] }

export interface ReceivedTransition {
  issueKey: string;
  id: string;
  name: string;
  from: string;
  to: string;
  at: number;
  /** The request body as posted. */
  body: unknown;
}
