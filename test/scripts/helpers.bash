# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # SCRIPTS, R, EXIT_CODE are read by the .bats files; output, lines and stderr are set by bats' run
# Shared setup and builders for the bats tests of scripts/. They run against a real API server:
# test/scripts/*.test.ts (the tap wrappers) set KUBECONFIG. Every test works in fresh namespaces
# and writes the status of its JIRASyncs directly, as the controller would.

bats_require_minimum_version 1.5.0

SCRIPTS=$(cd "$BATS_TEST_DIRNAME/../../scripts" && pwd)
: "${KUBECONFIG:?KUBECONFIG must point at the test control plane (test/scripts/*.test.ts sets it)}"
export KUBECONFIG
# A discovery cache per run, so that another run's cached API groups never leak in.
export KUBECACHEDIR="$BATS_RUN_TMPDIR/kube-cache"
unset NO_COLOR

R=jirasyncs.sync.jira.io

# new_ns [PREFIX]: creates a fresh namespace and prints its name.
new_ns() {
  local ns
  ns="${1:-t}-$(printf '%04x%04x' "$RANDOM" "$RANDOM")"
  kubectl create namespace "$ns" >/dev/null || return 1
  printf '%s\n' "$ns"
}

# setup for most files: NS for the JIRASyncs; with "controller", CTRL for the controller's pods
# and Lease as well.
common_setup() {
  NS=$(new_ns s)
  if [[ ${1:-} == controller ]]; then CTRL=$(new_ns c); fi
}

# ts_ago SECONDS: an RFC 3339 UTC time SECONDS ago (negative: in the future).
ts_ago() {
  date -u -d "@$(($(date +%s) - $1))" +%Y-%m-%dT%H:%M:%SZ
}

# mk_sync NAME [SUSPEND] [JIRA_SECRET] [GIT_SECRET]: a JIRASync in $NS.
mk_sync() {
  local jira='' git=''
  [[ -n ${3:-} ]] && jira="  jira: {secretRef: {name: $3}}"
  [[ -n ${4:-} ]] && git="    secretRef: {name: $4}"
  kubectl apply -n "$NS" -f - >/dev/null <<EOF
apiVersion: sync.jira.io/v1alpha1
kind: JIRASync
metadata:
  name: $1
spec:
  syncType: single
  suspend: ${2:-false}
  target: {issueKeys: [PROJ-1]}
  destination:
    repository: https://git.example.test/team/issues.git
$git
$jira
EOF
}

# set_status NAME JSON: merges JSON into the status, as the controller does.
set_status() {
  kubectl patch "$R" "$1" -n "$NS" --subresource=status --type=merge -p "$2" >/dev/null
}

# cond TYPE STATUS REASON MESSAGE [AGE]: one condition as JSON.
cond() {
  jq -cn --arg t "$1" --arg s "$2" --arg r "$3" --arg m "$4" --arg at "$(ts_ago "${5:-60}")" \
    '{type: $t, status: $s, reason: $r, message: $m, lastTransitionTime: $at}'
}

# set_conditions NAME COND...: replaces status.conditions.
set_conditions() {
  local name=$1
  shift
  set_status "$name" "{\"status\":{\"conditions\":[$(IFS=,; printf '%s' "$*")]}}"
}

# mk_lease HOLDER RENEWED_SECONDS_AGO [DURATION]: the leader Lease in $CTRL (a long default duration,
# so that a slow test machine does not see it expire).
mk_lease() {
  kubectl apply -n "$CTRL" -f - >/dev/null <<EOF
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: jirasync-leader}
spec:
  holderIdentity: "$1"
  leaseDurationSeconds: ${3:-300}
  renewTime: "$(date -u -d "@$(($(date +%s) - $2))" +%Y-%m-%dT%H:%M:%S.000000Z)"
EOF
}

# mk_pod NAME [PHASE] [READY]: a controller pod object in $CTRL (nothing runs it).
mk_pod() {
  kubectl apply -n "$CTRL" -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels: {app.kubernetes.io/name: jirasync, app.kubernetes.io/component: controller}
spec:
  containers: [{name: controller, image: example.invalid/jirasync:test}]
EOF
  kubectl patch pod "$1" -n "$CTRL" --subresource=status --type=merge \
    -p "{\"status\":{\"phase\":\"${2:-Running}\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"${3:-True}\"}]}}" >/dev/null
}

# healthy_controller: one running, ready pod leading with a fresh Lease.
healthy_controller() {
  mk_pod jirasync-controller-0
  mk_lease jirasync-controller-0 2
}

# mk_event OBJECT REASON TYPE MESSAGE [SECONDS_AGO] [COUNT]: an Event about a JIRASync in $NS.
mk_event() {
  kubectl create -n "$NS" -f - >/dev/null <<EOF
apiVersion: v1
kind: Event
metadata: {generateName: $1.}
involvedObject: {kind: JIRASync, apiVersion: sync.jira.io/v1alpha1, name: $1, namespace: $NS}
reason: $2
type: $3
message: $(jq -n --arg m "$4" '$m')
count: ${6:-1}
firstTimestamp: "$(ts_ago "${5:-30}")"
lastTimestamp: "$(ts_ago "${5:-30}")"
source: {component: jirasync-controller}
EOF
}

# wait_for_line FILE REGEX [SECONDS]: waits (bounded) until a line of FILE matches REGEX.
wait_for_line() {
  local deadline=$((SECONDS + ${3:-20}))
  while ((SECONDS < deadline)); do
    grep -Eq -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no line matching /$2/ in $1 after ${3:-20}s; it holds:" >&2
  cat "$1" >&2
  return 1
}

# wait_exit PID [SECONDS]: waits (bounded) for a background process; its exit status in EXIT_CODE.
wait_exit() {
  local deadline=$((SECONDS + ${2:-30}))
  while kill -0 "$1" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      kill "$1" 2>/dev/null
      echo "process $1 still running after ${2:-30}s" >&2
      return 1
    fi
    sleep 0.1
  done
  EXIT_CODE=0
  wait "$1" || EXIT_CODE=$?
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
