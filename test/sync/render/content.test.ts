import t from 'tap';
import { parse } from 'yaml';
import { planFor, type RenderPlan } from '../../../controller/sync/render/content.ts';
import { issueDocument, type IssueDocument } from '../../../controller/sync/render/document.ts';
import { documentToYaml } from '../../../controller/sync/render/yaml.ts';
import { adf, jiraIssue } from '../../fixtures/jira-issues.ts';

const SPRINT_PLAN: RenderPlan = { customFields: [], storyPoints: 'customfield_10016', sprint: 'customfield_10020' };

interface Case {
  name: string;
  custom: Record<string, unknown>;
  plan?: RenderPlan;
  expect: Partial<IssueDocument>;
}

const cases: Case[] = [
  {
    name: 'timestamps are written in UTC, whatever zone Jira answered in',
    custom: { created: '2024-01-01T11:00:00.000+0100', updated: '2024-06-30T20:15:30.5-0400' },
    expect: { created: '2024-01-01T10:00:00.000Z', updated: '2024-07-01T00:15:30.500Z' },
  },
  { name: 'the due date is a calendar date, unchanged', custom: { duedate: '2024-05-01' }, expect: { dueDate: '2024-05-01' } },
  { name: 'no due date is null', custom: {}, expect: { dueDate: null } },
  {
    name: 'affected versions are sorted names',
    custom: { versions: [{ self: 'https://x', id: '2', name: '2.0' }, { id: '1', name: '1.0' }] },
    expect: { affectsVersions: ['1.0', '2.0'] },
  },
  { name: 'the environment is rich text as Markdown', custom: { environment: adf('Chrome 120', 'macOS') }, expect: { environment: 'Chrome 120\n\nmacOS' } },
  { name: 'a wiki-markup environment (Data Center) is Markdown too', custom: { environment: '*Linux*' }, expect: { environment: '**Linux**' } },
  {
    name: 'time tracking keeps the display text and the seconds',
    custom: { timetracking: { originalEstimate: '2d', remainingEstimate: '1d 4h', timeSpent: '4h', originalEstimateSeconds: 57600, remainingEstimateSeconds: 43200, timeSpentSeconds: 14400 } },
    expect: {
      timeTracking: { originalEstimate: '2d', originalEstimateSeconds: 57600, remainingEstimate: '1d 4h', remainingEstimateSeconds: 43200, timeSpent: '4h', timeSpentSeconds: 14400 },
    },
  },
  { name: 'empty time tracking is null', custom: { timetracking: {} }, expect: { timeTracking: null } },
  { name: 'story points come from the field the plan names', custom: { customfield_10016: 5 }, plan: SPRINT_PLAN, expect: { storyPoints: 5 } },
  { name: 'story points are null on a site without the field', custom: { customfield_10016: 5 }, expect: { storyPoints: null } },
  {
    name: 'Cloud sprints carry name, state and UTC dates, ordered by sprint id',
    plan: SPRINT_PLAN,
    custom: {
      customfield_10020: [
        { id: 12, name: 'Sprint 12', state: 'active', boardId: 1, goal: '', startDate: '2024-02-01T09:00:00.000+01:00', endDate: '2024-02-14T09:00:00.000Z' },
        { id: 11, name: 'Sprint 11', state: 'closed', boardId: 1, startDate: '2024-01-15T08:00:00.000Z', endDate: '2024-01-29T08:00:00.000Z', completeDate: '2024-01-29T10:00:00.000Z' },
      ],
    },
    expect: {
      sprints: [
        { name: 'Sprint 11', state: 'closed', startDate: '2024-01-15T08:00:00.000Z', endDate: '2024-01-29T08:00:00.000Z', completeDate: '2024-01-29T10:00:00.000Z' },
        { name: 'Sprint 12', state: 'active', startDate: '2024-02-01T08:00:00.000Z', endDate: '2024-02-14T09:00:00.000Z', completeDate: null },
      ],
    },
  },
  {
    name: 'Data Center sprint strings are read the same way',
    plan: SPRINT_PLAN,
    custom: {
      customfield_10020: ['com.atlassian.greenhopper.service.sprint.Sprint@3f2a[id=7,rapidViewId=2,state=ACTIVE,name=Sprint 7, the one,startDate=2024-03-01T10:00:00.000+01:00,endDate=2024-03-15T10:00:00.000+01:00,completeDate=<null>,sequence=7]'],
    },
    expect: { sprints: [{ name: 'Sprint 7, the one', state: 'active', startDate: '2024-03-01T09:00:00.000Z', endDate: '2024-03-15T09:00:00.000Z', completeDate: null }] },
  },
  {
    name: 'Data Center people carry username and user key',
    custom: { assignee: { name: 'ann', key: 'JIRAUSER10100', displayName: 'Ann A', emailAddress: 'ann@x.test' } },
    expect: { assignee: { name: 'Ann A', username: 'ann', userKey: 'JIRAUSER10100', email: 'ann@x.test' } },
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const issue = jiraIssue({ key: 'A-1' });
    Object.assign(issue.fields, c.custom);
    const doc = issueDocument(issue, c.plan ?? planFor());
    for (const [k, v] of Object.entries(c.expect)) t.same(doc[k as keyof IssueDocument], v, k);
  });
}

const comment = (id: string, created: string, text: string, extra: Record<string, unknown> = {}) => ({
  self: `https://jira/c/${id}`, id, author: { accountId: `acc-${id}`, displayName: `User ${id}` }, body: adf(text), created, updated: created, ...extra,
});

t.test('comments are written oldest first with author, UTC times and Markdown bodies, the newest up to the cap', async (t) => {
  const issue = jiraIssue({ key: 'A-1' });
  issue.fields.comment = {
    startAt: 0, maxResults: 3, total: 3,
    comments: [comment('30', '2024-01-03T10:00:00.000+0200', 'third'), comment('10', '2024-01-01T10:00:00.000+0000', 'first'), comment('20', '2024-01-02T10:00:00.000+0000', 'second', { visibility: { type: 'role', value: 'Developers' } })],
  };
  const doc = issueDocument(issue, planFor([], { comments: 2 }));
  t.same(doc.comments, [
    { id: '20', author: { name: 'User 20', accountId: 'acc-20' }, created: '2024-01-02T10:00:00.000Z', updated: '2024-01-02T10:00:00.000Z', visibility: 'role: Developers', body: 'second' },
    { id: '30', author: { name: 'User 30', accountId: 'acc-30' }, created: '2024-01-03T08:00:00.000Z', updated: '2024-01-03T08:00:00.000Z', body: 'third' },
  ]);
  t.equal(issueDocument(jiraIssue({ key: 'A-2' }), planFor([], { comments: 5 })).comments?.length, 0, 'an issue without comments has an empty list');
  t.equal(issueDocument(issue).comments, undefined, 'not written unless spec.content.comments is set');
});

t.test('attachments are metadata only, with hostile file names kept as values', async (t) => {
  const issue = jiraIssue({ key: 'A-1' });
  issue.fields.attachment = [
    { self: 'https://jira/a/2', id: '2', filename: '../../etc/passwd\n: x', author: { accountId: 'a', displayName: 'Ann' }, created: '2024-01-02T10:00:00.000+0000', size: 12, mimeType: 'text/plain', content: 'https://jira/rest/api/3/attachment/content/2' },
    { id: '1', filename: 'shot.png', author: null, created: '2024-01-01T10:00:00.000+0000', size: 2048, mimeType: 'image/png', content: 'https://jira/rest/api/3/attachment/content/1', thumbnail: 'https://jira/t/1' },
  ];
  const doc = issueDocument(issue, planFor([], { attachments: 10 }));
  t.same(doc.attachments, [
    { id: '1', filename: 'shot.png', size: 2048, mimeType: 'image/png', author: null, created: '2024-01-01T10:00:00.000Z', url: 'https://jira/rest/api/3/attachment/content/1' },
    { id: '2', filename: '../../etc/passwd\n: x', size: 12, mimeType: 'text/plain', author: { name: 'Ann', accountId: 'a' }, created: '2024-01-02T10:00:00.000Z', url: 'https://jira/rest/api/3/attachment/content/2' },
  ]);
  t.equal(parse(documentToYaml(doc)).attachments[1].filename, '../../etc/passwd\n: x', 'the file name reads back exactly');
});

t.test('the changelog lists field changes with author and time, oldest first', async (t) => {
  const issue = jiraIssue({ key: 'A-1' });
  issue.changelog = {
    startAt: 0, maxResults: 2, total: 2,
    histories: [
      { id: '2', author: { accountId: 'b', displayName: 'Bo' }, created: '2024-01-03T10:00:00.000+0000', items: [{ field: 'status', fieldtype: 'jira', from: '1', fromString: 'To Do', to: '3', toString: 'In Progress' }] },
      { id: '1', author: { accountId: 'a', displayName: 'Ann' }, created: '2024-01-02T10:00:00.000+0000', items: [{ field: 'labels', fieldtype: 'jira', from: null, fromString: '', to: null, toString: 'x' }] },
    ],
  };
  const doc = issueDocument(issue, planFor([], { changelog: 10 }));
  t.same(doc.changelog, [
    { id: '1', author: { name: 'Ann', accountId: 'a' }, created: '2024-01-02T10:00:00.000Z', changes: [{ field: 'labels', from: '', to: 'x' }] },
    { id: '2', author: { name: 'Bo', accountId: 'b' }, created: '2024-01-03T10:00:00.000Z', changes: [{ field: 'status', from: 'To Do', to: 'In Progress' }] },
  ]);
});

t.test('worklogs carry author, start, time spent and comment', async (t) => {
  const issue = jiraIssue({ key: 'A-1' });
  issue.fields.worklog = { startAt: 0, maxResults: 1, total: 1, worklogs: [{ id: '5', author: { accountId: 'a', displayName: 'Ann' }, started: '2024-01-02T10:00:00.000+0100', timeSpent: '1h', timeSpentSeconds: 3600, comment: adf('pairing') }] };
  const doc = issueDocument(issue, planFor([], { worklogs: 10 }));
  t.same(doc.worklogs, [{ id: '5', author: { name: 'Ann', accountId: 'a' }, started: '2024-01-02T09:00:00.000Z', timeSpent: '1h', timeSpentSeconds: 3600, comment: 'pairing' }]);
});
