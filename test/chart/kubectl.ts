/**
 * kubectl against the test control plane: `auth can-i` with impersonation for the RBAC proofs and
 * a listing of every object in some namespaces for the uninstall-residue check.
 */
import { spawn } from 'node:child_process';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with the kubeconfig; never throws for a non-zero exit. */
export function kubectl(kubeconfigPath: string, args: string[]): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfigPath, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(new Error(`kubectl ${args[0]}: could not start kubectl`, { cause: err })));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs kubectl and returns stdout; throws with stderr on a non-zero exit. */
export async function kubectlOk(kubeconfigPath: string, args: string[]): Promise<string> {
  const res = await kubectl(kubeconfigPath, args);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${res.stderr.trim()}`);
  return res.stdout;
}

/** One question for `kubectl auth can-i`. */
export interface AccessCheck {
  verb: string;
  /** resource[.group][/name], as kubectl auth can-i takes it. */
  resource: string;
  subresource?: string;
  /** Omitted: a cluster-wide question (all namespaces for namespaced resources). */
  namespace?: string;
}

/** Asks the API server whether the user (impersonated) may do it: a SelfSubjectAccessReview as that user. */
export async function canI(kubeconfigPath: string, user: string, check: AccessCheck): Promise<boolean> {
  const args = ['auth', 'can-i', check.verb, check.resource, `--as=${user}`];
  if (check.subresource) args.push(`--subresource=${check.subresource}`);
  args.push(...(check.namespace ? ['-n', check.namespace] : ['--all-namespaces']));
  const res = await kubectl(kubeconfigPath, args);
  if (res.stdout.trim() === 'yes') return true;
  if (res.stdout.trim() === 'no') return false;
  throw new Error(`kubectl ${args.join(' ')}: unexpected answer: ${res.stdout} ${res.stderr}`);
}

const typeCache = new Map<string, Promise<string[]>>();

/** The resource types that can be listed, namespaced or cluster-scoped (asked once per process). */
export function listableTypes(kubeconfigPath: string, namespaced: boolean): Promise<string[]> {
  const key = `${kubeconfigPath} ${namespaced}`;
  let types = typeCache.get(key);
  if (!types) {
    types = kubectlOk(kubeconfigPath, ['api-resources', '--verbs=list', `--namespaced=${namespaced}`, '-o', 'name']).then((out) =>
      out.split('\n').map((l) => l.trim()).filter(Boolean),
    );
    typeCache.set(key, types);
  }
  return types;
}

/** A compact identity of an object: "kind group/namespace/name". */
export type ObjectKey = string;

interface Listed {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}

/**
 * Every object of every listable type in the namespaces, plus the cluster-scoped objects the filter
 * keeps (the cluster is shared with other test files, so cluster-scoped objects are filtered).
 * Events are left out: they are the API server's history of what happened to the release's
 * objects (one about the Deployment can be written while it is being deleted), never part of a
 * release, and expire on their own.
 */
export async function objectsIn(
  kubeconfigPath: string,
  namespaces: string[],
  keepClusterObject: (o: Listed) => boolean,
): Promise<ObjectKey[]> {
  const keys: ObjectKey[] = [];
  const key = (o: Listed) => `${o.kind} ${o.apiVersion.split('/').slice(0, -1).join('/')}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const nsTypes = (await listableTypes(kubeconfigPath, true)).join(',');
  for (const ns of namespaces) {
    const out = await kubectlOk(kubeconfigPath, ['get', nsTypes, '-n', ns, '-o', 'json']);
    for (const o of (JSON.parse(out) as { items: Listed[] }).items) if (o.kind !== 'Event') keys.push(key(o));
  }
  const clusterTypes = (await listableTypes(kubeconfigPath, false)).join(',');
  const out = await kubectlOk(kubeconfigPath, ['get', clusterTypes, '-o', 'json']);
  for (const o of (JSON.parse(out) as { items: Listed[] }).items) if (keepClusterObject(o)) keys.push(key(o));
  return keys.sort();
}
