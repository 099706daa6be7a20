#!/usr/bin/env bats
# watch-conditions.sh, run in the background while the test changes the conditions underneath it.

load helpers

setup() {
  common_setup
  OUT=$BATS_TEST_TMPDIR/out
  ERR=$BATS_TEST_TMPDIR/err
}

start_watch() {
  "$SCRIPTS/watch-conditions.sh" "$@" >"$OUT" 2>"$ERR" 3>&- &
  WATCH=$!
}

@test "watch-conditions prints the current conditions as a table, then only the transitions as they happen" {
  fx_sync nightly
  fx_status nightly "{\"status\":{$(conds "$(cond Ready False SyncInProgress 'Sync 10% complete (1/10 issues)')" \
    "$(cond Processing True SyncActive 'Processing issues')")}}"
  apply_fixtures
  start_watch nightly -n "$NS" --timeout 60
  wait_for_line "$OUT" '^Watching for transitions'
  # A message-only update is not a transition.
  set_conditions nightly "$(cond Ready False SyncInProgress 'Sync 50% complete (5/10 issues)')" \
    "$(cond Processing True SyncActive 'Processing issues')"
  set_conditions nightly "$(cond Ready True Succeeded 'Synced 10 issues')" \
    "$(cond Processing False Idle 'Waiting for the next run')"
  wait_for_line "$OUT" 'Processing +True → False +Idle +Waiting for the next run'
  set_conditions nightly "$(cond Ready False SyncFailed 'Jira authentication failed (401)')" \
    "$(cond Stalled True SecretInvalid 'Secret jira-creds lacks apiToken')"
  wait_for_line "$OUT" 'Processing +False → \(removed\)'
  kill "$WATCH"
  wait_exit "$WATCH"
  run cat "$OUT"
  [ "${lines[0]}" = "Conditions of JIRASync $NS/nightly" ]
  [[ ${lines[1]} =~ ^\ +TYPE\ +STATUS\ +REASON\ +SINCE\ +MESSAGE$ ]]
  [[ ${lines[2]} =~ ^\ +Ready\ +False\ +SyncInProgress\ +[0-9T:-]+Z\ +Sync\ 10%\ complete\ \(1/10\ issues\)$ ]]
  [[ ${lines[3]} =~ ^\ +Processing\ +True\ +SyncActive\ + ]]
  [[ ${lines[4]} =~ ^Watching\ for\ transitions ]]
  [[ ${lines[5]} =~ ^[0-9:]{8}\ +Ready\ +False\ →\ True\ +Succeeded\ +Synced\ 10\ issues$ ]]
  [[ ${lines[6]} =~ ^[0-9:]{8}\ +Processing\ +True\ →\ False\ +Idle ]]
  [[ ${lines[7]} =~ ^[0-9:]{8}\ +Ready\ +True\ →\ False\ +SyncFailed\ +Jira\ authentication\ failed\ \(401\)$ ]]
  [[ ${lines[8]} =~ ^[0-9:]{8}\ +Stalled\ +-\ →\ True\ +SecretInvalid\ +Secret\ jira-creds\ lacks\ apiToken$ ]]
  [[ ${lines[9]} =~ ^[0-9:]{8}\ +Processing\ +False\ →\ \(removed\) ]]
  [ "${#lines[@]}" -eq 10 ]
  no_line '50%'
}

@test "watch-conditions shows a sync without conditions, and a reason change with the same status" {
  fx_sync quiet
  apply_fixtures
  start_watch quiet -n "$NS" --timeout 60
  wait_for_line "$OUT" '^Watching for transitions'
  grep -q '(no conditions yet)' "$OUT"
  set_conditions quiet "$(cond Ready False SyncInProgress 'Starting')"
  wait_for_line "$OUT" 'Ready +- → False +SyncInProgress +Starting'
  set_conditions quiet "$(cond Ready False SyncFailed 'git authentication failed (403)')"
  wait_for_line "$OUT" 'Ready +False → False +SyncFailed +git authentication failed \(403\)'
  kill "$WATCH"
  wait_exit "$WATCH"
}

@test "watch-conditions stops with exit 0 when --timeout expires" {
  fx_sync timed
  fx_status timed "{\"status\":{$(conds "$(cond Ready True Succeeded 'Synced')")}}"
  apply_fixtures
  SECONDS=0
  run -0 "$SCRIPTS/watch-conditions.sh" timed -n "$NS" --timeout 2
  ((SECONDS < 15))
  has_line '^ +Ready +True +Succeeded'
}

@test "watch-conditions --output json gives the current conditions, then transitions, one JSON object a line" {
  fx_sync jsonic
  fx_status jsonic "{\"status\":{$(conds "$(cond Ready False SyncInProgress 'Running')")}}"
  apply_fixtures
  start_watch jsonic -n "$NS" --timeout 60 -o json
  wait_for_line "$OUT" '"event":"current"'
  set_conditions jsonic "$(cond Ready True Succeeded 'Synced 3 issues')"
  wait_for_line "$OUT" '"event":"transition"'
  kill "$WATCH"
  wait_exit "$WATCH"
  run jq -s -c 'map([.event, .type, (.status // "\(.from)->\(.to)"), .reason, .message])' "$OUT"
  [ "$output" = '[["current","Ready","False","SyncInProgress","Running"],["transition","Ready","False->True","Succeeded","Synced 3 issues"]]' ]
}

@test "watch-conditions exits 3 when the JIRASync is deleted" {
  fx_sync doomed
  apply_fixtures
  start_watch doomed -n "$NS" --timeout 60
  wait_for_line "$OUT" '^Watching for transitions'
  kubectl delete "$R" doomed -n "$NS" --wait=false >/dev/null
  wait_exit "$WATCH"
  expect_exit 3
  grep -q "JIRASync $NS/doomed was deleted" "$ERR"
}
