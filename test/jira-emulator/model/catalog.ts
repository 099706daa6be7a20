/**
 * Fixed catalogs shared by every project: issue types, priorities, link types, status categories,
 * custom fields and the default workflow. Ids follow the patterns real Jira sites show.
 */
import type { IssueTypeName, StatusRecord, WorkflowTransition, Mode } from './types.ts';

export const ISSUE_TYPE_DEFS: Record<IssueTypeName, { id: string; hierarchyLevel: number; description: string; subtask: boolean; avatarId: number }> = {
  Epic: { id: '10000', hierarchyLevel: 1, description: 'Epics track collections of related bugs, stories, and tasks.', subtask: false, avatarId: 10307 },
  Story: { id: '10001', hierarchyLevel: 0, description: 'Stories track functionality or features expressed as user goals.', subtask: false, avatarId: 10315 },
  Task: { id: '10002', hierarchyLevel: 0, description: 'Tasks track small, distinct pieces of work.', subtask: false, avatarId: 10318 },
  Bug: { id: '10003', hierarchyLevel: 0, description: 'Bugs track problems or errors.', subtask: false, avatarId: 10303 },
  Subtask: { id: '10004', hierarchyLevel: -1, description: 'Subtasks track small pieces of work that are part of a larger task.', subtask: true, avatarId: 10316 },
};

/** Data Center names the subtask type "Sub-task". */
export function issueTypeName(type: IssueTypeName, mode: Mode): string {
  return type === 'Subtask' && mode === 'datacenter' ? 'Sub-task' : type;
}

export const PRIORITIES = [
  { id: '1', name: 'Highest', color: '#d04437' },
  { id: '2', name: 'High', color: '#f15C75' },
  { id: '3', name: 'Medium', color: '#f79232' },
  { id: '4', name: 'Low', color: '#707070' },
  { id: '5', name: 'Lowest', color: '#999999' },
] as const;

export interface LinkType {
  readonly id: string;
  readonly name: string;
  readonly inward: string;
  readonly outward: string;
}

/** Jira Cloud's default link types; an admin may add any others (IssueStore.linkTypes). */
export const LINK_TYPES: readonly LinkType[] = [
  { id: '10000', name: 'Blocks', inward: 'is blocked by', outward: 'blocks' },
  { id: '10001', name: 'Cloners', inward: 'is cloned by', outward: 'clones' },
  { id: '10002', name: 'Duplicate', inward: 'is duplicated by', outward: 'duplicates' },
  { id: '10003', name: 'Relates', inward: 'relates to', outward: 'relates to' },
];

/** Finds a link type by name or by its outward/inward verb, case-insensitively. */
export function findLinkType(nameOrVerb: string, types: readonly LinkType[] = LINK_TYPES): LinkType | undefined {
  const n = nameOrVerb.toLowerCase();
  return types.find((t) => t.name.toLowerCase() === n || t.outward.toLowerCase() === n || t.inward.toLowerCase() === n ||
    (n === 'duplicates' && t.name === 'Duplicate') || (n === 'relates' && t.name === 'Relates'));
}

export const STATUS_CATEGORIES = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
} as const;

export const DEFAULT_STATUSES: StatusRecord[] = [
  { id: '10000', name: 'To Do', category: 'new' },
  { id: '3', name: 'In Progress', category: 'indeterminate' },
  { id: '10001', name: 'In Review', category: 'indeterminate' },
  { id: '10002', name: 'Blocked', category: 'indeterminate' },
  { id: '10003', name: 'Done', category: 'done' },
];

/** Guesses a category for a status created by setWorkflow. */
export function categoryFor(name: string): StatusRecord['category'] {
  const n = name.toLowerCase();
  if (['done', 'closed', 'resolved', 'cancelled', 'canceled', "won't do"].includes(n)) return 'done';
  if (['to do', 'open', 'backlog', 'new', 'selected for development'].includes(n)) return 'new';
  return 'indeterminate';
}

/** The default workflow: note there is no "Failed" transition, so clients must fall back. */
export const DEFAULT_WORKFLOW: WorkflowTransition[] = [
  { id: '11', name: 'To Do', to: 'To Do', from: ['In Progress', 'In Review', 'Blocked'] },
  { id: '21', name: 'Start Progress', to: 'In Progress', from: ['To Do', 'Blocked'] },
  { id: '31', name: 'Send to Review', to: 'In Review', from: ['In Progress'] },
  { id: '41', name: 'Block', to: 'Blocked', from: ['To Do', 'In Progress', 'In Review'] },
  { id: '51', name: 'Done', to: 'Done' },
  { id: '61', name: 'Reopen', to: 'To Do', from: ['Done'] },
];

export const RESOLUTION_DONE = { id: '10000', name: 'Done', description: 'Work has been completed on this issue.' };

/** Custom fields. Epic Link / Epic Name exist only in Data Center mode (Cloud uses `parent`). */
export const CUSTOM_FIELDS = {
  storyPoints: { id: 'customfield_10016', name: 'Story point estimate', type: 'number', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:float' },
  team: { id: 'customfield_10050', name: 'Team', type: 'option', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:select' },
  sprint: { id: 'customfield_10020', name: 'Sprint', type: 'array', items: 'json', custom: 'com.pyxis.greenhopper.jira:gh-sprint' },
  epicLink: { id: 'customfield_10014', name: 'Epic Link', type: 'any', custom: 'com.pyxis.greenhopper.jira:gh-epic-link' },
  epicName: { id: 'customfield_10011', name: 'Epic Name', type: 'string', custom: 'com.pyxis.greenhopper.jira:gh-epic-label' },
} as const;

export const TEAM_OPTIONS = [
  { id: '10100', value: 'Platform' },
  { id: '10101', value: 'Payments' },
  { id: '10102', value: 'Mobile' },
  { id: '10103', value: 'Data & Insights' },
] as const;
