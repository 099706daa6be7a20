import t from 'tap';
import {
  chunkedIn, DEFAULT_OVERLAP_MINUTES, formatJqlDateTime, incrementalJql, INCREMENTAL_OVERLAP_MS, jqlDateTimeAtOrBefore,
  quoteJql, stripOrderBy, zoneOffsetMinutes,
} from '../../controller/jira/jql.ts';

t.test('an instant is formatted as the wall-clock minute of the Jira user zone', async (t) => {
  const cases = [
    { name: 'UTC', instant: '2026-01-15T10:07:59Z', zone: 'UTC', want: '2026/01/15 10:07' },
    { name: 'Berlin in winter', instant: '2026-01-15T10:07:00Z', zone: 'Europe/Berlin', want: '2026/01/15 11:07' },
    { name: 'Berlin in summer', instant: '2026-07-15T10:07:00Z', zone: 'Europe/Berlin', want: '2026/07/15 12:07' },
    { name: 'the day before in Los Angeles', instant: '2026-07-15T03:00:00Z', zone: 'America/Los_Angeles', want: '2026/07/14 20:00' },
    { name: 'a half-hour zone', instant: '2026-07-15T00:00:00Z', zone: 'Asia/Kolkata', want: '2026/07/15 05:30' },
    { name: 'midnight is 00 not 24', instant: '2026-07-14T22:00:00Z', zone: 'Europe/Berlin', want: '2026/07/15 00:00' },
  ];
  for (const c of cases) t.equal(formatJqlDateTime(c.instant, c.zone), c.want, c.name);
});

t.test('the zone offset follows DST', async (t) => {
  t.equal(zoneOffsetMinutes(Date.parse('2026-01-15T10:00:00Z'), 'Europe/Berlin'), 60);
  t.equal(zoneOffsetMinutes(Date.parse('2026-07-15T10:00:00Z'), 'Europe/Berlin'), 120);
  t.equal(zoneOffsetMinutes(Date.parse('2026-07-15T10:00:00Z'), 'America/New_York'), -240);
});

t.test('the incremental date is the cursor minus the overlap, floored to the minute', async (t) => {
  t.equal(jqlDateTimeAtOrBefore('2026-05-01T12:00:30Z', 'UTC', 5), '2026/05/01 11:55');
  t.equal(jqlDateTimeAtOrBefore('2026-05-01T12:00:30Z', 'UTC', 0), '2026/05/01 12:00');
  t.equal(jqlDateTimeAtOrBefore('2026-05-01T12:00:30Z', 'Europe/Berlin', 2), '2026/05/01 13:58');
});

t.test('an ambiguous wall time at DST fall-back is moved back so no reading is later than the cursor', async (t) => {
  // Berlin 2026-10-25: 03:00 CEST becomes 02:00 CET, so 02:00-02:59 happens twice.
  const firstPass = '2026-10-25T00:30:00Z'; // 02:30 CEST
  const wall = jqlDateTimeAtOrBefore(firstPass, 'Europe/Berlin', 0);
  t.equal(wall, '2026/10/25 01:30', 'steps back past the repeated hour');
  const secondPass = '2026-10-25T01:30:00Z'; // 02:30 CET: both readings are at or before it
  t.equal(jqlDateTimeAtOrBefore(secondPass, 'Europe/Berlin', 0), '2026/10/25 02:30');
  // Every reading of the chosen wall time is at or before the cursor, also for New York.
  const ny = jqlDateTimeAtOrBefore('2026-11-01T05:45:00Z', 'America/New_York', 0); // 01:45 EDT, repeated
  t.equal(ny, '2026/11/01 00:45');
});

t.test('a spring-forward cursor maps to the real wall time after the gap', async (t) => {
  // Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST.
  t.equal(jqlDateTimeAtOrBefore('2026-03-29T01:10:00Z', 'Europe/Berlin', 0), '2026/03/29 03:10');
  t.equal(jqlDateTimeAtOrBefore('2026-03-29T01:10:00Z', 'Europe/Berlin', 15), '2026/03/29 01:55');
});

t.test('an unknown time zone is rejected with a clear message', async (t) => {
  t.throws(() => formatJqlDateTime(0, 'Mars/Olympus'), /unknown time zone "Mars\/Olympus"/);
});

t.test('JQL strings are quoted with escapes', async (t) => {
  t.equal(quoteJql('a "b" \\c'), '"a \\"b\\" \\\\c"');
});

t.test('ORDER BY inside quotes is kept; a real one is cut', async (t) => {
  t.equal(stripOrderBy("summary ~ 'x order by y'"), "summary ~ 'x order by y'");
  t.equal(stripOrderBy('a = 1 order   by b'), 'a = 1');
});

const dates: [string, string, string][] = [
  ['2024-03-10T06:59:59Z', 'UTC', '2024/03/10 06:59'],
  ['2024-03-10T06:59:59Z', 'America/New_York', '2024/03/10 01:59'],
  ['2024-03-10T07:00:00Z', 'America/New_York', '2024/03/10 03:00'],
  ['2024-12-31T23:30:00Z', 'Asia/Kolkata', '2025/01/01 05:00'],
  ['2024-06-01T00:00:00Z', 'Australia/Lord_Howe', '2024/06/01 10:30'],
];
for (const [iso, tz, expected] of dates) {
  t.test(`${iso} reads as ${expected} in ${tz}`, async (t) => {
    t.equal(formatJqlDateTime(new Date(iso), tz), expected);
  });
}

t.test('the incremental query starts one overlap window before the cursor, in the user time zone', async (t) => {
  t.equal(incrementalJql('project = "A"', new Date('2024-03-01T12:04:30Z'), 5 * 60_000, 'Europe/Berlin'), '(project = "A") AND updated >= "2024/03/01 12:59" ORDER BY updated ASC');
});

t.test('an unknown time zone is an error naming it', async (t) => {
  t.throws(() => formatJqlDateTime(new Date(), 'Mars/Olympus'), /Mars\/Olympus/);
});

t.test('key lists are chunked into IN clauses', async (t) => {
  t.same(chunkedIn('parent', ['A-1', 'A-2', 'A-3'], 2), ['parent in ("A-1", "A-2")', 'parent in ("A-3")']);
});

t.test('around a DST fall-back the incremental bound is early enough for both readings of the wall time', async (t) => {
  // 2024-11-03 01:30 happens twice in New York; cursor − overlap is the first one (05:30Z), and
  // Jira could read "01:30" as the second (06:30Z), which would skip an hour of updates.
  const jql = incrementalJql('x', new Date('2024-11-03T05:35:00Z'), 5 * 60_000, 'America/New_York');
  const since = /"(.*)"/.exec(jql)?.[1] ?? '';
  t.ok(since <= '2024/11/03 00:30', `bound ${since} is read before the cursor in either offset`);
});

t.test('the incremental overlap window is one five-minute constant', async (t) => {
  t.equal(DEFAULT_OVERLAP_MINUTES, 5);
  t.equal(INCREMENTAL_OVERLAP_MS, DEFAULT_OVERLAP_MINUTES * 60_000);
});
