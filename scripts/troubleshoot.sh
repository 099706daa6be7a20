#!/usr/bin/env bash
# troubleshoot.sh: guided diagnosis of the controller and one JIRASync (or an overview of all),
# ending in a verdict with the likely cause and the next step. Run with --help for usage.
set -uo pipefail
# shellcheck source=lib/common.sh
. "${BASH_SOURCE[0]%/*}/lib/common.sh"

usage() {
  cat <<EOF
Usage: $JS_PROG [NAME] [options]

Checks, in order: is the JIRASync CRD installed; are controller pods running and which one
leads (Lease holder and renew age); then for NAME: the shard that owns it, its Secrets (present,
with the right keys; values are never read out), its conditions, lastError, retries and Events,
and the controller log lines that mention it. Ends with a verdict: the likely cause and the next
step for bad Jira credentials, Jira rate limiting, git authentication, a missing repository,
missing or invalid Secrets, a stalled sync, exhausted retries, or no leader. Without NAME it
checks the controller and the leader of each shard, and lists the JIRASyncs that are Unhealthy or
Degraded.

Shards (docs/sharding.md) are told from the cluster: without the label sync.jira.io/shard a
JIRASync belongs to the default shard (Lease --lease-name, pods labelled
app.kubernetes.io/component=controller); with label X and a Lease <lease-name>-X, to shard X
(pods app.kubernetes.io/component=controller-X), whose leader must then be current. A label X
without that Lease names a shard unknown to the cluster: the default shard serves the JIRASync, as
the controller does with a shard it is not configured for, and the verdict warns (a typo, or a
shard whose Deployment never elected a leader).

Options:
  -n, --namespace NS            namespace of the JIRASync (default: the context's namespace)
  -A, --all-namespaces          without NAME: look at JIRASyncs in every namespace
      --controller-namespace NS namespace of the controller and its Leases (default $JS_CONTROLLER_NAMESPACE)
      --lease-name NAME         the default shard's Lease; shard X's is NAME-X
                                (default $JS_LEASE_NAME)
      --events N                how many Events to show (default 10)
      --log-lines N             how many log lines per controller pod to search (default 500)
      --pending-after DUR       warn when a JIRASync has no run for this long after creation
                                (default 2m)
      --bundle DIR              also write everything collected to DIR (new or empty) for a bug
                                report: the report, the JIRASync and Leases YAML, Events, pods,
                                logs, and the Secrets' key names (never their values)
  -o, --output FORMAT           text (default) or json
      --context NAME            kubeconfig context to use
      --kubeconfig FILE         kubeconfig file to use
  -h, --help                    show this help

Examples:
  $JS_PROG nightly-sync -n jira
  $JS_PROG nightly-sync -n jira --bundle ./jirasync-bundle && tar czf bundle.tgz jirasync-bundle
  $JS_PROG -A
  $JS_PROG nightly-sync -n jira -o json | jq -r '.findings[].id'

Exit codes:
  0  no problem found
  1  a problem was found (see the verdict), such as no current leader in the shard that owns
     NAME (without NAME: in any shard shown)
  2  only warnings (for example Jira rate limiting while retries continue, or a shard label
     that names a shard unknown to the cluster)
  3  usage or connection error: kubectl or jq missing, CRD not installed, JIRASync not found

Requires kubectl and jq.
EOF
}

ctrl_ns=$JS_CONTROLLER_NAMESPACE lease_name=$JS_LEASE_NAME event_limit=10 log_tail=500 bundle=''
log_limit=20 pending_after=120
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --controller-namespace) js_need_value "$@"; ctrl_ns=$2; shift 2 ;;
    --controller-namespace=*) ctrl_ns=${1#*=}; shift ;;
    --lease-name) js_need_value "$@"; lease_name=$2; shift 2 ;;
    --lease-name=*) lease_name=${1#*=}; shift ;;
    --events) js_need_value "$@"; js_count "$1" "$2"; event_limit=$JS_RESULT; shift 2 ;;
    --events=*) js_count --events "${1#*=}"; event_limit=$JS_RESULT; shift ;;
    --log-lines) js_need_value "$@"; js_count "$1" "$2"; log_tail=$JS_RESULT; shift 2 ;;
    --log-lines=*) js_count --log-lines "${1#*=}"; log_tail=$JS_RESULT; shift ;;
    --pending-after) js_need_value "$@"; js_duration "$2"; pending_after=$JS_RESULT; shift 2 ;;
    --pending-after=*) js_duration "${1#*=}"; pending_after=$JS_RESULT; shift ;;
    --bundle) js_need_value "$@"; bundle=$2; shift 2 ;;
    --bundle=*) bundle=${1#*=}; shift ;;
    *) js_arg nAoN "$@"; shift "$JS_SHIFT" ;;
  esac
done
name=$JS_NAME
js_check_common
if [[ -n $name ]]; then
  js_require_name "$name"
  ((JS_ALL_NAMESPACES)) && js_usage_error "--all-namespaces does not go with a NAME"
fi
js_valid_namespace "$ctrl_ns" || js_usage_error "invalid controller namespace: '$ctrl_ns'"
js_valid_name "$lease_name" || js_usage_error "invalid Lease name: '$lease_name'"
((log_tail > 0)) || js_usage_error "--log-lines must be at least 1"
if [[ -n $bundle ]]; then
  [[ $bundle != -* ]] || bundle=./$bundle
  if [[ -e $bundle ]]; then
    [[ -d $bundle ]] || js_usage_error "--bundle $bundle exists and is not a folder"
    [[ -z $(ls -A -- "$bundle") ]] || js_usage_error "--bundle folder $bundle is not empty"
  fi
fi
js_require_kubectl
js_require_jq
js_color_init
js_tmpdir
facts=$JS_TMP/facts
mkdir -p -- "$facts/logs"

# write FILE JSON: a fact for the final jq run (files, since kubectl's JSON can exceed the size of
# one command-line argument).
write() { printf '%s\n' "$2" >"$facts/$1"; }

# 1. The CRD: ask discovery, which any authenticated user may read.
out=''
js_try_get out get --raw "/apis/$JS_GROUP/$JS_VERSION"
case $? in
  0)
    if jq -e '.resources | any(.name == "jirasyncs")' >/dev/null 2>&1 <<<"$out"; then
      write crd.json '{"installed": true}'
    else
      write crd.json '{"installed": false, "error": "sync.jira.io/v1alpha1 is served without jirasyncs"}'
    fi ;;
  *) jq -n --arg e "$JS_RESULT" '{installed: false, error: $e}' >"$facts/crd.json" ;;
esac
crd_installed=$(jq -r '.installed' "$facts/crd.json")

# 2. The JIRASync (first, so that a wrong name fails before anything is printed), or the list.
js_current_namespace
ns=$JS_RESULT
write object.json null
syncs='{}' list=''
if [[ -n $name && $crd_installed == true ]]; then
  js_get syncs "JIRASync $ns/$name" get "$JS_RESOURCE" "$name" "--namespace=$ns" -o json
  write object.json "$syncs"
elif [[ $crd_installed == true ]]; then
  js_ns_args
  js_get list "JIRASyncs" get "$JS_RESOURCE" ${JS_NS_ARGS[@]+"${JS_NS_ARGS[@]}"} -o json
  syncs=$list
fi

# 3. The shards' Leases: with NAME the shard that owns it (and the pods to look at are that
# shard's), without NAME the default shard and every shard the JIRASyncs name.
leases=''
js_shard_leases leases "$syncs" "$ctrl_ns" "$lease_name"
printf '%s\n' "$leases" >"$facts/leases.json"
# shellcheck disable=SC2016 # jq code
js_jq_program 'if .kind == "JIRASync" then [.] | shard_table($l; now; false) | map(.syncs = null)
  else .items // [] | shard_table($l; now; true) end'
jq --argjson l "$leases" "$JS_RESULT" <<<"$syncs" >"$facts/shards.json"
owner=$(jq -r 'map(select(.unknown != true)) | .[0].shard // "default"' "$facts/shards.json")
selector=$JS_CONTROLLER_SELECTOR
# A named shard's pods: component controller-NAME (the chart's jirasync.shardComponent).
[[ $owner == default ]] || selector=app.kubernetes.io/name=jirasync,app.kubernetes.io/component=controller-$owner

# 4. Controller pods.
pods=''
if js_try_get pods get pods "--namespace=$ctrl_ns" -l "$selector" -o json; then
  printf '%s\n' "$pods" >"$JS_TMP/pods-full.json"
  # Only what the report needs: a pod's spec can hold environment values.
  jq '{items: [.items[] | {metadata: {name: .metadata.name, namespace: .metadata.namespace},
    status: {phase: .status.phase, conditions: .status.conditions, containerStatuses: .status.containerStatuses}}]}' \
    <<<"$pods" >"$facts/pods.json"
else
  jq -n --arg e "$JS_RESULT" '{items: [], error: $e}' >"$facts/pods.json"
fi

# 5. For NAME: Secrets (key names and value lengths only, via a template: values never leave
# kubectl), Events, and the controller log lines that mention it.
secret_facts() {
  local role=$1 sname=$2 required=$3 keys rc
  if [[ -z $sname ]]; then
    jq -n --arg role "$role" --arg req "$required" '{role: $role, name: null, required: $req}'
    return
  fi
  keys=''
  # shellcheck disable=SC2016 # a Go template, not shell
  # The first line is the Secret's type and its opt-in label (the controller uses only Opaque
  # Secrets labelled sync.jira.io/credentials=true); then one line per key.
  js_try_get keys get secret "$sname" "--namespace=$ns" \
    -o 'go-template={{.type}}{{"\t"}}{{with .metadata.labels}}{{index . "sync.jira.io/credentials"}}{{end}}{{"\n"}}{{range $k, $v := .data}}{{$k}}{{"\t"}}{{len $v}}{{"\n"}}{{end}}'
  rc=$?
  # shellcheck disable=SC2016 # jq code
  jq -n --arg role "$role" --arg name "$sname" --arg req "$required" --arg keys "$keys" --argjson rc "$rc" \
    --arg err "$JS_RESULT" '
    ($keys | split("\n")) as $lines
    | (($lines[0] // "") | split("\t")) as $head
    | ($lines[1:] | map(select(. != "") | split("\t") | {key: .[0], len: (.[1] | tonumber)})) as $k
    | ($k | map(.key)) as $names
    | ($k | map(select(.len > 0) | .key)) as $set
    | def has($n): $set | index($n) != null;
      def need($n): if ($names | index($n)) != null then "\($n) (empty)" else $n end;
      {role: $role, name: $name, required: $req,
       found: (if $rc == 0 then true elif $rc == 1 then false else null end),
       error: (if $rc == 2 then $err else null end),
       keys: $names,
       type: (if $rc == 0 then $head[0] else null end),
       optedIn: (if $rc == 0 then ($head[0] == "Opaque" and ($head[1] // "") == "true") else null end),
       emptyKeys: ($k | map(select(.len == 0) | .key)),
       missing: (if $rc != 0 then []
                 elif $role == "jira" then
                   (if has("baseUrl") then [] else [need("baseUrl")] end)
                   + (if has("token") or (has("email") and has("apiToken")) then []
                      elif has("email") then [need("apiToken")]
                      elif has("apiToken") then [need("email")]
                      else ["email + apiToken, or token"] end)
                 else (if has("token") then [] else [need("token")] end) end)}'
}

write secrets.json '[]'
write events.json '[]'
write events-error.json null
write logs.json '[]'
write syncs.json '[]'
if [[ -n $name && $crd_installed == true ]]; then
  jira_secret=$(jq -r '.spec.jira.secretRef.name // ""' "$facts/object.json")
  git_secret=$(jq -r '.spec.destination.secretRef.name // ""' "$facts/object.json")
  {
    secret_facts jira "$jira_secret" "baseUrl, and email + apiToken or token"
    secret_facts git "$git_secret" "token (username optional)"
  } | jq -s '.' >"$facts/secrets.json"

  events=''
  if js_try_get events get events "--namespace=$ns" --field-selector "involvedObject.name=$name" -o json; then
    # shellcheck disable=SC2016 # jq code
    js_jq_program '[.items[] | select(.involvedObject.kind == "JIRASync")
      | . + {at: ((.lastTimestamp // .eventTime // .series.lastObservedTime // .metadata.creationTimestamp) | ts)}]
      | sort_by(.at) | map(del(.at))'
    jq "$JS_RESULT" <<<"$events" >"$facts/events.json"
  else
    jq -n --arg e "$JS_RESULT" '$e' >"$facts/events-error.json"
  fi

  # Logs of every controller pod; the lines that mention the namespace and the name.
  mapfile -t pod_names < <(jq -r '.items[].metadata.name' "$facts/pods.json")
  for pod in ${pod_names[@]+"${pod_names[@]}"}; do
    if js_kubectl --request-timeout=30s logs "$pod" "--namespace=$ctrl_ns" --all-containers --tail="$log_tail" \
      >"$facts/logs/$pod.log" 2>"$JS_TMP/logs.err"; then
      jq -R -s --arg pod "$pod" --arg ns "$ns" --arg name "$name" --argjson limit "$log_limit" \
        '{pod: $pod, lines: (split("\n") | map(select(index($name) != null and index($ns) != null)) | .[-$limit:])}' \
        "$facts/logs/$pod.log"
    else
      js_last_error_line "$JS_TMP/logs.err"
      printf '%s\n' "$JS_RESULT" >"$facts/logs/$pod.log"
      jq -n --arg pod "$pod" --arg e "$JS_RESULT" '{pod: $pod, error: $e, lines: []}'
    fi
  done | jq -s '.' >"$facts/logs.json"
elif [[ $crd_installed == true ]]; then
  # shellcheck disable=SC2016 # jq code
  js_jq_program 'now as $now | [.items[] | health(2; 86400; $now) as $h
    | {namespace: .metadata.namespace, name: .metadata.name, health: $h.health, reason: $h.reason}]
    | sort_by(-(.health | health_rank), .namespace, .name)'
  jq "$JS_RESULT" <<<"$list" >"$facts/syncs.json"
fi
if ((JS_ALL_NAMESPACES)); then scope='all namespaces'; else scope="namespace $ns"; fi

# 6. The diagnosis.
lib=${BASH_SOURCE[0]%/*}/lib
js_jq_program "$(<"$lib/troubleshoot.jq")"
program=$JS_RESULT
# shellcheck disable=SC2016 # jq code
report=$(jq -n \
  --slurpfile crd "$facts/crd.json" --slurpfile object "$facts/object.json" --slurpfile pods "$facts/pods.json" \
  --slurpfile leases "$facts/leases.json" --slurpfile shards "$facts/shards.json" --slurpfile secrets "$facts/secrets.json" \
  --slurpfile events "$facts/events.json" --slurpfile eventsError "$facts/events-error.json" \
  --slurpfile logs "$facts/logs.json" --slurpfile syncs "$facts/syncs.json" \
  --arg name "$name" --arg ns "$ns" --arg scope "$scope" --arg ctrlNs "$ctrl_ns" --arg leaseName "$lease_name" \
  --arg selector "$selector" --argjson eventLimit "$event_limit" --argjson logLimit "$log_limit" \
  --argjson logTail "$log_tail" --argjson pendingAfter "$pending_after" --argjson c '{}' --argjson m '{}' \
  "$program"'
  {now: now, name: (if $name == "" then null else $name end), namespace: $ns, scope: $scope,
      controllerNamespace: $ctrlNs, leaseName: $leaseName, selector: $selector,
      eventLimit: $eventLimit, logLimit: $logLimit, logTail: $logTail, pendingAfter: $pendingAfter,
      crd: $crd[0], object: $object[0], pods: $pods[0], leases: $leases[0], shards: $shards[0], secrets: $secrets[0],
      events: $events[0], eventsError: $eventsError[0], logs: $logs[0], syncs: $syncs[0]} | report') ||
  js_die 3 "cannot build the report"
code=$(jq -r '.exitCode' <<<"$report")

render() { # render COLOR(0|1): the text report
  local c m
  if (($1)); then
    c=$(jq -n --arg red "$C_RED" --arg green "$C_GREEN" --arg yellow "$C_YELLOW" --arg blue "$C_BLUE" \
      --arg bold "$C_BOLD" --arg reset "$C_RESET" '$ARGS.named')
    m=$(jq -n --arg ok "$M_OK" --arg warn "$M_WARN" --arg fail "$M_FAIL" --arg info "$M_INFO" '$ARGS.named')
  else
    c='{"red":"","green":"","yellow":"","blue":"","bold":"","reset":""}'
    m='{"ok":"[ok]","warn":"[warn]","fail":"[FAIL]","info":"[info]"}'
  fi
  jq -r --argjson c "$c" --argjson m "$m" "$program text" <<<"$report"
}

if [[ -n $bundle ]]; then
  mkdir -p -- "$bundle" || js_die 3 "cannot create --bundle folder $bundle"
  render 0 >"$bundle/report.txt"
  jq '.' <<<"$report" >"$bundle/report.json"
  # Secrets: names, roles and key names only.
  jq -r '"# Secrets referenced by the JIRASync: key names only, values are never collected.",
    (.secrets[] | "- role: \(.role | @json)", "  name: \(.name | @json)", "  found: \(.found | @json)",
       "  keys: \(.keys // [] | @json)", "  emptyKeys: \(.emptyKeys // [] | @json)", "  missing: \(.missing // [] | @json)")' \
    <<<"$report" >"$bundle/secrets.yaml"
  if [[ -n $name && $crd_installed == true ]]; then
    js_kubectl get "$JS_RESOURCE" "$name" "--namespace=$ns" -o yaml >"$bundle/jirasync.yaml" 2>&1
    js_kubectl get events "--namespace=$ns" --field-selector "involvedObject.name=$name,involvedObject.kind=JIRASync" \
      -o yaml >"$bundle/events.yaml" 2>&1
  elif [[ $crd_installed == true ]]; then
    js_ns_args
    js_kubectl get "$JS_RESOURCE" ${JS_NS_ARGS[@]+"${JS_NS_ARGS[@]}"} -o yaml >"$bundle/jirasyncs.yaml" 2>&1
    js_kubectl get events ${JS_NS_ARGS[@]+"${JS_NS_ARGS[@]}"} --field-selector involvedObject.kind=JIRASync \
      -o yaml >"$bundle/events.yaml" 2>&1
  fi
  mapfile -t lease_names < <(jq -r '.[] | select(.unknown != true) | .lease' "$facts/shards.json")
  js_kubectl get lease "${lease_names[@]}" "--namespace=$ctrl_ns" --ignore-not-found -o yaml >"$bundle/leases.yaml" 2>&1
  # Pods: environment values whose names suggest a credential are replaced (the chart takes them from
  # Secrets, but a hand-edited Deployment may not).
  if [[ -s $JS_TMP/pods-full.json ]]; then
    jq '.items | map(del(.metadata.managedFields, .metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"])
      | walk(if type == "object" and has("name") and has("value") and ((.name | ascii_downcase)
        | test("token|password|secret|key|credential")) then .value = "<redacted>" else . end))' \
      "$JS_TMP/pods-full.json" >"$bundle/controller-pods.json"
  else
    cp -- "$facts/pods.json" "$bundle/controller-pods.json"
  fi
  mkdir -p -- "$bundle/logs"
  for f in "$facts/logs/"*.log; do
    [[ -e $f ]] && cp -- "$f" "$bundle/logs/"
  done
  cat >"$bundle/README.txt" <<EOF
jirasync troubleshooting bundle, written by $JS_PROG on $(date -u +%Y-%m-%dT%H:%M:%SZ).
report.txt           the report as printed, with the verdict
report.json          everything collected, as JSON (the same as --output json)
jirasync(s).yaml     the JIRASync object(s)
events.yaml          Events about JIRASync objects
secrets.yaml         the referenced Secrets: key names only; values are never collected
leases.yaml          the leader-election Leases of the shards shown, in $ctrl_ns
controller-pods.json the controller pods (credential-like env values redacted)
logs/POD.log         the last $log_tail log lines of each controller pod (all lines, unfiltered)
EOF
fi

if [[ $JS_OUTPUT == json ]]; then
  jq '.' <<<"$report"
else
  render "$JS_COLOR"
fi
if ((code == 3)); then
  js_die 3 "the JIRASync CRD ($JS_RESOURCE) is not installed in this cluster; install the jirasync Helm chart (its crds/ folder)"
fi
if [[ -n $bundle ]]; then js_warn "bundle written to $bundle"; fi
exit "$code"
