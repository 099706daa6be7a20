/**
 * One issue → its stored file: build the document, render YAML, enforce the size limit. Errors
 * here belong to that one issue (the engine counts it as failed and carries on); errors from the
 * git writer are not caught here, they fail the run.
 */
import type { JiraIssue } from '../jira/source.ts';
import { issueDocument, ISSUE_FIELDS } from './render/document.ts';
import type { RenderPlan } from './render/content.ts';
import { fitToSize } from './render/fit.ts';
import { documentToYaml, type StoredRelations } from './render/yaml.ts';

/** Largest YAML file we store for one issue; bigger ones fail that issue (git hosts choke on them). */
export const MAX_ISSUE_BYTES = 1024 * 1024;

export interface RenderedIssue {
  key: string;
  text: string;
  relations: StoredRelations;
  /** Jira's `updated` timestamp, in epoch milliseconds (NaN when missing). */
  updatedMs: number;
}

/** The minimal field list for a sync, with the configured custom fields. */
export function fieldList(customFields: readonly string[]): string[] {
  return [...new Set([...ISSUE_FIELDS, ...customFields])];
}

/** Parses Jira timestamps such as 2024-01-02T10:20:30.123+0000 (no colon in the offset). */
export function jiraTime(v: unknown): number {
  if (typeof v !== 'string') return Number.NaN;
  const iso = v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  return Date.parse(iso);
}

/** Renders one issue; throws with a message fit for the failures list. */
export function renderIssue(issue: JiraIssue, plan: RenderPlan): RenderedIssue {
  const doc = issueDocument(issue, plan);
  const text = fitToSize(doc, documentToYaml, MAX_ISSUE_BYTES);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_ISSUE_BYTES) {
    throw new Error(`rendered file is ${bytes} bytes, over the ${MAX_ISSUE_BYTES}-byte limit (description too large?)`);
  }
  return {
    key: doc.key,
    text,
    relations: { key: doc.key, parent: doc.parent, epic: doc.epic, links: doc.links, subtasks: doc.subtasks },
    updatedMs: jiraTime(issue.fields?.updated),
  };
}
