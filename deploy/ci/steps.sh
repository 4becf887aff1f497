#!/usr/bin/env bash
# The steps of the GitHub Action (deploy/ci/action.yml runs exactly this script, and so does
# test/integration/ci-action.test.ts): validate with workflow annotations, plan into a saved plan with its Markdown
# in the job summary, and — when STACK_APPLY is true — apply that saved plan and nothing else.
#
# Environment (the action sets it from its inputs; nothing here is interpolated into a command line):
#   STACK_BIN          how to run stack (default: stack), e.g. "node /path/to/bin/stack.js"
#   STACK_FILES        stack files, separated by spaces (default: the stack's own default names)
#   STACK_INVENTORY    the inventory (default: STACK_INVENTORY is read by stack itself when unset here)
#   STACK_PLAN_FILE    where the saved plan goes (default: stack-plan.json)
#   STACK_APPLY        true: apply the saved plan (the action: on a push to the default branch)
#   GITHUB_STEP_SUMMARY, GITHUB_OUTPUT   the runner's files (optional: stdout and nothing without them)
# Exit: 0 when every step passed; 1 when validation, planning or the apply failed.
set -euo pipefail

read -r -a stack <<<"${STACK_BIN:-stack}"
args=()
read -r -a files <<<"${STACK_FILES:-}"
for f in "${files[@]}"; do args+=(-f "$f"); done
if [[ -n "${STACK_INVENTORY:-}" ]]; then args+=(-i "$STACK_INVENTORY"); fi
plan="${STACK_PLAN_FILE:-stack-plan.json}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
output="${GITHUB_OUTPUT:-/dev/null}"

echo "::group::stack validate"
"${stack[@]}" validate --format github "${args[@]}"
echo "::endgroup::"

echo "::group::stack plan"
markdown="$(mktemp)"
trap 'rm -f "$markdown"' EXIT
code=0
"${stack[@]}" plan --format markdown --detailed-exitcode -o "$plan" "${args[@]}" >"$markdown" || code=$?
cat "$markdown"
cat "$markdown" >>"$summary"
echo "::endgroup::"
case "$code" in
  0) changes=false ;;
  2) changes=true ;;
  *) exit "$code" ;;
esac
{
  echo "changes=$changes"
  echo "plan-file=$plan"
} >>"$output"

if [[ "${STACK_APPLY:-false}" != "true" ]]; then
  echo "stack: not applying (STACK_APPLY is not true); the saved plan is $plan"
  exit 0
fi
if [[ "$changes" == "false" ]]; then
  echo "stack: no changes to apply"
  exit 0
fi
echo "::group::stack apply $plan"
"${stack[@]}" apply "$plan" --yes "${args[@]}"
echo "::endgroup::"
printf '\n**Applied** the saved plan `%s`.\n' "$plan" >>"$summary"
