#!/usr/bin/env bash
# status-summary.sh: a report on all JIRASyncs: counts by phase, active syncs with progress, recent
# errors, syncs without a success for too long, and the current leader of each shard. Run with
# --help for usage.
set -uo pipefail
# shellcheck source=lib/common.sh
. "${BASH_SOURCE[0]%/*}/lib/common.sh"

usage() {
  cat <<EOF
Usage: $JS_PROG [options]

A report on the JIRASyncs in a namespace (or all):
  - counts by phase (Pending, Running, Completed, Failed, Suspended, and no status yet)
  - active syncs (Running, Pending) with progress, issues and ETA
  - recent errors (status.lastError, newest first)
  - syncs not successful for longer than --stale-after (or never), except suspended ones
  - the current leader of each shard: holder and renew age of its Lease (the default shard's is
    --lease-name, shard X's <lease-name>-X); the default shard always, and every shard that
    the JIRASyncs' label sync.jira.io/shard names. A label X without a Lease <lease-name>-X names
    a shard unknown to the cluster, which the default shard serves (docs/sharding.md).

Options:
  -n, --namespace NS            namespace to report on (default: the context's namespace)
  -A, --all-namespaces          report on every namespace
      --stale-after DUR         threshold for "not successful" (default 24h; e.g. 90m, 2d)
      --errors N                how many recent errors to list (default 10)
      --controller-namespace NS namespace of the controller and its Leases (default $JS_CONTROLLER_NAMESPACE)
      --lease-name NAME         the default shard's Lease; shard X's is NAME-X
                                (default $JS_LEASE_NAME)
  -o, --output FORMAT           text (default) or json
      --context NAME            kubeconfig context to use
      --kubeconfig FILE         kubeconfig file to use
  -h, --help                    show this help

Examples:
  $JS_PROG -A
  $JS_PROG -n jira --stale-after 2h
  $JS_PROG -A -o json | jq '.phases'

Exit codes:
  0  no sync Failed, none stale, and a leader holds the Lease of each shard shown
  1  at least one sync is Failed
  2  no Failed sync, but some are not successful for longer than --stale-after, or a shard shown
     has no current leader (Lease missing, without holder, expired, or unreadable)
  3  usage or connection error: kubectl or jq missing, CRD not installed

Requires kubectl and jq.
EOF
}

stale_after=86400 max_errors=10 ctrl_ns=$JS_CONTROLLER_NAMESPACE lease_name=$JS_LEASE_NAME
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --stale-after) js_need_value "$@"; js_duration "$2"; stale_after=$JS_RESULT; shift 2 ;;
    --stale-after=*) js_duration "${1#*=}"; stale_after=$JS_RESULT; shift ;;
    --errors) js_need_value "$@"; js_count "$1" "$2"; max_errors=$JS_RESULT; shift 2 ;;
    --errors=*) js_count --errors "${1#*=}"; max_errors=$JS_RESULT; shift ;;
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

leases=''
js_shard_leases leases "$list" "$ctrl_ns" "$lease_name"

# shellcheck disable=SC2016 # jq code
js_jq_program '
  now as $now
  | .items as $all
  | ($all | shard_table($l; $now; true)) as $shards
  | {
      generatedAt: ($now | floor | todate),
      scope: $scope,
      total: ($all | length),
      phases: ({Pending: 0, Running: 0, Completed: 0, Failed: 0, Suspended: 0, None: 0}
               + ($all | group_by(.status.phase // "None") | map({(.[0].status.phase // "None"): length}) | add // {})),
      active: [ $all[] | select(.status.phase == "Running" or .status.phase == "Pending")
                | (.status.progress.estimatedCompletion | ts) as $eta
                | { namespace: .metadata.namespace, name: .metadata.name, phase: .status.phase,
                    percentage: (.status.progress.percentage // null),
                    processedIssues: (.status.syncState.processedIssues // null),
                    totalIssues: (.status.syncState.totalIssues // null),
                    currentOperation: (.status.progress.currentOperation // null),
                    estimatedCompletion: (.status.progress.estimatedCompletion // null),
                    eta: (if $eta == null then null else ($eta | ago($now)) end) } ]
              | sort_by(.namespace, .name),
      recentErrors: [ $all[] | select((.status.lastError // "") != "")
                      | { namespace: .metadata.namespace, name: .metadata.name, phase: (.status.phase // null),
                          retryCount: (.status.retryCount // 0), lastError: .status.lastError,
                          at: (.status.lastStatusUpdate // null),
                          atEpoch: (.status.lastStatusUpdate | ts) } ]
                    | sort_by(-(.atEpoch // 0)) | .[0:$maxErrors] | map(del(.atEpoch)),
      notSuccessful: [ $all[] | select(.status.phase != "Suspended" and .spec.suspend != true)
                       | (.status.syncState.lastSyncTime | ts) as $last
                       | (.metadata.creationTimestamp | ts) as $created
                       | select(($last != null and $now - $last > $stale)
                                or ($last == null and $created != null and $now - $created > $stale))
                       | { namespace: .metadata.namespace, name: .metadata.name, phase: (.status.phase // null),
                           lastSyncTime: (.status.syncState.lastSyncTime // null),
                           since: (if $last == null then "never (created \($created | ago($now)))" else ($last | ago($now)) end) } ]
                     | sort_by(.namespace, .name),
      staleAfterSeconds: $stale,
      leader: ($shards[0] | del(.syncs)),
      shards: $shards } '
report=$(jq --argjson l "$leases" --argjson stale "$stale_after" --argjson maxErrors "$max_errors" \
  --arg scope "$scope" "$JS_RESULT" <<<"$list") || js_die 3 "cannot read the JIRASync list"

code=$(jq -r 'if .phases.Failed > 0 then 1
  elif (.notSuccessful | length) > 0 or (.shards | any(.unknown != true and .valid != true)) then 2 else 0 end' <<<"$report")

if [[ $JS_OUTPUT == json ]]; then
  printf '%s\n' "$report"
  exit "$code"
fi

# shellcheck disable=SC2016 # jq code
js_jq_program '
  def h($t): $b + $t + $r;
  def none: if length == 0 then ["  (none)"] else . end;
  "JIRASync status summary for \(.scope), \(.generatedAt)",
  "",
  h("Phases (\(.total) JIRASyncs)"),
  (.phases | "  Pending \(.Pending)  Running \(.Running)  Completed \(.Completed)  Failed \(.Failed)  Suspended \(.Suspended)  no status \(.None)"),
  "",
  h("Active syncs"),
  ([ .active[] | "  \(.namespace)/\(.name)  \(.phase)  \(if .percentage == null then "-" else "\(.percentage)%" end)"
       + "  \(.processedIssues // "-")/\(.totalIssues // "-") issues"
       + (if .currentOperation then "  \(.currentOperation | clean)" else "" end)
       + (if .eta then "  ETA \(.eta)" else "" end) ] | none[]),
  "",
  h("Recent errors"),
  ([ .recentErrors[] | "  \(.namespace)/\(.name)  \(.phase // "-")  retries \(.retryCount)"
       + "\(if .at then "  " + (.at | ts | ago($now)) else "" end): \(.lastError | clean | short(240))" ] | none[]),
  "",
  h("Not successful for more than \(.staleAfterSeconds | human)"),
  ([ .notSuccessful[] | "  \(.namespace)/\(.name)  \(.phase // "no status")  last success \(.since)" ] | none[]),
  "",
  h("Leaders"),
  (.shards[] | "  \(if .unknown then "" elif .valid then $g else $red end)\(shard_text)\($r)")'
jq -r --arg b "$C_BOLD" --arg r "$C_RESET" --arg g "$C_GREEN" --arg red "$C_RED" --argjson now "$(date +%s)" \
  "$JS_RESULT" <<<"$report"
exit "$code"
