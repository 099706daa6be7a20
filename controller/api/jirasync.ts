/**
 * The JIRASync API (sync.jira.io/v1alpha1) as TypeScript types: plain data, no I/O.
 * They mirror charts/jirasync/crds/jirasyncs.sync.jira.io.yaml, the single source of truth;
 * test/api/crd-types.test.ts proves every schema field is covered here and that objects built
 * from these types are accepted by the real API server.
 */

export const GROUP = 'sync.jira.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'JIRASync';
export const PLURAL = 'jirasyncs';

/** Annotation whose new value asks for an immediate sync (the handshake Flux uses). */
export const REQUESTED_AT_ANNOTATION = 'sync.jira.io/requestedAt';

export const SYNC_TYPES = ['single', 'batch', 'jql', 'project', 'epic', 'incremental'] as const;
export type SyncType = (typeof SYNC_TYPES)[number];

export const PHASES = ['Pending', 'Running', 'Completed', 'Failed', 'Suspended'] as const;
export type Phase = (typeof PHASES)[number];

export interface SecretRef {
  name: string;
}

export interface Target {
  issueKeys?: string[];
  jqlQuery?: string;
  projectKey?: string;
  epicKey?: string;
}

export interface Author {
  name: string;
  email: string;
}

export interface Destination {
  repository: string;
  branch?: string;
  path?: string;
  secretRef?: SecretRef;
  author?: Author;
}

export interface JiraConnectionRef {
  secretRef?: SecretRef;
}

export interface RetryPolicy {
  maxRetries?: number;
  backoffMultiplier?: number;
  initialDelay?: number;
}

export interface FailurePolicy {
  comment?: boolean;
  commentOnRecovery?: boolean;
  transitionTo?: string[];
  issueKey?: string;
}

/**
 * Limits on what one run may delete (docs/deletion-guard.md). A run that would delete more is
 * refused with reason DeletionRefused and commits nothing, until a person confirms.
 */
export interface DeletionPolicy {
  /** Share (0-100) of the stored issues one run may delete unconfirmed when more than 10 are stored. Default 50. */
  maxDeletePercent?: number;
  /** Confirms a refused deletion of exactly this many issue files (any other count stays refused). */
  confirmDeletion?: number;
}

/** One optional part of an issue file (spec.content); present = written. */
export interface ContentPart {
  /** The newest this many entries per issue are written (default 100, at most 1000). */
  maxPerIssue?: number;
}

/** What issue files hold beyond the core and well-known fields (docs/repository-layout.md). */
export interface ContentSpec {
  /** Comments: author, created, updated, body as Markdown; newest last. */
  comments?: ContentPart;
  /** Attachment metadata (never the bytes): filename, size, MIME type, author, created, URL. */
  attachments?: ContentPart;
  worklogs?: ContentPart;
  /** Field changes with author and time. */
  changelog?: ContentPart;
}

export const CONTENT_PARTS = ['comments', 'attachments', 'worklogs', 'changelog'] as const;
export type ContentPartName = (typeof CONTENT_PARTS)[number];
/** Per-issue cap when maxPerIssue is absent, and the most the CRD accepts. */
export const CONTENT_DEFAULT_MAX = 100;
export const CONTENT_MAX = 1000;

export interface JIRASyncSpec {
  syncType: SyncType;
  target: Target;
  destination: Destination;
  jira?: JiraConnectionRef;
  /** Custom fields to write, by id (`customfield_10016`) or by name ("Story Points"). */
  customFields?: string[];
  content?: ContentSpec;
  schedule?: string;
  timeZone?: string;
  deletionScanInterval?: string;
  /** Deadline of one run (duration); the controller's default when absent. */
  timeout?: string;
  deletionPolicy?: DeletionPolicy;
  suspend?: boolean;
  retryPolicy?: RetryPolicy;
  failurePolicy?: FailurePolicy;
}

export interface Progress {
  percentage?: number;
  currentOperation?: string;
  totalOperations?: number;
  completedOperations?: number;
  estimatedCompletion?: string;
}

export interface RunChanges {
  added?: number;
  updated?: number;
  removed?: number;
}

export interface SyncState {
  startTime?: string;
  totalIssues?: number;
  processedIssues?: number;
  successfulIssues?: number;
  failedIssues?: number;
  lastSyncTime?: string;
  configHash?: string;
  cursor?: string;
  lastFullScanTime?: string;
  lastCommit?: string;
  lastRunChanges?: RunChanges;
}

export const JIRA_REPORT_STATES = ['Pending', 'Reported', 'Skipped', 'Recovered'] as const;
export type JiraReportState = (typeof JIRA_REPORT_STATES)[number];

/** What was reported to Jira for the current failure episode, so it is reported once. */
export interface JiraReport {
  episode?: string;
  state?: JiraReportState;
  issueKeys?: string[];
  transition?: string;
  message?: string;
  lastAttemptTime?: string;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** The standard Kubernetes condition shape (metav1.Condition). */
export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface JIRASyncStatus {
  phase?: Phase;
  observedGeneration?: number;
  progress?: Progress;
  syncState?: SyncState;
  lastError?: string;
  retryCount?: number;
  nextRunTime?: string;
  lastStatusUpdate?: string;
  lastHandledRequestedAt?: string;
  jiraReport?: JiraReport;
  conditions?: Condition[];
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface JIRASync {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: JIRASyncSpec;
  status?: JIRASyncStatus;
}

/** The defaults the CRD applies, for code paths that see objects the API server did not default. */
export const DEFAULTS = {
  branch: 'main',
  path: '/',
  deletionScanInterval: '6h',
  retryPolicy: { maxRetries: 3, backoffMultiplier: 2, initialDelay: 30 },
  failurePolicy: { comment: true, commentOnRecovery: true, transitionTo: ['Failed', 'Blocked'] },
} as const;

/** Condition types the controller maintains (kstatus-compatible: Ready, Stalled; plus the guide's). */
export const CONDITION_TYPES = {
  Ready: 'Ready',
  Processing: 'Processing',
  Progressing: 'Progressing',
  Stalled: 'Stalled',
} as const;
