{{/*
jirasync.name: the app.kubernetes.io/name value. The shell tools and the docs select controller
pods by app.kubernetes.io/name=jirasync, so this is the chart name unless deliberately overridden.
*/}}
{{- define "jirasync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
jirasync.fullname: the prefix of every object name. It contains the release name so two releases
in one namespace do not collide, without repeating "jirasync" when the release is named after it.
Names are cut to 63 characters because Service names (and label values) cannot be longer.
*/}}
{{- define "jirasync.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
jirasync.clusterName: the name of cluster-scoped objects (ClusterRoles, ClusterRoleBindings).
Releases with the same name in two namespaces would otherwise overwrite each other's cluster
objects, so the release namespace is part of the name.
*/}}
{{- define "jirasync.clusterName" -}}
{{- printf "%s-%s" (include "jirasync.fullname" .) .Release.Namespace | trunc 253 | trimSuffix "-" }}
{{- end }}

{{/*
jirasync.chart: the helm.sh/chart label, so `kubectl get -l` can tell which chart version made an object.
*/}}
{{- define "jirasync.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
jirasync.selectorLabels: the labels that pick the controller pods. They are immutable in a
Deployment selector, so they hold only what never changes across upgrades: name, instance and
component (the scripts select on name and component).
*/}}
{{- define "jirasync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jirasync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{/*
jirasync.shardFullname / jirasync.shardSelectorLabels / jirasync.shardLabels: the name and labels
of one shard's Deployment, Service and PDB, given
(dict "root" $ "shard" NAME). The default shard's are exactly the ones above (a Deployment's
selector is immutable, so upgrades keep working); a named shard's component is controller-NAME,
so no two Deployments select each other's pods.
*/}}
{{- define "jirasync.shardComponent" -}}
{{- if eq .shard "default" }}controller{{ else }}controller-{{ .shard }}{{ end }}
{{- end }}

{{- define "jirasync.shardFullname" -}}
{{- include "jirasync.fullname" .root }}{{ if ne .shard "default" }}-{{ .shard }}{{ end }}
{{- end }}

{{- define "jirasync.shardSelectorLabels" -}}
app.kubernetes.io/name: {{ include "jirasync.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ include "jirasync.shardComponent" . }}
{{- end }}

{{- define "jirasync.shardLabels" -}}
helm.sh/chart: {{ include "jirasync.chart" .root }}
{{ include "jirasync.shardSelectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: jirasync
{{- end }}

{{/*
jirasync.shards: the shards this release runs, default first, as a JSON list (values.shards names
the others; docs/sharding.md).
*/}}
{{- define "jirasync.shards" -}}
{{- prepend (.Values.shards | default list) "default" | uniq | toJson }}
{{- end }}

{{/*
jirasync.allShardsSelector: a label selector (the body under selector:/podSelector:) for the
controller pods of every shard; with no named shards exactly matchLabels of selectorLabels.
*/}}
{{- define "jirasync.allShardsSelector" -}}
{{- if .Values.shards }}
matchLabels:
  app.kubernetes.io/name: {{ include "jirasync.name" . }}
  app.kubernetes.io/instance: {{ .Release.Name }}
matchExpressions:
  - key: app.kubernetes.io/component
    operator: In
    values:
      {{- range include "jirasync.shards" . | fromJsonArray }}
      - {{ include "jirasync.shardComponent" (dict "shard" .) }}
      {{- end }}
{{- else }}
matchLabels:
  {{- include "jirasync.selectorLabels" . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
jirasync.leaseNames: every shard's Lease, as a JSON list: leaseName, then leaseName-SHARD.
*/}}
{{- define "jirasync.leaseNames" -}}
{{- $out := list .Values.leaderElection.leaseName }}
{{- range .Values.shards | default list }}
{{- $out = append $out (printf "%s-%s" $.Values.leaderElection.leaseName .) }}
{{- end }}
{{- $out | toJson }}
{{- end }}

{{/*
jirasync.labels: the recommended Kubernetes labels on every object, so every object of a release
can be found (and was proven removed on uninstall) with one selector.
*/}}
{{- define "jirasync.labels" -}}
helm.sh/chart: {{ include "jirasync.chart" . }}
{{ include "jirasync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: jirasync
{{- end }}

{{/*
jirasync.serviceAccountName: the ServiceAccount the pods run as and RBAC binds to; one place, so
the Deployment and every binding can never disagree.
*/}}
{{- define "jirasync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "jirasync.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
jirasync.image: the image reference, [registry/]repository:tag[@digest]. The tag falls back to
appVersion so the chart and the controller version move together; a digest, when given, pins the
exact image (the tag then only tells a reader which version it is).
*/}}
{{- define "jirasync.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- with .Values.image.registry }}{{ . }}/{{ end }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- with .Values.image.digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
jirasync.bytes: a Kubernetes quantity of bytes (2Gi, 2560Mi, 500M, 1073741824) as a number, so the
chart can compare disk sizes; the suffixes are those values.schema.json allows for sizes.
*/}}
{{- define "jirasync.bytes" -}}
{{- $q := toString . }}
{{- $num := regexFind "^[0-9]+(\\.[0-9]+)?" $q }}
{{- $units := dict "" 1 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "P" 1e15 "E" 1e18 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "Pi" 1125899906842624 "Ei" 1152921504606846976 }}
{{- $unit := trimPrefix $num $q }}
{{- if not (hasKey $units $unit) }}{{ fail (printf "%q is not a size in bytes" $q) }}{{ end }}
{{- mulf (float64 $num) (get $units $unit) }}
{{- end }}

{{/*
jirasync.otelPort: the TCP port of otel.endpoint while tracing is on (empty otherwise), so the
NetworkPolicy lets spans out: the URL's explicit port, else 443 for https and 80 for http.
*/}}
{{- define "jirasync.otelPort" -}}
{{- if and .Values.otel.enabled .Values.otel.endpoint }}
{{- $u := urlParse .Values.otel.endpoint }}
{{- $port := regexFind ":[0-9]+$" $u.host | trimPrefix ":" }}
{{- $port | default (ternary "443" "80" (eq $u.scheme "https")) }}
{{- end }}
{{- end }}

{{/*
jirasync.jiraSecretName: the Secret behind JIRA_* (empty when there is none). An existing Secret
wins; otherwise the chart creates one only when some Jira value is set, so a plain install does
not create an empty Secret.
*/}}
{{- define "jirasync.jiraSecretName" -}}
{{- if .Values.jira.existingSecret }}
{{- .Values.jira.existingSecret }}
{{- else if or .Values.jira.baseUrl .Values.jira.email .Values.jira.apiToken .Values.jira.token }}
{{- printf "%s-jira" (include "jirasync.fullname" .) }}
{{- end }}
{{- end }}

{{/*
jirasync.gitSecretName: the Secret behind GIT_USERNAME and GIT_TOKEN (empty when there is none),
chosen the same way as the Jira one.
*/}}
{{- define "jirasync.gitSecretName" -}}
{{- if .Values.git.existingSecret }}
{{- .Values.git.existingSecret }}
{{- else if or .Values.git.username .Values.git.token }}
{{- printf "%s-git" (include "jirasync.fullname" .) }}
{{- end }}
{{- end }}

{{/*
jirasync.secretEnv: one environment variable read from a Secret key. optional: true because a
default connection is optional: JIRASyncs may bring their own Secret, and the pod must start
without the default one (the controller reports the missing connection on the JIRASync instead).
Takes a list: env name, Secret name, key.
*/}}
{{- define "jirasync.secretEnv" -}}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ index . 1 }}
      key: {{ index . 2 }}
      optional: true
{{- end }}

{{/*
jirasync.otelResourceAttributes: OTEL_RESOURCE_ATTRIBUTES as key=value pairs joined by commas, in
key order so the rendered Deployment (and thus the pod template hash) is stable.
*/}}
{{- define "jirasync.otelResourceAttributes" -}}
{{- $pairs := list }}
{{- range $k, $v := .Values.otel.resourceAttributes }}
{{- $pairs = append $pairs (printf "%s=%s" $k $v) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/*
jirasync.namespacedRules: the rules the controller needs in every namespace it watches. They are
the same whether granted by one ClusterRole (all namespaces) or a Role per watched namespace, so
they are written once here.
*/}}
{{- define "jirasync.namespacedRules" -}}
# Watch JIRASyncs (list-then-watch, periodic re-list, and get before a status write).
- apiGroups: ["sync.jira.io"]
  resources: ["jirasyncs"]
  verbs: ["get", "list", "watch"]
# Write status only; the controller never changes a JIRASync's spec.
- apiGroups: ["sync.jira.io"]
  resources: ["jirasyncs/status"]
  verbs: ["patch", "update"]
# Read the Jira and git Secrets a JIRASync references by name (get only: no list, no watch).
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
# Events on JIRASyncs (core v1 Events, which is what the controller writes; patch folds repeats).
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}
