#!/usr/bin/env node
// AWS's reference KPL aggregation (npm aws-kinesis-agg) as the independent peer of
// StreamFunctions.Records's KPL code. Lines are JSON objects; data is base64.
//   node kpl-peer.js agg   < user.jsonl    user:    {"partitionKey", "data"[, "explicitHashKey"]}
//                                          out:     {"partitionKey", "explicitHashKey", "data", "userRecords"} or {"error"}
//   node kpl-peer.js deagg < kinesis.jsonl kinesis: {"partitionKey", "data"[, "sequenceNumber"]}
//                                          out:     {"record", "partitionKey", "explicitHashKey", "subSequenceNumber", "data"} or {"record", "error"}
//   node kpl-peer.js bench RECORDS BYTES   one JSON line: records/s both ways on random records
//                                          (BYTES of data, 32-hex-character random partition keys), MD5 checked.
'use strict';
const agg = require('aws-kinesis-agg');
const crypto = require('crypto');
const readline = require('readline');

function readJsonl(onEnd) {
  const lines = [];
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', l => { if (l.trim()) lines.push(JSON.parse(l)); });
  rl.on('close', () => onEnd(lines));
}

const out = [];
const emit = o => out.push(JSON.stringify(o));
const flush = () => { if (out.length) process.stdout.write(out.join('\n') + '\n'); };

const mode = process.argv[2];
if (mode === 'agg') {
  readJsonl(lines => {
    const records = lines.map(r => ({ partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey, data: Buffer.from(r.data, 'base64') }));
    const aggregator = new agg.RecordAggregator();
    aggregator.aggregateRecords(records, true, (err, encoded) => {
      if (err) { emit({ error: err.message }); return; }
      emit({
        partitionKey: encoded.partitionKey,
        explicitHashKey: encoded.ExplicitHashKey,
        data: Buffer.from(encoded.data).toString('base64'),
      });
    });
    flush();
  });
} else if (mode === 'deagg') {
  readJsonl(lines => {
    lines.forEach((r, i) => {
      agg.deaggregateSync({ partitionKey: r.partitionKey, data: r.data, sequenceNumber: r.sequenceNumber || String(i) }, true, (err, users) => {
        if (err) { emit({ record: i, error: err.message || String(err) }); return; }
        for (const u of users) {
          emit({ record: i, partitionKey: u.partitionKey, explicitHashKey: u.explicitPartitionKey, subSequenceNumber: u.subSequenceNumber, data: u.data });
        }
      });
    });
    flush();
  });
} else if (mode === 'bench') {
  const n = parseInt(process.argv[3] || '300000', 10);
  const size = parseInt(process.argv[4] || '100', 10);
  const records = [];
  for (let i = 0; i < n; i++) records.push({ partitionKey: crypto.randomBytes(16).toString('hex'), data: crypto.randomBytes(size) });
  // One warm-up pass each way, then the measured pass.
  const run = () => {
    const encoded = [];
    let t = process.hrtime.bigint();
    new agg.RecordAggregator((err, e) => { if (err) throw err; encoded.push(e); }).aggregateRecords(records, true);
    const aggregateSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    const kinesis = encoded.map(e => ({ partitionKey: e.partitionKey, data: Buffer.from(e.data).toString('base64') }));
    let count = 0;
    t = process.hrtime.bigint();
    for (const r of kinesis) agg.deaggregateSync(r, true, (err, users) => { if (err) throw err; count += users.length; });
    const deaggregateSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    if (count !== n) throw new Error(`deaggregated ${count} of ${n}`);
    return { kinesisRecords: encoded.length, aggregateSeconds, deaggregateSeconds };
  };
  run();
  const r = run();
  console.log(JSON.stringify({
    peer: 'aws-kinesis-agg', version: require('aws-kinesis-agg/package.json').version, node: process.version,
    records: n, bytes: size, kinesisRecords: r.kinesisRecords,
    aggregatePerSecond: Math.round(n / r.aggregateSeconds), deaggregatePerSecond: Math.round(n / r.deaggregateSeconds),
  }));
} else {
  console.error('usage: node kpl-peer.js agg|deagg|bench [records] [bytes]');
  process.exit(64);
}
