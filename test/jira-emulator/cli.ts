/**
 * Runs the Jira emulator by itself until interrupted:
 *
 *   npm run jira-emulator -- --port 8080 --seed 7 --project PROJ:300 [--project OPS:50] [--mode datacenter] [--tz Europe/Berlin]
 *
 * Prints the URL and credentials (as text, or one JSON line with --json) and serves until SIGINT/SIGTERM.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startJiraEmulator } from './emulator.ts';

const USAGE = `usage: npm run jira-emulator -- [--port P] [--seed S] [--project KEY:COUNT]... [--mode cloud|datacenter]
                                [--tz ZONE] [--email E --api-token T] [--pat T] [--json] [--state-file FILE]
Starts a Jira REST emulator on 127.0.0.1 and serves until interrupted. The control API is under /_emulator
(see test/jira-emulator/README.md).`;

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    seed: { type: 'string' },
    project: { type: 'string', multiple: true },
    mode: { type: 'string' },
    tz: { type: 'string' },
    email: { type: 'string' },
    'api-token': { type: 'string' },
    pat: { type: 'string' },
    json: { type: 'boolean' },
    'state-file': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function fail(message: string): never {
  console.error(`jira-emulator: ${message}\n${USAGE}`);
  process.exit(2);
}

const mode = values.mode ?? 'cloud';
if (mode !== 'cloud' && mode !== 'datacenter') fail(`--mode must be cloud or datacenter, not '${mode}'`);
const projects = (values.project ?? []).map((p) => {
  const m = /^([A-Za-z][A-Za-z0-9_]*):(\d+)$/.exec(p);
  if (!m) fail(`--project must look like KEY:COUNT, not '${p}'`);
  return { key: m[1].toUpperCase(), issues: Number(m[2]) };
});
const num = (v: string | undefined, name: string) => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) fail(`${name} must be a number`);
  return Number(v);
};
if ((values.email === undefined) !== (values['api-token'] === undefined)) fail('--email and --api-token go together');

const emu = await startJiraEmulator({
  mode,
  seed: num(values.seed, '--seed'),
  port: num(values.port, '--port'),
  projects,
  timeZone: values.tz,
  ...(values.email ? { users: [{ email: values.email, apiToken: values['api-token']! }] } : {}),
  ...(values.pat ? { pats: [values.pat] } : {}),
});
const info = { url: emu.url, mode, email: emu.email, apiToken: emu.apiToken, pat: emu.pat, projects: emu.state.projects() };
if (values['state-file']) writeFileSync(values['state-file'], JSON.stringify(info));
if (values.json) {
  console.log(JSON.stringify(info));
} else {
  console.log(`Jira emulator (${mode}) listening on ${emu.url}`);
  console.log(`  Basic auth: email ${emu.email}  api token ${emu.apiToken}`);
  console.log(`  Bearer PAT: ${emu.pat}${mode === 'cloud' ? ' (Data Center mode only)' : ''}`);
  for (const p of info.projects) console.log(`  project ${p.key}: ${p.issues} issues`);
  console.log(`  control API: ${emu.url}/_emulator   (Ctrl-C to stop)`);
}
const stop = async () => {
  await emu.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
