#!/usr/bin/env bash
# monitor-sync.sh: follow one JIRASync until its run finishes, one line per change, from a
# watch stream from the API server (no polling). Run with --help for usage.
set -uo pipefail
# shellcheck source=lib/common.sh
. "${BASH_SOURCE[0]%/*}/lib/common.sh"

usage() {
  cat <<EOF
Usage: $JS_PROG NAME [options]

Follow one JIRASync until its run finishes: a line per change with the time, phase, progress,
processed/total issues, current operation, ETA, retries and last error. Reads a
watch stream (kubectl), so changes show as soon as the controller writes them.

Options:
  -n, --namespace NS      namespace of the JIRASync (default: the context's namespace)
      --timeout DURATION  give up after DURATION (90s, 5m, 1h30m); default: wait forever
      --after-request V   finish only once status.lastHandledRequestedAt is V (the value
                          sync-now.sh wrote to the sync.jira.io/requestedAt annotation)
  -o, --output FORMAT     text (default) or json (one JSON object per line)
      --context NAME      kubeconfig context to use
      --kubeconfig FILE   kubeconfig file to use
  -h, --help              show this help

Examples:
  $JS_PROG nightly-sync -n jira
  $JS_PROG nightly-sync -n jira --timeout 30m || echo "sync did not complete"
  $JS_PROG nightly-sync -o json | jq -r '.phase'

Exit codes:
  0  the sync is Completed
  1  the sync Failed
  2  --timeout expired, or the sync is Suspended (no new run will start)
  3  usage or connection error: kubectl or jq missing, CRD not installed, JIRASync not found or deleted

Requires kubectl and jq.
EOF
}

timeout=0 timeout_text='' after_request=''
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --timeout) js_need_value "$@"; js_duration "$2"; timeout=$JS_RESULT timeout_text=$2; [[ $2 == *[0-9] ]] && timeout_text+=s; shift 2 ;;
    --timeout=*) js_duration "${1#*=}"; timeout=$JS_RESULT timeout_text=${1#*=}; [[ $1 == *[0-9] ]] && timeout_text+=s; shift ;;
    --after-request) js_need_value "$@"; after_request=$2; shift 2 ;;
    --after-request=*) after_request=${1#*=}; shift ;;
    *) js_arg noN "$@"; shift "$JS_SHIFT" ;;
  esac
done
name=$JS_NAME
js_check_common
js_require_name "$name"
js_require_kubectl
js_require_jq
js_color_init

obj=''
js_get_sync obj "$name"
ns=$JS_NAMESPACE
id="$ns/$name"

# One record per watch event: fields for the text line, a change key, and the JSON record.
# (An ERROR event, an expired watch, gives none: the stream ends and is started again.)
# shellcheck disable=SC2016 # jq code
js_jq_program '
  select(.type != "ERROR")
  | .type as $type | .object as $o | ($o.status // {}) as $s | now as $now
  | ($s.progress.estimatedCompletion | ts) as $eta
  | {
      time: ($now | floor | todate), event: $type,
      namespace: $o.metadata.namespace, name: $o.metadata.name,
      phase: ($s.phase // null),
      percentage: ($s.progress.percentage // null),
      processedIssues: ($s.syncState.processedIssues // null),
      totalIssues: ($s.syncState.totalIssues // null),
      successfulIssues: ($s.syncState.successfulIssues // null),
      failedIssues: ($s.syncState.failedIssues // null),
      currentOperation: ($s.progress.currentOperation // null),
      estimatedCompletion: ($s.progress.estimatedCompletion // null),
      retryCount: ($s.retryCount // 0),
      lastError: ($s.lastError // null),
      nextRunTime: ($s.nextRunTime // null),
      lastHandledRequestedAt: ($s.lastHandledRequestedAt // null)
    } as $r
  | [ $type,
      ($r.phase // "-"),
      ($o | pct),
      ($o | issues),
      ($r.currentOperation // "-" | clean | short(40)),
      (if $eta == null then "-" else ($eta | ago($now)) end),
      ($r.retryCount | tostring),
      ($r.lastError // "" | clean | short(300)),
      ($r.lastHandledRequestedAt // "" | clean),
      ([$r.phase, $r.percentage, $r.processedIssues, $r.totalIssues, $r.currentOperation,
        $r.estimatedCompletion, $r.retryCount, $r.lastError, $r.lastHandledRequestedAt] | tojson),
      ($r | tojson)
    ] | join("\u001f")'
record_program=$JS_RESULT

# finish CODE RESULT TEXT: the closing line (stdout), then exit.
finish() {
  if [[ $JS_OUTPUT == json ]]; then
    jq -cn --arg ns "$ns" --arg name "$name" --arg result "$2" --arg message "$3" --argjson code "$1" \
      '{event: "result", namespace: $ns, name: $name, result: $result, exitCode: $code, message: $message}'
  else
    printf '%s\n' "$3"
  fi
  exit "$1"
}

timed_out() {
  local msg
  msg="timed out after $timeout_text: $id is ${last_phase:-without a phase}${last_pct:+ ($last_pct)}"
  [[ -n $after_request ]] && [[ $last_handled != "$after_request" ]] && msg+="; request $after_request not handled yet"
  js_warn "$msg"
  if [[ $JS_OUTPUT == json ]]; then finish 2 Timeout "$msg"; fi
  exit 2
}

if [[ $JS_OUTPUT == text ]]; then
  printf '%sFollowing JIRASync %s%s%s\n' "$C_BOLD" "$id" \
    "${after_request:+ until it has handled request $after_request}" "$C_RESET"
fi

deadline=0
((timeout > 0)) && deadline=$((SECONDS + timeout))
prev_key='' last_phase='' last_pct='' last_handled=''
# handle RECORD: prints a line if something changed; finishes on Completed, Failed or Suspended.
handle() {
  local type phase pct issues op eta retries err handled key json color extra
  IFS=$JS_US read -r type phase pct issues op eta retries err handled key json <<<"$1"
  if [[ $type == DELETED ]]; then
    js_watch_stop
    js_die 3 "JIRASync $id was deleted"
  fi
  last_phase=$phase last_pct=${pct#-} last_handled=$handled
  if [[ $key != "$prev_key" ]]; then
    prev_key=$key
    if [[ $JS_OUTPUT == json ]]; then
      printf '%s\n' "$json"
    else
      case $phase in
        Completed) color=$C_GREEN ;;
        Failed) color=$C_RED ;;
        Running) color=$C_BLUE ;;
        *) color=$C_YELLOW ;;
      esac
      js_pad "$phase" 9
      extra=''
      ((retries > 0)) && extra+="  retries $retries"
      [[ -n $err ]] && extra+="  ${C_RED}error: $err${C_RESET}"
      printf '%(%H:%M:%S)T  %s%s%s %4s  %-9s  %s  eta %s%s\n' -1 \
        "$color" "$JS_RESULT" "$C_RESET" "$pct" "$issues" "$op" "$eta" "$extra"
    fi
  fi
  if [[ $phase == Suspended ]]; then
    js_watch_stop
    finish 2 Suspended "$id is Suspended: no new run starts until spec.suspend is false"
  fi
  if [[ -z $after_request || $handled == "$after_request" ]]; then
    case $phase in
      Completed)
        js_watch_stop
        finish 0 Completed "$id Completed: $issues issues$(jq -r '" (\(.successfulIssues // "-") successful, \(.failedIssues // "-") failed)"' <<<"$json")" ;;
      Failed)
        js_watch_stop
        finish 1 Failed "$id Failed: ${err:-no error recorded}" ;;
    esac
  fi
}

# The state at the start, from the object already read (so that it shows however short --timeout is).
handle "$(jq -r "$record_program" <<<"{\"type\":\"ADDED\",\"object\":$obj}")"
while :; do
  js_watch_start "$name" "$obj" -r "$record_program"
  obj=''
  while :; do
    js_watch_read "$deadline"
    case $? in
      1) break ;;
      2) js_watch_stop; timed_out ;;
    esac
    handle "$JS_LINE"
  done
  # The stream ended: the watch expired (normal after a while; read and watch again), or kubectl failed.
  js_watch_ended "JIRASync $id"
  sleep 1
done
