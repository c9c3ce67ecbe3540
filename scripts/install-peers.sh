#!/usr/bin/env bash
# Installs the peers the tests and benchmarks check StreamFunctions against (tests/peers: AWS's
# reference KPL aggregation, npm aws-kinesis-agg) from the committed package-lock.json.
#   scripts/install-peers.sh          install if the lock file changed since the last install; print the folder
# Installs once per lock-file content; parallel callers (two test runs) serialize on a lock so that one
# 'npm ci' never deletes node_modules under the other (the same scheme as scripts/local-aws.sh).
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/peers" && pwd)"

command -v node >/dev/null 2>&1 || { echo "install-peers: node is required (Debian: apt-get install nodejs npm)" >&2; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "install-peers: npm is required (Debian: apt-get install npm)" >&2; exit 1; }

stamp="$dir/node_modules/.installed-lock-sha256"
want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  exec 9>"$dir/.install.lock"
  flock 9
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "install-peers: installing $dir (npm ci)" >&2
    # --ignore-scripts: the peers are plain JavaScript, nothing needs building.
    (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
    echo "$want" > "$stamp"
  fi
  flock -u 9
fi

echo "$dir"
