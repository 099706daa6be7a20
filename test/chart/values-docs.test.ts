import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir } from './helm.ts';

const valuesText = readFileSync(join(chartDir, 'values.yaml'), 'utf8');
const lines = valuesText.split('\n');

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  $ref?: string;
}
const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as SchemaNode;

/** Key paths (a.b.c) of a plain-data YAML map, through maps only (lists are leaves). */
function valueKeyPaths(v: unknown, prefix = ''): string[] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, child]) => [`${prefix}${k}`, ...valueKeyPaths(child, `${prefix}${k}.`)]);
}

/** Property paths the schema declares, through `properties` only (not free-form maps or $refs). */
function schemaPaths(node: SchemaNode, prefix = ''): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([k, child]) => [`${prefix}${k}`, ...schemaPaths(child, `${prefix}${k}.`)]);
}

t.test('every key in values.yaml has a full-sentence comment right above it', async (t) => {
  let keys = 0;
  lines.forEach((line, i) => {
    const m = /^(\s*)([A-Za-z][\w.-]*):(\s|$)/.exec(line);
    if (!m) return;
    keys++;
    const indent = m[1];
    // The prose comment directly above the key, at the key's indentation; commented-out example
    // YAML (an optional key's example) ends it.
    const block: string[] = [];
    for (let j = i - 1; j >= 0 && lines[j].startsWith(`${indent}#`); j--) {
      const body = lines[j].slice(indent.length);
      if (/^#\s*(-\s|[\w.-]+:(\s|$))|^#\s{2,}/.test(body)) break;
      block.unshift(body.slice(1).trim());
    }
    const text = block.join(' ');
    t.ok(block.length > 0, `line ${i + 1} (${m[2]}) has a comment above it`);
    if (block.length === 0) return;
    t.match(text, /^[A-Z]/, `line ${i + 1} (${m[2]}): the comment starts a sentence`);
    t.match(text, /\.$/, `line ${i + 1} (${m[2]}): the comment ends a sentence`);
  });
  t.ok(keys > 80, `${keys} keys checked`);
});

t.test('values.yaml and values.schema.json describe the same keys (optional ones commented out)', async (t) => {
  const inValues = new Set(valueKeyPaths(parse(valuesText)));
  const inSchema = new Set(schemaPaths(schema));
  for (const p of inValues) t.ok(inSchema.has(p), `${p} is in the schema`);
  const commentedKeys = new Set(lines.map((l) => /^\s*#\s*-?\s*([A-Za-z][\w.-]*):(\s|$)/.exec(l)?.[1]).filter((k): k is string => !!k));
  for (const p of inSchema) {
    if (inValues.has(p) || p === 'global') continue;
    const last = p.split('.').pop()!;
    t.ok(commentedKeys.has(last), `optional key ${p} appears commented out in values.yaml`);
  }
});

t.test('the schema rejects unknown keys at every level it declares', async (t) => {
  const open: string[] = [];
  const walk = (node: SchemaNode, path: string) => {
    if (node.properties && node.additionalProperties !== false) open.push(path || '(root)');
    for (const [k, child] of Object.entries(node.properties ?? {})) walk(child, `${path}${path ? '.' : ''}${k}`);
    if (node.items) walk(node.items, `${path}[]`);
  };
  walk(schema, '');
  const defs = (schema as { definitions?: Record<string, SchemaNode> }).definitions ?? {};
  for (const [name, def] of Object.entries(defs)) walk(def, `#/definitions/${name}`);
  t.same(open, [], 'every object with declared properties has additionalProperties: false');
});
