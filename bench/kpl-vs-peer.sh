#!/usr/bin/env bash
# KPL aggregation and de-aggregation: StreamFunctions.Records against AWS's reference (npm aws-kinesis-agg),
# same machine, same session, same data shape (100-byte and 1 KB random records, random 32-hex-character
# partition keys, Kinesis records filled to 1 MiB, MD5 computed and checked), and the ratio.
#   bench/kpl-vs-peer.sh                 BenchmarkDotNet's default job (the figures in bench/RESULTS.md)
#   bench/kpl-vs-peer.sh --job short     a quick look
# Extra arguments go to BenchmarkDotNet. Prints one table; the last column is ours ÷ the peer's records/s.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
peers="$(scripts/install-peers.sh)"
records=100000
artifacts="$(mktemp -d "${TMPDIR:-/tmp}/kpl-vs-peer.XXXXXX")"
trap 'rm -rf "$artifacts"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB; dotnet $(dotnet --version); node $(node --version); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# The peer first (one warm-up pass, then the measured one), then ours.
node "$peers/kpl-peer.js" bench "$records" 100 > "$artifacts/peer-100.json"
node "$peers/kpl-peer.js" bench "$records" 1000 > "$artifacts/peer-1000.json"

dotnet run -c Release --project bench/StreamFunctions.Benchmarks -- \
  --filter '*KplAggregationBenchmarks*' --exporters json --artifacts "$artifacts/bdn" "$@" >&2

node - "$artifacts" <<'JS'
const fs = require('fs'), path = require('path');
const dir = process.argv[2];
const resultsDir = path.join(dir, 'bdn', 'results');
const file = fs.readdirSync(resultsDir).find(f => f.includes('KplAggregationBenchmarks') && f.endsWith('.json'));
const report = JSON.parse(fs.readFileSync(path.join(resultsDir, file), 'utf8'));
const ours = {};
for (const b of report.Benchmarks) {
  const bytes = Number((b.Parameters.match(/RecordBytes=(\d+)/) || [])[1]);
  ours[`${b.Method}/${bytes}`] = 1e9 / b.Statistics.Mean; // Mean is ns per user record (OperationsPerInvoke)
}
const fmt = n => Math.round(n).toLocaleString('en-US');
const rows = [['records', 'direction', 'StreamFunctions (batch)', 'StreamFunctions (one by one)', 'aws-kinesis-agg', 'ratio (batch)', 'ratio (one by one)']];
for (const bytes of [100, 1000]) {
  const peer = JSON.parse(fs.readFileSync(path.join(dir, `peer-${bytes}.json`), 'utf8'));
  for (const [direction, method, peerRate] of [['aggregate', 'Aggregate', peer.aggregatePerSecond], ['de-aggregate', 'Deaggregate', peer.deaggregatePerSecond]]) {
    const batch = ours[`${method}/${bytes}`], single = ours[`${method}OneByOne/${bytes}`];
    rows.push([`${bytes} B`, direction, `${fmt(batch)}/s`, `${fmt(single)}/s`, `${fmt(peerRate)}/s`, `${(batch / peerRate).toFixed(1)}×`, `${(single / peerRate).toFixed(1)}×`]);
  }
}
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
JS
