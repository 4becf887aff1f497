#!/usr/bin/env bash
# The test command (npm test): builds, brings the sandbox up if it is not (installing what is missing),
# runs every ava test with TAP output and ends with the plain line `N passed, N failed`.
#   npm test            unit + integration (needs root: the sandbox is network namespaces and dockerd)
#   npm test -- unit    unit tests only, no daemon
set -uo pipefail
cd "$(dirname "$0")/.."
scope="${1:-all}"
[ -d node_modules ] || npm ci --no-audit --no-fund || exit 1
npm run --silent build || { echo "0 passed, 1 failed"; exit 1; }

files=(test/unit)
if [ "$scope" != unit ]; then
  bash deploy/sandbox/sandbox.sh up || { echo "sandbox up failed"; echo "0 passed, 1 failed"; exit 1; }
  files+=(test/integration)
fi

log="$(mktemp)"
npx ava --tap "${files[@]/%//**/*.test.ts}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -1)
fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -1)
rm -f "$log"
pass=${pass:-0}; fail=${fail:-0}
# A crash before TAP's counts, or a non-zero exit with no failure counted, is one failure.
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
if [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ]; then fail=1; echo "no test ran"; fi
echo "${pass} passed, ${fail} failed"
[ "$fail" -eq 0 ]
