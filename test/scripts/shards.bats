#!/usr/bin/env bats
# Shards in health-check.sh, troubleshoot.sh and status-summary.sh: the shard that owns a JIRASync,
# told from its label sync.jira.io/shard and the shard Leases in the controller namespace
# (jirasync-leader for the default shard, jirasync-leader-X for shard X), and that shard's leader.

load helpers

setup() {
  common_setup controller
}

check() {
  "$SCRIPTS/health-check.sh" -n "$NS" --controller-namespace "$CTRL" "$@"
}

diagnose() {
  "$SCRIPTS/troubleshoot.sh" "$@" -n "$NS" --controller-namespace "$CTRL"
}

summary() {
  "$SCRIPTS/status-summary.sh" -n "$NS" --controller-namespace "$CTRL" "$@"
}

# completed NAME: a JIRASync in $NS (labelled FX_SHARD when set) that succeeded a minute ago.
completed() {
  fx_sync "$1"
  fx_status "$1" "{\"status\":{\"phase\":\"Completed\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 60)\"}}}"
}

@test "an unlabelled JIRASync belongs to the default shard, whose leader every tool shows" {
  fx_healthy_controller
  completed plain
  apply_fixtures
  run -0 --separate-stderr check
  [[ ${lines[0]} =~ ^NAMESPACE\ +NAME\ +SHARD\ +HEALTH ]]
  has_line "^$NS +plain +default +Healthy +Completed +0 +Completed; last success 1m ago$"
  has_line "^Shard default \\(1 JIRASync\\): leader jirasync-controller-0 \\(renewed [0-9]+s ago\\)  \\(Lease $CTRL/jirasync-leader\\)$"
  no_line 'No current leader'
  [ -z "$stderr" ]
  run -0 check -o json
  [ "$(jq -c '.items[0].shard' <<<"$output")" = '{"shard":"default","label":"","lease":"jirasync-leader","known":true}' ]
  [ "$(jq -c '.shards | map([.shard, .syncs, .holder, .valid])' <<<"$output")" = '[["default",1,"jirasync-controller-0",true]]' ]

  run -0 diagnose plain
  has_line "^  \\[ok\\] shard default: leader jirasync-controller-0 \\(renewed [0-9]+s ago\\)  \\(Lease $CTRL/jirasync-leader\\)$"
  has_line '^  shard default \(no label sync.jira.io/shard\)$'
  [ "${lines[-1]}" = '  [ok] No problem found.' ]

  run -0 summary
  has_line '^Leaders$'
  has_line "^  shard default \\(1 JIRASync\\): leader jirasync-controller-0 \\(renewed [0-9]+s ago\\)  \\(Lease $CTRL/jirasync-leader\\)$"
}

@test "a JIRASync labelled with a shard whose Lease is held belongs to that shard, its leader and its pods" {
  # Shard east leads; the default shard has no Lease at all, which matters only where it is shown.
  FX_SHARD=east fx_pod jirasync-controller-east-0
  fx_lease jirasync-controller-east-0 2 300 east
  FX_SHARD=east completed eastern
  apply_fixtures
  run -0 check
  has_line "^$NS +eastern +east +Healthy +Completed +0 +Completed; last success 1m ago$"
  has_line "^Shard east \\(1 JIRASync\\): leader jirasync-controller-east-0 \\(renewed [0-9]+s ago\\)  \\(Lease $CTRL/jirasync-leader-east\\)$"
  no_line '^Shard default'

  run -0 diagnose eastern
  has_line "^  \\[ok\\] controller pods in $CTRL: 1$"
  has_line '^      jirasync-controller-east-0  Running  ready  restarts 0  \(leader\)$'
  has_line "^  \\[ok\\] shard east: leader jirasync-controller-east-0 \\(renewed [0-9]+s ago\\)  \\(Lease $CTRL/jirasync-leader-east\\)$"
  has_line "^  shard east \\(label sync.jira.io/shard=east, Lease $CTRL/jirasync-leader-east\\)$"
  no_line 'shard default'
  [ "${lines[-1]}" = '  [ok] No problem found.' ]
  run -0 diagnose eastern -o json
  [ "$(jq -c '[.owner.shard, .leader.shard, .leader.valid, .selector]' <<<"$output")" = \
    '["east","east",true,"app.kubernetes.io/name=jirasync,app.kubernetes.io/component=controller-east"]' ]

  # status-summary always shows the default shard: without its Lease there is no current leader there.
  run -2 summary
  has_line "^  shard default \\(0 JIRASyncs\\): no current leader: no Lease  \\(Lease $CTRL/jirasync-leader\\)$"
  has_line "^  shard east \\(1 JIRASync\\): leader jirasync-controller-east-0 \\(renewed [0-9]+s ago\\)  \\(Lease $CTRL/jirasync-leader-east\\)$"
}

@test "a labelled JIRASync whose shard Lease has expired: health-check exits 2, troubleshoot finds a problem" {
  fx_healthy_controller
  FX_SHARD=east fx_pod jirasync-controller-east-0
  fx_lease jirasync-controller-east-0 300 15 east
  completed plain
  FX_SHARD=east completed eastern
  apply_fixtures
  run -2 --separate-stderr check
  has_line "^$NS +eastern +east +Healthy +Completed"
  has_line "^Shard default \\(1 JIRASync\\): leader jirasync-controller-0 "
  has_line "^Shard east \\(1 JIRASync\\): no current leader: jirasync-controller-east-0 \\(expired: last renewed 5m ago, lease duration 15s\\)  \\(Lease $CTRL/jirasync-leader-east\\)$"
  [ "${lines[-2]}" = "Summary: 2 JIRASyncs in namespace $NS: 2 Healthy, 0 Degraded, 0 Unhealthy, 0 Starting, 0 Suspended (worst: Healthy)" ]
  [ "${lines[-1]}" = 'No current leader in shard east: their JIRASyncs are not being reconciled' ]
  [ -z "$stderr" ]
  # A failed sync still makes it 1.
  set_status plain '{"status":{"phase":"Failed","lastError":"disk full"}}'
  run -1 check

  run -1 diagnose eastern
  has_line "^  \\[FAIL\\] shard east: no current leader: jirasync-controller-east-0 \\(expired: last renewed 5m ago, lease duration 15s\\)  \\(Lease $CTRL/jirasync-leader-east\\)$"
  has_line "^  shard east \\(label sync.jira.io/shard=east, Lease $CTRL/jirasync-leader-east\\)$"
  has_line "^  \\[FAIL\\] No controller is leading shard east: jirasync-controller-east-0 \\(expired: last renewed 5m ago, lease duration 15s\\): no JIRASync of shard east is being reconciled$"
  has_line "^      Next step: Check the controller pods of shard east and their logs \\(kubectl -n $CTRL logs -l app.kubernetes.io/name=jirasync,app.kubernetes.io/component=controller-east\\); .* delete lease jirasync-leader-east\\)\\.$"
  # The unlabelled sync's shard leads: nothing wrong with the controller there.
  run -1 diagnose plain
  has_line "^  \\[ok\\] shard default: leader jirasync-controller-0 "
  no_line 'shard east|No controller is leading'
  # Without NAME: every shard, and the one without a leader among the problems.
  run -1 diagnose
  has_line "^  \\[ok\\] shard default \\(1 JIRASync\\): leader jirasync-controller-0 "
  has_line "^  \\[FAIL\\] shard east \\(1 JIRASync\\): no current leader: "
  has_line '^  \[FAIL\] No controller is leading shard east: '
  run -1 diagnose -o json
  [ "$(jq -c '[.findings[] | select(.severity == "problem") | .id]' <<<"$output")" = '["no-leader","sync-unhealthy"]' ]

  run -1 summary
  has_line "^  shard east \\(1 JIRASync\\): no current leader: jirasync-controller-east-0 \\(expired: "
  set_status plain "{\"status\":{\"phase\":\"Completed\",\"lastError\":null,\"syncState\":{\"lastSyncTime\":\"$(ts_ago 60)\"}}}"
  run -2 summary
}

@test "a label naming a shard without a Lease: the default shard serves it, troubleshoot warns" {
  fx_healthy_controller
  FX_SHARD=esat completed typo
  apply_fixtures
  run -0 check
  has_line "^$NS +typo +default \\(label esat\\) +Healthy +Completed"
  has_line "^Shard default \\(1 JIRASync\\): leader jirasync-controller-0 \\(renewed [0-9]+s ago\\)  \\(Lease $CTRL/jirasync-leader\\)$"
  has_line "^Shard esat \\(1 JIRASync\\): unknown to the cluster \\(no Lease $CTRL/jirasync-leader-esat\\); the default shard serves it$"
  run -0 check -o json
  [ "$(jq -c '.items[0].shard' <<<"$output")" = \
    '{"shard":"default","label":"esat","lease":"jirasync-leader","known":false,"missingLease":"jirasync-leader-esat"}' ]

  run -2 diagnose typo
  has_line "^  \\[ok\\] shard default: leader jirasync-controller-0 "
  has_line "^  shard default \\(label sync.jira.io/shard=esat names a shard unknown to the cluster: no Lease $CTRL/jirasync-leader-esat\\)$"
  has_line "^  \\[warn\\] Label sync.jira.io/shard=esat names a shard unknown to the cluster: this JIRASync is labelled sync.jira.io/shard=esat but there is no Lease $CTRL/jirasync-leader-esat: the default shard serves it, as the controller does with a shard it is not configured for$"
  has_line "^      Next step: If esat is a typo, fix the label: kubectl -n $NS label jirasyncs.sync.jira.io typo sync.jira.io/shard=SHARD --overwrite .* If esat is in the chart's shards, its Deployment has never elected a leader and no shard serves it: kubectl -n $CTRL get pods -l app.kubernetes.io/component=controller-esat\\.$"
  run -2 diagnose
  has_line "^  \\[warn\\] shard esat \\(1 JIRASync\\): unknown to the cluster \\(no Lease $CTRL/jirasync-leader-esat\\); the default shard serves it$"

  run -0 summary
  has_line "^  shard default \\(1 JIRASync\\): leader jirasync-controller-0 "
  has_line "^  shard esat \\(1 JIRASync\\): unknown to the cluster \\(no Lease $CTRL/jirasync-leader-esat\\); the default shard serves it$"
}
