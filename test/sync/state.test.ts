import t from 'tap';
import { StallingError } from '../../controller/sync/errors.ts';
import { FORMAT_VERSION } from '../../controller/api/fingerprint.ts';
import { checkOwnership, parseState, serializeState } from '../../controller/sync/state.ts';

const state = { formatVersion: FORMAT_VERSION, owner: 'ns/a', syncType: 'incremental' as const, scopeHash: 'abc', cursor: '2024-01-01T00:00:00.000Z', lastFullScanTime: '2024-01-01T01:00:00.000Z' };

t.test('state survives serialisation and reads back equal', async (t) => {
  t.same(parseState(serializeState(state)), state);
});

t.test('serialisation is byte-identical whatever the key order of the input', async (t) => {
  const shuffled = { lastFullScanTime: state.lastFullScanTime, cursor: state.cursor, scopeHash: 'abc', syncType: 'incremental' as const, owner: 'ns/a', formatVersion: FORMAT_VERSION };
  t.equal(serializeState(shuffled), serializeState(state));
});

t.test('an unreadable or foreign file is treated as no state', async (t) => {
  t.equal(parseState(undefined), undefined);
  t.equal(parseState('{not json'), undefined);
  t.equal(parseState('{"hello":1}'), undefined);
});

t.test('a path owned by another JIRASync is a stalling error naming the owner', async (t) => {
  t.throws(() => checkOwnership({ ...state, owner: 'ns/other' }, 'ns/a', '/'), StallingError);
  t.throws(() => checkOwnership({ ...state, owner: 'ns/other' }, 'ns/a', '/'), /destination path already used by ns\/other/);
  t.doesNotThrow(() => checkOwnership(state, 'ns/a', '/'));
  t.doesNotThrow(() => checkOwnership(undefined, 'ns/a', '/'));
});

t.test('a state file from a newer format is refused', async (t) => {
  t.throws(() => checkOwnership({ ...state, formatVersion: FORMAT_VERSION + 1 }, 'ns/a', '/'), /newer jirasync/);
});
