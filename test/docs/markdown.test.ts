/** The README sample comparison: what counts as the same output and what does not. */
import t from 'tap';
import { sampleDifferences, shape, toolSamples } from './markdown.ts';

const readme = [
  'text',
  '<!-- sample: sandbox; while: scripts/sync-now.sh -n demo jql -->',
  '```console',
  '$ scripts/watch-conditions.sh -n demo jql --timeout 10s',
  'Conditions of JIRASync demo/jql',
  '  Ready        True     Succeeded   2026-11-23T11:16:26Z  Synced 101 issues (no changes)',
  '11:16:31  Ready  True → False  SyncInProgress  Sync 0% complete',
  '11:16:32  Ready  False → True  Succeeded  Synced 101 issues (no changes)',
  '# exit 0',
  '```',
].join('\n');

const [sample] = toolSamples(readme);

t.test('a sample is its command, the command run meanwhile, its output and exit status', async (t) => {
  t.match(sample, { line: 3, command: 'scripts/watch-conditions.sh -n demo jql --timeout 10s', while: 'scripts/sync-now.sh -n demo jql', exitCode: 0 });
  t.equal(sample.output.length, 4);
  t.throws(() => toolSamples('<!-- sample: sandbox -->\n```console\nno prompt\n```\n'), /"\$ command", its output, then "# exit N"/);
});

t.test('times, durations, counts and replica ids do not matter; words and layout do', async (t) => {
  t.equal(shape('demo  jql  Healthy  Completed  0  Completed; last success 18s ago'), shape('demo jql Healthy Completed 3 Completed; last success 1h 2m ago'));
  t.equal(shape('controller-a_73343de889e8 (renewed 2s ago)'), shape('controller-b_0a1b2c3d4e5f (renewed 14s ago)'));
  t.not(shape('demo jql Healthy Completed'), shape('demo jql Degraded Completed'));
});

t.test('the same run matches; a changed, missing or extra line, a different end or exit status does not', async (t) => {
  const run = [
    'Conditions of JIRASync demo/jql',
    '  Ready   True   Succeeded  2026-12-01T00:00:00Z  Synced 7 issues (no changes)',
    '09:00:01  Ready  True → False  SyncInProgress  Sync 0% complete',
    '09:00:02  Processing  False → True  SyncActive  Running resolve-target',
    '09:00:03  Ready  False → True  Succeeded  Synced 7 issues (no changes)',
  ].join('\n');
  t.same(sampleDifferences(sample, run, 0), [], 'stream lines in between may differ');
  t.match(sampleDifferences(sample, run, 1), ['exit status 1, the README shows 0']);
  t.match(sampleDifferences(sample, run.replace('Conditions of', 'Conditions for'), 0), [/missing from the real output: Conditions of/, /not in the README: Conditions for/]);
  t.match(sampleDifferences(sample, `${run}\nSummary: something new`, 0), [/not in the README: Summary: something new/]);
  t.match(sampleDifferences(sample, run.split('\n').slice(0, -1).join('\n'), 0), [/last streamed line/]);
});
