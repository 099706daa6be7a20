#!/usr/bin/env bats
# status-summary.sh: phases, active syncs, recent errors, stale syncs and the leader, text and JSON.

load helpers

setup() {
  common_setup controller
}

summary() {
  "$SCRIPTS/status-summary.sh" -n "$NS" --controller-namespace "$CTRL" "$@"
}

@test "status-summary reports phases, active syncs with progress, recent errors newest first, stale syncs and the leader" {
  fx_lease jirasync-controller-1 3
  fx_sync running
  fx_status running "{\"status\":{\"phase\":\"Running\",\"progress\":{\"percentage\":65,\"currentOperation\":\"sync-issues\",\"estimatedCompletion\":\"$(ts_ago -900)\"},\"syncState\":{\"processedIssues\":98,\"totalIssues\":150,\"lastSyncTime\":\"$(ts_ago 3600)\"}}}"
  fx_sync queued
  fx_status queued '{"status":{"phase":"Pending"}}'
  fx_sync failed
  fx_status failed "{\"status\":{\"phase\":\"Failed\",\"retryCount\":3,\"lastError\":\"Jira authentication failed (401)\",\"lastStatusUpdate\":\"$(ts_ago 600)\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 3600)\"}}}"
  fx_sync flaky
  fx_status flaky "{\"status\":{\"phase\":\"Running\",\"retryCount\":1,\"lastError\":\"Jira rate limit exceeded (429)\",\"lastStatusUpdate\":\"$(ts_ago 60)\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 3600)\"}}}"
  fx_sync old
  fx_status old "{\"status\":{\"phase\":\"Completed\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 259200)\"}}}"
  fx_sync paused true
  fx_status paused "{\"status\":{\"phase\":\"Suspended\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 259200)\"}}}"
  fx_sync new
  apply_fixtures
  run -1 --separate-stderr summary
  [[ ${lines[0]} =~ ^JIRASync\ status\ summary\ for\ namespace\ $NS, ]]
  has_line '^Phases \(7 JIRASyncs\)$'
  has_line '^  Pending 1  Running 2  Completed 1  Failed 1  Suspended 1  no status 1$'
  has_line "^  $NS/running  Running  65%  98/150 issues  sync-issues  ETA in 1[45]m$"
  has_line "^  $NS/queued  Pending  -  -/- issues$"
  # Recent errors: newest first.
  local flaky failed
  flaky=$(printf '%s\n' "${lines[@]}" | grep -n "^  $NS/flaky  Running  retries 1  1m ago: Jira rate limit exceeded (429)$" | cut -d: -f1)
  failed=$(printf '%s\n' "${lines[@]}" | grep -n "^  $NS/failed  Failed  retries 3  10m ago: Jira authentication failed (401)$" | cut -d: -f1)
  [ -n "$flaky" ] && [ -n "$failed" ] && [ "$flaky" -lt "$failed" ]
  has_line '^Not successful for more than 1d$'
  has_line "^  $NS/old  Completed  last success 3d ago$"
  no_line "$NS/paused  Suspended  last success"
  has_line '^Leaders$'
  has_line "^  shard default \\(7 JIRASyncs\\): leader jirasync-controller-1 \\(renewed [0-9]+s ago\\)  \\(Lease $CTRL/jirasync-leader\\)$"
  [ -z "$stderr" ]
}

@test "status-summary exits 0 when nothing failed, nothing is stale and a leader holds the Lease" {
  fx_lease jirasync-controller-0 1
  fx_sync good
  fx_status good "{\"status\":{\"phase\":\"Completed\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 60)\"}}}"
  apply_fixtures
  run -0 summary
  has_line '^  Pending 0  Running 0  Completed 1  Failed 0  Suspended 0  no status 0$'
  has_line '^Active syncs$'
  has_line '^  \(none\)$'
}

@test "status-summary exits 2 for a stale sync, and --stale-after moves the threshold" {
  fx_lease jirasync-controller-0 1
  fx_sync lagging
  fx_status lagging "{\"status\":{\"phase\":\"Completed\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 7200)\"}}}"
  apply_fixtures
  run -0 summary
  run -2 summary --stale-after 1h
  has_line '^Not successful for more than 1h$'
  has_line "^  $NS/lagging  Completed  last success 2h ago$"
}

@test "status-summary exits 2 without a leader: no Lease, or an expired one" {
  fx_sync good
  fx_status good "{\"status\":{\"phase\":\"Completed\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 60)\"}}}"
  apply_fixtures
  run -2 summary
  has_line "^  shard default \\(1 JIRASync\\): no current leader: no Lease  \\(Lease $CTRL/jirasync-leader\\)$"
  fx_lease jirasync-controller-0 120 15
  apply_fixtures
  run -2 summary
  has_line "^  shard default \\(1 JIRASync\\): no current leader: jirasync-controller-0 \\(expired: last renewed 2m ago, lease duration 15s\\)  \\(Lease $CTRL/jirasync-leader\\)$"
  fx_lease '' 1
  apply_fixtures
  run -2 summary
  has_line '^  shard default \(1 JIRASync\): no current leader: Lease has no holder  '
}

@test "status-summary --output json carries the same report" {
  fx_lease jirasync-controller-2 1
  fx_sync broken
  fx_status broken '{"status":{"phase":"Failed","retryCount":3,"lastError":"repository not found (404)"}}'
  fx_sync busy
  fx_status busy '{"status":{"phase":"Running","progress":{"percentage":20},"syncState":{"processedIssues":2,"totalIssues":10}}}'
  apply_fixtures
  run -1 summary -o json --errors 5
  [ "$(jq -c '.phases' <<<"$output")" = '{"Pending":0,"Running":1,"Completed":0,"Failed":1,"Suspended":0,"None":0}' ]
  [ "$(jq -c '.active | map([.name, .percentage, .processedIssues, .totalIssues])' <<<"$output")" = '[["busy",20,2,10]]' ]
  [ "$(jq -c '.recentErrors | map([.name, .retryCount, .lastError])' <<<"$output")" = '[["broken",3,"repository not found (404)"]]' ]
  [ "$(jq -c '[.leader.holder, .leader.valid, .leader.namespace]' <<<"$output")" = "[\"jirasync-controller-2\",true,\"$CTRL\"]" ]
}

@test "status-summary -A reports across namespaces" {
  fx_lease jirasync-controller-0 1
  fx_sync here
  fx_status here '{"status":{"phase":"Failed","lastError":"git authentication failed (401)"}}'
  apply_fixtures
  run -1 "$SCRIPTS/status-summary.sh" -A --controller-namespace "$CTRL" -o json --errors 100000
  [ "$(jq -r --arg ns "$NS" '.recentErrors[] | select(.namespace == $ns) | .name' <<<"$output")" = here ]
  [ "$(jq -r '.scope' <<<"$output")" = "all namespaces" ]
}
