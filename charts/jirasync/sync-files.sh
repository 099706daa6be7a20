#!/usr/bin/env bash
# Copies the alert rules (alerts/*.rules.yaml) and the Grafana dashboards (dashboards/*.json) into
# charts/jirasync/files/, because Helm's .Files can only read files inside the chart folder.
# The files at the repository root stay the single source of truth: run this after changing them,
# and commit both. test/chart/files-sync.test.ts fails while the copies differ.
#
# Usage: charts/jirasync/sync-files.sh          copy (and delete copies whose original is gone)
#        charts/jirasync/sync-files.sh --check  change nothing; exit 1 and name the files that differ
set -euo pipefail

chart=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$chart/../.." && pwd)
check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "sync-files.sh: unknown argument '$1' (try --help)" >&2; exit 3 ;;
esac

drift=0
# sync_dir SOURCE_DIR PATTERN TARGET_DIR: mirror the SOURCE_DIR files matching PATTERN into TARGET_DIR.
sync_dir() {
  local src=$1 pattern=$2 dst=$3 f name
  $check || mkdir -p "$dst"
  shopt -s nullglob
  for f in "$src"/$pattern; do
    name=$(basename "$f")
    if ! cmp -s "$f" "$dst/$name"; then
      drift=1
      if $check; then echo "differs: ${dst#"$root"/}/$name (from ${f#"$root"/})"; else cp "$f" "$dst/$name"; echo "copied: ${f#"$root"/}"; fi
    fi
  done
  for f in "$dst"/$pattern; do
    name=$(basename "$f")
    if [ ! -e "$src/$name" ]; then
      drift=1
      if $check; then echo "stale: ${f#"$root"/} (no ${src#"$root"/}/$name)"; else rm -- "$f"; echo "removed: ${f#"$root"/}"; fi
    fi
  done
  shopt -u nullglob
}

sync_dir "$root/alerts" '*.rules.yaml' "$chart/files/alerts"
sync_dir "$root/dashboards" '*.json' "$chart/files/dashboards"

if $check && [ "$drift" -ne 0 ]; then
  echo "sync-files.sh: the chart's copies differ from the originals; run charts/jirasync/sync-files.sh" >&2
  exit 1
fi
exit 0
