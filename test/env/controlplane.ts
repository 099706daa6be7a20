/**
 * A real Kubernetes control plane for tests and the sandbox: etcd plus kube-apiserver, both on
 * 127.0.0.1 with free ports, served with RBAC, a service-account issuer (so TokenRequest and
 * TokenReview work) and a static admin token. No controller-manager runs, so namespaces never
 * finish deleting and no ServiceAccount is created for you: tests create what they need.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.ts';
import { testBinaries } from './testbin.ts';

export interface ControlPlaneInfo {
  /** https://127.0.0.1:PORT */
  server: string;
  /** A kubeconfig whose current context is the admin (system:masters) user. */
  kubeconfigPath: string;
  /** The admin bearer token written into the kubeconfig. */
  adminToken: string;
  /** Folder with data, certificates and the two processes' logs. */
  dir: string;
}

export interface ControlPlane extends ControlPlaneInfo {
  /** Stops the API server only and starts it again on the same port (etcd keeps the data). */
  restartApiServer(): Promise<void>;
  /** Stops both processes; removes the folder unless it was given or `keep` was set. */
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Folder to keep state in; a temporary one by default. Data in it survives a restart. */
  dir?: string;
  /** Keep the folder when stopping. */
  keep?: boolean;
  /** Called with progress lines (what is starting, how long it took). */
  log?: (line: string) => void;
}

interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
}

/** Starts etcd and kube-apiserver and waits until the API server is ready. */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const bins = testBinaries();
  const log = opts.log ?? (() => {});
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'jirasync-cp-')));
  mkdirSync(join(dir, 'pki'), { recursive: true });
  const statePath = join(dir, 'state.json');
  const saved = existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as { adminToken: string }) : undefined;
  const adminToken = saved?.adminToken ?? randomBytes(24).toString('hex');
  writeFileSync(statePath, JSON.stringify({ adminToken }), { mode: 0o600 });
  const ports: Ports = { etcdClient: await freePort(), etcdPeer: await freePort(), apiserver: await freePort() };

  const saKey = join(dir, 'pki', 'sa.key');
  const saPub = join(dir, 'pki', 'sa.pub');
  if (!existsSync(saKey)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(saKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(saPub, publicKey.export({ type: 'spki', format: 'pem' }));
  }
  const tokens = join(dir, 'pki', 'tokens.csv');
  writeFileSync(tokens, `${adminToken},jirasync-admin,jirasync-admin,"system:masters"\n`, { mode: 0o600 });

  const t0 = Date.now();
  const etcd = startProcess(bins.ETCD, [
    '--name=default',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${ports.etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${ports.etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
    `--initial-cluster=default=http://127.0.0.1:${ports.etcdPeer}`,
    // Test data only: skipping fsync makes the control plane several times faster on small disks.
    '--unsafe-no-fsync',
    '--quota-backend-bytes=4294967296',
    '--log-level=warn',
  ], join(dir, 'etcd.log'));
  await waitFor(`http://127.0.0.1:${ports.etcdClient}/health`, {}, etcd, 'etcd', 30_000);
  log(`etcd ready on 127.0.0.1:${ports.etcdClient} in ${Date.now() - t0} ms`);

  const server = `https://127.0.0.1:${ports.apiserver}`;
  const apiArgs = [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiserver}`,
    `--cert-dir=${join(dir, 'pki')}`,
    '--authorization-mode=RBAC',
    `--token-auth-file=${tokens}`,
    `--service-account-issuer=${server}`,
    `--service-account-key-file=${saPub}`,
    `--service-account-signing-key-file=${saKey}`,
    '--api-audiences=https://kubernetes.default.svc',
    '--service-cluster-ip-range=10.96.0.0/24',
    '--allow-privileged=true',
    // Nothing would serve them, and they slow every start.
    '--disable-admission-plugins=ServiceAccount',
    '--enable-priority-and-fairness=false',
    '--watch-cache=true',
    '--v=0',
  ];
  let apiserver = startProcess(bins.KUBE_APISERVER, apiArgs, join(dir, 'apiserver.log'));
  const authz = { authorization: `Bearer ${adminToken}` };
  await waitFor(`${server}/readyz`, authz, apiserver, 'kube-apiserver', 60_000);
  log(`kube-apiserver ready at ${server} in ${Date.now() - t0} ms`);

  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig(server, adminToken, readCa(dir)), { mode: 0o600 });

  let stopped = false;
  const onExit = () => {
    apiserver.kill('SIGKILL');
    etcd.kill('SIGKILL');
  };
  process.once('exit', onExit);

  return {
    server,
    kubeconfigPath,
    adminToken,
    dir,
    async restartApiServer() {
      await stopProcess(apiserver);
      apiserver = startProcess(bins.KUBE_APISERVER, apiArgs, join(dir, 'apiserver.log'));
      await waitFor(`${server}/readyz`, authz, apiserver, 'kube-apiserver', 60_000);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      await stopProcess(apiserver);
      await stopProcess(etcd);
      if (!opts.dir && !opts.keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function startProcess(bin: string, args: string[], logPath: string): ChildProcess {
  const out = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Polls a health URL until it answers 200; fails early if the process dies. */
async function waitFor(url: string, headers: Record<string, string>, child: ChildProcess, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}; see its log`);
    try {
      const res = await insecureFetch(url, headers);
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${what} not ready at ${url} after ${timeoutMs} ms (${last})`);
}

/** GET against the API server's self-signed certificate before we have read its CA. */
async function insecureFetch(url: string, headers: Record<string, string>): Promise<{ status: number }> {
  const request = url.startsWith('https') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The self-signed serving certificate the API server generated in --cert-dir is its own CA. */
function readCa(dir: string): string {
  return readFileSync(join(dir, 'pki', 'apiserver.crt')).toString('base64');
}

function kubeconfig(server: string, token: string, caData: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: jirasync-test
  cluster:
    server: ${server}
    certificate-authority-data: ${caData}
users:
- name: jirasync-admin
  user:
    token: ${token}
contexts:
- name: jirasync-test
  context:
    cluster: jirasync-test
    user: jirasync-admin
    namespace: default
current-context: jirasync-test
`;
}
