#!/usr/bin/env bash
# npm test: type-check, lint-level checks, then every test suite (tap, which also runs the bats,
# promtool and shellcheck suites) against one real control plane started for the run.
# Prints a closing line "N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d node_modules ]; then
  echo "npm test: dependencies are missing; run 'npm run setup' (or 'npm ci') first" >&2
  exit 3
fi

echo "== type-check (tsc --noEmit, strict)"
if ! npx --no-install tsc --noEmit -p tsconfig.json; then
  echo "0 passed, 1 failed"
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/jirasync-test.XXXXXX")
cp_pid=""
cleanup() {
  if [ -n "$cp_pid" ] && kill -0 "$cp_pid" 2>/dev/null; then
    kill -TERM "$cp_pid" 2>/dev/null
    wait "$cp_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh `npm ci` builds tap with every default plugin; rebuild it from .taprc, which drops the
# TypeScript plugin (it crashes under TypeScript 7; Node strips the types itself).
if ! npx --no-install tap build >"$work/tap-build.log" 2>&1; then
  cat "$work/tap-build.log" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

echo "== starting the test control plane (kube-apiserver + etcd)"
node test/env/controlplane-cli.ts --state-file "$work/cp.json" 2>"$work/controlplane.log" &
cp_pid=$!
for _ in $(seq 1 300); do
  [ -s "$work/cp.json" ] && break
  kill -0 "$cp_pid" 2>/dev/null || { cat "$work/controlplane.log" >&2; echo "0 passed, 1 failed"; exit 1; }
  sleep 0.2
done
JIRASYNC_TEST_KUBECONFIG=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).kubeconfigPath)' "$work/cp.json")
export JIRASYNC_TEST_KUBECONFIG
cat "$work/controlplane.log"

echo "== tests"
npx --no-install tap --reporter=tap "$@" | tee "$work/tap.out" | node test/tap-summary.ts
rcs=("${PIPESTATUS[@]}")
# Fail if tap failed or if the summary saw a failure (or no totals at all).
if [ "${rcs[0]}" -ne 0 ] && [ "${rcs[2]}" -eq 0 ]; then
  echo "tap exited with status ${rcs[0]} although every test file passed; the end of its output:" >&2
  grep -v '^ok ' "$work/tap.out" | tail -n 40 >&2
fi
[ "${rcs[0]}" -eq 0 ] && [ "${rcs[2]}" -eq 0 ]
