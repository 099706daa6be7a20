# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables set here are read by the tools that source this file
# Shared helpers for the jirasync shell tools (sourced, never run): option parsing, kubectl calls
# that turn kubectl's errors into one clear line and exit code 3, colour only on a terminal,
# durations, and the jq definitions the tools share (timestamps, ages, health).
#
# Exit codes used by every tool: 0 ok, 1 problem found / sync failed, 2 degraded / warning /
# timeout, 3 usage or connection error (kubectl or jq missing, CRD not installed, object not found).

# Names fixed by the chart and the CRD (docs/configuration.md).
JS_RESOURCE=jirasyncs.sync.jira.io
JS_GROUP=sync.jira.io
JS_VERSION=v1alpha1
JS_ANNOTATION=sync.jira.io/requestedAt
JS_CONTROLLER_SELECTOR=app.kubernetes.io/name=jirasync,app.kubernetes.io/component=controller
JS_CONTROLLER_NAMESPACE=jirasync-system
JS_LEASE_NAME=jirasync-leader
# Sharding (docs/sharding.md): the label that names a JIRASync's shard, and the default shard.
# The Lease of the default shard is the base name (--lease-name), a named shard's is BASE-SHARD.
JS_SHARD_LABEL=sync.jira.io/shard
JS_DEFAULT_SHARD=default

JS_PROG=${0##*/}
JS_KUBECTL_FLAGS=()   # --context / --kubeconfig, passed to every kubectl call
JS_NAMESPACE=''       # -n; empty means the kubeconfig context's namespace
JS_ALL_NAMESPACES=0   # -A
JS_OUTPUT=text        # -o text|json
JS_SHIFT=0            # set by js_common_opt/js_arg: how many arguments they consumed
JS_NAME=''            # the NAME argument, set by js_arg
JS_RESULT=''          # set by helpers that return a value without a subshell
JS_TMP=''             # scratch folder, made on demand, removed on exit
JS_BG_PIDS=()         # background processes to stop on exit
# Field separator for records read by `read`: a control character, so never inside cleaned text,
# and not whitespace, so empty fields are kept.
JS_US=$'\x1f'

js_cleanup() {
  local pid
  for pid in ${JS_BG_PIDS[@]+"${JS_BG_PIDS[@]}"}; do
    kill "$pid" 2>/dev/null
  done
  for pid in ${JS_BG_PIDS[@]+"${JS_BG_PIDS[@]}"}; do
    wait "$pid" 2>/dev/null
  done
  JS_BG_PIDS=()
  if [[ -n $JS_TMP && -z ${JS_KEEP_TMP:-} ]]; then rm -rf -- "$JS_TMP"; fi
}
trap js_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# js_die CODE MESSAGE: one line on stderr, then exit.
js_die() {
  printf '%s: %s\n' "$JS_PROG" "$2" >&2
  exit "$1"
}

js_usage_error() {
  printf '%s: %s (see %s --help)\n' "$JS_PROG" "$1" "$JS_PROG" >&2
  exit 3
}

js_warn() {
  printf '%s: %s\n' "$JS_PROG" "$1" >&2
}

# js_need_value OPTION [VALUE...]: the option must be followed by a value.
js_need_value() {
  if [[ $# -lt 2 ]]; then js_usage_error "option $1 needs a value"; fi
}

# js_common_opt CAPS ARGS...: parses one option shared by the tools. CAPS says which apply:
# n (namespace), A (all namespaces), o (output). --context and --kubeconfig always apply.
# Sets JS_SHIFT to the number of arguments consumed (0: not a common option).
js_common_opt() {
  local caps=$1
  shift
  JS_SHIFT=0
  case $1 in
    -n | --namespace)
      [[ $caps == *n* ]] || return 0
      js_need_value "$@"
      JS_NAMESPACE=$2 JS_SHIFT=2 ;;
    --namespace=*)
      [[ $caps == *n* ]] || return 0
      JS_NAMESPACE=${1#*=} JS_SHIFT=1 ;;
    -A | --all-namespaces)
      [[ $caps == *A* ]] || return 0
      JS_ALL_NAMESPACES=1 JS_SHIFT=1 ;;
    -o | --output)
      [[ $caps == *o* ]] || return 0
      js_need_value "$@"
      JS_OUTPUT=$2 JS_SHIFT=2 ;;
    --output=*)
      [[ $caps == *o* ]] || return 0
      JS_OUTPUT=${1#*=} JS_SHIFT=1 ;;
    --context | --kubeconfig)
      js_need_value "$@"
      [[ -n $2 ]] || js_usage_error "option $1 needs a non-empty value"
      JS_KUBECTL_FLAGS+=("$1=$2") JS_SHIFT=2 ;;
    --context=?* | --kubeconfig=?*)
      JS_KUBECTL_FLAGS+=("$1") JS_SHIFT=1 ;;
  esac
  return 0
}

# js_arg CAPS ARGS...: an argument the tool's own options did not take: a common option (see
# js_common_opt), or with N in CAPS the one NAME (into JS_NAME); anything else is a usage error.
# Sets JS_SHIFT.
js_arg() {
  local caps=$1
  shift
  if [[ $1 == -* ]]; then
    js_common_opt "$caps" "$@"
    ((JS_SHIFT)) || js_usage_error "unknown option: $1"
  elif [[ $caps == *N* ]]; then
    [[ -z $JS_NAME ]] || js_usage_error "only one NAME may be given"
    JS_NAME=$1 JS_SHIFT=1
  else
    js_usage_error "unknown argument: $1"
  fi
}

# js_check_common: validates what js_common_opt collected.
js_check_common() {
  case $JS_OUTPUT in
    text | json) ;;
    *) js_usage_error "--output must be text or json, not '$JS_OUTPUT'" ;;
  esac
  if [[ -n $JS_NAMESPACE ]]; then
    js_valid_namespace "$JS_NAMESPACE" || js_usage_error "invalid namespace name: '$JS_NAMESPACE'"
    if ((JS_ALL_NAMESPACES)); then js_usage_error "use either --namespace or --all-namespaces"; fi
  fi
}

# Kubernetes names: a namespace is a DNS label, a JIRASync or Secret name a DNS subdomain. Checking
# them here gives a clear usage error and means no name can ever be read as a kubectl option.
js_valid_namespace() {
  [[ ${#1} -le 63 && $1 =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]]
}

js_valid_name() {
  [[ ${#1} -le 253 && $1 =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]]
}

js_require_name() {
  [[ -n $1 ]] || js_usage_error "a JIRASync NAME is required"
  js_valid_name "$1" || js_usage_error "invalid JIRASync name: '$1'"
}

js_require_kubectl() {
  command -v kubectl >/dev/null 2>&1 ||
    js_die 3 "kubectl not found on PATH; install kubectl (https://kubernetes.io/docs/tasks/tools/)"
}

js_require_jq() {
  command -v jq >/dev/null 2>&1 ||
    js_die 3 "jq not found on PATH; this tool needs jq to read kubectl's JSON (install the 'jq' package, e.g. apt-get install jq or brew install jq)"
}

js_tmpdir() {
  if [[ -z $JS_TMP ]]; then
    JS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/jirasync-tool.XXXXXX") || js_die 3 "cannot create a temporary folder"
  fi
}

# js_kubectl ARGS...: kubectl with --context/--kubeconfig from the command line.
js_kubectl() {
  kubectl ${JS_KUBECTL_FLAGS[@]+"${JS_KUBECTL_FLAGS[@]}"} "$@"
}

# js_ns_args: sets JS_NS_ARGS to the namespace flags for a list (-A, -n NS or nothing).
js_ns_args() {
  JS_NS_ARGS=()
  if ((JS_ALL_NAMESPACES)); then
    JS_NS_ARGS=(--all-namespaces)
  elif [[ -n $JS_NAMESPACE ]]; then
    JS_NS_ARGS=("--namespace=$JS_NAMESPACE")
  fi
}

# js_current_namespace: sets JS_RESULT to -n, or the context's namespace, or "default".
js_current_namespace() {
  if [[ -n $JS_NAMESPACE ]]; then
    JS_RESULT=$JS_NAMESPACE
    return
  fi
  JS_RESULT=$(js_kubectl config view --minify -o 'jsonpath={..namespace}' 2>/dev/null)
  [[ -n $JS_RESULT ]] || JS_RESULT=default
}

# js_last_error_line FILE: the last line of kubectl's stderr that is not a klog trace line.
js_last_error_line() {
  local line last=''
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[EIWF][0-9]{4}\  ]] && continue
    [[ -n ${line//[[:space:]]/} ]] && last=$line
  done <"$1"
  JS_RESULT=$last
}

# js_classify_error FILE WHAT: maps kubectl's stderr to one line; sets JS_RESULT and returns the
# kind (0 not-found, 1 other). WHAT names the object for "not found".
js_classify_error() {
  js_last_error_line "$1"
  local line=$JS_RESULT lower
  lower=$(printf '%s' "$line" | tr '[:upper:]' '[:lower:]')
  case $lower in
    *"doesn't have a resource type"* | *"could not find the requested resource"*)
      JS_RESULT="the JIRASync CRD ($JS_RESOURCE) is not installed in this cluster; install the jirasync Helm chart (its crds/ folder)" ;;
    *"(notfound)"* | *" not found"*)
      JS_RESULT="$2 not found"
      return 0 ;;
    *"unable to connect"* | *"connection refused"* | *"was refused"* | *"no such host"* | *"i/o timeout"* | \
      *"dial tcp"* | *"deadline exceeded"* | *"timeout"* | *"x509"* | *"tls:"* | *": eof"*)
      JS_RESULT="cannot reach the Kubernetes API server: $line" ;;
    *"(unauthorized)"*)
      JS_RESULT="the API server rejected the credentials of this kubeconfig: $line" ;;
    *"(forbidden)"*)
      JS_RESULT="not allowed: $line" ;;
    *)
      JS_RESULT="kubectl failed: ${line:-exit status $3}" ;;
  esac
  return 1
}

# js_get VAR WHAT ARGS...: runs `kubectl ARGS` (a read), stores stdout in VAR; on failure prints
# one line and exits 3. WHAT names the object in a "not found" message.
js_get() {
  local __var=$1 __what=$2 __out __rc
  shift 2
  js_tmpdir
  __out=$(js_kubectl --request-timeout=30s "$@" 2>"$JS_TMP/kubectl.err")
  __rc=$?
  if ((__rc != 0)); then
    js_classify_error "$JS_TMP/kubectl.err" "$__what" "$__rc"
    js_die 3 "$JS_RESULT"
  fi
  printf -v "$__var" '%s' "$__out"
}

# js_try_get VAR ARGS...: like js_get but returns instead of exiting: 0 found, 1 not found,
# 2 another error (its one-line description in JS_RESULT). Connection errors still exit 3.
js_try_get() {
  local __var=$1 __out __rc
  shift
  js_tmpdir
  __out=$(js_kubectl --request-timeout=30s "$@" 2>"$JS_TMP/kubectl.err")
  __rc=$?
  printf -v "$__var" '%s' "$__out"
  ((__rc == 0)) && return 0
  if js_classify_error "$JS_TMP/kubectl.err" object "$__rc"; then
    return 1
  fi
  case $JS_RESULT in
    "cannot reach"* | "the API server rejected"*) js_die 3 "$JS_RESULT" ;;
  esac
  return 2
}

# js_get_sync VAR NAME: the JIRASync as JSON in VAR and its namespace in JS_NAMESPACE (exit 3 if it
# or the CRD is missing).
js_get_sync() {
  local where=${JS_NAMESPACE:+$JS_NAMESPACE/}
  js_get "$1" "JIRASync ${where}$2" get "$JS_RESOURCE" "$2" ${JS_NAMESPACE:+"--namespace=$JS_NAMESPACE"} -o json
  # Later calls and messages name the object's own namespace (the context's, when -n was not given).
  JS_NAMESPACE=$(jq -r '.metadata.namespace' <<<"${!1}")
}

# js_shard_leases VAR SYNCS CTRL_NS BASE: the Leases in CTRL_NS of the default shard (BASE) and of
# every shard that the JIRASyncs in SYNCS (a kubectl list, or one object, as JSON) name with the
# label sync.jira.io/shard (BASE-SHARD), read in one kubectl call; as JSON in VAR:
# {namespace, base, leases: {NAME: Lease} (those that exist), error: null or why they cannot be read}.
# The tools cannot see the controller's SHARDS setting: a shard whose Lease exists is taken as
# configured, the jq definition `shard` below decides the owner from this. Label values that cannot
# name a shard (not a DNS label) are not asked about: the default shard serves them.
js_shard_leases() {
  local __var=$1 __syncs=$2 __ns=$3 __base=$4 __v __json __names
  __names=("$__base")
  while IFS= read -r __v; do
    [[ $__v != "$JS_DEFAULT_SHARD" ]] || continue
    # A shard name is a DNS label, as a namespace name is.
    if js_valid_namespace "$__v" && js_valid_name "$__base-$__v"; then __names+=("$__base-$__v"); fi
  done < <(jq -r --arg l "$JS_SHARD_LABEL" \
    '[(if .items then .items[] else . end) | .metadata.labels[$l]? // empty | strings] | unique[]' <<<"$__syncs")
  # With several names kubectl answers a List, with one the object, with none found nothing.
  if js_try_get __json get lease "${__names[@]}" "--namespace=$__ns" --ignore-not-found -o json; then
    __json=$(jq -s --arg ns "$__ns" --arg base "$__base" '{namespace: $ns, base: $base, error: null,
      leases: (map(if .kind == "List" then .items[] else . end) | map({(.metadata.name): .}) | add // {})}' <<<"$__json")
  else
    __json=$(jq -n --arg ns "$__ns" --arg base "$__base" --arg e "$JS_RESULT" \
      '{namespace: $ns, base: $base, error: $e, leases: {}}')
  fi
  printf -v "$__var" '%s' "$__json"
}

# js_list_syncs: the JIRASyncs in scope (-n, -A or the context's namespace) as JSON in JS_LIST,
# and the scope in words ("namespace NS" or "all namespaces") in JS_SCOPE.
js_list_syncs() {
  js_ns_args
  JS_LIST=''
  js_get JS_LIST "JIRASyncs" get "$JS_RESOURCE" ${JS_NS_ARGS[@]+"${JS_NS_ARGS[@]}"} -o json
  if ((JS_ALL_NAMESPACES)); then JS_SCOPE='all namespaces'; else js_current_namespace; JS_SCOPE="namespace $JS_RESULT"; fi
}

# js_duration TEXT: seconds in JS_RESULT from 90, 90s, 5m, 1h30m, 2d; exits 3 if malformed.
js_duration() {
  local rest=$1 total=0 n unit
  [[ -n $rest ]] || js_usage_error "empty duration"
  while [[ -n $rest ]]; do
    if [[ $rest =~ ^([0-9]+)([smhd]?)(.*)$ ]]; then
      n=$((10#${BASH_REMATCH[1]}))
      unit=${BASH_REMATCH[2]}
      rest=${BASH_REMATCH[3]}
      case $unit in
        m) n=$((n * 60)) ;;
        h) n=$((n * 3600)) ;;
        d) n=$((n * 86400)) ;;
      esac
      total=$((total + n))
      if [[ -z $unit && -n $rest ]]; then js_usage_error "invalid duration '$1' (use e.g. 90s, 5m, 1h30m, 2d)"; fi
    else
      js_usage_error "invalid duration '$1' (use e.g. 90s, 5m, 1h30m, 2d)"
    fi
  done
  JS_RESULT=$total
}

# js_count TEXT: a non-negative integer, or a usage error.
js_count() {
  [[ $2 =~ ^[0-9]+$ ]] || js_usage_error "$1 needs a whole number, not '$2'"
  JS_RESULT=$((10#$2))
}

# Colour and symbols only when stdout is a terminal and NO_COLOR is not set (no-color.org).
js_color_init() {
  if [[ -t 1 && -z ${NO_COLOR+x} && ${TERM:-} != dumb && $JS_OUTPUT == text ]]; then
    JS_COLOR=1
    C_RED=$'\e[31m' C_GREEN=$'\e[32m' C_YELLOW=$'\e[33m' C_BLUE=$'\e[34m' C_BOLD=$'\e[1m' C_DIM=$'\e[2m' C_RESET=$'\e[0m'
    M_OK='✅' M_WARN='⚠️' M_FAIL='❌' M_INFO='ℹ️'
  else
    JS_COLOR=0
    C_RED='' C_GREEN='' C_YELLOW='' C_BLUE='' C_BOLD='' C_DIM='' C_RESET=''
    M_OK='[ok]' M_WARN='[warn]' M_FAIL='[FAIL]' M_INFO='[info]'
  fi
}

# js_health_color HEALTH: sets JS_RESULT to the colour for a health state.
js_health_color() {
  case $1 in
    Healthy) JS_RESULT=$C_GREEN ;;
    Degraded) JS_RESULT=$C_YELLOW ;;
    Unhealthy) JS_RESULT=$C_RED ;;
    Starting | Suspended) JS_RESULT=$C_BLUE ;;
    *) JS_RESULT='' ;;
  esac
}

# jq definitions shared by the tools. Timestamps: RFC 3339 with optional fractions and offsets
# (jq's own fromdateiso8601 accepts neither).
# shellcheck disable=SC2016 # jq code, not shell
JS_JQ_DEFS='
def clean: if . == null then "" else tostring | gsub("[[:cntrl:]]+"; " ") end;
def short($n): if length > $n then .[0:$n - 1] + "…" else . end;
def ts:
  if type != "string" or . == "" then null
  else (capture("^(?<d>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(\\.[0-9]+)?(?<z>[Zz]|[+-][0-9]{2}:?[0-9]{2})$") // null) as $m
    | if $m == null then null
      else (($m.d + "Z") | fromdateiso8601)
        - (if ($m.z | ascii_downcase) == "z" then 0
           else ($m.z | gsub(":"; "")) as $o
             | (if $o[0:1] == "-" then -1 else 1 end) * (($o[1:3] | tonumber) * 3600 + ($o[3:5] | tonumber) * 60)
           end)
      end
  end;
def human:
  if . == null then "-"
  else (if . < 0 then -. else . end | floor) as $s
    | if $s < 60 then "\($s)s"
      elif $s < 3600 then "\($s / 60 | floor)m"
      elif $s < 86400 then "\($s / 3600 | floor)h" + (if ($s % 3600) >= 60 then "\(($s % 3600) / 60 | floor)m" else "" end)
      else "\($s / 86400 | floor)d" + (if ($s % 86400) >= 3600 then "\(($s % 86400) / 3600 | floor)h" else "" end)
      end
  end;
def ago($now): if . == null then "never" else ($now - .) as $d | if $d >= 0 then ($d | human) + " ago" else "in " + ($d | human) end end;
def cond($t): (.status.conditions // []) | map(select(.type == $t)) | .[0];
def nsname: "\(.metadata.namespace)/\(.metadata.name)";
def issues: (.status.syncState // {}) as $s | "\($s.processedIssues // "-")/\($s.totalIssues // "-")";
def pct: (.status.progress.percentage // null) | if . == null then "-" else "\(.)%" end;
def laststr($now): (.status.syncState.lastSyncTime | ts) | ago($now);
# health($retries; $stale; $now): {health, reason} for one JIRASync.
def health($retries; $stale; $now):
  (.status // {}) as $s
  | (cond("Stalled") | if . != null and .status == "True" then . else null end) as $stalled
  | ($s.syncState.lastSyncTime | ts) as $last
  | (.metadata.creationTimestamp | ts) as $created
  | ($s.retryCount // 0) as $r
  | if $s.phase == "Suspended" or .spec.suspend == true then
      {health: "Suspended", reason: "spec.suspend is true; last success \($last | ago($now))"}
    elif $s.phase == "Failed" then
      {health: "Unhealthy", reason: "Failed: \($s.lastError // cond("Ready").message // "no error recorded" | clean)"}
    elif $stalled != null then
      {health: "Degraded", reason: "Stalled (\($stalled.reason | clean)): \($stalled.message | clean)"}
    elif $r >= $retries and $retries > 0 then
      {health: "Degraded", reason: "\($r) retries (threshold \($retries))\(if $s.lastError then ": " + ($s.lastError | clean) else "" end)"}
    elif $last != null and ($now - $last) > $stale then
      {health: "Degraded", reason: "last successful sync \($last | ago($now)) (threshold \($stale | human))"}
    elif $last == null and $created != null and ($now - $created) > $stale then
      {health: "Degraded", reason: "no successful sync since it was created \($created | ago($now)) (threshold \($stale | human))"}
    elif ($s.phase // "") == "" then
      {health: "Starting", reason: "no status yet: waiting for the controller"}
    elif $s.phase == "Pending" then
      {health: "Starting", reason: "Pending\(cond("Ready").message // "" | clean | if . != "" then ": " + . else "" end)"}
    elif $s.phase == "Running" then
      {health: "Healthy", reason: "Running \(pct) (\(issues) issues)\($s.progress.currentOperation // "" | clean | if . != "" then ", " + . else "" end)"}
    else
      {health: "Healthy", reason: "Completed; last success \($last | ago($now))"}
    end;
def health_rank: {"Unhealthy": 3, "Degraded": 2, "Starting": 1, "Suspended": 1, "Healthy": 0}[.] // 0;
# The Lease as {holder, renewAge, duration, valid, text}.
def leader($now):
  if . == null then {holder: null, valid: false, text: "no Lease"}
  else (.spec.holderIdentity // "") as $h
    | (.spec.renewTime | ts) as $rt
    | (.spec.leaseDurationSeconds // 15) as $d
    | (if $rt == null then null else $now - $rt | floor end) as $age
    | if $h == "" then {holder: null, renewAge: $age, duration: $d, valid: false, text: "Lease has no holder"}
      elif $age == null then {holder: $h, renewAge: null, duration: $d, valid: false, text: "\($h | clean) (never renewed)"}
      elif $age > $d then {holder: $h, renewAge: $age, duration: $d, valid: false,
        text: "\($h | clean) (expired: last renewed \($age | human) ago, lease duration \($d)s)"}
      else {holder: $h, renewAge: $age, duration: $d, valid: true, text: "\($h | clean) (renewed \($age | human) ago)"}
      end
  end;
# shard($l): the shard that serves a JIRASync, told from the cluster ($l from js_shard_leases), as
# {shard, label, lease, known}. known: true for the default shard and for a label whose shard has a
# Lease; false for a label naming a shard without one, which the default shard serves (as the
# controller does with a shard it is not configured for; lease is then the default one and
# missingLease the one looked for); null when the Leases cannot be read.
def shard($l):
  (.metadata.labels["sync.jira.io/shard"]? // "") as $v
  | "\($l.base)-\($v)" as $own
  | if $v == "" or $v == "default" then {shard: "default", label: $v, lease: $l.base, known: true}
    elif $l.error != null then {shard: $v, label: $v, lease: $own, known: null}
    elif $l.leases[$own] != null then {shard: $v, label: $v, lease: $own, known: true}
    else {shard: "default", label: $v, lease: $l.base, known: false, missingLease: $own} end;
# shard_leader($l; $now), on a shard: the leader of its Lease, with shard, lease, namespace and error.
def shard_leader($l; $now):
  {shard, lease, namespace: $l.namespace, error: $l.error}
  + ($l.leases[.lease] | leader($now))
  | if .error != null then .text = "cannot read the Lease: \(.error | clean)" else . end;
# shard_table($l; $now; $withDefault), on an array of JIRASyncs: one row per shard serving some of
# them (the default shard first, and always with $withDefault): the shard_leader fields and syncs
# (how many it serves, those labelled with an unknown shard included); then one row per label naming a shard unknown to the cluster:
# {shard: the label value, unknown: true, missingLease, namespace, syncs}.
def shard_table($l; $now; $withDefault):
  map(shard($l)) as $s
  | ($s | group_by(.shard) | map({shard: .[0].shard, lease: .[0].lease, syncs: length})) as $served
  | ((if $withDefault and ($served | any(.shard == "default") | not) then [{shard: "default", lease: $l.base, syncs: 0}] else [] end)
     + $served
     | map(. as $row | shard_leader($l; $now) + {syncs: $row.syncs})
     | sort_by(.shard != "default", .shard))
    + ($s | map(select(.known == false)) | group_by(.label)
       | map({shard: .[0].label, unknown: true, missingLease: .[0].missingLease, namespace: $l.namespace, syncs: length}));
# shard_text, on a shard_table row: "shard NAME (N JIRASyncs): …" with the leader, or why the shard
# is unknown; without the count when syncs is null.
def shard_text:
  "shard \(.shard | clean)\(if .syncs == null then "" else " (\(.syncs) JIRASync\(if .syncs == 1 then "" else "s" end))" end): "
  + if .unknown then
      "unknown to the cluster (no Lease \(.namespace)/\(.missingLease)); the default shard serves \(if (.syncs // 1) == 1 then "it" else "them" end)"
    else
      (if .valid then "leader \(.text)" else "no current leader: \(.text)" end) + "  (Lease \(.namespace)/\(.lease))"
    end;
'

# js_jq_program PROGRAM: sets JS_RESULT to PROGRAM with the shared definitions before it.
js_jq_program() {
  JS_RESULT="$JS_JQ_DEFS"$'\n'"$1"
}

# js_pad TEXT WIDTH: TEXT padded with spaces to WIDTH characters (printf pads bytes, not characters).
js_pad() {
  local s=$1 n=$2
  while ((${#s} < n)); do s+=' '; done
  JS_RESULT=$s
}

# --- Following one JIRASync with a watch -------------------------------------------------------
# kubectl and jq run in the background joined by FIFOs, so that both can be stopped at any time
# (in a plain pipeline kubectl would linger until it next writes). Lines are read with a deadline.
#
# The watch starts at the resourceVersion of an object read just before, so no change between that
# read and the watch is lost. (`kubectl get NAME --watch` reads, then watches from "0" and drops
# the watch's first event as a repeat of its read: a change made in between was never shown.)

# js_watch_start NAME OBJECT JQ-ARGS...: watch JIRASync NAME in JS_NAMESPACE from OBJECT, its JSON
# as just read (empty: read it now; exits 3 if it is gone). The stream is OBJECT as an ADDED event,
# then every later change as a {type, object} event; each goes through `jq --unbuffered
# JQ-ARGS...`, whose lines js_watch_read returns. The JQ program should skip ERROR events: one
# (an expired resourceVersion) ends the stream, and the caller starts again from a fresh read.
js_watch_start() {
  local name=$1 obj=$2 rv
  shift 2
  js_tmpdir
  if [[ -z $obj ]]; then
    js_try_get obj get "$JS_RESOURCE" "$name" "--namespace=$JS_NAMESPACE" -o json
    case $? in
      1) js_die 3 "JIRASync $JS_NAMESPACE/$name was deleted" ;;
      2) js_die 3 "$JS_RESULT" ;;
    esac
  fi
  rv=$(jq -r '.metadata.resourceVersion' <<<"$obj") || js_die 3 "cannot read the JIRASync $JS_NAMESPACE/$name"
  rm -f -- "$JS_TMP/raw" "$JS_TMP/records" "$JS_TMP/watch.err" "$JS_TMP/jq.err"
  mkfifo -- "$JS_TMP/raw" "$JS_TMP/records" || js_die 3 "cannot create FIFOs in $JS_TMP"
  # exec kubectl: stopping this background subshell must stop kubectl, not leave it behind.
  {
    printf '{"type":"ADDED","object":%s}\n' "$obj"
    exec kubectl ${JS_KUBECTL_FLAGS[@]+"${JS_KUBECTL_FLAGS[@]}"} get --raw \
      "/apis/$JS_GROUP/$JS_VERSION/namespaces/$JS_NAMESPACE/jirasyncs?watch=1&fieldSelector=metadata.name%3D$name&resourceVersion=$rv"
  } >"$JS_TMP/raw" 2>"$JS_TMP/watch.err" &
  JS_WATCH_KPID=$!
  jq --unbuffered "$@" <"$JS_TMP/raw" >"$JS_TMP/records" 2>"$JS_TMP/jq.err" &
  JS_WATCH_JPID=$!
  JS_BG_PIDS=("$JS_WATCH_KPID" "$JS_WATCH_JPID")
  exec {JS_WATCH_FD}<"$JS_TMP/records"
}

# js_watch_read DEADLINE: the next line in JS_LINE. Returns 0, 1 at the end of the stream, or 2
# when DEADLINE (a $SECONDS value; 0 for none) has passed.
js_watch_read() {
  local rc remaining
  if (($1)); then
    remaining=$(($1 - SECONDS))
    ((remaining > 0)) || return 2
    IFS= read -r -t "$remaining" -u "$JS_WATCH_FD" JS_LINE
  else
    IFS= read -r -u "$JS_WATCH_FD" JS_LINE
  fi
  rc=$?
  ((rc > 128)) && return 2
  ((rc == 0)) && return 0
  return 1
}

# js_watch_stop: stops kubectl and jq; JS_WATCH_RC is kubectl's exit status.
js_watch_stop() {
  [[ -n ${JS_WATCH_FD:-} ]] || return 0
  exec {JS_WATCH_FD}<&-
  JS_WATCH_FD=
  kill "$JS_WATCH_KPID" "$JS_WATCH_JPID" 2>/dev/null
  wait "$JS_WATCH_JPID" 2>/dev/null
  wait "$JS_WATCH_KPID" 2>/dev/null
  JS_WATCH_RC=$?
  JS_BG_PIDS=()
}

# js_watch_ended WHAT: call after the stream ended by itself. Exits 3 when jq or kubectl failed
# (WHAT "was deleted" when the object is gone); returns when the watch merely expired.
js_watch_ended() {
  js_watch_stop
  if [[ -s $JS_TMP/jq.err ]]; then
    js_last_error_line "$JS_TMP/jq.err"
    js_die 3 "cannot read the watch stream: $JS_RESULT"
  fi
  if ((JS_WATCH_RC != 0)) && [[ -s $JS_TMP/watch.err ]]; then
    if js_classify_error "$JS_TMP/watch.err" "$1" "$JS_WATCH_RC"; then
      js_die 3 "$1 was deleted"
    fi
    js_die 3 "$JS_RESULT"
  fi
}
