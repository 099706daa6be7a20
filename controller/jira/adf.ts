/**
 * The Atlassian Document Format comments jirasync posts, and how it finds them again.
 *
 * Each comment ends with a small marker line, `jirasync-episode: <ns>/<name>/<episode>` (or
 * `jirasync-recovered: …`), as plain text. Before posting, the reporter looks for that text in the
 * issue's comments, which is what makes "one comment per failure episode" hold across controller
 * restarts and repeated reconciles without trusting any state kept outside Jira.
 */
import { redact } from '../observability/redact.ts';
import type { AdfDocument } from './api.ts';

/** Longest error text put in a comment; Jira comments are for people, the full text is in status. */
const MAX_ERROR_CHARS = 2000;

export interface FailureCommentInput {
  /** `namespace/name` of the JIRASync. */
  syncRef: string;
  phase: string;
  /** The sync's error, already redacted (it is redacted again anyway). */
  error: string;
  retryCount: number;
  when: Date | string;
  /** Identifies this failure episode; the same episode is never commented twice. */
  episode: string;
}

const text = (t: string, marks?: Array<Record<string, unknown>>): Record<string, unknown> =>
  marks ? { type: 'text', text: t, marks } : { type: 'text', text: t };
const paragraph = (...content: Array<Record<string, unknown>>): Record<string, unknown> => ({ type: 'paragraph', content });
const strong = [{ type: 'strong' }];
const small = [{ type: 'subsup', attrs: { type: 'sub' } }];

function iso(when: Date | string): string {
  const d = when instanceof Date ? when : new Date(when);
  return Number.isNaN(d.getTime()) ? String(when) : d.toISOString();
}

function item(label: string, value: string): Record<string, unknown> {
  return { type: 'listItem', content: [paragraph(text(`${label}: `, strong), text(value))] };
}

/** The marker text that identifies the failure comment of one episode of one JIRASync. */
export function failureMarker(syncRef: string, episode: string): string {
  return `jirasync-episode: ${syncRef}/${episode}`;
}

/** The marker text of the recovery comment that closes an episode. */
export function recoveryMarker(syncRef: string, episode: string): string {
  return `jirasync-recovered: ${syncRef}/${episode}`;
}

/** The failure comment: which JIRASync, phase, redacted error, retry count, time, and the marker. */
export function failureComment(input: FailureCommentInput): AdfDocument {
  let error = redact(input.error).trim() || '(no message)';
  if (error.length > MAX_ERROR_CHARS) error = `${error.slice(0, MAX_ERROR_CHARS - 1)}…`;
  return {
    type: 'doc',
    version: 1,
    content: [
      paragraph(text('jirasync: the JIRASync '), text(input.syncRef, strong), text(' failed to sync this issue.')),
      {
        type: 'bulletList',
        content: [item('Phase', input.phase), item('Retries', String(input.retryCount)), item('Time', iso(input.when))],
      },
      { type: 'codeBlock', attrs: {}, content: [text(error)] },
      paragraph(text(failureMarker(input.syncRef, input.episode), small)),
    ],
  };
}

/** The recovery comment posted once when a failed JIRASync succeeds again. */
export function recoveryComment(input: { syncRef: string; episode: string; when: Date | string }): AdfDocument {
  return {
    type: 'doc',
    version: 1,
    content: [
      paragraph(
        text('jirasync: the JIRASync '),
        text(input.syncRef, strong),
        text(` is healthy again (since ${iso(input.when)}); the failure reported earlier is resolved.`),
      ),
      paragraph(text(recoveryMarker(input.syncRef, input.episode), small)),
    ],
  };
}

/** Nodes whose children are inline (joined without a line break). */
const INLINE_PARENTS = new Set(['paragraph', 'heading', 'codeBlock']);

/** All text of a comment body, one line per block: ADF text nodes, or the body itself when it is a string. */
export function plainText(body: unknown, depth = 0): string {
  if (typeof body === 'string') return body;
  if (!body || typeof body !== 'object' || depth > 50) return '';
  if (Array.isArray(body)) return body.map((b) => plainText(b, depth + 1)).join('\n');
  const node = body as { type?: unknown; text?: unknown; content?: unknown };
  if (typeof node.text === 'string') return node.text;
  if (!Array.isArray(node.content)) return '';
  const sep = typeof node.type === 'string' && INLINE_PARENTS.has(node.type) ? '' : '\n';
  return node.content.map((c) => plainText(c, depth + 1)).join(sep);
}

/** Whether a comment body carries the marker as a whole line of text. */
export function hasMarker(body: unknown, marker: string): boolean {
  return plainText(body)
    .split('\n')
    .some((line) => line.trim() === marker);
}
