/**
 * Proves the emulator sends Atlassian's documented shapes and nothing else: jira.js is loaded in its
 * schema-audit mode (AUDIT_SCHEMAS=true makes every generated schema strict and records undocumented
 * keys), every endpoint is called, and the issue field values are checked against the strict models.
 */
import t from 'tap';

process.env.AUDIT_SCHEMAS = 'true';
const { createCloudClient } = await import('jira.js');
const models = await import('jira.js/cloud');
const { z } = await import('zod');
const { emulator } = await import('./testkit.ts');

type Drift = { endpoint: string; path: string; keys?: string[]; kind: string };
const drift = () => ((globalThis as Record<symbol, Drift[] | undefined>)[Symbol.for('apis-code-gen.schemaAudit')] ?? []);

t.test('every response matches the strict jira.js schemas, with no undocumented keys', async (t) => {
  const emu = await emulator(t, { seed: 31, timeZone: 'Europe/Berlin', projects: [{ key: 'SHP', issues: 400 }] });
  const jira = createCloudClient({ host: emu.url, auth: { type: 'basic', email: emu.email, apiToken: emu.apiToken }, onSchemaMismatch: 'throw' });

  await jira.myself.getCurrentUser();
  await jira.serverInfo.getServerInfo();
  await jira.issueFields.getFields();
  const ids = await jira.issueSearch.searchAndReconsileIssuesUsingJql({ jql: 'project = SHP', maxResults: 5000 });
  t.equal(ids.issues?.length, 400);
  const full = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = SHP ORDER BY key ASC', fields: ['*all'], expand: 'changelog,names', maxResults: 100 });
  await jira.issueSearch.searchAndReconsileIssuesUsingJql({ jql: 'project = SHP ORDER BY key ASC', fields: ['key', 'updated'], nextPageToken: full.nextPageToken ?? undefined });
  await jira.issueSearch.countIssues({ jql: 'project = SHP' });
  const bulk = await jira.issues.bulkFetchIssues({ issueIdsOrKeys: ids.issues!.slice(0, 100).map((i) => i.id!), fields: ['*all'], expand: ['changelog', 'names'] });
  await jira.issues.getIssue({ issueIdOrKey: 'SHP-1', expand: 'changelog,names' });
  await jira.issueComments.getComments({ issueIdOrKey: 'SHP-2' });
  await jira.issueComments.getComments({ issueIdOrKey: 'SHP-2', startAt: 0, maxResults: 10, orderBy: 'created' });
  const withWork = (full.issues ?? []).find((i) => ((i.fields?.worklog as { total?: number } | undefined)?.total ?? 0) > 0);
  t.ok(withWork, 'some generated issue has worklogs');
  await jira.issueWorklogs.getIssueWorklog({ issueIdOrKey: withWork?.key ?? 'SHP-1', startAt: 0, maxResults: 10 });
  await jira.issues.getChangeLogs({ issueIdOrKey: 'SHP-1', startAt: 0, maxResults: 10 });
  await jira.issueComments.addComment({ issueIdOrKey: 'SHP-2', body: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x' }] }] } });
  await jira.issueComments.addComment({ issueIdOrKey: 'SHP-2', body: 'via *wiki*', visibility: { type: 'role', value: 'Developers' } });
  const tr = await jira.issues.getTransitions({ issueIdOrKey: 'SHP-3' });
  await jira.issues.doTransition({ issueIdOrKey: 'SHP-3', transition: { id: tr.transitions![0].id } });
  t.same(drift(), [], 'no response carried a key the specification does not describe');

  // Issue fields are `record<string, any>` in the spec; check each value against its own strict model.
  const strict = {
    status: models.StatusDetailsSchema,
    issuetype: models.IssueTypeDetailsSchema,
    priority: models.PrioritySchema,
    project: models.ProjectSchema,
    assignee: models.UserDetailsSchema.nullable(),
    reporter: models.UserDetailsSchema,
    creator: models.UserDetailsSchema,
    resolution: models.ResolutionSchema.nullable(),
    description: models.DocumentSchema.nullable(),
    parent: models.LinkedIssueSchema.optional(),
    subtasks: z.array(models.LinkedIssueSchema),
    issuelinks: z.array(models.IssueLinkSchema),
    comment: models.PageOfCommentsSchema.extend({ self: z.string() }),
    labels: z.array(z.string()),
    summary: z.string().max(255),
    created: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$/),
    updated: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$/),
    customfield_10016: z.number().nullable(),
    duedate: z.string().regex(/^\d{4}-\d\d-\d\d$/).nullable(),
    versions: z.array(models.VersionSchema),
    environment: models.DocumentSchema.nullable(),
    timetracking: models.TimeTrackingDetailsSchema,
    attachment: z.array(models.AttachmentSchema),
    worklog: models.PageOfWorklogsSchema,
    // The sprint field is `json` items in the field list; Jira Software documents this object.
    customfield_10020: z.array(z.strictObject({
      id: z.number(), name: z.string(), state: z.enum(['closed', 'active', 'future']), boardId: z.number(), goal: z.string(),
      startDate: z.string().optional(), endDate: z.string().optional(), completeDate: z.string().optional(),
    })).nullable(),
    // Jira also sends the option id, which the CustomFieldOption model leaves out.
    customfield_10050: models.CustomFieldOptionSchema.extend({ id: z.string() }).nullable(),
  } as const;
  const problems: string[] = [];
  for (const issue of [...(full.issues ?? []), ...(bulk.issues ?? [])]) {
    for (const [field, schema] of Object.entries(strict)) {
      const r = (schema as import('zod').ZodType).safeParse(issue.fields?.[field]);
      if (!r.success) problems.push(`${issue.key} ${field}: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
    }
    const ch = z.array(models.ChangelogSchema).safeParse(issue.changelog?.histories);
    if (!ch.success) problems.push(`${issue.key} changelog: ${ch.error.message}`);
  }
  t.same(problems.slice(0, 10), [], 'every field value matches its documented model');
  t.ok(full.names && bulk.issues?.[0].names, 'expand=names is honoured');
});
