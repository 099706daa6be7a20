#!/usr/bin/env bash
# watch-conditions.sh: the conditions of one JIRASync as a table, then each condition transition
# as it happens (not the whole object on every update). Run with --help for usage.
set -uo pipefail
# shellcheck source=lib/common.sh
. "${BASH_SOURCE[0]%/*}/lib/common.sh"

usage() {
  cat <<EOF
Usage: $JS_PROG NAME [options]

Prints the JIRASync's conditions (Ready, Stalled, Processing, Progressing) as a table, then one
line per transition as it happens: the condition type, old → new status, reason and message.
A transition is a change of status or reason, or a condition appearing or disappearing; updates
that only change a message are not shown.

Options:
  -n, --namespace NS      namespace of the JIRASync (default: the context's namespace)
      --timeout DURATION  stop watching after DURATION (90s, 5m, 1h); default: until Ctrl-C
  -o, --output FORMAT     text (default) or json (one JSON object per line: the current
                          conditions with "event":"current", then "event":"transition")
      --context NAME      kubeconfig context to use
      --kubeconfig FILE   kubeconfig file to use
  -h, --help              show this help

Examples:
  $JS_PROG nightly-sync -n jira
  $JS_PROG nightly-sync -n jira --timeout 10m -o json | jq -r 'select(.type == "Ready") | .to'

Exit codes:
  0  stopped after --timeout
  3  usage or connection error: kubectl or jq missing, CRD not installed, JIRASync not found or deleted

Requires kubectl and jq.
EOF
}

timeout=0
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --timeout) js_need_value "$@"; js_duration "$2"; timeout=$JS_RESULT; shift 2 ;;
    --timeout=*) js_duration "${1#*=}"; timeout=$JS_RESULT; shift ;;
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
id="$JS_NAMESPACE/$name"

# jq keeps the previous conditions (type → status, reason, message) across watch events and emits
# records: CURRENT (first event), CHANGE (later events), END after each event, and STATE (the map,
# so that a restarted watch goes on diffing where the last one stopped), or DELETED.
# shellcheck disable=SC2016 # jq code
js_jq_program '
  def cmap: (.status.conditions // []) | map({key: .type, value: {status, reason, message, lastTransitionTime}}) | from_entries;
  def order: (.status.conditions // []) | map(.type);
  foreach (inputs | select(.type != "ERROR")) as $ev ({prev: $init};
    ($ev.object | cmap) as $cur
    | .lines = (
        if $ev.type == "DELETED" then [["DELETED"]]
        elif .prev == null then
          [ $ev.object | order[] as $t | $cur[$t] | ["CURRENT", $t, .status, .reason, .message, .lastTransitionTime] ]
        else
          .prev as $p
          | [ (($ev.object | order) + ($p | keys) | reduce .[] as $t ([]; if index([$t]) then . else . + [$t] end))[] as $t
              | $p[$t] as $a | $cur[$t] as $b
              | select(($a.status // null) != ($b.status // null) or ($a.reason // null) != ($b.reason // null))
              | ["CHANGE", $t, ($a.status // "-"), ($b.status // "(removed)"), ($b.reason // $a.reason),
                 ($b.message // ""), ($b.lastTransitionTime // "")] ]
        end)
    | .prev = $cur;
    .lines[], ["END"], ["STATE", (.prev | tojson)])
  | map(clean) | join("\u001f")'
program=$JS_RESULT

now_text() { printf '%(%H:%M:%S)T' -1; }

# status_color STATUS TYPE: green for the good state of the condition type, red for the bad one.
status_color() {
  case $2:$1 in
    Ready:True | Stalled:False) JS_RESULT=$C_GREEN ;;
    Ready:False | Stalled:True) JS_RESULT=$C_RED ;;
    *) JS_RESULT=$C_YELLOW ;;
  esac
}

current=() printed_table=0
print_table() {
  printed_table=1
  if [[ $JS_OUTPUT == json ]]; then
    local row
    for row in ${current[@]+"${current[@]}"}; do
      IFS=$JS_US read -r _ type status reason message since <<<"$row"
      jq -cn --arg ns "$JS_NAMESPACE" --arg name "$name" --arg type "$type" --arg status "$status" \
        --arg reason "$reason" --arg message "$message" --arg since "$since" \
        '{event: "current", namespace: $ns, name: $name, type: $type, status: $status, reason: $reason,
          message: $message, lastTransitionTime: $since}'
    done
    return
  fi
  printf '%sConditions of JIRASync %s%s\n' "$C_BOLD" "$id" "$C_RESET"
  if ((${#current[@]} == 0)); then
    printf '  (no conditions yet)\n'
  else
    local w_type=4 w_reason=6 row type status reason message since color
    for row in "${current[@]}"; do
      IFS=$JS_US read -r _ type _ reason _ _ <<<"$row"
      ((${#type} > w_type)) && w_type=${#type}
      ((${#reason} > w_reason)) && w_reason=${#reason}
    done
    printf '  %-*s  %-7s  %-*s  %-20s  %s\n' "$w_type" TYPE STATUS "$w_reason" REASON SINCE MESSAGE
    for row in "${current[@]}"; do
      IFS=$JS_US read -r _ type status reason message since <<<"$row"
      status_color "$status" "$type"
      color=$JS_RESULT
      js_pad "$status" 7
      printf '  %-*s  %s%s%s  %-*s  %-20s  %s\n' "$w_type" "$type" "$color" "$JS_RESULT" "$C_RESET" \
        "$w_reason" "$reason" "${since:--}" "$message"
    done
  fi
  if ((timeout)); then printf 'Watching for transitions (for %ss)...\n' "$timeout"; else printf 'Watching for transitions (Ctrl-C to stop)...\n'; fi
}

print_change() {
  local type=$1 from=$2 to=$3 reason=$4 message=$5
  if [[ $JS_OUTPUT == json ]]; then
    jq -cn --arg ns "$JS_NAMESPACE" --arg name "$name" --arg type "$type" --arg from "$from" --arg to "$to" \
      --arg reason "$reason" --arg message "$message" \
      '{event: "transition", time: (now | floor | todate), namespace: $ns, name: $name, type: $type,
        from: $from, to: $to, reason: $reason, message: $message}'
    return
  fi
  status_color "$to" "$type"
  printf '%s  %s  %s → %s%s%s  %s  %s\n' "$(now_text)" "$type" "$from" "$JS_RESULT" "$to" "$C_RESET" "$reason" "$message"
}

# handle RECORD: one record of the jq program above.
handle() {
  local kind f1 f2 f3 f4 f5
  IFS=$JS_US read -r kind f1 f2 f3 f4 f5 _ <<<"$1"
  case $kind in
    CURRENT) current+=("$1") ;;
    END) ((printed_table)) || print_table ;;
    CHANGE) print_change "$f1" "$f2" "$f3" "$f4" "$f5" ;;
    STATE) state=$f1 ;;
    DELETED) js_watch_stop; js_die 3 "JIRASync $id was deleted" ;;
  esac
}

deadline=0
((timeout > 0)) && deadline=$((SECONDS + timeout))
state=null
# The table comes from the object already read, so that it shows however short --timeout is.
mapfile -t records < <(jq -n -r --argjson init null "$program" <<<"{\"type\":\"ADDED\",\"object\":$obj}")
for record in "${records[@]}"; do handle "$record"; done
while :; do
  js_watch_start "$name" "$obj" -n -r --argjson init "$state" "$program"
  obj=''
  while :; do
    js_watch_read "$deadline"
    case $? in
      1) break ;;
      2) js_watch_stop; exit 0 ;;
    esac
    handle "$JS_LINE"
  done
  js_watch_ended "JIRASync $id"
  sleep 1
done
