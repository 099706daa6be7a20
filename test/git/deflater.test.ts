import t from 'tap';
import { crc32, inflateSync } from 'node:zlib';
import { Deflater } from '../../controller/git/pack/deflater.ts';
import { encodeEntry } from '../../controller/git/entry.ts';

/** The content of a pack entry: skip the type/size header (bytes with the high bit set, then one). */
function inflateEntry(entry: Buffer): Buffer {
  let i = 0;
  while (entry[i] & 0x80) i++;
  return inflateSync(entry.subarray(i + 1));
}

t.test('the worker (plain JavaScript, no type stripping) returns the entries inline deflation makes, in order', async (t) => {
  const deflater = Deflater.create();
  if (!deflater) throw new Error('no worker');
  t.teardown(() => deflater.close());
  const objects = Array.from({ length: 1500 }, (_, i) => Buffer.from(`key: P-${i}\n${'x'.repeat(i % 3 === 0 ? 5000 : i)}\n`));
  // One object larger than a batch goes alone in a batch of its own size.
  objects.push(Buffer.alloc(3 << 20, 'y'));
  const got: { entry: Buffer; crc: number }[] = [];
  for (const content of objects) {
    deflater.push(3, content, (entry, crc) => got.push({ entry: Buffer.from(entry), crc }));
    content.fill(0); // the caller may reuse its buffer at once
    await deflater.drain(4 << 20);
  }
  await deflater.flush();
  t.equal(got.length, objects.length);
  const again = Array.from({ length: 1500 }, (_, i) => Buffer.from(`key: P-${i}\n${'x'.repeat(i % 3 === 0 ? 5000 : i)}\n`));
  again.push(Buffer.alloc(3 << 20, 'y'));
  const bad = got.findIndex((g, i) => !inflateEntry(g.entry).equals(again[i]) || g.crc !== crc32(g.entry) || !g.entry.equals(encodeEntry(3, again[i])));
  t.equal(bad, -1, 'every entry inflates to its object, with its CRC, byte for byte as inline');
});
