# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # SCRIPTS, R, EXIT_CODE are read by the .bats files; output, lines and stderr are set by bats' run
# Shared setup and builders for the bats tests of scripts/. They run against a real API server:
# test/scripts/scripts.test.ts (the tap wrapper) sets KUBECONFIG. Every test works in fresh
# namespaces and writes the status of its JIRASyncs directly, as the controller would.
#
# Fixtures are collected as documents (fx_* functions, no kubectl) and sent by apply_fixtures in
# two kubectl calls, objects and then statuses: on a busy machine each kubectl start costs a second.

bats_require_minimum_version 1.5.0

SCRIPTS=$(cd "$BATS_TEST_DIRNAME/../../scripts" && pwd)
: "${KUBECONFIG:?KUBECONFIG must point at the test control plane (test/scripts/scripts.test.ts sets it)}"
export KUBECONFIG
# A discovery cache per run, so that another run's cached API groups never leak in.
export KUBECACHEDIR="$BATS_RUN_TMPDIR/kube-cache"
unset NO_COLOR

R=jirasyncs.sync.jira.io

# ts_ago SECONDS: an RFC 3339 UTC time SECONDS ago (negative: in the future).
ts_ago() {
  TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T' "$((EPOCHSECONDS - $1))"
}

# json_str TEXT: TEXT as a JSON string (the tests' texts hold no control characters).
json_str() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# new_ns_name PREFIX: a fresh namespace name; the Namespace is created by the next apply_fixtures.
new_ns_name() {
  local ns
  ns="$1-$(printf '%04x%04x' "$RANDOM" "$RANDOM")"
  printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$ns" >>"$FIX"
  printf '%s' "$ns"
}

# common_setup [controller]: NS for the JIRASyncs; with "controller" also CTRL, the controller's
# namespace for its pods and Lease. Both exist after the first apply_fixtures.
common_setup() {
  FIX=$BATS_TEST_TMPDIR/fixtures.yaml
  FIX_STATUS=$BATS_TEST_TMPDIR/fixtures-status.yaml
  : >"$FIX"
  : >"$FIX_STATUS"
  NS=$(new_ns_name s)
  if [[ ${1:-} == controller ]]; then CTRL=$(new_ns_name c); fi
}

# apply_fixtures: creates what the fx_* functions collected, then writes the statuses.
apply_fixtures() {
  if [[ -s $FIX ]]; then
    kubectl apply -f "$FIX" >/dev/null || return 1
  fi
  if [[ -s $FIX_STATUS ]]; then
    kubectl apply --server-side --force-conflicts --subresource=status -f "$FIX_STATUS" >/dev/null || return 1
  fi
  : >"$FIX"
  : >"$FIX_STATUS"
}

# fx_sync NAME [SUSPEND] [JIRA_SECRET] [GIT_SECRET]: a JIRASync in $NS; FX_SHARD=X labels it
# sync.jira.io/shard=X.
fx_sync() {
  local jira='' git='' labels=''
  [[ -n ${3:-} ]] && jira="  jira: {secretRef: {name: $3}}"
  [[ -n ${4:-} ]] && git="    secretRef: {name: $4}"
  [[ -z ${FX_SHARD:-} ]] || labels=", labels: {sync.jira.io/shard: \"$FX_SHARD\"}"
  cat >>"$FIX" <<EOF
---
apiVersion: sync.jira.io/v1alpha1
kind: JIRASync
metadata: {name: $1, namespace: $NS$labels}
spec:
  syncType: single
  suspend: ${2:-false}
  target: {issueKeys: [PROJ-1]}
$jira
  destination:
    repository: https://git.example.test/team/issues.git
$git
EOF
}

# fx_status NAME '{"status":{...}}': the whole status of JIRASync NAME in $NS.
fx_status() {
  printf -- '---\n{"apiVersion":"sync.jira.io/v1alpha1","kind":"JIRASync","metadata":{"name":"%s","namespace":"%s"},%s\n' \
    "$1" "$NS" "${2#\{}" >>"$FIX_STATUS"
}

# set_status NAME JSON: merges JSON into the status at once (for changes under a running tool).
set_status() {
  kubectl patch "$R" "$1" -n "$NS" --subresource=status --type=merge -p "$2" >/dev/null
}

# cond TYPE STATUS REASON MESSAGE [AGE]: one condition as JSON.
cond() {
  printf '{"type":"%s","status":"%s","reason":"%s","message":%s,"lastTransitionTime":"%s"}' \
    "$1" "$2" "$3" "$(json_str "$4")" "$(ts_ago "${5:-60}")"
}

# conds COND...: a "conditions" array (for use inside a status).
conds() {
  local IFS=,
  printf '"conditions":[%s]' "$*"
}

# set_conditions NAME COND...: replaces status.conditions at once.
set_conditions() {
  local name=$1
  shift
  set_status "$name" "{\"status\":{$(conds "$@")}}"
}

# fx_secret NAME KEY=VALUE...: a Secret in $NS, opted in as the controller requires (type Opaque,
# label sync.jira.io/credentials=true); FX_SECRET_TYPE=… or FX_SECRET_UNLABELLED=1 make one that is not.
fx_secret() {
  local name=$1 kv data='' labels=', labels: {sync.jira.io/credentials: "true"}'
  shift
  for kv in "$@"; do
    data+="${data:+,}$(json_str "${kv%%=*}"):$(json_str "${kv#*=}")"
  done
  [[ -z ${FX_SECRET_UNLABELLED:-} ]] || labels=''
  printf -- '---\napiVersion: v1\nkind: Secret\ntype: %s\nmetadata: {name: %s, namespace: %s%s}\nstringData: {%s}\n' \
    "${FX_SECRET_TYPE:-Opaque}" "$name" "$NS" "$labels" "$data" >>"$FIX"
}

# fx_lease HOLDER RENEWED_SECONDS_AGO [DURATION] [SHARD]: the leader Lease in $CTRL of the default
# shard (jirasync-leader), or of SHARD (jirasync-leader-SHARD); a long default duration, so that a
# slow test machine does not see it expire.
fx_lease() {
  local renew
  renew=$(TZ=UTC printf '%(%Y-%m-%dT%H:%M:%S)T' "$((EPOCHSECONDS - $2))").000000Z
  printf -- '---\napiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: jirasync-leader%s, namespace: %s}\nspec: {holderIdentity: "%s", leaseDurationSeconds: %s, renewTime: "%s"}\n' \
    "${4:+-$4}" "$CTRL" "$1" "${3:-300}" "$renew" >>"$FIX"
}

# fx_pod NAME [PHASE] [READY]: a controller pod object in $CTRL (nothing runs it), of the default
# shard, or with FX_SHARD=X of shard X (labelled as the chart labels it: component controller-X).
fx_pod() {
  printf -- '---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: %s\n  labels: {app.kubernetes.io/name: jirasync, app.kubernetes.io/component: controller%s, sync.jira.io/shard: %s}\nspec:\n  containers: [{name: controller, image: example.invalid/jirasync:test}]\n' \
    "$1" "$CTRL" "${FX_SHARD:+-$FX_SHARD}" "${FX_SHARD:-default}" >>"$FIX"
  printf -- '---\n{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","namespace":"%s"},"status":{"phase":"%s","conditions":[{"type":"Ready","status":"%s"}]}}\n' \
    "$1" "$CTRL" "${2:-Running}" "${3:-True}" >>"$FIX_STATUS"
}

# fx_healthy_controller: one running, ready pod leading with a fresh Lease.
fx_healthy_controller() {
  fx_pod jirasync-controller-0
  fx_lease jirasync-controller-0 2
}

# fx_event OBJECT REASON TYPE MESSAGE [SECONDS_AGO] [COUNT]: an Event about a JIRASync in $NS.
fx_event() {
  local at
  at=$(ts_ago "${5:-30}")
  printf -- '---\n{"apiVersion":"v1","kind":"Event","metadata":{"name":"%s.%04x%04x","namespace":"%s"},"involvedObject":{"kind":"JIRASync","apiVersion":"sync.jira.io/v1alpha1","name":"%s","namespace":"%s"},"reason":"%s","type":"%s","message":%s,"count":%s,"firstTimestamp":"%s","lastTimestamp":"%s","source":{"component":"jirasync-controller"}}\n' \
    "$1" "$RANDOM" "$RANDOM" "$NS" "$1" "$NS" "$2" "$3" "$(json_str "$4")" "${6:-1}" "$at" "$at" >>"$FIX"
}

# wait_for_line FILE REGEX [SECONDS]: waits (bounded) until a line of FILE matches REGEX.
wait_for_line() {
  local deadline=$((SECONDS + ${3:-60}))
  while ((SECONDS < deadline)); do
    grep -Eq -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no line matching /$2/ in $1 after ${3:-60}s; it holds:" >&2
  cat "$1" >&2
  # The tool's stderr, when the test keeps it in $ERR: why it stopped, if it did.
  if [[ -n ${ERR:-} && -s $ERR ]]; then
    echo "its stderr:" >&2
    cat "$ERR" >&2
  fi
  return 1
}

# wait_exit PID [SECONDS]: waits (bounded) for a background process; its exit status in EXIT_CODE.
wait_exit() {
  local deadline=$((SECONDS + ${2:-60}))
  while kill -0 "$1" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      kill "$1" 2>/dev/null
      echo "process $1 still running after ${2:-60}s" >&2
      return 1
    fi
    sleep 0.1
  done
  EXIT_CODE=0
  wait "$1" || EXIT_CODE=$?
}

# expect_exit N: the background tool (see wait_exit) exited with N; otherwise says what it printed on stderr.
expect_exit() {
  [[ $EXIT_CODE -eq $1 ]] && return 0
  echo "exit status $EXIT_CODE, expected $1; stderr:" >&2
  cat "${ERR:-/dev/null}" >&2
  return 1
}

# has_line REGEX: some line of $output matches REGEX.
has_line() {
  local l
  for l in "${lines[@]}"; do
    [[ $l =~ $1 ]] && return 0
  done
  echo "no line of the output matches /$1/:" >&2
  printf '%s\n' "$output" >&2
  return 1
}

# no_line REGEX: no line of $output matches REGEX.
no_line() {
  local l
  for l in "${lines[@]}"; do
    if [[ $l =~ $1 ]]; then
      echo "unexpected line matching /$1/: $l" >&2
      return 1
    fi
  done
}

# one_stderr_line REGEX: stderr is exactly one line, matching REGEX.
one_stderr_line() {
  local n
  n=$(printf '%s\n' "$stderr" | grep -c .)
  if [[ $n -ne 1 || ! $stderr =~ $1 ]]; then
    echo "expected one stderr line matching /$1/, got $n: $stderr" >&2
    return 1
  fi
}
