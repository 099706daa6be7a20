/**
 * Installing the chart into the test control plane, and credentials of the chart's ServiceAccount.
 *
 * installChartRbac() is for tests that run the controller under exactly the permissions the chart
 * grants: it installs the chart (ServiceAccount, RBAC and the rest; no pods run without a kubelet)
 * and returns a kubeconfig authenticated as the chart's ServiceAccount with a TokenRequest token.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { chartDir, helm, parseObjects, valuesFile, type HelmResult, type KubeObject } from './helm.ts';
import type { TestCluster } from '../env/cluster.ts';

export interface InstallOptions {
  /** Admin kubeconfig helm uses. */
  kubeconfigPath: string;
  /** The release namespace; it must exist. */
  namespace: string;
  /** The release name; random by default. */
  release?: string;
  /** Values files, applied in order. */
  valuesFiles?: string[];
  /** Values applied after the files. */
  values?: Record<string, unknown>;
}

export interface ChartRelease {
  release: string;
  namespace: string;
  /** helm's output, including the API server's warnings on stderr. */
  result: HelmResult;
  /** The objects helm created (`helm get manifest`). */
  objects: KubeObject[];
  /** `helm uninstall`; throws when helm fails. */
  uninstall(): Promise<HelmResult>;
}

/** A release name unlikely to collide with another test's. */
export function releaseName(prefix = 'js'): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** `helm install` (CRDs from crds/ are created when missing, as for a user); throws with helm's message on failure. */
export async function installChart(opts: InstallOptions): Promise<ChartRelease> {
  const release = opts.release ?? releaseName();
  const args = ['install', release, chartDir, '--namespace', opts.namespace];
  for (const f of opts.valuesFiles ?? []) args.push('-f', f);
  if (opts.values) args.push('-f', valuesFile(opts.values));
  const result = await helm(args, { kubeconfigPath: opts.kubeconfigPath });
  if (result.code !== 0) throw new Error(`helm install ${release} failed: ${result.stderr.trim()}`);
  const manifest = await helm(['get', 'manifest', release, '--namespace', opts.namespace], { kubeconfigPath: opts.kubeconfigPath });
  if (manifest.code !== 0) throw new Error(`helm get manifest ${release} failed: ${manifest.stderr.trim()}`);
  return {
    release,
    namespace: opts.namespace,
    result,
    objects: parseObjects(manifest.stdout),
    async uninstall() {
      const res = await helm(['uninstall', release, '--namespace', opts.namespace, '--wait', '--timeout', '60s'], {
        kubeconfigPath: opts.kubeconfigPath,
      });
      if (res.code !== 0) throw new Error(`helm uninstall ${release} failed: ${res.stderr.trim()}`);
      return res;
    },
  };
}

export interface ServiceAccountCredentials {
  /** A kubeconfig file whose only user is the ServiceAccount (bearer token). */
  kubeconfigPath: string;
  /** The same, loaded. */
  kc: k8s.KubeConfig;
  /** The bearer token (a secret: never print it). */
  token: string;
  /** Removes the kubeconfig file. */
  remove(): void;
}

/**
 * A kubeconfig authenticated as the ServiceAccount, with a token from the TokenRequest API (the way
 * the kubelet gets a pod's token), for the API server the admin config points at.
 */
export async function serviceAccountKubeconfig(
  admin: k8s.KubeConfig,
  namespace: string,
  serviceAccount: string,
  opts: { expirationSeconds?: number } = {},
): Promise<ServiceAccountCredentials> {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  let token: string;
  try {
    const tr = await core.createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: opts.expirationSeconds ?? 3600 } },
    });
    token = tr.status?.token ?? '';
  } catch (err) {
    throw new Error(`TokenRequest for ${namespace}/${serviceAccount}`, { cause: err });
  }
  if (!token) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...cluster, name: 'test' }],
    users: [{ name: user, token }],
    contexts: [{ name: 'sa', cluster: 'test', user, namespace }],
    currentContext: 'sa',
  });
  const dir = mkdtempSync(join(tmpdir(), 'jirasync-sa-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kc.exportConfig(), { mode: 0o600 });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', remove);
  return { kubeconfigPath, kc, token, remove };
}

export interface ChartRbacOptions {
  cluster: TestCluster;
  /** The release namespace (where the ServiceAccount and the Lease live); it must exist. */
  namespace: string;
  release?: string;
  /** Sets values.watchNamespaces (each must exist): Roles in those namespaces instead of ClusterRoles. */
  watchNamespaces?: string[];
  /** Further values. */
  values?: Record<string, unknown>;
  /** Lifetime of the ServiceAccount token [3600]. */
  expirationSeconds?: number;
}

export interface ChartRbac extends ServiceAccountCredentials {
  release: string;
  namespace: string;
  serviceAccount: string;
  /** "system:serviceaccount:NS:NAME", for impersonation and assertions. */
  user: string;
  /** Removes the kubeconfig file and uninstalls the release. */
  uninstall(): Promise<void>;
}

/**
 * Installs the chart into the namespace and returns a kubeconfig authenticated as the chart's
 * ServiceAccount, so a test can run the controller with exactly the chart's permissions:
 *
 *   const rbac = await installChartRbac({ cluster, namespace: ns });
 *   t.teardown(() => rbac.uninstall());
 *   // start the controller with KUBECONFIG=rbac.kubeconfigPath, POD_NAMESPACE=ns
 */
export async function installChartRbac(opts: ChartRbacOptions): Promise<ChartRbac> {
  const values: Record<string, unknown> = { ...opts.values };
  if (opts.watchNamespaces) values.watchNamespaces = opts.watchNamespaces;
  const rel = await installChart({
    kubeconfigPath: opts.cluster.kubeconfigPath,
    namespace: opts.namespace,
    release: opts.release,
    values,
  });
  const sa = rel.objects.find((o) => o.kind === 'ServiceAccount');
  if (!sa) {
    await rel.uninstall();
    throw new Error('the chart created no ServiceAccount (serviceAccount.create=false?)');
  }
  const creds = await serviceAccountKubeconfig(opts.cluster.kc, opts.namespace, sa.metadata.name, {
    expirationSeconds: opts.expirationSeconds,
  });
  return {
    ...creds,
    release: rel.release,
    namespace: opts.namespace,
    serviceAccount: sa.metadata.name,
    user: `system:serviceaccount:${opts.namespace}:${sa.metadata.name}`,
    async uninstall() {
      creds.remove();
      await rel.uninstall();
    },
  };
}
