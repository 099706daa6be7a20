/**
 * The engine end to end over real HTTP: the Jira emulator behind the jira.js layer, the
 * isomorphic-git writer pushing to git's own http-backend. Every result is checked with the git
 * CLI in a fresh clone.
 */
import t from 'tap';
import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { runSync } from '../../controller/sync/engine.ts';
import { classifyError } from '../../controller/sync/errors.ts';
import { pushChange } from '../git-server/cli.ts';
import { rigSpec, RIG_OWNER, syncRig } from '../fixtures/sync-rig.ts';

const rig = await syncRig(t, {
  timeZone: 'America/New_York',
  projects: [
    { key: 'PROJ', issues: 80 },
    { key: 'INC', issues: 40 },
  ],
});
const { emu } = rig;

/** Every path under dir (files and symlinks, not .git). */
async function walk(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name === '.git') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p, base)));
    else out.push(relative(base, p));
  }
  return out.sort();
}

function keysOf(project: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${project}-${i + 1}`).filter((k) => emu.state.issue(k) !== undefined);
}

const receivePackPosts = () => rig.server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('git-receive-pack')).length;

t.test('a project sync lands one YAML file per issue and symlinks that resolve inside the checkout', async (t) => {
  const repo = await rig.repo({ seed: { 'README.md': 'keep me\n' } });
  const result = await repo.sync(rigSpec('project', { projectKey: 'PROJ' }));
  t.match(result, { added: 80, failedIssues: 0, successfulIssues: 80 });
  t.ok(result.commit);
  const clone = await repo.clone();
  t.equal((await clone.git('rev-parse', 'HEAD')).trim(), result.commit);
  t.equal(await readFile(join(clone.dir, 'README.md'), 'utf8'), 'keep me\n', 'files the sync does not own survive');
  await clone.git('fsck', '--strict', '--no-dangling');

  const paths = await walk(clone.dir);
  const issueFiles = paths.filter((p) => p.startsWith('projects/PROJ/issues/'));
  t.equal(issueFiles.length, 80);
  for (const p of issueFiles) {
    const doc = parse(await readFile(join(clone.dir, p), 'utf8'));
    if (`projects/PROJ/issues/${doc.key}.yaml` !== p) t.fail(`${p} holds ${doc.key}`);
  }

  const links = (await clone.git('ls-tree', '-r', 'HEAD')).split('\n').filter((l) => l.startsWith('120000 '));
  t.ok(links.length > 10, `${links.length} relationship symlinks`);
  const kinds = new Set(links.map((l) => l.split('\t')[1].split('/')[3]));
  t.ok(kinds.has('epic') && kinds.has('subtasks') && kinds.has('blocks'), `kinds: ${[...kinds].join(', ')}`);
  const root = await realpath(clone.dir);
  for (const l of links) {
    const path = l.split('\t')[1];
    t.ok((await lstat(join(clone.dir, path))).isSymbolicLink());
    const resolved = await realpath(join(clone.dir, path)).catch(() => '');
    if (!resolved.startsWith(`${root}/projects/`)) t.fail(`${path} does not resolve inside projects/ (${resolved})`);
    const [, , , , from, to] = path.split('/');
    const target = parse(await readFile(resolved, 'utf8'));
    if (target.key !== to) t.fail(`${path} points at ${target.key}`);
    if (!from) t.fail(`bad path ${path}`);
  }
});

t.test('a second sync with no Jira change makes no commit and no push', async (t) => {
  const repo = await rig.repo();
  await repo.sync(rigSpec('project', { projectKey: 'PROJ' }));
  const tip = await repo.tip();
  const posts = receivePackPosts();
  const again = await repo.sync(rigSpec('project', { projectKey: 'PROJ' }));
  t.equal(again.commit, undefined);
  t.match(again, { added: 0, updated: 0, removed: 0 });
  t.equal(await repo.tip(), tip);
  t.equal(receivePackPosts(), posts, 'nothing was sent to git-receive-pack');
});

t.test('single, batch, JQL and epic targets each store exactly their issues', async (t) => {
  const all = keysOf('PROJ', 80);
  const stored = async (repo: Awaited<ReturnType<typeof rig.repo>>) =>
    (await walk((await repo.clone()).dir)).filter((p) => p.includes('/issues/')).map((p) => p.slice(p.lastIndexOf('/') + 1, -5)).sort();

  const single = await rig.repo();
  await single.sync(rigSpec('single', { issueKeys: ['PROJ-5'] }));
  t.same(await stored(single), ['PROJ-5']);

  const batch = await rig.repo();
  const b = await batch.sync(rigSpec('batch', { issueKeys: ['PROJ-3', 'PROJ-9', 'PROJ-999'] }));
  t.same(await stored(batch), ['PROJ-3', 'PROJ-9']);
  t.match(b, { failedIssues: 1, failures: [{ key: 'PROJ-999' }] });

  const labelCounts = new Map<string, number>();
  for (const k of all) for (const l of emu.state.issue(k)?.labels ?? []) labelCounts.set(l, (labelCounts.get(l) ?? 0) + 1);
  const [label] = [...labelCounts.entries()].sort((a, b) => b[1] - a[1])[0];
  const jql = await rig.repo();
  await jql.sync(rigSpec('jql', { jqlQuery: `project = PROJ AND labels = "${label}" ORDER BY key` }));
  t.same(await stored(jql), all.filter((k) => emu.state.issue(k)?.labels.includes(label)).sort());

  const epic = await rig.repo();
  await epic.sync(rigSpec('epic', { epicKey: 'PROJ-1' }));
  const children = all.filter((k) => emu.state.issue(k)?.epic === 'PROJ-1' || emu.state.issue(k)?.parent === 'PROJ-1');
  const subtasks = all.filter((k) => children.includes(emu.state.issue(k)?.parent ?? ''));
  t.ok(children.length > 0, 'the generated epic has children');
  t.same(await stored(epic), ['PROJ-1', ...children, ...subtasks].sort());
});

t.test('an incremental sync fetches only what changed; a deletion scan removes deleted issues and their symlinks', async (t) => {
  const repo = await rig.repo();
  const spec = rigSpec('incremental', { projectKey: 'INC' });
  const first = await repo.sync(spec);
  t.match(first, { added: 40, fullScan: true });
  t.ok(first.cursor);

  emu.state.updateIssue('INC-4', { summary: 'Changed four' });
  emu.state.updateIssue('INC-11', { labels: ['changed'] });
  const inc = await repo.sync(spec);
  t.match(inc, { updated: 2, added: 0, removed: 0, fullScan: false });
  t.ok(inc.requests <= 3, `${inc.requests} Jira requests`);
  const clone = await repo.clone();
  const touched = (await clone.git('show', '--name-only', '--format=', 'HEAD')).trim().split('\n').sort();
  t.same(touched, ['.jirasync/state.json', 'projects/INC/issues/INC-11.yaml', 'projects/INC/issues/INC-4.yaml']);
  t.equal(parse(await readFile(join(clone.dir, 'projects/INC/issues/INC-4.yaml'), 'utf8')).summary, 'Changed four');

  const noop = await repo.sync(spec);
  t.equal(noop.commit, undefined);
  t.ok(noop.requests <= 2, `${noop.requests} Jira requests on a no-op`);

  // Delete an issue that other issues link to, so symlinks must go with it.
  const before = (await clone.git('ls-tree', '-r', '--name-only', 'HEAD')).split('\n');
  const victim = keysOf('INC', 40).find((k) => before.some((p) => p.includes('/relationships/') && p.endsWith(`/${k}`))) ?? 'INC-2';
  const existing = keysOf('INC', 40);
  emu.state.deleteIssue(victim);
  const gone = existing.filter((k) => !emu.state.issue(k)); // Jira deletes a parent's sub-tasks with it
  const quiet = await repo.sync(spec);
  t.equal(quiet.removed, 0, 'an updated-since query cannot see a deletion');
  const scan = await repo.sync(spec, { fullScan: true });
  t.match(scan, { removed: gone.length, fullScan: true });
  const after = await repo.clone();
  const paths = await walk(after.dir);
  for (const k of gone) t.notOk(paths.some((p) => p.split('/').some((part) => part === k || part === `${k}.yaml`)), `nothing named ${k} remains`);
  for (const p of paths.filter((x) => x.includes('/relationships/'))) {
    if (!(await realpath(join(after.dir, p)).catch(() => false))) t.fail(`dangling symlink ${p}`);
  }
});

t.test('hostile text survives Jira, YAML and git byte for byte', async (t) => {
  emu.state.addProject('HOST', 0);
  const hostile = [
    'key: value # not a comment', '  leading and trailing  ', "'single' and \"double\" quotes", '- looks like a list', '? looks like a key',
    'multi\nline\n  indented\n\nblank', 'null', 'yes', '0x1F', '~', '---', '@at `tick` %pct !bang &amp *star |pipe >gt',
    'Привет, мир — 日本語 — عربى', 'emoji 😀👩‍👩‍👧 🇺🇦', 'tab\tinside', 'bell\u0007 and nul\u0000 and del\u007f', 'bom\ufeff and nel\u0085 and ls\u2028',
  ];
  const keys = hostile.map((s) =>
    emu.state.createIssue('HOST', {
      summary: s,
      labels: ['hostile'],
      description: { type: 'doc', version: 1, content: [{ type: 'codeBlock', content: [{ type: 'text', text: s }] }] },
    }),
  );
  const repo = await rig.repo();
  const result = await repo.sync(rigSpec('project', { projectKey: 'HOST' }));
  t.match(result, { added: hostile.length, failedIssues: 0 });
  const clone = await repo.clone();
  for (const [i, key] of keys.entries()) {
    const doc = parse(await readFile(join(clone.dir, `projects/HOST/issues/${key}.yaml`), 'utf8'), { version: '1.2' });
    // Messages name the case by index: raw U+2028 in a TAP line would break the TAP stream itself.
    t.equal(doc.summary, hostile[i], `summary of hostile string #${i}`);
    const code = String(doc.description).split('\n');
    t.equal(code.slice(1, -1).join('\n'), hostile[i], `code block of hostile string #${i}`);
  }
  const again = await repo.sync(rigSpec('project', { projectKey: 'HOST' }));
  t.equal(again.commit, undefined, 'and render byte-identically the second time');
});

t.test('a cancelled sync leaves the remote untouched, and the next sync completes', async (t) => {
  const repo = await rig.repo();
  const ac = new AbortController();
  const tip = await repo.tip();
  const err = await repo
    .sync(rigSpec('project', { projectKey: 'PROJ' }), {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.operation === 'fetch-issues' && p.processedIssues > 0) ac.abort(new DOMException('cancelled by test', 'AbortError'));
      },
    })
    .catch((e: unknown) => e);
  t.equal((err as Error).name, 'AbortError');
  t.equal(await repo.tip(), tip, 'no commit reached the remote');
  const ok = await repo.sync(rigSpec('project', { projectKey: 'PROJ' }));
  t.match(ok, { added: 80 });
});

t.test('a push by another writer during a sync is kept and the sync lands on top of it', async (t) => {
  const repo = await rig.repo({ seed: { 'README.md': 'v1\n' } });
  const checkout = await rig.destination.open(repo.target);
  await pushChange(rig.server, repo.url, { branch: 'main', files: { 'README.md': 'v2 from someone else\n' } });
  const result = await runSync(
    { owner: RIG_OWNER, spec: { ...rigSpec('single', { issueKeys: ['PROJ-2'] }), destination: { repository: repo.url } } },
    { source: rig.source, checkout },
    () => {},
  );
  t.ok(result.commit);
  const clone = await repo.clone();
  t.equal(await readFile(join(clone.dir, 'README.md'), 'utf8'), 'v2 from someone else\n');
  t.ok((await lstat(join(clone.dir, 'projects/PROJ/issues/PROJ-2.yaml'))).isFile());
  t.equal((await clone.git('log', '--format=%s', '-1')).trim(), 'chore(jirasync): sync PROJ-2 — 1 added, 0 updated, 0 removed');
});

t.test('an epic child deleted between the epic\'s two queries is transient: the queries are made again', async (t) => {
  const all = keysOf('PROJ', 80);
  const childrenOf = (epic: string) => all.filter((k) => emu.state.issue(k) !== undefined && emu.state.issue(k)?.epic === epic);
  const epics = [...new Set(all.map((k) => emu.state.issue(k)?.epic).filter((e): e is string => e !== undefined && e !== 'PROJ-1'))];
  const [epicKey] = epics.sort((a, b) => childrenOf(b).length - childrenOf(a).length);
  t.ok(childrenOf(epicKey).length >= 4, `${epicKey} has ${childrenOf(epicKey).length} children`);

  /** The rig's source, deleting a child of the epic right after each of the first `times` child listings. */
  const racing = (times: number) => {
    let listings = 0;
    let subtaskQueries = 0;
    const source: typeof rig.source = Object.create(rig.source);
    source.enumerate = async function* (jql, signal, opts) {
      yield* rig.source.enumerate(jql, signal, opts);
      if (jql.startsWith('parent = ') && listings++ < times) emu.state.deleteIssue(childrenOf(epicKey)[0]);
      if (jql.startsWith('parent in ')) subtaskQueries++;
    };
    return { source, listings: () => listings, subtaskQueries: () => subtaskQueries };
  };

  const once = racing(1);
  const repo = await rig.repo();
  const result = await repo.sync(rigSpec('epic', { epicKey }), { source: once.source });
  t.equal(once.listings(), 2, 'the children were listed again after Jira refused the sub-task query');
  const stored = (await walk((await repo.clone()).dir)).filter((p) => p.includes('/issues/')).map((p) => p.slice(p.lastIndexOf('/') + 1, -5));
  t.same(stored.sort(), [epicKey, ...childrenOf(epicKey), ...all.filter((k) => childrenOf(epicKey).includes(emu.state.issue(k)?.parent ?? ''))].sort(),
    'the epic as Jira holds it after the deletion');
  t.equal(result.failedIssues, 0);

  const always = racing(Infinity);
  const err = await (await rig.repo()).sync(rigSpec('epic', { epicKey }), { source: always.source }).catch((e: unknown) => e);
  t.match((err as Error).message, new RegExp(`epic ${epicKey} kept changing while its children were read`));
  t.match(classifyError(err), { reason: 'SyncFailed', kind: 'retryable' }, 'retried per retryPolicy, not a stall');
  t.equal(always.listings(), 3, 'three attempts, then the run fails');
});

t.test('link types named like .git in any spelling stay safe: git fsck --strict is clean and every symlink resolves', async (t) => {
  // A Jira admin may name a link type anything; these are the spellings git refuses somewhere.
  const hostile = [
    ['Dotgit', '.git', 'is .git of'],
    ['Shortname', 'GIT~1', 'git~1 of'],
    ['Ntfs', '.git. ', '.git::$INDEX_ALLOCATION'],
    ['Hfs', '.g\u200cit', '\u200d.GIT\ufeff'],
    ['Dots', '..', '../../escape'],
    ['Slashy', 'a/../../b', 'back\\slash'],
  ] as const;
  for (const [name, outward, inward] of hostile) {
    emu.state.defineLinkType(name, outward, inward);
    emu.state.addLink('PROJ-10', name, 'PROJ-11');
  }
  const repo = await rig.repo();
  const result = await repo.sync(rigSpec('batch', { issueKeys: ['PROJ-10', 'PROJ-11'] }));
  t.match(result, { successfulIssues: 2, failedIssues: 0 });
  const clone = await repo.clone();
  await clone.git('fsck', '--strict', '--no-dangling');
  const tree = (await clone.git('ls-tree', '-r', '-z', '--name-only', 'HEAD')).split('\0').filter(Boolean);
  const unsafe = tree.filter((p) => p.split('/').some((c) => /^\.git|^git~\d|\u200c|\u200d|\ufeff|^\.\.?$|\\/i.test(c)));
  t.same(unsafe, [], 'no path component git or a file system would fold into .git, and no dot or backslash names');
  const kinds = [...new Set(tree.filter((p) => p.includes('/relationships/')).map((p) => p.split('/')[3]))].sort();
  t.comment(`relationship kinds: ${kinds.join(', ')}`);
  // .git and its zero-width look-alike are the same safe name; the others stay apart.
  t.ok(kinds.length >= hostile.length - 1, `the hostile types kept as safe kinds (${kinds.length})`);
  const root = await realpath(clone.dir);
  for (const p of tree.filter((x) => x.includes('/relationships/'))) {
    const resolved = await realpath(join(clone.dir, p)).catch(() => '');
    if (!resolved.startsWith(`${root}/projects/PROJ/issues/`)) t.fail(`${p} does not resolve to an issue file (${resolved})`);
  }
});
