/**
 * JSON schemas for kubeconform, made from the OpenAPI v2 document of the test API server, so the
 * chart is validated against exactly the Kubernetes version (and the CRDs) the tests run, with
 * nothing downloaded.
 *
 * The layout is the one kubeconform's own schema repository uses, read with
 * `-schema-location DIR/{{.ResourceKind}}{{.KindSuffix}}.json`: the kind in lower case, then the
 * first label of the API group and the version, e.g. deployment-apps-v1.json, service-v1.json,
 * networkpolicy-networking-v1.json, servicemonitor-monitoring-v1.json.
 *
 * Each file is standalone: the kind's definition at the top, and every definition it refers to
 * (transitively) copied under "definitions", where its "#/definitions/NAME" references point.
 * Each file is also strict: an object schema that lists its properties gets
 * additionalProperties: false, so an unknown or misspelt field is an error, as it is for the API
 * server's strict field validation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A schema node of the OpenAPI document (JSON): tests narrow what they read. */
type Schema = { [keyword: string]: unknown };

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The OpenAPI v2 document, as `kubectl get --raw /openapi/v2` returns it. */
export interface OpenApiV2 {
  definitions: Record<string, Schema>;
}

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const refPrefix = '#/definitions/';

/** The file name kubeconform looks for: {{.ResourceKind}}{{.KindSuffix}}.json. */
export function schemaFileName(gvk: GroupVersionKind): string {
  const group = gvk.group === '' ? '' : `-${gvk.group.split('.')[0]}`;
  return `${gvk.kind.toLowerCase()}${group}-${gvk.version}.json`.toLowerCase();
}

/**
 * Rewrites one schema node (and everything below it) for kubeconform:
 * - strings that Kubernetes also accepts as numbers (IntOrString, Quantity) accept both;
 * - object schemas with listed properties reject unknown ones, unless the API server keeps unknown
 *   fields there (x-kubernetes-preserve-unknown-fields).
 */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (!isSchema(node)) return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) out[k] = strict(v);
  // OpenAPI v2 writes IntOrString as a string with format int-or-string (CRDs: the extension).
  if (out.format === 'int-or-string' || out['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    delete out.format;
    out.oneOf = [{ type: 'string' }, { type: 'integer' }];
  }
  if (isSchema(out.properties) && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

/** The definition names a schema node refers to, directly. */
function refsOf(node: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const v of node) refsOf(v, into);
  else if (isSchema(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(refPrefix)) into.add(v.slice(refPrefix.length));
      else refsOf(v, into);
    }
  }
  return into;
}

/** The schema file names of every kind the document describes (CRDs appear a moment after they are established). */
export function describedKinds(doc: OpenApiV2): Set<string> {
  const gvks = Object.values(doc.definitions).flatMap((d) => (Array.isArray(d['x-kubernetes-group-version-kind']) ? d['x-kubernetes-group-version-kind'] : []));
  return new Set((gvks as GroupVersionKind[]).map(schemaFileName));
}

/** The group, version and kind of an object's apiVersion and kind. */
export function gvkOf(obj: { apiVersion: string; kind: string }): GroupVersionKind {
  const slash = obj.apiVersion.lastIndexOf('/');
  return { group: slash < 0 ? '' : obj.apiVersion.slice(0, slash), version: obj.apiVersion.slice(slash + 1), kind: obj.kind };
}

/** Writes one strict standalone schema per kind of the document into dir; returns the file names. */
export function writeKubeconformSchemas(doc: OpenApiV2, dir: string): string[] {
  const defs = doc.definitions;
  // A Quantity ("1", "500m", "2Gi") is a string in OpenAPI v2, but YAML may carry it as a number.
  const quantity = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
  if (defs[quantity]) defs[quantity] = { ...defs[quantity], type: undefined, oneOf: [{ type: 'string' }, { type: 'number' }] };

  mkdirSync(dir, { recursive: true });
  const written = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) {
    const gvks = def['x-kubernetes-group-version-kind'];
    if (!Array.isArray(gvks)) continue;
    // Every definition reachable from this one, so the file resolves all of its references itself.
    const needed = new Set<string>();
    const queue = [...refsOf(def, new Set())];
    while (queue.length > 0) {
      const next = queue.pop()!;
      if (needed.has(next) || !defs[next]) continue;
      needed.add(next);
      queue.push(...refsOf(defs[next], new Set()));
    }
    const definitions = Object.fromEntries([...needed].sort().map((n) => [n, strict(defs[n])]));
    const schema = JSON.stringify({ ...(strict(def) as Schema), definitions });
    for (const gvk of gvks as GroupVersionKind[]) {
      const file = schemaFileName(gvk);
      // Two kinds whose groups share a first label would share a file: refuse rather than guess.
      // (Shared types such as DeleteOptions carry one entry per group, all the same definition.)
      const owner = written.get(file);
      if (owner && owner !== name) throw new Error(`kubeconform schema ${file} would hold both ${owner} and ${name}`);
      if (owner) continue;
      written.set(file, name);
      writeFileSync(join(dir, file), schema);
    }
  }
  return [...written.keys()].sort();
}
