#!/usr/bin/env bash
# The README's first command: bring the sandbox up (installing what it needs), apply an example stack to it,
# and show its status. Runs as root. Re-running is safe: the second apply changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/cli/main.js ] || npm run --silent build
bash deploy/sandbox/sandbox.sh up
example="${1:-examples/web-db/compose.yaml}"
node bin/stack.js apply -i .sandbox/inventory.yaml -f "$example" --yes
node bin/stack.js status -i .sandbox/inventory.yaml -f "$example"
