#!/usr/bin/env bash
# Coverage-guided fuzzing of the decoders of outside input with AFL++ and SharpFuzz (not in CI: long runs belong
# here; the seeded-mutation fuzz tests in tests/StreamFunctions.Fuzz.Tests run in CI). The targets (see 'list') include
# the local servers' request parsing: s3-path, s3-chunked, s3-range, s3-complete-xml, runtime-api-route,
# runtime-api-address, function-url-event, function-url-response.
#   scripts/fuzz.sh list                       the targets
#   scripts/fuzz.sh <target> [seconds]         fuzz one target (default 60 s); findings in .fuzz/<target>/
#   scripts/fuzz.sh all [seconds]              every target in turn
# Installs afl++ (Debian) and the sharpfuzz tool (dotnet, into .fuzz/tools) when missing, publishes the targets,
# instruments the platform's assemblies, and ends with the number of crashes and hangs AFL found; each crash is then
# replayed through the target's 'check' command, which prints the exception. Exit 1 when anything crashed or hung.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
work="$root/.fuzz"
out="$work/afl"      # instrumented: runs only under afl-fuzz
plain="$work/plain"  # not instrumented: seeds, list and replaying crashes

command -v afl-fuzz >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null; }
[ -x "$work/tools/sharpfuzz" ] || dotnet tool install --tool-path "$work/tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null

dotnet publish tools/StreamFunctions.FuzzTargets -c Release -o "$plain" --nologo -v quiet >/dev/null
if [ "${1:-}" = "list" ]; then
  exec dotnet "$plain/StreamFunctions.FuzzTargets.dll" list
fi
rm -rf "$out" && cp -r "$plain" "$out"

# SharpFuzz adds AFL's edge coverage to the platform's own assemblies (in the copy AFL runs).
for dll in "$out"/StreamFunctions.*.dll; do
  case "$(basename "$dll")" in StreamFunctions.FuzzTargets.dll) continue ;; esac
  "$work/tools/sharpfuzz" "$dll" >/dev/null
done

seconds="${2:-60}"
targets=("${1:?a target, 'all' or 'list'}")
[ "$1" = "all" ] && mapfile -t targets < <(dotnet "$plain/StreamFunctions.FuzzTargets.dll" list | awk '{print $1}')

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1 AFL_QUIET=1
status=0
for target in "${targets[@]}"; do
  seeds="$work/$target/seeds"
  findings="$work/$target/findings"
  rm -rf "$seeds" "$findings"
  dotnet "$plain/StreamFunctions.FuzzTargets.dll" seeds "$target" "$seeds"
  # -t: a decode may take up to 5 s (the runtime starts once; SharpFuzz forks nothing); -m none: .NET maps a lot.
  afl-fuzz -i "$seeds" -o "$findings" -t 5000 -m none -V "$seconds" -- dotnet "$out/StreamFunctions.FuzzTargets.dll" run "$target" >"$work/$target/afl.log" 2>&1 || true
  stats="$findings/default/fuzzer_stats"
  execs="$(awk -F': *' '/^execs_done/ {print $2}' "$stats" 2>/dev/null || echo 0)"
  paths="$(awk -F': *' '/^corpus_count/ {print $2}' "$stats" 2>/dev/null || echo 0)"
  crashes="$(find "$findings/default/crashes" -type f ! -name README.txt 2>/dev/null | wc -l)"
  hangs="$(find "$findings/default/hangs" -type f 2>/dev/null | wc -l)"
  echo "$target: ${seconds} s, $execs executions, $paths paths, $crashes crashes, $hangs hangs"
  if [ "$crashes" -gt 0 ]; then
    dotnet "$plain/StreamFunctions.FuzzTargets.dll" check "$target" "$findings/default/crashes" | grep CRASH | sort | uniq -c | head -5 || true
  fi
  [ "$crashes" -eq 0 ] && [ "$hangs" -eq 0 ] || status=1
  [ -f "$stats" ] || { echo "$target: afl-fuzz did not run; see $work/$target/afl.log" >&2; status=1; }
done
exit $status
