/**
 * One object as a pack entry: the type/size header and the zlib-deflated content. Shared by the
 * main thread and the deflate worker.
 */
import { deflateSync } from 'node:zlib';

/**
 * zlib level 1 is ~3x faster than git's default and the packs only ~10% larger. Window, hash
 * table and output chunk are sized to the object: zlib's defaults allocate and clear ~300 KiB per
 * call, which dominates the cost of deflating a 500-byte YAML file.
 */
export function zlibOptions(n: number): { level: number; windowBits: number; memLevel: number; chunkSize: number } {
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(n + 262))));
  return { level: 1, windowBits, memLevel: Math.max(1, Math.min(8, windowBits - 7)), chunkSize: Math.min(64 * 1024, Math.max(256, n + 64)) };
}

/** The pack entry for an object of type code (1 commit, 2 tree, 3 blob). */
export function encodeEntry(typeCode: number, content: Uint8Array): Buffer {
  const header: number[] = [];
  let size = content.byteLength;
  let byte = (typeCode << 4) | (size & 0x0f);
  size = Math.floor(size / 16);
  while (size > 0) {
    header.push(byte | 0x80);
    byte = size & 0x7f;
    size = Math.floor(size / 128);
  }
  header.push(byte);
  return Buffer.concat([Buffer.from(header), deflateSync(content, zlibOptions(content.byteLength))]);
}
