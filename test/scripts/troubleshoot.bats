#!/usr/bin/env bats
# troubleshoot.sh: each check and each verdict, from objects the test writes (controller pods are
# plain objects nobody runs; a Lease the test writes stands for the leader).

load helpers

# Secret values the output must never contain.
JIRA_TOKEN_VALUE=jira-token-value-7c1e
JIRA_EMAIL_VALUE=bot-7c1e@example.test
GIT_TOKEN_VALUE=git-token-value-9b2f

setup() {
  common_setup controller
}

diagnose() {
  "$SCRIPTS/troubleshoot.sh" "$@" -n "$NS" --controller-namespace "$CTRL"
}

good_secrets() {
  fx_secret jira-creds baseUrl=https://jira.example.test "email=$JIRA_EMAIL_VALUE" "apiToken=$JIRA_TOKEN_VALUE"
  fx_secret git-creds "token=$GIT_TOKEN_VALUE"
}

# failed_with NAME ERROR: a JIRASync that failed for good with ERROR, using the good Secrets.
failed_with() {
  fx_sync "$1" false jira-creds git-creds
  fx_status "$1" "{\"status\":{\"phase\":\"Failed\",\"retryCount\":3,\"lastError\":$(json_str "$2"),$(conds \
    "$(cond Ready False RetriesExhausted "$2")" "$(cond Stalled True RetriesExhausted "gave up after 3 retries")")}}"
}

# no_secret_values [DIR]: neither DIR (recursively) nor, without DIR, stdin holds a Secret value.
no_secret_values() {
  if (($#)); then
    ! grep -rqF -e "$JIRA_TOKEN_VALUE" -e "$JIRA_EMAIL_VALUE" -e "$GIT_TOKEN_VALUE" -- "$1"
  else
    ! grep -qF -e "$JIRA_TOKEN_VALUE" -e "$JIRA_EMAIL_VALUE" -e "$GIT_TOKEN_VALUE"
  fi
}

@test "troubleshoot checks the CRD, the controller, the leader, Secrets, conditions and Events, and finds no problem in a healthy sync" {
  fx_healthy_controller
  good_secrets
  fx_sync nightly false jira-creds git-creds
  fx_status nightly "{\"status\":{\"phase\":\"Completed\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 120)\"},$(conds \
    "$(cond Ready True Succeeded 'Synced 12 issues')" "$(cond Stalled False Succeeded 'Not stalled')")}}"
  fx_event nightly SyncStarted Normal 'Sync started' 200
  fx_event nightly SyncCompleted Normal 'Synced 12 issues, 1 commit' 120
  apply_fixtures
  run -0 --separate-stderr diagnose nightly
  [[ ${lines[0]} =~ ^JIRASync\ troubleshooting\ of\ $NS/nightly, ]]
  has_line '^  \[ok\] CRD jirasyncs.sync.jira.io installed$'
  has_line "^  \\[ok\\] controller pods in $CTRL: 1$"
  has_line '^      jirasync-controller-0  Running  ready  restarts 0  \(leader\)$'
  has_line "^  \\[ok\\] shard default: leader jirasync-controller-0 \\(renewed [0-9]+s ago\\)  \\(Lease $CTRL/jirasync-leader\\)$"
  has_line '^  phase Completed, retries 0, last success 2m ago$'
  has_line '^    Ready=True  Succeeded  Synced 12 issues$'
  has_line '^    \[ok\] jira Secret jira-creds: keys apiToken, baseUrl, email$'
  has_line '^    \[ok\] git Secret git-creds: keys token$'
  has_line '^    3m ago  Normal  SyncStarted  Sync started$'
  has_line '^    2m ago  Normal  SyncCompleted  Synced 12 issues, 1 commit$'
  has_line '^    jirasync-controller-0: '
  [ "${lines[-1]}" = '  [ok] No problem found.' ]
  no_secret_values <<<"$output"
  [ -z "$stderr" ]
}

@test "troubleshoot verdict: bad Jira credentials, with the Secret to fix and how to re-run" {
  fx_healthy_controller
  good_secrets
  failed_with nightly 'Jira authentication failed: HTTP 401 Unauthorized from https://jira.example.test'
  fx_event nightly SyncFailed Warning 'Jira authentication failed: HTTP 401 Unauthorized' 60 4
  fx_event nightly JiraUpdated Normal 'Commented on PROJ-1 and moved it to Blocked' 30
  apply_fixtures
  run -1 diagnose nightly
  has_line '^    5?[0-9]s ago  Warning  SyncFailed \(x4\)  Jira authentication failed: HTTP 401 Unauthorized$|^    1m ago  Warning  SyncFailed \(x4\)'
  has_line '^  \[FAIL\] Bad Jira credentials: Jira rejected the credentials \(HTTP 401\): Jira authentication failed: HTTP 401 Unauthorized'
  has_line "^      Next step: Check Secret $NS/jira-creds: Jira Cloud needs email \\+ apiToken .* then run sync-now.sh nightly -n $NS\\.$"
  has_line '^  \[info\] The failure was reported to Jira: Commented on PROJ-1 and moved it to Blocked$'
  # The specific cause replaces the generic ones.
  no_line 'Retries exhausted|Stalled \(|The sync failed'
  run -1 diagnose nightly -o json
  [ "$(jq -c '[.findings[].id]' <<<"$output")" = '["jira-auth","jira-updated"]' ]
  no_secret_values <<<"$output"
}

@test "troubleshoot verdict: Jira rate limiting is a warning while the controller retries" {
  fx_healthy_controller
  good_secrets
  fx_sync busy false jira-creds git-creds
  fx_status busy "{\"status\":{\"phase\":\"Running\",\"retryCount\":1,\"lastError\":\"Jira rate limit reached (HTTP 429), retrying\",\"nextRunTime\":\"$(ts_ago -90)\"}}"
  fx_event busy RetryScheduled Warning 'Retry 1 in 90s: Jira rate limit reached (HTTP 429)' 10
  apply_fixtures
  run -2 diagnose busy
  has_line '^  \[warn\] Jira is rate limiting: Jira answered 429 Too Many Requests: Jira rate limit reached \(HTTP 429\), retrying$'
  has_line '^      Next step: The controller backs off and retries \(next attempt in 1m\)'
  no_line 'Retrying \(retry'
}

@test "troubleshoot verdict: git authentication" {
  fx_healthy_controller
  good_secrets
  failed_with pushy 'git authentication failed: HTTP 403 pushing to https://git.example.test/team/issues.git'
  apply_fixtures
  run -1 diagnose pushy
  has_line '^  \[FAIL\] git authentication failed: the git server refused the credentials \(HTTP 401/403\)'
  has_line "^      Next step: Check Secret $NS/git-creds \\(key token, optional username\\): the token must be valid and allowed to push to https://git.example.test/team/issues.git"
}

@test "troubleshoot verdict: repository not found" {
  fx_healthy_controller
  good_secrets
  failed_with lost 'repository not found: https://git.example.test/team/issues.git (HTTP 404)'
  apply_fixtures
  run -1 diagnose lost
  has_line '^  \[FAIL\] Repository not found: https://git.example.test/team/issues.git answered 404'
  has_line '^      Next step: Check spec.destination.repository'
}

@test "troubleshoot verdict: a referenced Secret is missing" {
  fx_healthy_controller
  fx_secret git-creds "token=$GIT_TOKEN_VALUE"
  fx_sync orphan false jira-creds git-creds
  fx_status orphan "{\"status\":{\"phase\":\"Pending\",$(conds "$(cond Stalled True SecretNotFound 'Secret jira-creds not found')" \
    "$(cond Ready False SecretNotFound 'Secret jira-creds not found')")}}"
  apply_fixtures
  run -1 diagnose orphan
  has_line '^    \[FAIL\] jira Secret jira-creds: not found$'
  has_line '^    \[ok\] git Secret git-creds: keys token$'
  has_line "^  \\[FAIL\\] Secret jira-creds not found: the jira Secret $NS/jira-creds referenced by the spec does not exist$"
  has_line "^      Next step: Create it in namespace $NS with keys baseUrl, and email \\+ apiToken or token, then run sync-now.sh orphan -n $NS\\.$"
  no_line 'Stalled \(|A referenced Secret was not found'
  no_secret_values <<<"$output"
}

@test "troubleshoot verdict: Secrets without the right keys, values never shown" {
  fx_healthy_controller
  fx_secret jira-creds baseUrl=https://jira.example.test "email=$JIRA_EMAIL_VALUE"
  fx_secret git-creds token= username=bot
  fx_sync keyless false jira-creds git-creds
  fx_status keyless "{\"status\":{\"phase\":\"Pending\",$(conds "$(cond Stalled True SecretInvalid 'Secret jira-creds has no apiToken')")}}"
  apply_fixtures
  run -1 diagnose keyless
  has_line '^    \[FAIL\] jira Secret jira-creds: keys baseUrl, email; missing apiToken$'
  has_line '^    \[FAIL\] git Secret git-creds: keys token, username; missing token \(empty\)$'
  has_line '^  \[FAIL\] Secret jira-creds lacks keys: apiToken: '
  has_line '^  \[FAIL\] Secret git-creds lacks keys: token \(empty\): '
  no_secret_values <<<"$output"
}

@test "troubleshoot verdict: an invalid spec, a stalled sync, exhausted retries and a plain failure" {
  fx_healthy_controller
  good_secrets
  fx_sync badspec false jira-creds git-creds
  fx_status badspec "{\"status\":{$(conds "$(cond Stalled True InvalidSpec 'schedule: expected 5 fields')")}}"
  fx_sync stuck false jira-creds git-creds
  fx_status stuck "{\"status\":{$(conds "$(cond Stalled True BranchProtected 'branch main is protected')")}}"
  failed_with tired 'unexpected EOF reading the response'
  fx_sync plain false jira-creds git-creds
  fx_status plain '{"status":{"phase":"Failed","lastError":"disk full writing the clone"}}'
  apply_fixtures

  run -1 diagnose badspec
  has_line '^  \[FAIL\] The spec is invalid: schedule: expected 5 fields$'

  run -1 diagnose stuck
  has_line '^  \[FAIL\] Stalled \(BranchProtected\): branch main is protected$'
  has_line '^      Next step: The controller will not retry on its own'

  run -1 diagnose tired
  has_line '^  \[FAIL\] Retries exhausted: gave up after 3 retries: unexpected EOF reading the response$'

  run -1 diagnose plain
  has_line '^  \[FAIL\] The sync failed: disk full writing the clone$'
}

@test "troubleshoot verdict: no leader, whether the Lease is missing or expired" {
  fx_pod jirasync-controller-0
  good_secrets
  fx_sync fine false jira-creds git-creds
  fx_status fine "{\"status\":{\"phase\":\"Completed\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 60)\"}}}"
  apply_fixtures
  run -1 diagnose fine
  has_line "^  \\[FAIL\\] shard default: no current leader: no Lease  \\(Lease $CTRL/jirasync-leader\\)$"
  has_line "^  \\[FAIL\\] No controller is leading: no Lease jirasync-leader in namespace $CTRL: no JIRASync of the default shard is being reconciled$"
  fx_lease jirasync-controller-0 300 15
  apply_fixtures
  run -1 diagnose fine
  has_line '^  \[FAIL\] No controller is leading: jirasync-controller-0 \(expired: last renewed 5m ago, lease duration 15s\)'
  has_line '^      Next step: Check the controller pods of the default shard and their logs'
}

@test "troubleshoot verdict: no controller pods, or none running and ready" {
  good_secrets
  fx_sync fine false jira-creds git-creds
  apply_fixtures
  run -1 diagnose fine
  has_line "^  \\[FAIL\\] no controller pods \\(app.kubernetes.io/name=jirasync,app.kubernetes.io/component=controller\\) in namespace $CTRL$"
  has_line '^  \[FAIL\] No controller is running: '
  has_line '^    \(no controller pods\)$'
  # A fresh Lease but no labelled pods: a controller runs elsewhere (another namespace, outside the cluster).
  fx_lease controller-a_0123 1
  apply_fixtures
  run -2 diagnose fine
  has_line "^  \\[warn\\] no controller pods \\(app.kubernetes.io/name=jirasync,app.kubernetes.io/component=controller\\) in namespace $CTRL$"
  has_line "^  \\[warn\\] No controller pods here, but a controller leads: no pods labelled .* in namespace $CTRL, yet controller-a_0123 \\(renewed [0-9]+s ago\\) holds the Lease$"
  fx_pod jirasync-controller-0 Pending False
  fx_lease jirasync-controller-0 1
  apply_fixtures
  run -1 diagnose fine
  has_line '^  \[FAIL\] No controller pod is running and ready: jirasync-controller-0 Pending$'
}

@test "troubleshoot reads failures from recent Events, and ignores those a later success cleared" {
  fx_healthy_controller
  good_secrets
  fx_sync evented false jira-creds git-creds
  fx_status evented '{"status":{"phase":"Running"}}'
  fx_event evented SyncFailed Warning 'git authentication failed (HTTP 401)' 20
  apply_fixtures
  run -1 diagnose evented
  has_line '^  \[FAIL\] git authentication failed: '
  fx_event evented SyncCompleted Normal 'Synced 3 issues' 5
  apply_fixtures
  set_status evented "{\"status\":{\"phase\":\"Completed\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 5)\"}}}"
  run -0 diagnose evented
  [ "${lines[-1]}" = '  [ok] No problem found.' ]
}

@test "troubleshoot notes a suspended sync, and one the controller has not picked up" {
  fx_healthy_controller
  fx_sync paused true
  fx_status paused '{"status":{"phase":"Suspended"}}'
  fx_sync ignored
  apply_fixtures
  run -0 diagnose paused
  has_line '^  \[info\] Suspended: spec.suspend is true: no new run starts$'
  has_line '^    \[info\] jira: no secretRef: the controller.s default connection, only if the operator offers it to this namespace$'
  sleep 1
  run -2 diagnose ignored --pending-after 1s
  has_line "^  \\[warn\\] The controller has not started it: no status since it was created [0-9]+s ago$"
  has_line "^      Next step: .*WATCH_NAMESPACES"
}

@test "troubleshoot without a NAME checks the controller and lists the syncs in trouble" {
  fx_healthy_controller
  fx_sync good
  fx_status good "{\"status\":{\"phase\":\"Completed\",\"syncState\":{\"lastSyncTime\":\"$(ts_ago 60)\"}}}"
  apply_fixtures
  run -0 diagnose
  has_line "^  \\[ok\\] $NS/good  Healthy  Completed; last success 1m ago$"
  fx_sync bad
  fx_status bad '{"status":{"phase":"Failed","lastError":"Jira authentication failed (401)"}}'
  apply_fixtures
  run -1 diagnose
  [[ ${lines[0]} =~ ^JIRASync\ troubleshooting\ \(namespace\ $NS\), ]]
  has_line "^  \\[FAIL\\] $NS/bad is Unhealthy: Failed: Jira authentication failed \\(401\\)$"
  has_line "^      Next step: troubleshoot.sh bad -n $NS$"
}

@test "troubleshoot --bundle writes the report, YAML, Events, Lease, pods and logs, with Secret key names but no values" {
  fx_healthy_controller
  good_secrets
  failed_with nightly 'Jira authentication failed (401)'
  fx_event nightly SyncFailed Warning 'Jira authentication failed (401)' 30
  apply_fixtures
  local dir=$BATS_TEST_TMPDIR/bundle
  run -1 --separate-stderr diagnose nightly --bundle "$dir"
  [ "$stderr" = "troubleshoot.sh: bundle written to $dir" ]
  for f in README.txt report.txt report.json jirasync.yaml events.yaml secrets.yaml leases.yaml controller-pods.json \
    logs/jirasync-controller-0.log; do
    [ -f "$dir/$f" ] || { echo "missing $f" >&2; return 1; }
  done
  [ "$(cat "$dir/report.txt")" = "$output" ]
  grep -q '^kind: JIRASync$' "$dir/jirasync.yaml"
  grep -q 'reason: SyncFailed' "$dir/events.yaml"
  grep -q 'holderIdentity: jirasync-controller-0' "$dir/leases.yaml"
  grep -qF 'keys: ["apiToken","baseUrl","email"]' "$dir/secrets.yaml"
  grep -qF 'keys: ["token"]' "$dir/secrets.yaml"
  [ "$(jq -r '.findings[0].id' "$dir/report.json")" = jira-auth ]
  no_secret_values "$dir"
  # A folder that is not empty is refused before anything is collected.
  run -3 --separate-stderr diagnose nightly --bundle "$dir"
  one_stderr_line "--bundle folder $dir is not empty"
  [ -z "$output" ]
}

@test "troubleshoot exits 3 with one line when the JIRASync does not exist" {
  fx_healthy_controller
  apply_fixtures
  run -3 --separate-stderr diagnose nope
  [ -z "$output" ]
  one_stderr_line "^troubleshoot.sh: JIRASync $NS/nope not found$"
}

@test "troubleshoot verdict follows the failure reason: credentials missing, a Secret not opted in, egress denied, deletion refused, an anonymous Jira answer" {
  fx_healthy_controller
  good_secrets
  FX_SECRET_UNLABELLED=1 fx_secret jira-plain baseUrl=https://jira.example.test "email=$JIRA_EMAIL_VALUE" "apiToken=$JIRA_TOKEN_VALUE"
  FX_SECRET_TYPE=example.test/other fx_secret git-odd "token=$GIT_TOKEN_VALUE"
  fx_sync orphan false '' ''
  fx_status orphan "{\"status\":{\"phase\":\"Failed\",\"lastError\":\"spec.jira.secretRef is not set and the default connection is not offered to this namespace\",$(conds \
    "$(cond Ready False CredentialsMissing 'spec.jira.secretRef is not set')" "$(cond Stalled True CredentialsMissing 'spec.jira.secretRef is not set')")}}"
  fx_sync unlabelled false jira-plain git-odd
  fx_status unlabelled "{\"status\":{\"phase\":\"Pending\",\"retryCount\":1,\"lastError\":\"Jira Secret jira-plain is not opted in\",$(conds \
    "$(cond Ready False SecretNotAllowed 'Jira Secret jira-plain is not opted in')")}}"
  fx_sync internal false jira-creds git-creds
  fx_status internal "{\"status\":{\"phase\":\"Failed\",\"lastError\":\"egress to 169.254.169.254 denied\",$(conds \
    "$(cond Ready False EgressDenied 'egress to 169.254.169.254 denied')" "$(cond Stalled True EgressDenied 'egress to 169.254.169.254 denied')")}}"
  fx_sync guarded false jira-creds git-creds
  fx_status guarded "{\"status\":{\"phase\":\"Failed\",\"lastError\":\"would delete 10000 of 10000 stored issues\",$(conds \
    "$(cond Ready False DeletionRefused 'would delete 10000 of 10000 stored issues')" "$(cond Stalled True DeletionRefused 'would delete 10000 of 10000 stored issues')")}}"
  fx_sync anon false jira-creds git-creds
  fx_status anon "{\"status\":{\"phase\":\"Pending\",\"retryCount\":2,\"lastError\":\"Jira answered as an anonymous user\",$(conds \
    "$(cond Ready False AuthenticationFailed 'Jira answered as an anonymous user')")}}"
  apply_fixtures

  run -1 diagnose orphan
  has_line '^  \[FAIL\] No credentials for this namespace: '
  run -1 --separate-stderr diagnose unlabelled
  has_line '^    \[FAIL\] jira Secret jira-plain: not opted in \(type Opaque, needs Opaque with label sync.jira.io/credentials=true\)$'
  has_line '^  \[FAIL\] Secret jira-plain is not opted in: .* without the label$'
  has_line "^      Next step: kubectl -n $NS label secret jira-plain sync.jira.io/credentials=true"
  has_line '^  \[FAIL\] Secret git-odd is not opted in: .*of type example.test/other$'
  no_secret_values <<<"$output"
  run -1 diagnose internal
  has_line '^  \[FAIL\] The controller may not connect to this host: egress to 169.254.169.254 denied$'
  run -1 diagnose guarded
  has_line '^  \[FAIL\] The deletion guard stopped the run: would delete 10000 of 10000 stored issues$'
  has_line '^      Next step: Nothing was deleted\.'
  run -1 diagnose anon
  has_line '^  \[FAIL\] Bad Jira credentials: '
}
