import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAILURE_REASONS, STATE_REASONS } from '../../controller/api/reasons.ts';

const doc = readFileSync(join(import.meta.dirname, '../../docs/reasons.md'), 'utf8');

/** The rows of the table under a `## heading`: first cell without backticks, then the other cells. */
function table(md: string, heading: string): Map<string, string[]> {
  const start = md.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/reasons.md has no "## ${heading}" section`);
  const next = md.indexOf('\n## ', start + 1);
  const section = md.slice(start, next < 0 ? undefined : next);
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    if (!/^\|\s*`/.test(line)) continue;
    const cells = line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
    rows.set(cells[0].replace(/`/g, ''), cells.slice(1));
  }
  return rows;
}

t.test('docs/reasons.md lists every failure reason with its kind and meaning, and no other', async (t) => {
  const rows = table(doc, 'Failure reasons');
  t.same([...rows.keys()].sort(), Object.keys(FAILURE_REASONS).sort(), 'the same reasons in the doc and in FAILURE_REASONS');
  for (const [reason, info] of Object.entries(FAILURE_REASONS)) {
    const row = rows.get(reason);
    if (!row) continue;
    t.equal(row[0], info.kind, `${reason}: kind`);
    t.equal(row[1], info.help, `${reason}: meaning is the help text`);
  }
});

t.test('docs/reasons.md lists every state reason, and no other', async (t) => {
  const rows = table(doc, 'State reasons');
  t.same([...rows.keys()].sort(), Object.keys(STATE_REASONS).sort(), 'the same reasons in the doc and in STATE_REASONS');
  for (const [reason, row] of rows) t.ok(row[1] && row[1].length > 10, `${reason} has a meaning`);
});

t.test('the table reader finds a reason the code lacks, so a stale doc fails', async (t) => {
  const stale = doc.replace('| `SyncFailed` |', '| `SyncBroken` |');
  t.notSame([...table(stale, 'Failure reasons').keys()].sort(), Object.keys(FAILURE_REASONS).sort());
});
