import t from 'tap';
import { cloudClient, emulator, searchAll } from './testkit.ts';
import { IssueStore } from './model/store.ts';
import { generateProject } from './model/generate.ts';
import { generateUsers } from './model/users.ts';

// Issue field bags are untyped JSON in the spec; `any` keeps the assertions readable.
type Bag = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FIELDS = ['summary', 'description', 'issuetype', 'status', 'labels', 'assignee', 'parent', 'issuelinks', 'customfield_10016', 'customfield_10050', 'updated'];

async function snapshot(seed: number) {
  const emu = await emulator({ teardown: () => undefined }, { seed, projects: [{ key: 'GEN', issues: 500 }] });
  try {
    const { issues } = await searchAll(cloudClient(emu), 'project = GEN ORDER BY key ASC', { fields: FIELDS, maxResults: 100 });
    return issues;
  } finally {
    await emu.stop();
  }
}

t.test('the same seed yields the same issues; another seed different ones', async (t) => {
  const a = await snapshot(77);
  const b = await snapshot(77);
  const c = await snapshot(78);
  t.equal(a.length, 500);
  t.same(JSON.stringify(a.map((i) => i.fields)).replace(/127\.0\.0\.1:\d+/g, 'H'), JSON.stringify(b.map((i) => i.fields)).replace(/127\.0\.0\.1:\d+/g, 'H'));
  t.not(JSON.stringify(a.map((i) => i.fields?.summary)), JSON.stringify(c.map((i) => i.fields?.summary)));
});

t.test('a generated project has the variety real Jira data has', async (t) => {
  const emu = await emulator(t, { seed: 5, projects: [{ key: 'VAR', issues: 2000 }] });
  const { issues } = await searchAll(cloudClient(emu), 'project = VAR', { fields: FIELDS, maxResults: 100 });
  const f = issues.map((i) => i.fields as Bag);
  const types = new Set(f.map((x) => x.issuetype.name));
  t.same([...types].sort(), ['Bug', 'Epic', 'Story', 'Subtask', 'Task']);
  const share = (pred: (x: Bag) => boolean) => f.filter(pred).length / f.length;
  t.ok(share((x) => x.issuetype.name === 'Epic') > 0.02, 'epics');
  t.ok(share((x) => x.issuetype.name === 'Subtask' && x.parent) > 0.1, 'subtasks with parents');
  t.ok(share((x) => x.issuetype.name === 'Story' && x.parent?.fields?.issuetype?.name === 'Epic') > 0.1, 'stories under epics');
  t.ok(share((x) => x.assignee === null) > 0.15, 'unassigned issues');
  t.ok(share((x) => x.description === null) > 0.03, 'issues without description');
  t.ok(share((x) => x.customfield_10016 !== null) > 0.1 && share((x) => x.customfield_10050 !== null) > 0.3, 'custom fields');
  const linkTypes = new Set(f.flatMap((x) => x.issuelinks.map((l: { type: { name: string } }) => l.type.name)));
  t.same([...linkTypes].sort(), ['Blocks', 'Duplicate', 'Relates']);
  const json = JSON.stringify(f.map((x) => x.description));
  for (const node of ['"bulletList"', '"orderedList"', '"codeBlock"', '"table"', '"mention"', '"emoji"', '"heading"', '"link"']) t.ok(json.includes(node), `descriptions contain ${node}`);
  t.ok(f.some((x) => /[\u0400-\u04ff\u3040-\u30ff\u4e00-\u9fff\u0600-\u06ff]/.test(x.summary)), 'non-Latin summaries');
  t.ok(f.some((x) => x.summary.length > 200), 'long summaries');
  t.ok(f.every((x) => x.summary.length <= 255), 'no summary beyond Jira\'s 255');
  t.ok(f.some((x) => x.labels.length >= 2) && f.some((x) => x.labels.length === 0), 'labels vary');
});

t.test('100,000 issues fit in modest memory', async (t) => {
  const before = process.memoryUsage().heapUsed;
  const users = generateUsers(1);
  const store = new IssueStore({ seed: 1, mode: 'cloud', timeZone: 'UTC', users, apiUserStart: users.length });
  generateProject(store, 'HUGE', 100_000);
  t.equal(store.size, 100_000);
  const grown = (process.memoryUsage().heapUsed - before) / 1e6;
  t.ok(grown < 150, `heap grew by ${grown.toFixed(0)} MB (< 150 MB)`);
});
