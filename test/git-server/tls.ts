/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1/localhost, made with
 * the openssl CLI. JIRASync only accepts https:// repositories, so the test git server speaks TLS
 * and clients trust it through the CA PEM (GitTarget.caCertificates, GIT_SSL_CAINFO).
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestTls {
  caPem: string;
  caFile: string;
  keyPem: string;
  certPem: string;
}

/** Writes ca.pem, server.key and server.pem into dir and returns them. EC keys keep this fast. */
export async function makeTestTls(dir: string): Promise<TestTls> {
  const p = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    await run('openssl', [
      'req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2',
      '-subj', '/CN=jirasync test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await run('openssl', ['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1']);
    await writeFile(
      p('server.ext'),
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '',
      ].join('\n'),
    );
    await run('openssl', [
      'x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
      '-out', p('server.pem'), '-days', '2', '-extfile', p('server.ext'),
    ]);
  } catch (err) {
    throw new Error(`test git server: creating TLS certificates with openssl failed`, { cause: err });
  }
  const [caPem, keyPem, certPem] = await Promise.all([
    readFile(p('ca.pem'), 'utf8'),
    readFile(p('server.key'), 'utf8'),
    readFile(p('server.pem'), 'utf8'),
  ]);
  return { caPem, caFile: p('ca.pem'), keyPem, certPem };
}
