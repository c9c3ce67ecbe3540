#!/usr/bin/env bash
# Before/after in the same session: the benchmarks BenchmarkDotNet's arguments select, at two revisions, run
# alternately on this machine (base, head, base, head, ...), and one table of medians across the rounds.
#   bench/compare-revisions.sh BASE_REV HEAD_REV -- --filter '*S3SinkHandlerBenchmarks*'
#   ROUNDS=3 bench/compare-revisions.sh main my-branch -- --filter '*SinkPipeline*' '*WindowedAggregation*'
# Each revision is checked out into a temporary git worktree (under a mktemp folder, removed at exit with only the
# worktrees this script added) and bench/**/StreamFunctions.Benchmarks.csproj is built there in Release (once, when
# both revisions are the same commit: an A/A run, whose ratios show the machine's noise). Every run exports
# BenchmarkDotNet's CSV and JSON to its own folder under RESULTS_DIR (default: a new folder under /tmp, kept and
# printed). `--job short` is added when no --job/-j is given; a --filter is required (the whole suite takes hours).
# Benchmarks run in the host process (--inProcess) unless OUT_OF_PROCESS=1: BenchmarkDotNet's default toolchain builds
# a project per run (every referenced library again, minutes on 2 busy cores); both sides run the same way.
# Revisions are commits: uncommitted changes are not measured.
# Environment: ROUNDS (default 2), RESULTS_DIR (must be missing or empty), OUT_OF_PROCESS (default 0).
# Table: benchmark, params, base mean, head mean, head/base ratio (of the medians; the per-round ratios beside it),
# base and head allocated per operation. Means and allocations are medians across rounds.
set -euo pipefail

die() { echo "compare-revisions: $*" >&2; exit 1; }

usage="usage: bench/compare-revisions.sh BASE_REV HEAD_REV -- <BenchmarkDotNet arguments, with --filter>"
[[ $# -ge 2 ]] || die "$usage"
base_rev="$1"
head_rev="$2"
shift 2
if [[ $# -gt 0 ]]; then
  [[ "$1" == "--" ]] || die "expected '--' after the two revisions, got '$1'; $usage"
  shift
fi
bdn_args=("$@")

rounds="${ROUNDS:-2}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS is '$rounds'; it must be a whole number of at least 1"

has_filter=false
has_job=false
in_process=false
for arg in "${bdn_args[@]}"; do
  case "$arg" in
    --filter|-f|--filter=*) has_filter=true ;;
    --job|-j|--job=*) has_job=true ;;
    --inProcess|-i) in_process=true ;;
    --artifacts|--artifacts=*|--exporters|--exporters=*|-e) die "the script sets '$arg' itself (each run's results go to its own folder); leave it out" ;;
  esac
done
$has_filter || die "give a --filter after '--' (e.g. --filter '*S3SinkHandlerBenchmarks*'): the whole suite takes hours"
$has_job || bdn_args+=(--job short)
case "${OUT_OF_PROCESS:-0}" in
  0) $in_process || bdn_args+=(--inProcess) ;;
  1) $in_process && die "OUT_OF_PROCESS=1 and --inProcess contradict each other"
     bdn_args+=(--buildTimeout 1800) ;;
  *) die "OUT_OF_PROCESS is '${OUT_OF_PROCESS}'; it must be 0 or 1" ;;
esac

command -v git > /dev/null || die "git is not on PATH"
command -v dotnet > /dev/null || die "dotnet is not on PATH"
command -v python3 > /dev/null || die "python3 is not on PATH"

repo="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel 2> /dev/null)" || die "$(dirname "${BASH_SOURCE[0]}") is not inside a git repository"
resolve() {
  git -C "$repo" rev-parse --verify --quiet "$1^{commit}" || die "'$1' is not a commit in $repo"
}
base_sha="$(resolve "$base_rev")"
head_sha="$(resolve "$head_rev")"

if [[ -n "${RESULTS_DIR:-}" ]]; then
  results="$RESULTS_DIR"
  if [[ -e "$results" ]]; then
    [[ -d "$results" ]] || die "RESULTS_DIR $results exists and is not a folder"
    [[ -z "$(ls -A "$results")" ]] || die "RESULTS_DIR $results is not empty; give a new or empty folder"
  fi
  mkdir -p "$results"
else
  results="$(mktemp -d "${TMPDIR:-/tmp}/sfn-compare-results.XXXXXX")"
fi
results="$(cd "$results" && pwd)"

# Everything temporary lives in one folder this script made; at exit it removes the worktrees it added (and only
# those), then that folder.
work="$(mktemp -d "${TMPDIR:-/tmp}/sfn-compare.XXXXXX")"
added=()
cleanup() {
  local wt
  for wt in "${added[@]}"; do
    git -C "$repo" worktree remove --force "$wt" > /dev/null 2>&1 \
      || echo "compare-revisions: could not remove worktree $wt; remove it with: git -C $repo worktree remove --force $wt" >&2
  done
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The machine, and how busy it is.
cpu="$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
mem="$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, $mem; dotnet $(cd "$repo" && dotnet --version); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "base: $base_rev (${base_sha:0:12})   head: $head_rev (${head_sha:0:12})   rounds: $rounds"
echo "BenchmarkDotNet arguments: ${bdn_args[*]}"
echo "results: $results"

# Checks out and builds one side; prints the benchmark project's path.
prepare() {
  local side="$1" sha="$2" wt="$work/$1" project log
  git -C "$repo" worktree add --detach "$wt" "$sha" > "$results/$side-worktree.log" 2>&1 \
    || die "$side ($sha): git worktree add failed; see $results/$side-worktree.log"
  added+=("$wt")
  mapfile -t projects < <(find "$wt/bench" -name StreamFunctions.Benchmarks.csproj -not -path '*/bin/*' -not -path '*/obj/*' 2> /dev/null)
  [[ ${#projects[@]} -eq 1 ]] || die "$side ($sha): expected one StreamFunctions.Benchmarks.csproj under bench/, found ${#projects[@]}"
  project="${projects[0]}"
  log="$results/$side-build.log"
  echo "building $side: ${project#"$wt/"} (log: $log)" >&2
  (cd "$wt" && dotnet build "$project" -c Release --disable-build-servers) > "$log" 2>&1 \
    || { tail -n 15 "$log" >&2; die "$side ($sha): dotnet build failed; see $log"; }
  printf '%s\n' "$project"
}
# The filter must select something at each revision (BenchmarkDotNet only says so, and exits 0): checked right after
# each build, before anything is measured.
check_selection() {
  local side="$1" sha="$2" log="$results/$1-list.log"
  (cd "$work/$side" && dotnet run -c Release --no-build --project "$(cat "$work/$side.project")" -- "${bdn_args[@]}" --list flat) < /dev/null > "$log" 2>&1 \
    || { tail -n 15 "$log" >&2; die "$side ($sha): listing the benchmarks failed; see $log"; }
  if grep -q 'returned 0 benchmarks' "$log" || ! grep -q '[^[:space:]]' "$log"; then
    die "$side ($sha): the BenchmarkDotNet arguments match no benchmark at this revision; see $log"
  fi
  echo "$side: $(grep -c '^[^[:space:]]' "$log") benchmark method(s) selected" >&2
}

# Not in a $(...) subshell: the worktree list must be kept for the cleanup.
prepare base "$base_sha" > "$work/base.project"
check_selection base "$base_sha"
if [[ "$head_sha" == "$base_sha" ]]; then
  echo "head is the same commit as base: one build serves both sides (an A/A comparison: its ratios are the noise)" >&2
  ln -s "$work/base" "$work/head"
  sed "s|^$work/base/|$work/head/|" "$work/base.project" > "$work/head.project"
else
  prepare head "$head_sha" > "$work/head.project"
fi
check_selection head "$head_sha"

# One run of one side, its results in their own folder.
run() {
  local side="$1" round="$2" sha="$3" project out
  project="$(cat "$work/$side.project")"
  out="$results/round$round-$side"
  echo "round $round/$rounds: $side (log: $out.log)" >&2
  (cd "$work/$side" && dotnet run -c Release --no-build --project "$project" -- "${bdn_args[@]}" --exporters json --artifacts "$out") < /dev/null > "$out.log" 2>&1 \
    || { tail -n 15 "$out.log" >&2; die "$side ($sha), round $round: the benchmark run failed; see $out.log"; }
  compgen -G "$out/results/*-report-full-compressed.json" > /dev/null \
    || die "$side ($sha), round $round: BenchmarkDotNet wrote no results (every selected benchmark failed?) in $out/results; see $out.log"
}
for ((round = 1; round <= rounds; round++)); do
  run base "$round" "$base_sha"
  run head "$round" "$head_sha"
done

python3 - "$results" "$rounds" <<'PY'
import glob, json, os, statistics, sys

results, rounds = sys.argv[1], int(sys.argv[2])

def load(side, round_):
    """Benchmark key -> (name, params, job, mean ns or None, allocated bytes or None) of one run."""
    runs = {}
    for path in sorted(glob.glob(os.path.join(results, f"round{round_}-{side}", "results", "*-report-full-compressed.json"))):
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        for b in report.get("Benchmarks", []):
            # DisplayInfo is "Type.Title: Job [params]": the job is what follows the last ": ", less the params.
            job = (b.get("DisplayInfo") or "").rsplit(": ", 1)[-1].split(" [", 1)[0]
            params = ", ".join(p for p in (b.get("Parameters") or "").split("&") if p) or "-"
            stats = b.get("Statistics")
            memory = b.get("Memory") or {}
            key = (b.get("Namespace"), b.get("Type"), b.get("Method"), params, job)
            runs[key] = (f"{b.get('Type')}.{b.get('Method')}", params, job, stats["Mean"] if stats else None, memory.get("BytesAllocatedPerOperation"))
    return runs

def time(ns):
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:,.2f} {unit}"
    return f"{ns:,.2f} ns"

def size(b):
    if b is None:
        return "-"
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if b >= scale:
            return f"{b / scale:,.2f} {unit}"
    return f"{b:,.0f} B"

runs = {side: [load(side, r) for r in range(1, rounds + 1)] for side in ("base", "head")}
keys = list(dict.fromkeys(k for side in ("base", "head") for run in runs[side] for k in run))
several_jobs = len({k[4] for k in keys}) > 1
rows = [("benchmark", "params", "base mean", "head mean", "head/base", "per round", "base allocated", "head allocated")]
problems = []
for key in keys:
    name = f"{key[1]}.{key[2]}" + (f" ({key[4]})" if several_jobs else "")
    params = key[3]
    summary = {}
    for side in ("base", "head"):
        entries = [run.get(key) for run in runs[side]]
        means = [e[3] for e in entries if e is not None and e[3] is not None]
        allocated = [e[4] for e in entries if e is not None and e[4] is not None]
        if len(means) < rounds:
            problems.append(f"{side}: {name} [{params}]: {rounds - len(means)} of {rounds} rounds have no result (not at this revision, or it failed: see the round's log)")
        summary[side] = (statistics.median(means) if means else None, statistics.median(allocated) if allocated else None, [e[3] if e else None for e in entries])
    (bm, ba, bper), (hm, ha, hper) = summary["base"], summary["head"]
    ratio = f"{hm / bm:.3f}" if bm and hm else "-"
    per_round = " ".join(f"{h / b:.2f}" if b and h else "-" for b, h in zip(bper, hper))
    rows.append((name, params, time(bm), time(hm), ratio, per_round, size(ba), size(ha)))

widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
right = {2, 3, 4, 6, 7}
for n, row in enumerate(rows):
    print("| " + " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))) + " |")
    if n == 0:
        print("|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|")
print(f"\nmeans and allocations: medians of {rounds} rounds; head/base: of the medians; per round: that round's head ÷ base")
if problems:
    for p in problems:
        print(f"compare-revisions: {p}", file=sys.stderr)
    sys.exit(1)
PY
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg); results kept in $results"
