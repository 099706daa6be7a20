#!/usr/bin/env bats
# monitor-sync.sh, run in the background while the test writes the status underneath it.

load helpers

setup() {
  common_setup
  OUT=$BATS_TEST_TMPDIR/out
  ERR=$BATS_TEST_TMPDIR/err
}

# start_monitor ARGS...: monitor-sync.sh in the background; PID in MON.
start_monitor() {
  "$SCRIPTS/monitor-sync.sh" "$@" >"$OUT" 2>"$ERR" 3>&- &
  MON=$!
}

@test "monitor-sync follows a run from Pending through progress to Completed, a line per change, and exits 0" {
  fx_sync nightly
  fx_status nightly '{"status":{"phase":"Pending"}}'
  apply_fixtures
  start_monitor nightly -n "$NS" --timeout 60
  wait_for_line "$OUT" 'Pending'
  set_status nightly "{\"status\":{\"phase\":\"Running\",\"progress\":{\"percentage\":40,\"currentOperation\":\"fetch-issues\",\"estimatedCompletion\":\"$(ts_ago -300)\"},\"syncState\":{\"processedIssues\":4,\"totalIssues\":10}}}"
  wait_for_line "$OUT" 'Running +40% +4/10 +fetch-issues +eta in [45]m'
  # Only the heartbeat changes: no new line.
  set_status nightly "{\"status\":{\"lastStatusUpdate\":\"$(ts_ago 0)\"}}"
  set_status nightly '{"status":{"phase":"Completed","progress":{"percentage":100,"currentOperation":"push"},"syncState":{"processedIssues":10,"successfulIssues":10,"failedIssues":0}}}'
  wait_exit "$MON"
  expect_exit 0
  run cat "$OUT"
  [ "${lines[0]}" = "Following JIRASync $NS/nightly" ]
  [[ ${lines[1]} =~ ^[0-9]{2}:[0-9]{2}:[0-9]{2}\ +Pending ]]
  [[ ${lines[2]} =~ Running\ +40%\ +4/10 ]]
  [[ ${lines[3]} =~ Completed\ +100%\ +10/10\ +push ]]
  [ "${lines[4]}" = "$NS/nightly Completed: 10/10 issues (10 successful, 0 failed)" ]
  [ "${#lines[@]}" -eq 5 ]
  [ ! -s "$ERR" ]
}

@test "monitor-sync exits 1 when the run fails, with the last error on the closing line" {
  fx_sync broken
  fx_status broken '{"status":{"phase":"Running","progress":{"percentage":10}}}'
  apply_fixtures
  start_monitor broken -n "$NS" --timeout 60
  wait_for_line "$OUT" 'Running'
  set_status broken '{"status":{"phase":"Running","retryCount":1,"lastError":"Jira rate limit exceeded (429), retrying"}}'
  wait_for_line "$OUT" 'retries 1 +error: Jira rate limit exceeded \(429\), retrying'
  set_status broken '{"status":{"phase":"Failed","lastError":"git authentication failed (403)"}}'
  wait_exit "$MON"
  expect_exit 1
  run tail -n 1 "$OUT"
  [ "$output" = "$NS/broken Failed: git authentication failed (403)" ]
}

@test "monitor-sync exits 2 when --timeout expires, saying where the run stands on stderr" {
  fx_sync slow
  fx_status slow '{"status":{"phase":"Running","progress":{"percentage":65}}}'
  apply_fixtures
  SECONDS=0
  run -2 --separate-stderr "$SCRIPTS/monitor-sync.sh" slow -n "$NS" --timeout 2
  ((SECONDS < 15))
  has_line 'Running +65%'
  one_stderr_line "timed out after 2s: $NS/slow is Running \\(65%\\)"
}

@test "monitor-sync exits 2 for a Suspended sync, which will not run" {
  fx_sync paused true
  fx_status paused '{"status":{"phase":"Suspended"}}'
  apply_fixtures
  run -2 "$SCRIPTS/monitor-sync.sh" paused -n "$NS" --timeout 30
  has_line "$NS/paused is Suspended"
}

@test "monitor-sync exits 0 at once for a sync that is already Completed" {
  fx_sync done
  fx_status done '{"status":{"phase":"Completed","progress":{"percentage":100},"syncState":{"processedIssues":3,"totalIssues":3,"successfulIssues":3,"failedIssues":0}}}'
  apply_fixtures
  run -0 "$SCRIPTS/monitor-sync.sh" done -n "$NS" --timeout 30
  has_line "^$NS/done Completed: 3/3 issues \\(3 successful, 0 failed\\)$"
}

@test "monitor-sync with --after-request waits past an earlier Completed run until the request is handled" {
  fx_sync again
  fx_status again '{"status":{"phase":"Completed","lastHandledRequestedAt":"old-request"}}'
  apply_fixtures
  start_monitor again -n "$NS" --timeout 60 --after-request new-request
  wait_for_line "$OUT" 'Completed'
  sleep 1
  kill -0 "$MON"
  set_status again '{"status":{"phase":"Running","lastHandledRequestedAt":"new-request","progress":{"percentage":0}}}'
  wait_for_line "$OUT" 'Running'
  set_status again '{"status":{"phase":"Completed","progress":{"percentage":100}}}'
  wait_exit "$MON"
  expect_exit 0
  run tail -n 1 "$OUT"
  [[ $output =~ ^$NS/again\ Completed ]]
}

@test "monitor-sync exits 3 when the JIRASync is deleted while it is followed" {
  fx_sync doomed
  fx_status doomed '{"status":{"phase":"Running"}}'
  apply_fixtures
  start_monitor doomed -n "$NS" --timeout 60
  wait_for_line "$OUT" 'Running'
  kubectl delete "$R" doomed -n "$NS" --wait=false >/dev/null
  wait_exit "$MON"
  expect_exit 3
  grep -q "JIRASync $NS/doomed was deleted" "$ERR"
}

@test "monitor-sync --output json prints one JSON object per change and a result object" {
  fx_sync jsonic
  fx_status jsonic '{"status":{"phase":"Running","progress":{"percentage":50}}}'
  apply_fixtures
  start_monitor jsonic -n "$NS" --timeout 60 -o json
  wait_for_line "$OUT" '"phase":"Running"'
  set_status jsonic '{"status":{"phase":"Completed","progress":{"percentage":100}}}'
  wait_exit "$MON"
  expect_exit 0
  run jq -s -c 'map([.event == "result", .phase // .result, .percentage // .exitCode])' "$OUT"
  [ "$output" = '[[false,"Running",50],[false,"Completed",100],[true,"Completed",0]]' ]
}
