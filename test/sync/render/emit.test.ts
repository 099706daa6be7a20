import t from 'tap';
import { parse } from 'yaml';
import { emitYaml } from '../../../controller/sync/render/emit.ts';

const scalarCases: { name: string; value: string; text: string }[] = [
  { name: 'a plain word stays plain', value: 'hello world', text: 'v: hello world\n' },
  { name: "Jira's timestamps stay plain", value: '2024-01-02T10:00:00.000+0000', text: 'v: 2024-01-02T10:00:00.000+0000\n' },
  { name: 'a date alone is quoted (YAML 1.1 would read a date)', value: '2024-01-02', text: 'v: "2024-01-02"\n' },
  { name: 'yes is quoted (YAML 1.1 would read a boolean)', value: 'yes', text: 'v: "yes"\n' },
  { name: 'null is quoted', value: 'null', text: 'v: "null"\n' },
  { name: 'a number-like string is quoted', value: '010', text: 'v: "010"\n' },
  { name: 'a sexagesimal-looking string is quoted', value: '1:20', text: 'v: "1:20"\n' },
  { name: 'colon-space is quoted', value: 'a: b', text: 'v: "a: b"\n' },
  { name: 'a comment marker is quoted', value: 'a #b', text: 'v: "a #b"\n' },
  { name: 'multi-line text is a literal block, stripped', value: 'one\n  two', text: 'v: |-\n  one\n    two\n' },
  { name: 'one final newline is clipped', value: 'one\ntwo\n', text: 'v: |\n  one\n  two\n' },
  { name: 'several final newlines are kept', value: 'one\n\n', text: 'v: |+\n  one\n\n' },
  { name: 'multi-line text starting with a space is quoted', value: ' one\ntwo', text: 'v: " one\\ntwo"\n' },
  { name: 'control characters are escaped', value: 'a\u0000b\u007fc\u0085d\u2028e\ufeff', text: 'v: "a\\u0000b\\u007fc\\u0085d\\u2028e\\ufeff"\n' },
];
for (const c of scalarCases) {
  t.test(c.name, async (t) => {
    const text = emitYaml({ v: c.value });
    t.equal(text, c.text);
    t.equal(parse(text ?? '', { version: '1.2' }).v, c.value, 'YAML 1.2 reads it back');
    t.equal(String(parse(text ?? '', { version: '1.1' }).v), c.value, 'YAML 1.1 reads the same string');
  });
}

t.test('nested collections use block style with compact sequence items', async (t) => {
  const value = { a: [1, 'x', { k: 'v', l: [true, null] }, [], {}, [['deep']]], b: {}, c: [] };
  const text = emitYaml(value) ?? '';
  t.equal(text, 'a:\n  - 1\n  - x\n  - k: v\n    l:\n      - true\n      - null\n  - []\n  - {}\n  - - - deep\nb: {}\nc: []\n');
  t.same(parse(text), value);
});

t.test('a key longer than YAML allows for implicit keys is declined', async (t) => {
  t.equal(emitYaml({ ['k'.repeat(1001)]: 1 }), undefined);
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32);
}

t.test('random nested data reads back equal under YAML 1.2', async (t) => {
  const next = rng(7);
  const pool = ['a', ' ', '\n', ':', '#', '-', "'", '"', '|', '\t', '0', '1', '.', 'e', 'y', 'é', '😀', '\u0001', '\u0085', '\u2028', '\ufeff'];
  const str = () => Array.from({ length: Math.floor(next() * 12) }, () => pool[Math.floor(next() * pool.length)]).join('');
  const gen = (depth: number): unknown => {
    const r = next();
    if (depth > 3 || r < 0.4) return [null, true, false, 0, -1.5, 1e21, str(), str(), str()][Math.floor(next() * 9)];
    if (r < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => gen(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [str(), gen(depth + 1)]));
  };
  for (let i = 0; i < 500; i++) {
    const value = { root: gen(0) };
    const text = emitYaml(value) ?? '';
    const back = parse(text, { version: '1.2', uniqueKeys: false });
    if (JSON.stringify(back) !== JSON.stringify(value)) {
      t.fail('round trip changed the data', { value: JSON.stringify(value), text });
      return;
    }
  }
  t.pass('500 random documents round-tripped');
});
