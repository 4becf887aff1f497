#!/usr/bin/env bash
# A pull request's environment from CI (deploy/staging/README.md, "Per pull request, from CI"): up when the request
# is opened, reopened or updated, gone — named volumes included — when it closes. The one script behind both
# pr-environment.github.yml (GitHub Actions) and pr-environment.gitlab-ci.yml (a GitLab review app with on_stop);
# it runs `bootstrap.sh pr-up N` or `bootstrap.sh pr-down N`.
#
# Usage: pr-environment.sh [up|down]
#   no argument   GitHub Actions: the event is read from GITHUB_EVENT_NAME (pull_request or pull_request_target)
#                 and GITHUB_EVENT_PATH: opened, reopened, synchronize → up; closed (merged or not) → down; any
#                 other action → nothing (exit 0)
#   up | down     said by the job itself (GitLab: the review job and its on_stop job); the number is
#                 CI_MERGE_REQUEST_IID, else PR_NUMBER
# Environment: STAGING_INVENTORY (the staging hosts, required), and what bootstrap.sh reads (CONSUL_SERVERS,
# APP_IMAGE, STACK_BIN, …). Nothing from the event reaches a command line but the number, checked to be digits.
set -euo pipefail

die() { echo "pr-environment: $*" >&2; exit 1; }
log() { echo "pr-environment: $*" >&2; }
here="$(cd "$(dirname "$0")" && pwd)"

# "ACTION NUMBER" of a GitHub pull_request event file, read by node (stack's own runtime: no jq needed).
github_event() {
  case "${GITHUB_EVENT_NAME:-}" in
    pull_request | pull_request_target) ;;
    '') die "no argument and no GITHUB_EVENT_NAME: say up or down (GitLab), or run it from a pull_request workflow" ;;
    *) die "GITHUB_EVENT_NAME is '${GITHUB_EVENT_NAME}': run it on pull_request events only" ;;
  esac
  [ -f "${GITHUB_EVENT_PATH:-}" ] || die "GITHUB_EVENT_PATH '${GITHUB_EVENT_PATH:-}' is not a file (the runner's event JSON)"
  node -e '
    try {
      const e = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
      console.log(String(e.action ?? ""), String(e.pull_request?.number ?? e.number ?? ""));
    } catch (err) {
      console.error(`pr-environment: ${err.message}`);
      process.exit(1);
    }
  ' "$GITHUB_EVENT_PATH" || die "GITHUB_EVENT_PATH $GITHUB_EVENT_PATH is not a JSON event"
}

number=""
case "${1:-}" in
  up | down)
    step="$1"
    number="${CI_MERGE_REQUEST_IID:-${PR_NUMBER:-}}"
    [ -n "$number" ] || die "$step needs the request's number: CI_MERGE_REQUEST_IID (GitLab) or PR_NUMBER" ;;
  '')
    event="$(github_event)"
    read -r action number <<<"$event"
    case "$action" in
      opened | reopened | synchronize) step=up ;;
      closed) step=down ;;
      *) log "pull request action '${action}': nothing to do (up on opened, reopened, synchronize; down on closed)"; exit 0 ;;
    esac ;;
  *) die "unknown argument '$1' (up, down, or none to read a GitHub event)" ;;
esac
[[ "$number" =~ ^[0-9]{1,9}$ ]] || die "the request's number '${number}' is not a number"
[ -n "${STAGING_INVENTORY:-}" ] || die "STAGING_INVENTORY is required (the staging hosts' inventory)"

log "pull request $number: $step"
exec "$here/bootstrap.sh" -i "$STAGING_INVENTORY" "pr-$step" "$number"
