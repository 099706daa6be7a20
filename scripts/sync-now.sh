#!/usr/bin/env bash
# sync-now.sh: request an immediate sync of one JIRASync through the sync.jira.io/requestedAt
# annotation, and optionally wait until the controller has handled it and the run finished.
# Run with --help for usage.
set -uo pipefail
# shellcheck source=lib/common.sh
. "${BASH_SOURCE[0]%/*}/lib/common.sh"

usage() {
  cat <<EOF
Usage: $JS_PROG NAME [options]

Sets the annotation $JS_ANNOTATION of the JIRASync to a fresh value (the current
time); the controller starts a run and echoes the value in status.lastHandledRequestedAt.
With --wait, follows the run (as monitor-sync.sh does) until status.lastHandledRequestedAt
equals the value and the phase is Completed or Failed.

Options:
  -n, --namespace NS      namespace of the JIRASync (default: the context's namespace)
      --wait              wait for the requested run to finish
      --timeout DURATION  with --wait: give up after DURATION (90s, 5m, 1h); default: no limit
  -o, --output FORMAT     text (default) or json
      --context NAME      kubeconfig context to use
      --kubeconfig FILE   kubeconfig file to use
  -h, --help              show this help

Examples:
  $JS_PROG nightly-sync -n jira
  $JS_PROG nightly-sync -n jira --wait --timeout 30m && echo "synced"

Exit codes:
  0  requested (without --wait), or the requested run Completed
  1  the requested run Failed
  2  --timeout expired, or the JIRASync is Suspended (no run will start)
  3  usage or connection error: kubectl (or, for --wait, jq) missing, CRD not installed,
     JIRASync not found

Requires kubectl; --wait also needs jq.
EOF
}

wait=0 timeout=''
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --wait) wait=1; shift ;;
    --timeout) js_need_value "$@"; js_duration "$2"; timeout=$2; shift 2 ;;
    --timeout=*) js_duration "${1#*=}"; timeout=${1#*=}; shift ;;
    *) js_arg noN "$@"; shift "$JS_SHIFT" ;;
  esac
done
name=$JS_NAME
js_check_common
js_require_name "$name"
[[ -z $timeout ]] || ((wait)) || js_usage_error "--timeout needs --wait"
js_require_kubectl
((wait)) && js_require_jq

# Namespace, suspend and the current request, one per line (jsonpath; no jq needed here).
info=''
js_get info "JIRASync ${JS_NAMESPACE:+$JS_NAMESPACE/}$name" get "$JS_RESOURCE" "$name" \
  ${JS_NAMESPACE:+"--namespace=$JS_NAMESPACE"} \
  -o 'jsonpath={.metadata.namespace}{"\n"}{.spec.suspend}{"\n"}{.metadata.annotations.sync\.jira\.io/requestedAt}'
mapfile -t fields <<<"$info"
ns=${fields[0]:-} suspended=${fields[1]:-} previous=${fields[2]:-}
[[ -n $ns ]] || js_die 3 "cannot read JIRASync $name"

# A fresh value: the time in UTC, with nanoseconds where date supports them. Never the value
# already there, which the controller would not see as a new request.
new_value() {
  local nanos
  nanos=$(date -u +%N 2>/dev/null)
  if [[ $nanos =~ ^[0-9]{9}$ ]]; then
    value=$(date -u +%Y-%m-%dT%H:%M:%S).${nanos}Z
  else
    value=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  fi
}
new_value
while [[ $value == "$previous" ]]; do
  sleep 1
  new_value
done

# shellcheck disable=SC2034 # kubectl's "annotated" line is not shown
out=''
js_get out "JIRASync $ns/$name" annotate --overwrite "$JS_RESOURCE" "$name" "--namespace=$ns" "$JS_ANNOTATION=$value"

if [[ $suspended == true ]]; then
  js_warn "JIRASync $ns/$name is suspended (spec.suspend is true): no run starts until it is resumed"
fi
if ((wait == 0)); then
  if [[ $JS_OUTPUT == json ]]; then
    printf '{"namespace":"%s","name":"%s","requestedAt":"%s"}\n' "$ns" "$name" "$value"
  else
    printf 'Requested a sync of JIRASync %s/%s (%s=%s)\n' "$ns" "$name" "$JS_ANNOTATION" "$value"
  fi
  exit 0
fi

[[ $JS_OUTPUT == text ]] && printf 'Requested a sync of JIRASync %s/%s (%s=%s)\n' "$ns" "$name" "$JS_ANNOTATION" "$value"
args=("$name" "--namespace=$ns" --after-request "$value" --output "$JS_OUTPUT")
[[ -n $timeout ]] && args+=(--timeout "$timeout")
js_cleanup
trap - EXIT
exec "${BASH_SOURCE[0]%/*}/monitor-sync.sh" "${args[@]}" ${JS_KUBECTL_FLAGS[@]+"${JS_KUBECTL_FLAGS[@]}"}
