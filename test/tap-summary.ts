/**
 * Reads tap's TAP output on stdin and prints a short report: one line per test file, the full
 * output of files that failed, and the closing line "N passed, N failed" that CI reads.
 */
import { createInterface } from 'node:readline';

let block: string[] = [];
let passed = 0;
let failed = 0;
let skipped = 0;
let sawTotals = false;

for await (const line of createInterface({ input: process.stdin })) {
  const totals = /^# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?(?:, skip: (\d+))?/.exec(line);
  if (totals) {
    sawTotals = true;
    passed = Number(totals[2] ?? 0);
    failed = Number(totals[3] ?? 0);
    skipped = Number(totals[4] ?? 0);
    continue;
  }
  block.push(line);
  if (/^(not )?ok \d+ /.test(line)) {
    if (line.startsWith('not ok')) console.log(block.join('\n'));
    else console.log(line);
    block = [];
  }
}
if (block.some((l) => l.trim() !== '' && !l.startsWith('# No coverage') && !l.startsWith('# time='))) console.log(block.join('\n'));
if (!sawTotals) failed = Math.max(failed, 1);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
