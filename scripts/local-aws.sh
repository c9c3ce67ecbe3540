#!/usr/bin/env bash
# Local AWS emulators for StreamFunctions (Kinesis, DynamoDB, S3), no Docker.
#   eval "$(scripts/local-aws.sh up)"    start on free loopback ports, export AWS_ENDPOINT_URL_*
#   scripts/local-aws.sh status|env|down
# Installs the emulators from the committed package-lock.json the first time (and whenever the
# lock file changes); the work happens in scripts/local-aws/local-aws.mjs.
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/local-aws" && pwd)"

command -v node >/dev/null 2>&1 || { echo "local-aws: node is required (Debian: apt-get install nodejs npm)" >&2; exit 1; }

# Install once per lock-file content. Parallel callers (two test runs) serialize on a lock so that
# one 'npm ci' never deletes node_modules under the other.
stamp="$dir/node_modules/.installed-lock-sha256"
want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  exec 9>"$dir/.install.lock"
  flock 9
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "local-aws: installing emulators (npm ci)" >&2
    # --ignore-scripts: dynalite's LevelDB binding ships prebuilt binaries, nothing needs compiling.
    (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
    echo "$want" > "$stamp"
  fi
  flock -u 9
fi

exec node "$dir/local-aws.mjs" "$@"
