#!/usr/bin/env bats
# health-check.sh: every health state, the summary line, exit codes and thresholds. A fresh Lease
# of the default shard leads in each test (shards.bats covers shards and missing leaders).

load helpers

setup() {
  common_setup controller
  fx_lease jirasync-controller-0 1
}

check() {
  "$SCRIPTS/health-check.sh" --controller-namespace "$CTRL" "$@"
}

# One JIRASync in each state.
all_states() {
  fx_sync ok-completed
  fx_status ok-completed "{\"status\":{\"phase\":\"Completed\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 300)\"}}}"
  fx_sync ok-running
  fx_status ok-running "{\"status\":{\"phase\":\"Running\",\"progress\":{\"percentage\":30,\"currentOperation\":\"fetch-issues\"},\"syncState\":{\"processedIssues\":3,\"totalIssues\":10,\"lastSyncTime\":\"$(ts_ago 3600)\"}}}"
  fx_sync stalled
  fx_status stalled "{\"status\":{\"phase\":\"Pending\",\"conditions\":[$(cond Stalled True SecretNotFound 'Secret jira-creds not found')]}}"
  fx_sync retrying
  fx_status retrying "{\"status\":{\"phase\":\"Running\",\"retryCount\":2,\"lastError\":\"Jira rate limit exceeded (429)\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 600)\"}}}"
  fx_sync stale
  fx_status stale "{\"status\":{\"phase\":\"Completed\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 172800)\"}}}"
  fx_sync failed
  fx_status failed '{"status":{"phase":"Failed","retryCount":3,"lastError":"Jira authentication failed (401)"}}'
  fx_sync pending
  fx_status pending '{"status":{"phase":"Pending"}}'
  fx_sync fresh
  fx_sync paused true
  fx_status paused '{"status":{"phase":"Suspended"}}'
  apply_fixtures
}

@test "health-check rates each JIRASync Healthy, Degraded, Unhealthy, Starting or Suspended with its reason, and exits 1 for the worst" {
  all_states
  run -1 --separate-stderr check -n "$NS"
  [[ ${lines[0]} =~ ^NAMESPACE\ +NAME\ +SHARD\ +HEALTH\ +PHASE\ +RETRIES\ +REASON$ ]]
  # Worst first.
  [[ ${lines[1]} =~ ^$NS\ +failed\ +default\ +Unhealthy\ +Failed\ +3\ +Failed:\ Jira\ authentication\ failed\ \(401\)$ ]]
  has_line "^$NS +retrying +default +Degraded +Running +2 +2 retries \\(threshold 2\\): Jira rate limit exceeded \\(429\\)$"
  has_line "^$NS +stale +default +Degraded +Completed +0 +last successful sync 2d ago \\(threshold 1d\\)$"
  has_line "^$NS +stalled +default +Degraded +Pending +0 +Stalled \\(SecretNotFound\\): Secret jira-creds not found$"
  has_line "^$NS +pending +default +Starting +Pending +0 +Pending$"
  has_line "^$NS +fresh +default +Starting +- +0 +no status yet: waiting for the controller$"
  has_line "^$NS +paused +default +Suspended +Suspended +0 +spec.suspend is true"
  has_line "^$NS +ok-completed +default +Healthy +Completed +0 +Completed; last success 5m ago$"
  has_line "^$NS +ok-running +default +Healthy +Running +0 +Running 30% \\(3/10 issues\\), fetch-issues$"
  [[ ${lines[-2]} =~ ^Shard\ default\ \(9\ JIRASyncs\):\ leader\ jirasync-controller-0\ \(renewed\ [0-9]+s\ ago\)\ \ \(Lease\ $CTRL/jirasync-leader\)$ ]]
  [ "${lines[-1]}" = "Summary: 9 JIRASyncs in namespace $NS: 2 Healthy, 3 Degraded, 1 Unhealthy, 2 Starting, 1 Suspended (worst: Unhealthy)" ]
  [ -z "$stderr" ]
}

@test "health-check exits 2 when the worst is Degraded and 0 when all are Healthy, Starting or Suspended" {
  fx_sync good
  fx_status good "{\"status\":{\"phase\":\"Completed\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 60)\"}}}"
  fx_sync waiting
  fx_sync paused true
  apply_fixtures
  run -0 check -n "$NS"
  [[ ${lines[-1]} =~ "3 JIRASyncs in namespace $NS: 1 Healthy, 0 Degraded, 0 Unhealthy, 1 Starting, 1 Suspended (worst: Starting)" ]]
  set_status good "{\"status\":{\"conditions\":[$(cond Stalled True InvalidSpec 'target.jqlQuery: unbalanced quotes')]}}"
  run -2 check -n "$NS"
  has_line "good +default +Degraded +Completed +0 +Stalled \\(InvalidSpec\\): target.jqlQuery: unbalanced quotes"
}

@test "health-check thresholds are flags: --retry-threshold and --stale-after" {
  fx_sync retrying
  fx_status retrying "{\"status\":{\"phase\":\"Running\",\"retryCount\":2,\"syncState\":{\"lastSyncTime\":\"$(ts_ago 7200)\"}}}"
  apply_fixtures
  run -2 check -n "$NS"
  run -0 check -n "$NS" --retry-threshold 3
  has_line "retrying +default +Healthy +Running"
  run -2 check -n "$NS" --retry-threshold=3 --stale-after 1h
  has_line "retrying +default +Degraded +Running +2 +last successful sync 2h ago \\(threshold 1h\\)"
  run -3 --separate-stderr check -n "$NS" --retry-threshold many
  one_stderr_line "--retry-threshold needs a whole number, not 'many'"
}

@test "health-check flags a sync that never succeeded since it was created longer ago than --stale-after" {
  fx_sync never
  fx_status never '{"status":{"phase":"Running"}}'
  apply_fixtures
  sleep 2
  run -2 check -n "$NS" --stale-after 1s
  has_line "never +default +Degraded +Running +0 +no successful sync since it was created [0-9]+s ago \\(threshold 1s\\)"
}

@test "health-check -A covers every namespace and --output json gives the same verdicts" {
  fx_sync alpha
  fx_status alpha '{"status":{"phase":"Failed","lastError":"repository not found (404)"}}'
  local first=$NS
  NS=$(new_ns_name s)
  fx_sync beta
  fx_status beta "{\"status\":{\"phase\":\"Completed\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 60)\"}}}"
  apply_fixtures
  run -1 check -A
  has_line "^$first +alpha +default +Unhealthy +Failed +0 +Failed: repository not found \\(404\\)$"
  has_line "^$NS +beta +default +Healthy +Completed"
  run -1 check -A -o json
  [ "$(jq -r --arg ns "$first" '.items[] | select(.namespace == $ns) | "\(.name) \(.health) \(.reason)"' <<<"$output")" = \
    "alpha Unhealthy Failed: repository not found (404)" ]
  [ "$(jq -r --arg ns "$NS" '.items[] | select(.namespace == $ns) | .health' <<<"$output")" = Healthy ]
  [ "$(jq -r '.scope, .summary.worst, .thresholds.retryThreshold, .thresholds.staleAfterSeconds' <<<"$output" | paste -sd' ')" = \
    "all namespaces Unhealthy 2 86400" ]
}

@test "health-check says so and exits 0 when a namespace has no JIRASyncs" {
  apply_fixtures
  run -0 check -n "$NS"
  [ "$output" = "No JIRASyncs found in namespace $NS." ]
  run -0 check -n "$NS" -o json
  [ "$(jq -c '[.summary.total, .summary.worst, .items]' <<<"$output")" = '[0,null,[]]' ]
}
