#!/usr/bin/env bash
# Builds the solution in Release and runs every test project. The last line it prints is the real
# totals, read from each project's TRX results: "N passed, N failed, N skipped".
#   scripts/test.sh            all tests; integration tests start the local emulators themselves
#   scripts/test.sh --unit     only the tests that need no emulator (filter Category!=Integration)
#   scripts/test.sh --faults   only the fault-injection suite (filter Suite=Faults); a failure names its seed,
#                              and SFN_FAULT_SEED=<seed> reruns that iteration alone
#   scripts/test.sh -- ARGS    extra arguments for 'dotnet test' (e.g. -- --filter FullyQualifiedName~Settings)
# Integration tests against LocalStack instead of the emulators:
#   SFN_TEST_ENDPOINTS=environment AWS_ENDPOINT_URL=http://localhost:4566 scripts/test.sh
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

filter=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --unit) filter=(--filter "Category!=Integration") ;;
    --faults) filter=(--filter "Suite=Faults") ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# No test ever asks the EC2 instance metadata service for credentials.
export AWS_EC2_METADATA_DISABLED=true

results="$(mktemp -d "${TMPDIR:-/tmp}/sfn-test-results.XXXXXX")"
trap 'rm -rf "$results"' EXIT

if ! dotnet build StreamFunctions.sln -c Release; then
  echo "test.sh: the build failed; no test ran" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

# A hung test host is killed and reported instead of stalling CI until its time limit.
dotnet test StreamFunctions.sln -c Release --no-build --results-directory "$results" \
  --blame-hang-timeout 10m --blame-hang-dump-type none "${filter[@]}" "${extra[@]}"
status=$?

passed=0 failed=0 skipped=0
counter() { grep -o '<Counters [^>]*' "$1" | grep -o " $2=\"[0-9]*\"" | grep -o '[0-9][0-9]*' || echo 0; }
while IFS= read -r project; do
  name="$(basename "$project" .csproj)"
  trx="$results/$name.trx"
  if [ ! -f "$trx" ]; then
    echo "test.sh: $name produced no results (its test host crashed or did not start)" >&2
    failed=$((failed + 1))
    continue
  fi
  passed=$((passed + $(counter "$trx" passed)))
  failed=$((failed + $(counter "$trx" failed) + $(counter "$trx" error) + $(counter "$trx" timeout) + $(counter "$trx" aborted)))
  # A skipped test is in the total but not executed (the TRX counter notExecuted stays 0 for xunit skips).
  skipped=$((skipped + $(counter "$trx" total) - $(counter "$trx" executed)))
done < <(find tests -name '*.Tests.csproj' | sort)

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "test.sh: dotnet test exited with $status although no test failed (a test run aborted)" >&2
  failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
