/**
 * Running the real helm binary (built by test/env/setup.sh) against the chart in charts/jirasync.
 * Helm's own config, cache and data folders point into a temporary folder, so a developer's
 * repositories and plugins never change what the tests see.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { testBinaries } from '../env/testbin.ts';

/** The chart folder. */
export const chartDir = fileURLToPath(new URL('../../charts/jirasync', import.meta.url));
/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A Kubernetes object as rendered by the chart (plain data). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // Rendered objects of many kinds: tests narrow the fields they read.
  [field: string]: unknown;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

const helmHome = mkdtempSync(join(tmpdir(), 'jirasync-helm-'));
process.once('exit', () => rmSync(helmHome, { recursive: true, force: true }));

/** Runs helm with the arguments; never throws for a non-zero exit (the result says it). */
export function helm(args: string[], opts: { kubeconfigPath?: string } = {}): Promise<HelmResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: helmHome,
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_DATA_HOME: join(helmHome, 'data'),
    // Without a kubeconfig helm must not fall back to ~/.kube/config of whoever runs the tests.
    KUBECONFIG: opts.kubeconfigPath ?? join(helmHome, 'no-kubeconfig'),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(testBinaries().HELM, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(new Error(`helm ${args[0]}: could not start helm`, { cause: err })));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The install scenarios in charts/jirasync/ci, as absolute paths, in name order. */
export function ciValuesFiles(): string[] {
  return readdirSync(join(chartDir, 'ci'))
    .filter((f) => /^\d\d-.+-values\.yaml$/.test(f))
    .sort()
    .map((f) => join(chartDir, 'ci', f));
}

/** Writes values to a temporary YAML (JSON is YAML) file for `-f`; removed when the process exits. */
export function valuesFile(values: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'jirasync-values-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'values.yaml');
  writeFileSync(path, JSON.stringify(values));
  return path;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** Values files, applied in order. */
  valuesFiles?: string[];
  /** Values applied after the files. */
  values?: Record<string, unknown>;
}

/** `helm template` arguments for the options. */
export function templateArgs(opts: RenderOptions = {}): string[] {
  const args = ['template', opts.release ?? 'rel', chartDir, '--namespace', opts.namespace ?? 'jirasync-system'];
  for (const f of opts.valuesFiles ?? []) args.push('-f', f);
  if (opts.values) args.push('-f', valuesFile(opts.values));
  return args;
}

/** Renders the chart with `helm template` and returns its objects; throws with helm's message on failure. */
export async function render(opts: RenderOptions = {}): Promise<KubeObject[]> {
  const res = await helm(templateArgs(opts));
  if (res.code !== 0) throw new Error(`helm template failed: ${res.stderr.trim()}`);
  return parseObjects(res.stdout);
}

/** Parses a multi-document YAML stream into its non-empty documents; throws on any YAML error. */
export function parseObjects(text: string): KubeObject[] {
  const docs = parseAllDocuments(text);
  const out: KubeObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML from helm: ${doc.errors[0].message}`);
    const obj = doc.toJS() as KubeObject | null;
    if (obj) out.push(obj);
  }
  return out;
}

/** The objects of one kind. */
export function ofKind(objs: KubeObject[], kind: string): KubeObject[] {
  return objs.filter((o) => o.kind === kind);
}

/** The one object of a kind; throws when there is not exactly one. */
export function one(objs: KubeObject[], kind: string): KubeObject {
  const found = ofKind(objs, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0];
}
