import t from 'tap';
import { leaseNameFor, servedBy, shardFrom, shardOf, shardSelector, SHARD_LABEL } from '../../controller/api/shard.ts';
import { loadConfig } from '../../controller/config.ts';

const label = (v?: string): Record<string, string> => (v === undefined ? {} : { [SHARD_LABEL]: v });

t.test('a named shard selects exactly its label; the default shard everything else', async (t) => {
  const a = shardFrom('a', []);
  const def = shardFrom(undefined, ['a', 'b']);
  t.equal(shardSelector(a), 'sync.jira.io/shard=a');
  t.equal(shardSelector(def), 'sync.jira.io/shard notin (a,b)');
  t.equal(shardSelector(shardFrom('', [])), undefined, 'no shards: no selector, every JIRASync');
  t.ok(servedBy(label('a'), a));
  t.notOk(servedBy(label('b'), a));
  t.notOk(servedBy(label(), a));
  t.notOk(servedBy(label('a'), def));
  t.ok(servedBy(label(), def), 'unlabelled: default');
  t.ok(servedBy(label('typo'), def), 'a shard that is not configured: default, never unserved');
  t.ok(servedBy(label('default'), def));
  t.equal(shardOf(label('typo'), def), 'default');
  t.equal(shardOf(label('b'), def), 'b');
});

t.test('each shard has its own Lease; the default keeps the configured name', async (t) => {
  t.equal(leaseNameFor('jirasync-leader', shardFrom(undefined, ['a'])), 'jirasync-leader');
  t.equal(leaseNameFor('jirasync-leader', shardFrom('a', [])), 'jirasync-leader-a');
  t.equal(loadConfig({ SHARD: 'east', LEASE_NAME: 'js' }).leaseName, 'js-east');
  t.same(loadConfig({ SHARDS: 'b, a,a' }).shard, { name: 'default', named: ['a', 'b'] });
});

t.test('bad shard names are refused at start, naming the setting', async (t) => {
  t.throws(() => loadConfig({ SHARD: 'East_1' }), /SHARD must be a DNS label/);
  t.throws(() => loadConfig({ SHARDS: 'a,default' }), /SHARDS must list DNS labels other than "default"/);
  t.throws(() => loadConfig({ SHARDS: 'a b' }), /SHARDS must list DNS labels/);
});
