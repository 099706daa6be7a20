#!/usr/bin/env bats
# What every tool shares: help, usage errors, missing kubectl or jq, a cluster without the CRD, an
# unreachable API server, --context/--kubeconfig, odd names and texts, and colour only on a terminal.

load helpers

TOOLS=(monitor-sync.sh health-check.sh watch-conditions.sh status-summary.sh troubleshoot.sh sync-now.sh)
JQ_TOOLS=(monitor-sync.sh health-check.sh watch-conditions.sh status-summary.sh troubleshoot.sh)

setup() {
  common_setup
}

# args_for TOOL: arguments that make TOOL do its normal work on JIRASync "x" in $NS.
args_for() {
  case $1 in
    monitor-sync.sh | watch-conditions.sh | sync-now.sh) ARGS=(x -n "$NS" --timeout 5) ;;
    troubleshoot.sh) ARGS=(x -n "$NS") ;;
    *) ARGS=(-n "$NS") ;;
  esac
  [[ $1 == sync-now.sh ]] && ARGS+=(--wait)
  return 0
}

# bin_without COMMAND...: a folder for PATH with bash and the usual tools, but not COMMANDs.
bin_without() {
  local dir=$BATS_TEST_TMPDIR/bin-${1} cmd path
  mkdir -p "$dir"
  for cmd in bash env kubectl jq mktemp rm tr date sleep mkfifo cat ls grep; do
    [[ " $* " == *" $cmd "* ]] && continue
    path=$(command -v "$cmd") && ln -sf "$(readlink -f "$path")" "$dir/$cmd"
  done
  printf '%s' "$dir"
}

@test "every tool has --help with usage, examples and the exit codes, and exits 0" {
  for tool in "${TOOLS[@]}"; do
    run -0 "$SCRIPTS/$tool" --help
    has_line "^Usage: $tool "
    has_line '^Examples:$'
    has_line '^Exit codes:$'
    has_line '^  0  '
    has_line '^  3  usage or connection error'
    run -0 "$SCRIPTS/$tool" -h
  done
}

@test "every tool rejects an unknown option with exit 3 and one line on stderr" {
  for tool in "${TOOLS[@]}"; do
    run -3 --separate-stderr "$SCRIPTS/$tool" --frobnicate
    one_stderr_line "^$tool: unknown option: --frobnicate \\(see $tool --help\\)$"
    [ -z "$output" ]
  done
  run -3 --separate-stderr "$SCRIPTS/health-check.sh" stray
  one_stderr_line '^health-check.sh: unknown argument: stray '
  run -3 --separate-stderr "$SCRIPTS/monitor-sync.sh" one two
  one_stderr_line 'only one NAME may be given'
  run -3 --separate-stderr "$SCRIPTS/health-check.sh" -o yaml
  one_stderr_line "--output must be text or json, not 'yaml'"
  run -3 --separate-stderr "$SCRIPTS/monitor-sync.sh" x --timeout soon
  one_stderr_line "invalid duration 'soon'"
  run -3 --separate-stderr "$SCRIPTS/monitor-sync.sh"
  one_stderr_line 'a JIRASync NAME is required'
  run -3 --separate-stderr "$SCRIPTS/health-check.sh" -n "$NS" -A
  one_stderr_line 'use either --namespace or --all-namespaces'
}

@test "every tool exits 3 with one line when kubectl is not on PATH" {
  local bin
  bin=$(bin_without kubectl)
  for tool in "${TOOLS[@]}"; do
    args_for "$tool"
    PATH=$bin run -3 --separate-stderr "$SCRIPTS/$tool" "${ARGS[@]}"
    one_stderr_line "^$tool: kubectl not found on PATH"
  done
}

@test "the tools that read JSON exit 3 with one line when jq is missing, and sync-now works without it" {
  fx_sync x
  apply_fixtures
  local bin
  bin=$(bin_without jq)
  for tool in "${JQ_TOOLS[@]}"; do
    args_for "$tool"
    PATH=$bin run -3 --separate-stderr "$SCRIPTS/$tool" "${ARGS[@]}"
    one_stderr_line "^$tool: jq not found on PATH; this tool needs jq"
  done
  PATH=$bin run -0 "$SCRIPTS/sync-now.sh" x -n "$NS"
  has_line "^Requested a sync of JIRASync $NS/x "
  PATH=$bin run -3 --separate-stderr "$SCRIPTS/sync-now.sh" x -n "$NS" --wait
  one_stderr_line 'jq not found on PATH'
}

@test "every tool exits 3 with one line when the cluster has no JIRASync CRD" {
  : "${JIRASYNC_NOCRD_KUBECONFIG:?the tap wrapper provides a control plane without the CRD}"
  for tool in "${TOOLS[@]}"; do
    args_for "$tool"
    KUBECONFIG=$JIRASYNC_NOCRD_KUBECONFIG run -3 --separate-stderr "$SCRIPTS/$tool" "${ARGS[@]}"
    one_stderr_line "^$tool: the JIRASync CRD \\(jirasyncs.sync.jira.io\\) is not installed in this cluster; install the jirasync Helm chart"
  done
  # troubleshoot says so in its report too.
  KUBECONFIG=$JIRASYNC_NOCRD_KUBECONFIG run -3 "$SCRIPTS/troubleshoot.sh" x -n default
  has_line '^  \[FAIL\] CRD jirasyncs.sync.jira.io not installed$'
  has_line '^  \[FAIL\] The JIRASync CRD is not installed: '
}

@test "every tool exits 3 with one line when the API server cannot be reached" {
  local kc=$BATS_TEST_TMPDIR/unreachable.kubeconfig
  cat >"$kc" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: gone, context: {cluster: gone, user: u}}]
current-context: gone
EOF
  for tool in "${TOOLS[@]}"; do
    args_for "$tool"
    run -3 --separate-stderr "$SCRIPTS/$tool" "${ARGS[@]}" --kubeconfig "$kc"
    one_stderr_line "^$tool: cannot reach the Kubernetes API server: "
  done
}

@test "the tools that take a NAME exit 3 with one line when the JIRASync does not exist" {
  apply_fixtures
  for tool in monitor-sync.sh watch-conditions.sh sync-now.sh troubleshoot.sh; do
    run -3 --separate-stderr "$SCRIPTS/$tool" nope -n "$NS"
    one_stderr_line "^$tool: JIRASync $NS/nope not found$"
  done
}

@test "--kubeconfig and --context are passed to kubectl" {
  apply_fixtures
  local kc=$KUBECONFIG
  KUBECONFIG=/nonexistent run -0 "$SCRIPTS/health-check.sh" -n "$NS" --kubeconfig "$kc" --context jirasync-test
  [ "$output" = "No JIRASyncs found in namespace $NS." ]
  run -3 --separate-stderr "$SCRIPTS/health-check.sh" -n "$NS" --context no-such-context
  one_stderr_line 'context "no-such-context" does not exist'
}

@test "names that are not Kubernetes names are refused before kubectl sees them" {
  local marker=$BATS_TEST_TMPDIR/ran
  for name in "\$(touch $marker)" 'Upper' '../etc' '-x.y' 'a b'; do
    run -3 --separate-stderr "$SCRIPTS/monitor-sync.sh" "$name"
    [[ $stderr =~ (invalid JIRASync name|unknown option) ]]
  done
  run -3 --separate-stderr "$SCRIPTS/health-check.sh" -n "\$(touch $marker)"
  one_stderr_line 'invalid namespace name'
  [ ! -e "$marker" ]
}

@test "odd but valid names and hostile status texts are shown literally and safely by every tool" {
  local long marker=$BATS_TEST_TMPDIR/ran
  long=$(printf 'a.%.0s' {1..100})0-x.y-9   # 209 characters with dots, digits and dashes
  NS=$(new_ns_name 0-odd)
  fx_sync "$long"
  local err="Jira said \"no\" \$(touch $marker) \`id\` %s %d \\\\ back\\slash — ünïcödé"
  fx_status "$long" "{\"status\":{\"phase\":\"Failed\",\"retryCount\":3,\"lastError\":$(json_str "$err")}}"
  # A tab, a newline and a terminal escape in a condition message.
  apply_fixtures
  set_status "$long" '{"status":{"conditions":[{"type":"Ready","status":"False","reason":"SyncFailed","message":"line one\nline\ttwo \u001b[31mred","lastTransitionTime":"2025-01-01T00:00:00Z"}]}}'
  run -1 "$SCRIPTS/health-check.sh" -n "$NS"
  has_line "^$NS +$long +default +Unhealthy +Failed +3 +Failed: Jira said \"no\" \\\$\\(touch .*\\) \`id\` %s %d .* ünïcödé$"
  run -1 "$SCRIPTS/monitor-sync.sh" "$long" -n "$NS" --timeout 30
  has_line "^$NS/$long Failed: Jira said \"no\" \\\$\\(touch "
  run -0 "$SCRIPTS/watch-conditions.sh" "$long" -n "$NS" --timeout 1
  has_line '^  Ready +False +SyncFailed +2025-01-01T00:00:00Z +line one line two +\[31mred$'
  [[ $output != *$'\e'* ]]
  run -1 "$SCRIPTS/status-summary.sh" -n "$NS" --controller-namespace "$NS"
  has_line "^  $NS/$long  Failed  retries 3: Jira said"
  run -1 "$SCRIPTS/troubleshoot.sh" "$long" -n "$NS" --controller-namespace "$NS"
  has_line '^    Ready=False  SyncFailed  line one line two +\[31mred$'
  [[ $output != *$'\e'* ]]
  run -0 "$SCRIPTS/sync-now.sh" "$long" -n "$NS"
  has_line "^Requested a sync of JIRASync $NS/$long "
  [ ! -e "$marker" ]
}

@test "colour and marks only on a terminal, and never with NO_COLOR" {
  fx_sync bad
  fx_status bad '{"status":{"phase":"Failed","lastError":"boom"}}'
  apply_fixtures
  local cmd
  printf -v cmd '%q ' "$SCRIPTS/health-check.sh" -n "$NS"
  run script -qec "$cmd" /dev/null
  [[ $output == *$'\e[31mUnhealthy'* ]]
  [[ $output == *'❌ Failed: boom'* ]]
  NO_COLOR=1 run script -qec "$cmd" /dev/null
  [[ $output != *$'\e['* ]]
  [[ $output != *'❌'* ]]
  run -1 "$SCRIPTS/health-check.sh" -n "$NS"
  [[ $output != *$'\e['* ]]
}
