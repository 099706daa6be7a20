/**
 * The few smart-HTTP protocol steps done without isomorphic-git: reading a ref advertisement
 * (one GET, so an unchanged branch needs no fetch) and sending a pack to git-receive-pack. The
 * send is ours because isomorphic-git's push re-reads and re-deflates every object it sends
 * (~8 s for 10,000 files); here the pack already written for the commit goes out as it is.
 */
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { GitAuth } from './destination.ts';
import { GitUnavailableError, httpStatusError } from './errors.ts';
import { basicAuthHeader, type RawResponse, type Transport } from './http.ts';
import { excerpt } from '../observability/redact.ts';

export const ZERO_ID = '0000000000000000000000000000000000000000';

/** A repository as the protocol steps address it. */
export interface Remote {
  transport: Transport;
  url: string;
  auth?: GitAuth;
}

export interface Advertisement {
  refs: Map<string, string>;
  capabilities: Set<string>;
}

/** One pkt-line with its 4-hex-digit length prefix. */
export function pktLine(text: string | Buffer): Buffer {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0'), 'latin1'), body]);
}

export const FLUSH = Buffer.from('0000', 'latin1');

/** Splits a buffer into pkt-line payloads; a flush packet yields null. */
export function* readPktLines(buf: Buffer): Generator<Buffer | null> {
  let i = 0;
  while (i + 4 <= buf.length) {
    const len = Number.parseInt(buf.toString('latin1', i, i + 4), 16);
    if (Number.isNaN(len) || (len > 0 && len < 4) || i + Math.max(len, 4) > buf.length) throw new Error('malformed pkt-line');
    if (len === 0) {
      yield null;
      i += 4;
      continue;
    }
    yield buf.subarray(i + 4, i + len);
    i += len;
  }
}

async function readAll(res: RawResponse, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body as AsyncIterable<Buffer>) {
    chunks.push(c);
    n += c.length;
    if (n > limit) throw new Error('response too large');
  }
  return Buffer.concat(chunks);
}

function authHeaders(remote: Remote): Record<string, string> {
  return remote.auth ? { Authorization: basicAuthHeader(remote.auth) } : {};
}

/** GET info/refs for a service: the remote's refs and capabilities. */
export async function advertisedRefs(remote: Remote, service: 'git-upload-pack' | 'git-receive-pack', signal?: AbortSignal): Promise<Advertisement> {
  const res = await remote.transport.request({
    url: `${remote.url}/info/refs?service=${service}`,
    method: 'GET',
    headers: { ...authHeaders(remote), Accept: `application/x-${service}-advertisement` },
    signal,
  });
  if (res.statusCode !== 200) {
    res.body.resume();
    throw httpStatusError(remote.url, res.statusCode);
  }
  const type = res.headers['content-type'] ?? '';
  const body = await readAll(res);
  if (type !== `application/x-${service}-advertisement`) {
    throw new GitUnavailableError(remote.url, `not a git smart HTTP server (content type ${JSON.stringify(type)})`);
  }
  try {
    return parseAdvertisement(body);
  } catch (err) {
    throw new GitUnavailableError(remote.url, 'malformed ref advertisement', { cause: err });
  }
}

/** Parses the body of an info/refs answer (the "# service=" preamble is optional). */
export function parseAdvertisement(body: Buffer): Advertisement {
  const refs = new Map<string, string>();
  const capabilities = new Set<string>();
  let first = true;
  for (const line of readPktLines(body)) {
    if (line === null) continue;
    let text = line.toString('utf8').replace(/\n$/, '');
    if (text.startsWith('# service=')) continue;
    if (first) {
      const nul = text.indexOf('\0');
      if (nul >= 0) {
        for (const c of text.slice(nul + 1).split(' ')) if (c) capabilities.add(c);
        text = text.slice(0, nul);
      }
      first = false;
    }
    const m = /^([0-9a-f]{40}) (.+)$/.exec(text);
    if (!m) throw new Error(`unexpected advertisement line ${JSON.stringify(text.slice(0, 80))}`);
    if (m[2] !== 'capabilities^{}') refs.set(m[2], m[1]);
  }
  return { refs, capabilities };
}

export interface PushReport {
  /** The server unpacked the pack. */
  unpackOk: boolean;
  unpackError?: string;
  /** ref -> undefined when updated, or the server's reason when not. */
  refs: Map<string, string | undefined>;
}

/**
 * POSTs one ref update with the pack file to git-receive-pack and returns the server's report.
 * The pack goes out as a stream with its length, so memory does not grow with its size.
 */
export async function sendPack(
  remote: Remote,
  update: { ref: string; old: string | undefined; new: string; capabilities: Set<string> },
  pack: { path: string; size: number },
  signal?: AbortSignal,
): Promise<PushReport> {
  const caps = ['report-status', 'side-band-64k', 'quiet', 'agent=jirasync'].filter((c) => c.startsWith('agent=') || update.capabilities.has(c));
  const sideband = caps.includes('side-band-64k');
  const command = Buffer.concat([pktLine(`${update.old ?? ZERO_ID} ${update.new} ${update.ref}\0${caps.join(' ')}\n`), FLUSH]);
  const body = new PassThrough();
  body.write(command);
  createReadStream(pack.path).pipe(body);
  const res = await remote.transport.request({
    url: `${remote.url}/git-receive-pack`,
    method: 'POST',
    headers: {
      ...authHeaders(remote),
      'Content-Type': 'application/x-git-receive-pack-request',
      Accept: 'application/x-git-receive-pack-result',
    },
    body: { stream: body, length: command.length + pack.size },
    signal,
  });
  if (res.statusCode !== 200) {
    res.body.resume();
    throw httpStatusError(remote.url, res.statusCode);
  }
  const raw = await readAll(res);
  try {
    return parseReport(sideband ? demux(raw) : raw);
  } catch (err) {
    throw new GitUnavailableError(remote.url, 'malformed push report', { cause: err });
  }
}

/** The band-1 data of a side-band-64k answer; a band-3 message is the server's fatal error. */
function demux(raw: Buffer): Buffer {
  const data: Buffer[] = [];
  for (const line of readPktLines(raw)) {
    if (line === null || line.length === 0) continue;
    if (line[0] === 1) data.push(line.subarray(1));
    else if (line[0] === 3) throw new Error(`remote error: ${excerpt(line.subarray(1).toString('utf8'))}`);
  }
  return Buffer.concat(data);
}

/** Parses report-status: "unpack ok", then "ok <ref>" or "ng <ref> <reason>" per ref. */
export function parseReport(buf: Buffer): PushReport {
  const report: PushReport = { unpackOk: false, refs: new Map() };
  for (const line of readPktLines(buf)) {
    if (line === null) break;
    const text = line.toString('utf8').replace(/\n$/, '');
    if (text.startsWith('unpack ')) {
      report.unpackOk = text === 'unpack ok';
      if (!report.unpackOk) report.unpackError = text.slice(7);
    } else if (text.startsWith('ok ')) report.refs.set(text.slice(3), undefined);
    else if (text.startsWith('ng ')) {
      const rest = text.slice(3);
      const sp = rest.indexOf(' ');
      report.refs.set(sp < 0 ? rest : rest.slice(0, sp), sp < 0 ? 'rejected' : excerpt(rest.slice(sp + 1)));
    }
  }
  return report;
}
