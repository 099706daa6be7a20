#!/usr/bin/env bash
# health-check.sh: the health of every JIRASync in a namespace (or all), with the reason and the
# shard that owns it, the leader of each of those shards, a summary line, and an exit code from the
# worst of them. Run with --help for usage.
set -uo pipefail
# shellcheck source=lib/common.sh
. "${BASH_SOURCE[0]%/*}/lib/common.sh"

usage() {
  cat <<EOF
Usage: $JS_PROG [options]

Rates every JIRASync:
  Healthy    Completed, or Running without trouble
  Degraded   Stalled condition True, retries at or above --retry-threshold, or no successful
             sync for longer than --stale-after
  Unhealthy  phase Failed
  Starting   Pending, or no status yet
  Suspended  spec.suspend is true
and prints each with its shard and reason, then each shard's leader, then a summary line.

The shard is told from the cluster (docs/sharding.md): no label sync.jira.io/shard means the
default shard (Lease --lease-name); a label X whose Lease <lease-name>-X exists means shard X; a
label X without that Lease names a shard unknown to the cluster, which the default shard serves
(shown as "default (label X)"; a note, not a failure: troubleshoot.sh NAME says what to check).

Options:
  -n, --namespace NS            namespace to check (default: the context's namespace)
  -A, --all-namespaces          check every namespace
      --retry-threshold N       Degraded at N or more retries (default 2; 0 turns the check off)
      --stale-after DUR         Degraded when the last successful sync is older than DUR
                                (default 24h; e.g. 90m, 2d)
      --controller-namespace NS namespace of the controller and its Leases (default $JS_CONTROLLER_NAMESPACE)
      --lease-name NAME         the default shard's Lease; shard X's is NAME-X
                                (default $JS_LEASE_NAME)
  -o, --output FORMAT           text (default) or json
      --context NAME            kubeconfig context to use
      --kubeconfig FILE         kubeconfig file to use
  -h, --help                    show this help

Examples:
  $JS_PROG -A
  $JS_PROG -n jira --stale-after 2h --retry-threshold 1
  $JS_PROG -A -o json | jq -r '.items[] | select(.health != "Healthy") | .name'

Exit codes:
  0  every JIRASync is Healthy, Starting or Suspended (or there are none)
  1  at least one is Unhealthy
  2  at least one is Degraded, or a shard that owns one of them has no current leader (its
     Lease has no holder, has expired, is missing for the default shard, or cannot be read);
     and none is Unhealthy
  3  usage or connection error: kubectl or jq missing, CRD not installed

Requires kubectl and jq.
EOF
}

retry_threshold=2 stale_after=86400 ctrl_ns=$JS_CONTROLLER_NAMESPACE lease_name=$JS_LEASE_NAME
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --retry-threshold) js_need_value "$@"; js_count "$1" "$2"; retry_threshold=$JS_RESULT; shift 2 ;;
    --retry-threshold=*) js_count --retry-threshold "${1#*=}"; retry_threshold=$JS_RESULT; shift ;;
    --stale-after) js_need_value "$@"; js_duration "$2"; stale_after=$JS_RESULT; shift 2 ;;
    --stale-after=*) js_duration "${1#*=}"; stale_after=$JS_RESULT; shift ;;
    --controller-namespace) js_need_value "$@"; ctrl_ns=$2; shift 2 ;;
    --controller-namespace=*) ctrl_ns=${1#*=}; shift ;;
    --lease-name) js_need_value "$@"; lease_name=$2; shift 2 ;;
    --lease-name=*) lease_name=${1#*=}; shift ;;
    *) js_arg nAo "$@"; shift "$JS_SHIFT" ;;
  esac
done
js_check_common
js_valid_namespace "$ctrl_ns" || js_usage_error "invalid controller namespace: '$ctrl_ns'"
js_valid_name "$lease_name" || js_usage_error "invalid Lease name: '$lease_name'"
js_require_kubectl
js_require_jq
js_color_init

js_list_syncs
list=$JS_LIST scope=$JS_SCOPE
leases='{}'
# No JIRASync, no shard to ask about.
if [[ $(jq '.items | length' <<<"$list") != 0 ]]; then js_shard_leases leases "$list" "$ctrl_ns" "$lease_name"; fi

# shellcheck disable=SC2016 # jq code
js_jq_program '
  now as $now
  | .items as $all
  | [ $all[] | health($retries; $stale; $now) as $h
      | { namespace: .metadata.namespace, name: .metadata.name, shard: shard($l), health: $h.health,
          phase: (.status.phase // null), retryCount: (.status.retryCount // 0),
          lastSyncTime: (.status.syncState.lastSyncTime // null), reason: $h.reason } ]
  | sort_by(-(.health | health_rank), .namespace, .name) as $items
  | ($items | map(.health) | max_by(health_rank) // "Healthy") as $worst
  | { generatedAt: ($now | floor | todate), scope: $scope,
      thresholds: {retryThreshold: $retries, staleAfterSeconds: $stale},
      summary: ({total: ($items | length), Healthy: 0, Degraded: 0, Unhealthy: 0, Starting: 0, Suspended: 0}
                + ($items | group_by(.health) | map({(.[0].health): length}) | add // {})
                + {worst: (if ($items | length) == 0 then null else $worst end)}),
      shards: (if ($items | length) == 0 then [] else ($all | shard_table($l; $now; false)) end),
      items: $items }'
report=$(jq --argjson retries "$retry_threshold" --argjson stale "$stale_after" --arg scope "$scope" \
  --argjson l "$leases" "$JS_RESULT" <<<"$list") || js_die 3 "cannot read the JIRASync list"

code=$(jq -r 'if .summary.worst == "Unhealthy" then 1
  elif .summary.worst == "Degraded" or (.shards | any(.unknown != true and .valid != true)) then 2 else 0 end' <<<"$report")

if [[ $JS_OUTPUT == json ]]; then
  printf '%s\n' "$report"
  exit "$code"
fi

total=$(jq -r '.summary.total' <<<"$report")
if ((total == 0)); then
  printf 'No JIRASyncs found in %s.\n' "$scope"
  exit 0
fi

# One record per JIRASync; widths for the aligned columns.
# shellcheck disable=SC2016 # jq code
js_jq_program '.items[] | [.namespace, .name,
  (.shard | if .known == false then "\(.shard) (label \(.label | clean))" else .shard | clean end),
  .health, (.phase // "-"), (.retryCount | tostring), (.reason | clean)] | join("\u001f")'
mapfile -t rows < <(jq -r "$JS_RESULT" <<<"$report")
w_ns=9 w_name=4 w_shard=5 w_phase=9
for row in "${rows[@]}"; do
  IFS=$JS_US read -r ns name shard _ phase _ _ <<<"$row"
  ((${#ns} > w_ns)) && w_ns=${#ns}
  ((${#name} > w_name)) && w_name=${#name}
  ((${#shard} > w_shard)) && w_shard=${#shard}
  ((${#phase} > w_phase)) && w_phase=${#phase}
done

printf '%s%-*s  %-*s  %-*s  %-9s  %-*s  %-7s  %s%s\n' "$C_BOLD" "$w_ns" NAMESPACE "$w_name" NAME "$w_shard" SHARD \
  HEALTH "$w_phase" PHASE RETRIES REASON "$C_RESET"
for row in "${rows[@]}"; do
  IFS=$JS_US read -r ns name shard health phase retries reason <<<"$row"
  js_health_color "$health"
  color=$JS_RESULT
  case $health in
    Healthy) mark=$M_OK ;;
    Degraded) mark=$M_WARN ;;
    Unhealthy) mark=$M_FAIL ;;
    *) mark=$M_INFO ;;
  esac
  # The mark is decoration: only on a terminal, in front of the reason.
  ((JS_COLOR)) || mark=''
  js_pad "$health" 9
  printf '%-*s  %-*s  %-*s  %s%s%s  %-*s  %-7s  %s%s\n' "$w_ns" "$ns" "$w_name" "$name" "$w_shard" "$shard" \
    "$color" "$JS_RESULT" "$C_RESET" "$w_phase" "$phase" "$retries" "${mark:+$mark }" "$reason"
done
# One line per shard: its leader, or why it is unknown.
# shellcheck disable=SC2016 # jq code
js_jq_program '.shards[] | (if .unknown then $b elif .valid then $g else $red end) as $c
  | shard_text | $c + (.[0:1] | ascii_upcase) + .[1:] + $r'
jq -r --arg b "$C_BLUE" --arg g "$C_GREEN" --arg red "$C_RED" --arg r "$C_RESET" "$JS_RESULT" <<<"$report"
jq -r --arg scope "$scope" '.summary | "Summary: \(.total) JIRASync\(if .total == 1 then "" else "s" end) in \($scope): "
  + "\(.Healthy) Healthy, \(.Degraded) Degraded, \(.Unhealthy) Unhealthy, \(.Starting) Starting, \(.Suspended) Suspended"
  + " (worst: \(.worst))"' <<<"$report"
jq -r '[.shards[] | select(.unknown != true and .valid != true) | .shard] | select(length > 0)
  | "No current leader in shard\(if length == 1 then "" else "s" end) \(join(", ")): their JIRASyncs are not being reconciled"' <<<"$report"
exit "$code"
