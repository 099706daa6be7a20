#!/usr/bin/env bats
# sync-now.sh: the requestedAt annotation, and --wait following the requested run while the test
# plays the controller (echoing the request in status.lastHandledRequestedAt).

load helpers

setup() {
  common_setup
  OUT=$BATS_TEST_TMPDIR/out
  ERR=$BATS_TEST_TMPDIR/err
}

requested_at() {
  kubectl get "$R" "$1" -n "$NS" -o 'jsonpath={.metadata.annotations.sync\.jira\.io/requestedAt}'
}

start_sync_now() {
  "$SCRIPTS/sync-now.sh" "$@" >"$OUT" 2>"$ERR" 3>&- &
  PID=$!
}

@test "sync-now sets the requestedAt annotation to a fresh value each time" {
  fx_sync nightly
  apply_fixtures
  run -0 --separate-stderr "$SCRIPTS/sync-now.sh" nightly -n "$NS"
  local first
  first=$(requested_at nightly)
  [[ $first =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{9})?Z$ ]]
  [ "$output" = "Requested a sync of JIRASync $NS/nightly (sync.jira.io/requestedAt=$first)" ]
  [ -z "$stderr" ]
  run -0 "$SCRIPTS/sync-now.sh" nightly -n "$NS" -o json
  local second
  second=$(requested_at nightly)
  [ "$second" != "$first" ]
  [ "$(jq -r '"\(.namespace) \(.name) \(.requestedAt)"' <<<"$output")" = "$NS nightly $second" ]
}

@test "sync-now --wait waits until the controller has handled this request and the run Completed" {
  fx_sync nightly
  fx_status nightly '{"status":{"phase":"Completed","lastHandledRequestedAt":"an-earlier-request"}}'
  apply_fixtures
  start_sync_now nightly -n "$NS" --wait --timeout 60
  wait_for_line "$OUT" '^Following JIRASync'
  local value
  value=$(requested_at nightly)
  [ -n "$value" ]
  # The earlier Completed run does not count.
  sleep 1
  kill -0 "$PID"
  set_status nightly "{\"status\":{\"phase\":\"Running\",\"lastHandledRequestedAt\":\"$value\",\"progress\":{\"percentage\":50}}}"
  wait_for_line "$OUT" 'Running +50%'
  set_status nightly '{"status":{"phase":"Completed","progress":{"percentage":100},"syncState":{"processedIssues":1,"totalIssues":1,"successfulIssues":1,"failedIssues":0}}}'
  wait_exit "$PID"
  expect_exit 0
  run cat "$OUT"
  [ "${lines[0]}" = "Requested a sync of JIRASync $NS/nightly (sync.jira.io/requestedAt=$value)" ]
  [ "${lines[1]}" = "Following JIRASync $NS/nightly until it has handled request $value" ]
  [ "${lines[-1]}" = "$NS/nightly Completed: 1/1 issues (1 successful, 0 failed)" ]
}

@test "sync-now --wait exits 1 when the requested run fails" {
  fx_sync nightly
  apply_fixtures
  start_sync_now nightly -n "$NS" --wait --timeout 60
  wait_for_line "$OUT" '^Following JIRASync'
  set_status nightly "{\"status\":{\"phase\":\"Failed\",\"lastHandledRequestedAt\":\"$(requested_at nightly)\",\"lastError\":\"repository not found (404)\"}}"
  wait_exit "$PID"
  expect_exit 1
  [ "$(tail -n 1 "$OUT")" = "$NS/nightly Failed: repository not found (404)" ]
}

@test "sync-now --wait exits 2 when --timeout expires before the request is handled" {
  fx_sync nightly
  fx_status nightly '{"status":{"phase":"Completed"}}'
  apply_fixtures
  run -2 --separate-stderr "$SCRIPTS/sync-now.sh" nightly -n "$NS" --wait --timeout 2
  one_stderr_line "timed out after 2s: $NS/nightly is Completed; request .* not handled yet"
}

@test "sync-now warns about a suspended JIRASync, and --wait exits 2 for it" {
  fx_sync paused true
  fx_status paused '{"status":{"phase":"Suspended"}}'
  apply_fixtures
  run -0 --separate-stderr "$SCRIPTS/sync-now.sh" paused -n "$NS"
  one_stderr_line "JIRASync $NS/paused is suspended \\(spec.suspend is true\\)"
  run -2 "$SCRIPTS/sync-now.sh" paused -n "$NS" --wait --timeout 30
  has_line "$NS/paused is Suspended"
}

@test "sync-now exits 3 for a missing JIRASync and for --timeout without --wait" {
  apply_fixtures
  run -3 --separate-stderr "$SCRIPTS/sync-now.sh" nope -n "$NS"
  one_stderr_line "^sync-now.sh: JIRASync $NS/nope not found$"
  [ -z "$output" ]
  run -3 --separate-stderr "$SCRIPTS/sync-now.sh" nope -n "$NS" --timeout 5m
  one_stderr_line '--timeout needs --wait'
}
