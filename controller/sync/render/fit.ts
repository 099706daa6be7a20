/**
 * Keeps an issue file under the size limit when the optional parts (spec.content) make it too big:
 * the oldest entries of the largest part are dropped, half at a time, and the file says how many
 * of each went (`omittedForSize`), so a reader knows the list is not complete. The core fields are
 * never dropped: a file too big without any optional part still fails that issue (stage.ts).
 */
import type { IssueDocument } from './document.ts';

const PARTS = ['comments', 'changelog', 'worklogs', 'attachments'] as const;
type Part = (typeof PARTS)[number];

/** The text of `doc`, shrunk to at most `maxBytes` when dropping optional entries can do it. */
export function fitToSize(doc: IssueDocument, toText: (d: IssueDocument) => string, maxBytes: number): string {
  let text = toText(doc);
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const omitted: Partial<Record<Part, number>> = {};
  for (let round = 0; round < 64 && Buffer.byteLength(text, 'utf8') > maxBytes; round++) {
    const largest = PARTS.filter((p) => (doc[p]?.length ?? 0) > 0).sort((a, b) => JSON.stringify(doc[b]).length - JSON.stringify(doc[a]).length)[0];
    if (!largest) break;
    const list = doc[largest] as unknown[];
    const drop = Math.max(1, Math.ceil(list.length / 2));
    (doc as unknown as Record<Part, unknown[]>)[largest] = list.slice(drop); // oldest first: the newest stay
    omitted[largest] = (omitted[largest] ?? 0) + drop;
    doc.omittedForSize = { ...omitted };
    text = toText(doc);
  }
  return text;
}
