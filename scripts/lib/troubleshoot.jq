# The diagnosis of troubleshoot.sh, in jq (after the shared definitions of lib/common.sh).
# Definitions only: troubleshoot.sh calls `report` on the facts it collected (adding leader,
# findings and exitCode) and `text` on a report to render it. Findings are ordered: most specific
# cause first. $c (colours) and $m (marks) are passed by the caller.

def lc: if . == null then "" else tostring | ascii_downcase end;

# A finding: what is wrong, why it matters, and the next step.
def finding($id; $severity; $title; $detail; $next):
  {id: $id, severity: $severity, title: $title, detail: $detail, next: $next};

def podready: (.status.conditions // []) | any(.type == "Ready" and .status == "True");

# Events of the object, oldest first, with one timestamp each.
def evtime: (.lastTimestamp // .eventTime // .series.lastObservedTime // .metadata.creationTimestamp);

def cluster_findings($f; $leader; $leaders):
  ($f.pods.items // []) as $pods
  | [ if $f.crd.installed | not then
        finding("crd-missing"; "problem"; "The JIRASync CRD is not installed";
          "the API server does not serve sync.jira.io/v1alpha1 (\($f.crd.error // "not found" | clean))";
          "Install the jirasync Helm chart (its crds/ folder holds jirasyncs.sync.jira.io), or check that --context/--kubeconfig point at the right cluster.")
      else empty end,
      if $f.pods.error != null then
        finding("controller-unknown"; "warning"; "Cannot list the controller pods";
          $f.pods.error | clean; "Run this with credentials that may list pods in \($f.controllerNamespace).")
      elif ($pods | length) == 0 and $leader.valid then
        # A fresh Lease proves a controller runs, just not as labelled pods here.
        finding("controller-elsewhere"; "warning"; "No controller pods here, but a controller leads";
          "no pods labelled \($f.selector) in namespace \($f.controllerNamespace), yet \($leader.text) holds the Lease";
          "The controller runs in another namespace, with other labels, or outside the cluster (as in the sandbox). Its pods and logs are not checked here; if it runs in another namespace, pass --controller-namespace.")
      elif ($pods | length) == 0 then
        finding("no-controller"; "problem"; "No controller is running";
          "no pods labelled \($f.selector) in namespace \($f.controllerNamespace)";
          "Check the release: helm -n \($f.controllerNamespace) status jirasync; kubectl -n \($f.controllerNamespace) get deploy,rs,pods. If it lives elsewhere, pass --controller-namespace.")
      elif ($pods | any(.status.phase == "Running" and podready) | not) then
        finding("controller-not-ready"; "problem"; "No controller pod is running and ready";
          ($pods | map("\(.metadata.name) \(.status.phase // "Unknown")") | join(", "));
          "kubectl -n \($f.controllerNamespace) describe pods -l \($f.selector); look at the events and the container logs.")
      else empty end,
      if $f.leases.error != null then
        finding("leader-unknown"; "warning"; "Cannot read the leader Lease"; $f.leases.error | clean;
          "Run this with credentials that may get leases in \($f.controllerNamespace).")
      else
        ($leaders[] | select(.valid | not)
         | (if .shard == "default" then "the default shard" else "shard \(.shard)" end) as $which
         | "app.kubernetes.io/name=jirasync,app.kubernetes.io/component=controller\(if .shard == "default" then "" else "-\(.shard)" end)" as $pods
         | finding("no-leader"; "problem"; "No controller is leading\(if .shard == "default" then "" else " shard \(.shard)" end)";
             (if .holder == null and .renewAge == null and .text == "no Lease" then "no Lease \(.lease) in namespace \($f.controllerNamespace)" else .text end)
               + ": no JIRASync of \($which) is being reconciled";
             "Check the controller pods of \($which) and their logs (kubectl -n \($f.controllerNamespace) logs -l \($pods)); they need RBAC to get, create and update Lease \(.lease) in \($f.controllerNamespace)."
             + if .shard == "default" then " With LEADER_ELECTION=false there is no Lease and this can be ignored."
               else " If \(.shard) is no longer in the chart's shards, the default shard serves these JIRASyncs already: move them off the label (docs/sharding.md) and delete the stale Lease (kubectl -n \($f.controllerNamespace) delete lease \(.lease))." end))
      end,
      # A label naming a shard without a Lease: the default shard serves it, unless the shard is
      # configured but has never elected a leader (then nothing does).
      ($f.shards[] | select(.unknown == true)
        | finding("shard-unknown"; "warning"; "Label sync.jira.io/shard=\(.shard | clean) names a shard unknown to the cluster";
            (if $f.object != null then "this JIRASync is labelled" else "\(.syncs) JIRASync\(if .syncs == 1 then " is" else "s are" end) labelled" end)
              + " sync.jira.io/shard=\(.shard | clean) but there is no Lease \($f.controllerNamespace)/\(.missingLease): the default shard serves \(if $f.object != null or .syncs == 1 then "it" else "them" end), as the controller does with a shard it is not configured for";
            "If \(.shard | clean) is a typo, fix the label: kubectl -n \($f.object.metadata.namespace // "NAMESPACE") label jirasyncs.sync.jira.io \($f.object.metadata.name // "NAME") sync.jira.io/shard=SHARD --overwrite (or sync.jira.io/shard- for the default shard; docs/sharding.md moves a JIRASync without a double run)"
              + (if $f.object == null then "; kubectl get jirasyncs.sync.jira.io -A -l sync.jira.io/shard=\(.shard | clean) lists them" else "" end)
              + ". If \(.shard | clean) is in the chart's shards, its Deployment has never elected a leader and no shard serves \(if $f.object != null or .syncs == 1 then "it" else "them" end): kubectl -n \($f.controllerNamespace) get pods -l app.kubernetes.io/component=controller-\(.shard | clean)."))
    ];

def object_findings($f; $leader; $now):
  $f.object as $o
  | ($o.status // {}) as $s
  | ($o | cond("Stalled")) as $st
  | ($o | cond("Ready")) as $ready
  | (if $st != null and $st.status == "True" then $st else null end) as $stalled
  | ($s.retryCount // 0) as $retries
  | "\($o.metadata.namespace)" as $ns
  | "\($o.metadata.name)" as $name
  | "sync-now.sh \($name) -n \($ns)" as $rerun
  # Failure events count only after the last successful run.
  | ($f.events // []) as $ev
  | ([$ev | to_entries[] | select(.value.reason == "SyncCompleted") | .key] | max // -1) as $lastOk
  | [$ev[($lastOk + 1):][] | select(.reason == "SyncFailed" or .reason == "RetryScheduled" or .type == "Warning")] as $failEvents
  # Ready=False names the failed run's cause (docs/reasons.md) while a lastError stands.
  | (($ready.reason // "") | lc) as $rr
  | ($s.lastError != null and ($ready.status // "") == "False"
     and ($rr | IN("syncinprogress", "suspended", "waiting") | not)) as $readyFailed
  | ($s.phase == "Failed" or $stalled != null or $retries > 0 or $readyFailed
     or ($failEvents | length) > 0) as $failing
  | ([ $s.lastError, (($s.conditions // [])[] | .reason, .message) ] + [ $failEvents[] | (.reason, .message) ]
     | map(lc) | join("\n")) as $hay
  | ($f.secrets // []) as $secrets
  | ($secrets | map(select(.role == "jira")) | .[0]) as $jiraSecret
  | ($secrets | map(select(.role == "git")) | .[0]) as $gitSecret
  | (($stalled.reason // "") | lc) as $sr
  | [ # Secrets, from our own look at them and from the Stalled reason.
      ($secrets[] | select(.name != null and .found == false)
        | finding("secret-missing"; "problem"; "Secret \(.name) not found";
            "the \(.role) Secret \($ns)/\(.name) referenced by the spec does not exist";
            "Create it in namespace \($ns) with keys \(.required), then run \($rerun).")),
      (if $sr == "secretnotfound" and ($secrets | any(.found == false) | not) then
        finding("secret-missing"; "problem"; "A referenced Secret was not found"; $stalled.message | clean;
          "Create the Secret named in the message in namespace \($ns), then run \($rerun).") else empty end),
      ($secrets[] | select(.found == true and (.missing | length) > 0)
        | finding("secret-invalid"; "problem"; "Secret \(.name) lacks keys: \(.missing | join(", "))";
            "the \(.role) Secret has keys \(.keys | join(", ")); it needs \(.required)";
            "Add the missing keys to Secret \($ns)/\(.name) (values are never shown here), then run \($rerun).")),
      ($secrets[] | select(.found == true and .optedIn == false)
        | finding("secret-not-allowed"; "problem"; "Secret \(.name) is not opted in";
            "the controller uses only Opaque Secrets labelled sync.jira.io/credentials=true; \(.name) is of type \(.type)\(if .type == "Opaque" then " without the label" else "" end)";
            (if .type == "Opaque" then "kubectl -n \($ns) label secret \(.name) sync.jira.io/credentials=true, then run \($rerun)."
             else "Put the credentials in an Opaque Secret labelled sync.jira.io/credentials=true (never a service-account token), then run \($rerun)." end))),
      (if $sr == "secretinvalid" and ($secrets | any(.found == true and (.missing | length) > 0) | not) then
        finding("secret-invalid"; "problem"; "A referenced Secret is invalid"; $stalled.message | clean;
          "Fix the Secret named in the message, then run \($rerun).") else empty end),
      (if $sr == "invalidspec" then
        finding("invalid-spec"; "problem"; "The spec is invalid"; $stalled.message | clean;
          "Fix the spec (kubectl explain jirasync.spec); the controller tries again when the spec changes.") else empty end),
      # Causes read from lastError, the condition reasons and messages, and recent failure events.
      (if $rr == "credentialsmissing" or $sr == "credentialsmissing" then
        finding("credentials-missing"; "problem"; "No credentials for this namespace";
          "the spec names no Secret and the controller's default connection is not offered to namespace \($ns) or this URL";
          "Create an Opaque Secret labelled sync.jira.io/credentials=true in \($ns) and set spec.jira.secretRef / spec.destination.secretRef, or ask the operator to offer the defaults (docs/security.md).") else empty end),
      (if $rr == "secretnotallowed" and ($secrets | any(.optedIn == false) | not) then
        finding("secret-not-allowed"; "problem"; "A referenced Secret is not opted in"; $ready.message | clean | short(300);
          "Use an Opaque Secret labelled sync.jira.io/credentials=true (kubectl -n \($ns) label secret NAME sync.jira.io/credentials=true), then run \($rerun).") else empty end),
      (if $rr == "egressdenied" or $sr == "egressdenied" then
        finding("egress-denied"; "problem"; "The controller may not connect to this host"; $ready.message | clean | short(300);
          "The operator's egress policy denies it (docs/security.md); ask them to allow the host, or point the spec at an allowed one.") else empty end),
      (if $rr == "deletionrefused" or $sr == "deletionrefused" then
        finding("deletion-refused"; "problem"; "The deletion guard stopped the run"; $ready.message | clean | short(300);
          "Nothing was deleted. Check that Jira really lost those issues (an expired token or a short search looks the same); if the deletion is intended, confirm it as docs/deletion-guard.md says.") else empty end),
      (if $failing and ($rr == "authenticationfailed" or ($hay | test("jira authentication failed|jira[^\n]*(\\b401\\b|unauthori[sz]ed)"))) then
        finding("jira-auth"; "problem"; "Bad Jira credentials";
          "Jira rejected the credentials (HTTP 401): \($s.lastError // "see the events" | clean | short(300))";
          "Check \(if $jiraSecret.name then "Secret \($ns)/\($jiraSecret.name)" else "the controller's default Jira credentials (JIRA_* settings)" end): Jira Cloud needs email + apiToken (an API token of that account), Data Center needs token (a personal access token), and baseUrl the site URL. Update it, then run \($rerun).")
       else empty end),
      (if $failing and ($rr == "ratelimited" or ($hay | test("jira rate limit|jira[^\n]*(\\b429\\b|too many requests)"))) then
        finding("jira-rate-limit"; (if $s.phase == "Failed" then "problem" else "warning" end); "Jira is rate limiting";
          "Jira answered 429 Too Many Requests: \($s.lastError // "see the events" | clean | short(300))";
          "The controller backs off and retries\(if $s.nextRunTime then " (next attempt \($s.nextRunTime | ts | ago($now)))" else "" end). If it persists, spread the schedules, lower CONCURRENCY, or give this sync a Jira account with its own quota.")
       else empty end),
      (if $failing and ($rr == "gitauthfailed" or ($hay | test("git authentication failed|\\bgit\\b[^\n]*\\b40[13]\\b"))) then
        finding("git-auth"; "problem"; "git authentication failed";
          "the git server refused the credentials (HTTP 401/403): \($s.lastError // "see the events" | clean | short(300))";
          "Check \(if $gitSecret.name then "Secret \($ns)/\($gitSecret.name) (key token, optional username)" else "the controller's default git credentials (GIT_TOKEN)" end): the token must be valid and allowed to push to \($o.spec.destination.repository // "the repository"). Update it, then run \($rerun).")
       else empty end),
      (if $failing and ($hay | test("repository not found|\\bgit\\b[^\n]*\\b404\\b")) then
        finding("repo-missing"; "problem"; "Repository not found";
          "\($o.spec.destination.repository // "the repository") answered 404: \($s.lastError // "see the events" | clean | short(300))";
          "Check spec.destination.repository; git hosts also answer 404 for private repositories the token cannot see, so check the token's access too. Then run \($rerun).")
       else empty end)
    ] as $specific
  | $specific + [
      if ($specific | length) > 0 then empty
      elif $sr == "retriesexhausted" or ($ready.reason // "") == "RetriesExhausted" then
        finding("retries-exhausted"; "problem"; "Retries exhausted";
          "gave up after \($retries) retries: \($s.lastError // $ready.message // "no error recorded" | clean | short(300))";
          "Fix the cause in lastError, the events and the log lines above, then run \($rerun).")
      elif $stalled != null then
        finding("stalled"; "problem"; "Stalled (\($stalled.reason | clean))"; $stalled.message | clean;
          "The controller will not retry on its own: fix the cause, then change the spec or run \($rerun).")
      elif $s.phase == "Failed" then
        finding("failed"; "problem"; "The sync failed"; $s.lastError // $ready.message // "no error recorded" | clean | short(300);
          "Read the events and controller log lines above; run \($rerun) to try again.")
      elif $retries > 0 and $s.phase != "Completed" then
        finding("retrying"; "warning"; "Retrying (retry \($retries))"; $s.lastError // "no error recorded" | clean | short(300);
          "The controller retries\(if $s.nextRunTime then " \($s.nextRunTime | ts | ago($now))" else "" end); follow it with monitor-sync.sh \($name) -n \($ns).")
      else empty end,
      if $s.phase == "Suspended" or $o.spec.suspend == true then
        finding("suspended"; "info"; "Suspended"; "spec.suspend is true: no new run starts";
          "kubectl -n \($ns) patch jirasyncs.sync.jira.io \($name) --type=merge -p '{\"spec\":{\"suspend\":false}}' to resume.")
      elif (($s.phase // "") == "" or $s.phase == "Pending") and $leader.valid
           and (($o.metadata.creationTimestamp | ts) as $c | $c != null and $now - $c > $f.pendingAfter) then
        finding("not-picked-up"; "warning"; "The controller has not started it";
          "\($s.phase // "no status") since it was created \($o.metadata.creationTimestamp | ts | ago($now))";
          "Check the leader's log lines and that the controller watches namespace \($ns) (WATCH_NAMESPACES).")
      else empty end,
      ($ev | map(select(.reason == "JiraUpdated")) | last // empty
        | finding("jira-updated"; "info"; "The failure was reported to Jira"; .message | clean | short(300);
            "Once fixed, the controller comments again on recovery (failurePolicy.commentOnRecovery)."))
    ];

def overview_findings($f):
  [ ($f.syncs // [])[] | select(.health == "Unhealthy" or .health == "Degraded")
    | finding("sync-\(.health | ascii_downcase)"; (if .health == "Unhealthy" then "problem" else "warning" end);
        "\(.namespace)/\(.name) is \(.health)"; .reason;
        "troubleshoot.sh \(.name) -n \(.namespace)") ];

def report:
  . as $f
  | $f.now as $now
  # The shards' leaders: with a NAME the one of the shard that owns it, else the default shard's first.
  | ($f.shards | map(select(.unknown != true))) as $leaders
  | ($leaders[0] // ({shard: "default", lease: $f.leases.base} | shard_leader($f.leases; $now))) as $leader
  | (if $f.object != null then $f.object | shard($f.leases) else null end) as $owner
  | (cluster_findings($f; $leader; $leaders)
     + (if $f.object != null then object_findings($f; $leader; $now) else overview_findings($f) end)
     # Problems before warnings before notes; within each, the order above (sort_by is stable).
     | sort_by({problem: 0, warning: 1, info: 2}[.severity])) as $findings
  | $f + {leader: $leader, leaders: $leaders, owner: $owner, findings: $findings,
         exitCode: (if ($findings | any(.id == "crd-missing")) then 3
                    elif ($findings | any(.severity == "problem")) then 1
                    elif ($findings | any(.severity == "warning")) then 2 else 0 end)};

def mark($sev): {problem: ($c.red + $m.fail + $c.reset), warning: ($c.yellow + $m.warn + $c.reset),
                 info: ($c.blue + $m.info + $c.reset), ok: ($c.green + $m.ok + $c.reset)}[$sev];
def head($t): $c.bold + $t + $c.reset;

def text:
  . as $r
  | $r.now as $now
  | ($r.pods.items // []) as $pods
  | "JIRASync troubleshooting\(if $r.name then " of \($r.namespace)/\($r.name)" else " (\($r.scope))" end), \($now | floor | todate)",
    "",
    head("Cluster"),
    (if $r.crd.installed then "  \(mark("ok")) CRD jirasyncs.sync.jira.io installed"
     else "  \(mark("problem")) CRD jirasyncs.sync.jira.io not installed" end),
    (if $r.pods.error != null then "  \(mark("warning")) controller pods: \($r.pods.error | clean)"
     elif ($pods | length) == 0 then "  \(if $r.leader.valid then mark("warning") else mark("problem") end) no controller pods (\($r.selector)) in namespace \($r.controllerNamespace)"
     else "  \(if ($pods | any(.status.phase == "Running" and podready)) then mark("ok") else mark("problem") end) controller pods in \($r.controllerNamespace): \($pods | length)",
       ($pods[] | .metadata.name as $pod
         | "      \($pod | clean)  \(.status.phase // "Unknown")  \(if podready then "ready" else "not ready" end)"
           + "  restarts \([.status.containerStatuses[]?.restartCount] | add // 0)"
           + (if $r.leader.holder != null and ($r.leader.holder | startswith($pod)) then "  (leader)" else "" end))
     end),
    (if $r.leases.error != null then "  \(mark("warning")) leader: \($r.leases.error | clean)"
     else ($r.leaders[] | "  \(if .valid then mark("ok") else mark("problem") end) \(shard_text)") end),
    (if $r.object == null then ($r.shards[] | select(.unknown == true) | "  \(mark("warning")) \(shard_text)") else empty end),
    (if $r.object != null then
      ($r.object as $o | ($o.status // {}) as $s
       | "",
         head("JIRASync \($r.namespace)/\($r.name)"),
         ($r.owner | "  shard \(.shard | clean) "
           + if .label == "" then "(no label sync.jira.io/shard)"
             elif .known == false then "(label sync.jira.io/shard=\(.label | clean) names a shard unknown to the cluster: no Lease \($r.controllerNamespace)/\(.missingLease))"
             elif .known == null then "(label sync.jira.io/shard=\(.label | clean); the Leases cannot be read)"
             elif .shard == "default" then "(label sync.jira.io/shard=default)"
             else "(label sync.jira.io/shard=\(.label | clean), Lease \($r.controllerNamespace)/\(.lease))" end),
         "  phase \($s.phase // "(no status)"), retries \($s.retryCount // 0), last success \($s.syncState.lastSyncTime | ts | ago($now))"
           + (if $s.nextRunTime then ", next run \($s.nextRunTime | ts | ago($now))" else "" end),
         (if $s.lastError then "  last error: \($s.lastError | clean | short(500))" else empty end),
         "  conditions:",
         (if ($s.conditions // []) == [] then "    (none)"
          else ($s.conditions[] | "    \(.type)=\(.status)  \(.reason | clean)  \(.message | clean | short(200))") end),
         "  secrets:",
         ($r.secrets[] |
           if .name == null then "    \(mark("info")) \(.role): no secretRef: the controller's default connection, only if the operator offers it to this namespace"
           elif .error != null then "    \(mark("warning")) \(.role) Secret \(.name): \(.error | clean)"
           elif .found | not then "    \(mark("problem")) \(.role) Secret \(.name): not found"
           elif (.missing | length) > 0 then "    \(mark("problem")) \(.role) Secret \(.name): keys \(.keys | join(", ")); missing \(.missing | join(", "))"
           elif .optedIn == false then "    \(mark("problem")) \(.role) Secret \(.name): not opted in (type \(.type), needs Opaque with label sync.jira.io/credentials=true)"
           else "    \(mark("ok")) \(.role) Secret \(.name): keys \(.keys | join(", "))" end),
         "  events (latest \($r.eventLimit)):",
         (if $r.eventsError != null then "    cannot list events: \($r.eventsError | clean)"
          elif ($r.events | length) == 0 then "    (none)"
          else ($r.events[-($r.eventLimit):][] | "    \(evtime | ts | ago($now))  \(.type // "-")  \(.reason // "-")"
                 + (if (.count // 1) > 1 then " (x\(.count))" else "" end) + "  \(.message | clean | short(300))") end),
         "  controller log lines mentioning it (latest \($r.logLimit) per pod):",
         (if ($r.logs | length) == 0 then "    (no controller pods)"
          else ($r.logs[] | if .error != null then "    \(.pod | clean): no logs (\(.error | clean))"
                            elif (.lines | length) == 0 then "    \(.pod | clean): none in the last \($r.logTail) lines"
                            else (.lines[] | "    \(.pod | clean): \(clean | short(400))") end) end))
     else
      "",
      head("JIRASyncs (\($r.scope))"),
      (if ($r.syncs | length) == 0 then "  (none)"
       else ($r.syncs[] | "  \(if .health == "Unhealthy" then mark("problem") elif .health == "Degraded" then mark("warning") else mark("ok") end) \(.namespace)/\(.name)  \(.health)  \(.reason)") end)
     end),
    "",
    head("Verdict"),
    (if ($r.findings | length) == 0 then "  \(mark("ok")) No problem found."
     else ($r.findings[] | "  \(mark(.severity)) \(.title): \(.detail)", "      Next step: \(.next)") end);
