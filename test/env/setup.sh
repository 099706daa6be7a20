#!/usr/bin/env bash
# Prepares a fresh machine for jirasync's tests and sandbox: Debian packages, the Go-built test
# binaries (kube-apiserver, etcd, helm, and the chart linters kube-score and kubeconform) in a cache
# outside the repository, and npm dependencies.
# Idempotent and cached: a second run does nothing that is already done.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.35.4}       # kube-apiserver, built from k8s.io/kubernetes
ETCD_VERSION=${ETCD_VERSION:-v3.6.5}      # the etcd that k8s.io/kubernetes ${K8S_VERSION} itself requires
HELM_VERSION=${HELM_VERSION:-v3.22.0}     # helm, built from helm.sh/helm/v3
KUBE_SCORE_VERSION=${KUBE_SCORE_VERSION:-v1.20.0}    # kube-score, built from github.com/zegl/kube-score
KUBECONFORM_VERSION=${KUBECONFORM_VERSION:-v0.8.0}   # kubeconform, built from github.com/yannh/kubeconform

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${JIRASYNC_TESTBIN:-${XDG_CACHE_HOME:-$HOME/.cache}/jirasync/testbin}
step() { printf '[setup] %s\n' "$*" >&2; }
elapsed() { printf '%ss' "$(( SECONDS - $1 ))"; }

# --- Debian packages -------------------------------------------------------------------------
need_pkgs=()
for pair in prometheus:prometheus promtool:prometheus prometheus-alertmanager:prometheus-alertmanager \
            amtool:prometheus-alertmanager bats:bats shellcheck:shellcheck jq:jq git:git; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need_pkgs+=("${pair#*:}")
done
# git http-backend lives outside PATH; it ships with the git package.
[ -x "$(git --exec-path 2>/dev/null)/git-http-backend" ] || need_pkgs+=(git)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  mapfile -t need_pkgs < <(printf '%s\n' "${need_pkgs[@]}" | sort -u)
  t=$SECONDS; step "installing Debian packages: ${need_pkgs[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  step "Debian packages installed in $(elapsed $t)"
fi

# --- Go-built test binaries ------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
  echo "setup: Go is required to build kube-apiserver, etcd and helm for the tests, and 'go' is not on PATH." >&2
  echo "setup: install Go 1.25 or newer (or set PATH to include it) and run this script again." >&2
  exit 3
fi

k8s_dir="$cache/k8s-$K8S_VERSION"
if [ ! -x "$k8s_dir/kube-apiserver" ] || [ ! -x "$k8s_dir/etcd" ]; then
  t=$SECONDS; step "building kube-apiserver $K8S_VERSION and etcd $ETCD_VERSION from their Go modules (first run only, several minutes)"
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  minor=${K8S_VERSION#v1.}
  staging_version="v0.$minor"
  (
    cd "$work"
    go mod init jirasync.local/testbin >/dev/null 2>&1
    go mod edit -require="k8s.io/kubernetes@$K8S_VERSION" -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    # k8s.io/kubernetes requires its staging modules at v0.0.0; a module that depends on it pins each one.
    go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >/dev/null
    modfile=$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.mod
    while read -r m; do
      go mod edit -replace="$m=$m@$staging_version"
    done < <(grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$modfile" | awk '{print $1}')
    go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null
    mkdir -p "$k8s_dir.tmp"
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$k8s_dir.tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$k8s_dir.tmp/etcd" go.etcd.io/etcd/server/v3
  )
  rm -rf "$k8s_dir"; mv "$k8s_dir.tmp" "$k8s_dir"
  step "kube-apiserver and etcd built in $(elapsed $t)"
fi

# go_tool NAME VERSION PACKAGE: builds one Go command from its module into $cache/NAME-VERSION
# (first run only; into a .tmp folder first, so an interrupted build is never taken as done).
go_tool() {
  local name=$1 version=$2 pkg=$3 dir="$cache/$1-$2" t
  [ -x "$dir/$name" ] && return 0
  t=$SECONDS; step "building $name $version from its Go module"
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
  GOBIN="$dir.tmp" CGO_ENABLED=0 go install -trimpath -ldflags='-s -w' "$pkg@$version"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
  step "$name built in $(elapsed "$t")"
}

go_tool helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm
# The chart linters (test/chart/linters.test.ts): kube-score's checks and kubeconform's strict schema
# validation, against schemas the test generates from our own kube-apiserver (nothing is downloaded).
go_tool kube-score "$KUBE_SCORE_VERSION" github.com/zegl/kube-score/cmd/kube-score
go_tool kubeconform "$KUBECONFORM_VERSION" github.com/yannh/kubeconform/cmd/kubeconform
helm_dir="$cache/helm-$HELM_VERSION"
kube_score_dir="$cache/kube-score-$KUBE_SCORE_VERSION"
kubeconform_dir="$cache/kubeconform-$KUBECONFORM_VERSION"

# The tests and the sandbox find the binaries here (test/env/paths.ts reads the same file).
cat >"$cache/current.env" <<ENV
KUBE_APISERVER=$k8s_dir/kube-apiserver
ETCD=$k8s_dir/etcd
HELM=$helm_dir/helm
KUBE_SCORE=$kube_score_dir/kube-score
KUBECONFORM=$kubeconform_dir/kubeconform
ENV

# --- npm -------------------------------------------------------------------------------------
cd "$root"
if [ -L node_modules ]; then
  # A symlinked node_modules is shared with another checkout (a git worktree): `npm ci` would empty
  # the other checkout's folder through the link, so it is left to whoever owns that checkout.
  if [ package-lock.json -nt node_modules/.package-lock.json ]; then
    step "node_modules links to $(readlink node_modules): not running npm ci here (run it in that checkout if its dependencies are stale)"
  fi
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  t=$SECONDS; step "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
  step "npm dependencies installed in $(elapsed $t)"
fi
step "ready (binaries in $cache)"
