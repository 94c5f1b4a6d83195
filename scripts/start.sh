#!/usr/bin/env bash
# `npm start`: serve on the default socket in the foreground, never timing out, through the
# launcher (bin/berth.js), so with the V8 flags and malloc settings it gives every service.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then sock=/run/berth/berth.sock; else sock="${XDG_RUNTIME_DIR:?XDG_RUNTIME_DIR is not set}/berth/berth.sock"; fi
echo "berth: serving on unix://$sock — in another shell:"
echo "export DOCKER_HOST=unix://$sock"
exec bin/berth.js system service --time 0 "$@"
