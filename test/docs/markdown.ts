/**
 * The README's fenced blocks, and its tool samples: `console` blocks marked
 * `<!-- sample: sandbox -->` that show a command, what it printed and its exit status, which the
 * sandbox smoke test runs again and compares by shape (times, durations, counts and ids aside).
 */

export interface Block {
  lang: string;
  body: string;
  /** The HTML comment on the line before the fence, without `<!--`/`-->`. */
  marker: string | undefined;
  /** 1-based line of the opening fence. */
  line: number;
}

/** Fenced blocks with the HTML comment on the line before them, if any. */
export function fencedBlocks(md: string): Block[] {
  const lines = md.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    const prev = lines[i - 1]?.trim() ?? '';
    out.push({ lang: open[1], body: lines.slice(i + 1, end).join('\n'), marker: /^<!--\s*(.+?)\s*-->$/.exec(prev)?.[1], line: i + 1 });
    i = end;
  }
  return out;
}

export interface ToolSample {
  line: number;
  command: string;
  /** A command run meanwhile (from another terminal), started once `command` has begun. */
  while?: string;
  output: string[];
  exitCode: number;
}

/** The `sample: sandbox` console blocks: `$ command`, its output, then `# exit N`. */
export function toolSamples(md: string): ToolSample[] {
  return fencedBlocks(md)
    .filter((b) => b.lang === 'console' && b.marker?.startsWith('sample: sandbox'))
    .map((b) => {
      const lines = b.body.split('\n');
      const command = /^\$ (.+)$/.exec(lines[0])?.[1];
      const exit = /^# exit (\d+)$/.exec(lines.at(-1) ?? '')?.[1];
      if (!command || exit === undefined) throw new Error(`README line ${b.line}: a sample is "$ command", its output, then "# exit N"`);
      const during = /;\s*while:\s*(.+)$/.exec(b.marker ?? '')?.[1];
      return { line: b.line, command, ...(during ? { while: during } : {}), output: lines.slice(1, -1), exitCode: Number(exit) };
    });
}

/** A line with what differs from run to run replaced by placeholders, and spacing collapsed. */
export function shape(line: string): string {
  return line
    .replace(/\x1b\[[0-9;]*m/g, '')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/\b\d\d:\d\d:\d\d\b/g, '<clock>')
    .replace(/\bcontroller-[a-z]+_[0-9a-f]+\b/g, '<replica>')
    .replace(/\b[0-9a-f]{7,40}\b/g, (h) => (/\d/.test(h) ? '<hex>' : h))
    .replace(/\b\d+(\.\d+)?(ms|s|m|h|d)\b( \d+(ms|s|m|h|d)\b)*/g, '<dur>')
    .replace(/\d+/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Lines of an event stream (monitor-sync, watch-conditions) start with a clock time. */
const isStream = (shaped: string) => shaped.startsWith('<clock>');

/**
 * What differs, in shape, between a sample and a real run: every other line must appear on both
 * sides; of the stream lines, which depend on timing, the last must match. Empty when alike.
 */
export function sampleDifferences(sample: ToolSample, stdout: string, exitCode: number): string[] {
  const expected = sample.output.map(shape).filter(Boolean);
  const actual = stdout.split('\n').map(shape).filter(Boolean);
  const problems: string[] = [];
  if (exitCode !== sample.exitCode) problems.push(`exit status ${exitCode}, the README shows ${sample.exitCode}`);
  const fixed = (lines: string[]) => new Set(lines.filter((l) => !isStream(l)));
  const [want, got] = [fixed(expected), fixed(actual)];
  for (const l of want) if (!got.has(l)) problems.push(`missing from the real output: ${l}`);
  for (const l of got) if (!want.has(l)) problems.push(`not in the README: ${l}`);
  const lastWant = expected.filter(isStream).at(-1);
  const lastGot = actual.filter(isStream).at(-1);
  if (lastWant !== lastGot) problems.push(`last streamed line: README ${lastWant ?? '(none)'}, real ${lastGot ?? '(none)'}`);
  return problems;
}
