import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

t.test('the CLI starts an emulator whose control API drives it over HTTP', async (t) => {
  const child = spawn(process.execPath, [CLI, '--json', '--port', '0', '--seed', '9', '--project', 'CTL:20', '--project', 'ARC:2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const info = JSON.parse(line) as { url: string; email: string; apiToken: string; pat: string; projects: { key: string; issues: number }[] };
  t.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.same(info.projects.map((p) => [p.key, p.issues]), [['CTL', 20], ['ARC', 2]]);
  const auth = `Basic ${Buffer.from(`${info.email}:${info.apiToken}`).toString('base64')}`;
  const api = (path: string, init: RequestInit = {}) => fetch(`${info.url}${path}`, { ...init, headers: { Authorization: auth, 'Content-Type': 'application/json', ...(init.headers ?? {}) } });
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${info.url}/_emulator${path}`, { method, headers: { 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() as Record<string, unknown> };
  };

  t.test('info and projects', async (t) => {
    const r = await control('GET', '');
    t.equal(r.status, 200);
    t.match(r.body, { url: info.url, mode: 'cloud', email: info.email });
    t.equal((await control('POST', '/projects', { key: 'NEW', issues: 3 })).status, 201);
    t.match((await control('GET', '/projects')).body, [{ key: 'CTL' }, { key: 'ARC' }, { key: 'NEW', issues: 3 }]);
  });

  t.test('create, update (bumps updated), move, hide and delete issues', async (t) => {
    const created = await control('POST', '/issues', { project: 'CTL', fields: { summary: 'Made over HTTP', labels: ['ops'] } });
    t.equal(created.status, 201);
    const key = String(created.body?.key);
    t.equal(key, 'CTL-21');
    const before = (await control('GET', `/issues/${key}`)).body as { updated: string; summary: string };
    t.equal(before.summary, 'Made over HTTP');
    await new Promise((r) => setTimeout(r, 20));
    t.equal((await control('PATCH', `/issues/${key}`, { fields: { summary: 'Changed', status: 'Done' } })).status, 204);
    const after = (await control('GET', `/issues/${key}`)).body as { updated: string; summary: string; status: string };
    t.equal(after.summary, 'Changed');
    t.equal(after.status, 'Done');
    t.ok(Date.parse(after.updated) > Date.parse(before.updated), 'updated moved forward');
    const jql = await (await api(`/rest/api/3/search/jql?jql=${encodeURIComponent(`key = ${key}`)}&fields=summary`)).json() as { issues: { fields: { summary: string } }[] };
    t.equal(jql.issues[0].fields.summary, 'Changed', 'the REST API sees the change');

    const moved = await control('POST', `/issues/${key}/move`, { project: 'ARC' });
    t.same(moved.body, { key: 'ARC-3' });
    const old = await api(`/rest/api/3/issue/${key}`);
    t.equal(old.status, 200, 'the old key still resolves, as in Jira');
    t.equal(((await old.json()) as { key: string }).key, 'ARC-3', 'answering with the new key');
    t.equal((await control('GET', `/issues/${key}`)).status, 404, 'the control API knows only the new key');
    t.equal((await api('/rest/api/3/issue/ARC-3')).status, 200);

    t.equal((await control('POST', '/issues/ARC-3/hidden', { hidden: true })).status, 204);
    t.equal((await api('/rest/api/3/issue/ARC-3')).status, 404);
    t.equal((await control('POST', '/issues/ARC-3/hidden', { hidden: false })).status, 204);
    t.equal((await control('DELETE', '/issues/ARC-3')).status, 204);
    t.equal((await api('/rest/api/3/issue/ARC-3')).status, 404);
    t.equal((await control('GET', '/issues/ARC-3')).status, 404);
  });

  t.test('links, status, workflow, and what clients posted', async (t) => {
    t.equal((await control('POST', '/links', { from: 'CTL-1', type: 'duplicates', to: 'CTL-2' })).status, 204);
    const links = await (await api('/rest/api/3/issue/CTL-1?fields=issuelinks')).json() as { fields: { issuelinks: { type: { name: string }; outwardIssue?: { key: string } }[] } };
    t.ok(links.fields.issuelinks.some((l) => l.type.name === 'Duplicate' && l.outwardIssue?.key === 'CTL-2'));
    t.equal((await control('POST', '/issues/CTL-3/status', { status: 'In Progress' })).status, 204);
    const wf = await control('PUT', '/projects/CTL/workflow', { transitions: [{ name: 'Fail', to: 'Failed', from: ['In Progress'] }, { name: 'Close', to: 'Done' }] });
    t.match(wf.body, [{ id: '11', name: 'Fail' }, { id: '21', name: 'Close' }]);
    const tr = await (await api('/rest/api/3/issue/CTL-3/transitions')).json() as { transitions: { id: string; name: string }[] };
    t.same(tr.transitions.map((x) => x.name), ['Fail', 'Close']);
    t.equal((await api('/rest/api/3/issue/CTL-3/transitions', { method: 'POST', body: JSON.stringify({ transition: { id: '11' } }) })).status, 204);
    t.match((await control('GET', '/issues/CTL-3/transitions')).body, [{ name: 'Fail', from: 'In Progress', to: 'Failed' }]);
    const doc = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'hello' }] }] };
    t.equal((await api('/rest/api/3/issue/CTL-3/comment', { method: 'POST', body: JSON.stringify({ body: doc }) })).status, 201);
    t.match((await control('GET', '/issues/CTL-3/comments')).body, [{ body: doc }]);
  });

  t.test('request log and faults over HTTP', async (t) => {
    t.equal((await control('DELETE', '/requests')).status, 204);
    await api('/rest/api/3/myself?expand=groups');
    const log = (await control('GET', '/requests')).body as unknown as { method: string; path: string; query: Record<string, string>; status: number; seq: number }[];
    t.match(log, [{ method: 'GET', path: '/rest/api/3/myself', query: { expand: 'groups' }, status: 200 }]);
    t.equal(((await control('GET', `/requests?since=${log[0].seq}`)).body as unknown as unknown[]).length, 0);

    t.equal((await control('POST', '/faults/rate-limit', { retryAfter: 0, forRequests: 1 })).status, 204);
    const limited = await api('/rest/api/3/myself');
    t.equal(limited.status, 429);
    t.equal(limited.headers.get('retry-after'), '0');
    t.equal((await control('POST', '/faults/5xx', { status: 502, count: 1 })).status, 204);
    t.equal((await api('/rest/api/3/myself')).status, 502);
    t.equal((await control('POST', '/faults/eventual-consistency', { seconds: 30 })).status, 204);
    await control('PATCH', '/issues/CTL-5', { fields: { summary: 'fresh' } });
    const count = async (jql: string) => ((await (await api('/rest/api/3/search/approximate-count', { method: 'POST', body: JSON.stringify({ jql }) })).json()) as { count: number }).count;
    t.equal(await count('key = CTL-5'), 0, 'the freshly written issue is not searchable yet');
    t.equal(await count('key = CTL-7'), 1, 'an untouched issue is');
    t.equal((await control('POST', '/faults/latency', { ms: 50, path: '/serverInfo' })).status, 204);
    t.equal((await control('POST', '/faults/drop-connections', { count: 1 })).status, 204);
    await t.rejects(api('/rest/api/3/myself'), 'connection dropped');
    t.equal((await control('POST', '/faults/malformed-json', { count: 1 })).status, 204);
    t.rejects((await api('/rest/api/3/myself')).json(), 'malformed');
    const snapshot = (await control('GET', '/faults')).body as { stats: Record<string, number>; eventualConsistencySeconds: number };
    t.match(snapshot, { eventualConsistencySeconds: 30, stats: { rateLimited: 1, failed5xx: 1, dropped: 1, malformed: 1 } });
    t.equal((await control('DELETE', '/faults')).status, 204);
    t.equal((await control('GET', '/faults')).body?.eventualConsistencySeconds, 0);
  });

  t.test('control errors are JSON with a message', async (t) => {
    const r = await control('POST', '/issues', { project: 'NOPE' });
    t.equal(r.status, 400);
    t.match(r.body, { error: /NOPE/ });
    t.equal((await control('GET', '/nonsense')).status, 404);
  });

  t.test('SIGTERM stops the CLI', async (t) => {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    t.equal(code, 0);
  });
});
