/**
 * The chart linters platform teams run before installing: kube-score (best-practice checks) and
 * kubeconform (schema validation), both built by test/env/setup.sh, fed rendered YAML on stdin.
 * Their JSON output is parsed into findings; the kept ones are listed in
 * charts/jirasync/lint-ignores.yaml.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { linterBinary } from '../env/testbin.ts';
import { chartDir } from './helm.ts';

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary with the input on stdin; never throws for a non-zero exit. */
function run(bin: string, args: string[], input: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(new Error(`${bin}: could not start`, { cause: err })));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** kube-score's grades (scorecard.Grade): 10 is OK, anything lower is a finding. */
const grades: Record<number, string> = { 1: 'CRITICAL', 5: 'WARNING', 7: 'ALMOST_OK' };

/** One kube-score finding: a check that graded an object below OK. */
export interface KubeScoreFinding {
  check: string;
  grade: string;
  /** kind/name of the object. */
  object: string;
  /** kube-score's comments, e.g. "(controller) Ephemeral Storage limit is not set". */
  comments: string[];
}

interface KubeScoreObject {
  type_meta: { kind: string };
  object_meta: { name: string };
  checks: { check: { id: string }; grade: number; skipped: boolean; comments: { path?: string; summary: string }[] | null }[];
}

/** Optional kube-score checks the chart also meets, so they are run too. */
const optionalChecks = ['container-seccomp-profile', 'container-ports-check'];

/**
 * Runs `kube-score score` for the given Kubernetes version ("v1.35") with every default check plus
 * the optional ones above; `kube-score/ignore` annotations on objects are not honoured, so nothing
 * but lint-ignores.yaml can silence a check. Returns the findings and kube-score's exit code.
 */
export async function kubeScore(yaml: string, kubernetesVersion: string): Promise<{ code: number; findings: KubeScoreFinding[]; objects: number }> {
  const args = ['score', '--output-format', 'json', '--kubernetes-version', kubernetesVersion, '--disable-ignore-checks-annotations'];
  for (const c of optionalChecks) args.push('--enable-optional-test', c);
  const res = await run(linterBinary('KUBE_SCORE'), [...args, '-'], yaml);
  let scored: KubeScoreObject[];
  try {
    scored = JSON.parse(res.stdout) as KubeScoreObject[];
  } catch (err) {
    throw new Error(`kube-score printed no JSON (exit ${res.code}): ${res.stderr.trim()}`, { cause: err });
  }
  const findings: KubeScoreFinding[] = [];
  for (const o of scored) {
    for (const c of o.checks) {
      if (c.skipped || c.grade >= 10) continue;
      findings.push({
        check: c.check.id,
        grade: grades[c.grade] ?? `grade ${c.grade}`,
        object: `${o.type_meta.kind}/${o.object_meta.name}`,
        comments: (c.comments ?? []).map((m) => (m.path ? `(${m.path}) ${m.summary}` : m.summary)),
      });
    }
  }
  return { code: res.code, findings, objects: scored.length };
}

/** One object as kubeconform judged it. */
export interface KubeconformResult {
  kind: string;
  name: string;
  version: string;
  /** statusValid, statusInvalid, statusError, statusSkipped or statusEmpty. */
  status: string;
  msg: string;
}

/**
 * Runs `kubeconform -strict` against the schemas in schemaDir (test/chart/openapi-schemas.ts) and
 * returns its verdict on every object; a missing schema is an error, never a skip.
 */
export async function kubeconform(yaml: string, schemaDir: string): Promise<{ code: number; resources: KubeconformResult[] }> {
  const args = ['-strict', '-output', 'json', '-verbose', '-schema-location', join(schemaDir, '{{.ResourceKind}}{{.KindSuffix}}.json'), '-'];
  const res = await run(linterBinary('KUBECONFORM'), args, yaml);
  try {
    const out = JSON.parse(res.stdout) as { resources: KubeconformResult[] | null };
    return { code: res.code, resources: out.resources ?? [] };
  } catch (err) {
    throw new Error(`kubeconform printed no JSON (exit ${res.code}): ${res.stderr.trim()}`, { cause: err });
  }
}

/** A kept kube-score finding (charts/jirasync/lint-ignores.yaml). */
export interface KeptFinding {
  check: string;
  reason: string;
  /** The scenarios it applies to (ci/ file names or "default values"); absent: all. */
  scenarios?: string[];
}

/** The kept findings, as charts/jirasync/lint-ignores.yaml lists them. */
export function keptFindings(): KeptFinding[] {
  const file = parse(readFileSync(join(chartDir, 'lint-ignores.yaml'), 'utf8')) as { kubeScore?: KeptFinding[] } | null;
  return file?.kubeScore ?? [];
}
