/**
 * A hostile mode of the test git server for leak tests, kept apart from the server itself: an
 * `intercept` that refuses pushes with a report-status reason echoing the Authorization header
 * the client sent (as sent, decoded, and its bare value), the way a hook that prints its
 * environment would. Install it with `server.intercept = echoAuthorizationOnPush(...)`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const pkt = (data: Buffer | string) => {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  return Buffer.concat([Buffer.from((b.length + 4).toString(16).padStart(4, '0'), 'latin1'), b]);
};
const FLUSH = Buffer.from('0000', 'latin1');

/** Refuses pushes to repositories whose path contains `pathPart`, echoing the credentials. */
export function echoAuthorizationOnPush(pathPart: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    if (req.method !== 'POST' || !url.pathname.endsWith('/git-receive-pack') || !url.pathname.includes(pathPart)) return false;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const request = Buffer.concat(chunks);
    const first = request.subarray(4, parseInt(request.subarray(0, 4).toString('latin1'), 16)).toString('latin1');
    const ref = first.split('\0')[0].split(' ')[2] ?? 'refs/heads/main';
    const header = req.headers.authorization ?? '(none)';
    const value = header.split(/\s+/, 2)[1] ?? '';
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const report = Buffer.concat([pkt('unpack ok\n'), pkt(`ng ${ref} hook declined: you sent Authorization: ${header}; credentials ${decoded}; value ${value}\n`), FLUSH]);
    const body = first.includes('side-band-64k') ? Buffer.concat([pkt(Buffer.concat([Buffer.from([1]), report])), FLUSH]) : report;
    res.writeHead(200, { 'Content-Type': 'application/x-git-receive-pack-result', 'Cache-Control': 'no-cache' });
    res.end(body);
    return true;
  };
}
