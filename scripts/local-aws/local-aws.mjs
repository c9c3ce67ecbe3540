#!/usr/bin/env node
// Starts, describes and stops the local AWS emulators (no Docker) that StreamFunctions tests and
// local runs use: Kinesis (kinesis-mock), DynamoDB (dynalite) and S3 (s3rver).
//
// Every emulator gets free loopback ports, so several runs (two test runs in parallel, a developer's
// shell and CI) never collide: each run has its own --state-dir holding pids, ports and logs.
// Called through scripts/local-aws.sh, which installs the npm packages from the committed lock file.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const modules = path.join(here, 'node_modules');

// s3rver only accepts these credentials; dynalite and kinesis-mock accept any, so one pair serves all.
const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';
const ALL_SERVICES = ['kinesis', 'dynamodb', 's3'];
const PORT_ATTEMPTS = 5;

const USAGE = `usage: scripts/local-aws.sh <command> [options]

commands:
  up       start the emulators (reuses running ones in the same state dir) and print their variables
  env      print the variables of the running emulators
  status   say which emulators run, with pid and endpoint; exit 1 if any is down
  down     stop the emulators by pid and remove what up wrote in the state dir (and the dir, if up made it)
  install  only install the npm packages (done by every other command when needed)

options:
  --state-dir DIR     where pids, ports, logs and S3 data live (default: <repo>/.local-aws)
  --services LIST     comma-separated subset of kinesis,dynamodb,s3 (default: all)
  --region NAME       region the Kinesis emulator puts in ARNs (default: $AWS_REGION or us-east-1)
  --owner-pid PID     stop the emulators by themselves when process PID exits
  --timeout SECONDS   how long to wait for each emulator to answer (default: 60)
  --json              print JSON instead of shell 'export' lines

  eval "$(scripts/local-aws.sh up)"   # then every AWS SDK and the aws CLI talk to the emulators`;

function fail(message, code = 1) {
  process.stderr.write(`local-aws: ${message}\n`);
  process.exit(code);
}

// A refusal or failure thrown where a lock is held, so that the lock is let go before the process exits with
// its one line (fail() would exit in the middle of it).
class Refusal extends Error {
  constructor(message, code = 1) {
    super(message);
    this.code = code;
  }
}

function parseArgs(argv) {
  const opts = {
    command: argv[0],
    stateDir: path.join(repoRoot, '.local-aws'),
    services: ALL_SERVICES,
    region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
    ownerPid: 0,
    timeoutSeconds: 60,
    json: false,
  };
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${arg} needs a value\n${USAGE}`, 2);
      return argv[++i];
    };
    switch (arg) {
      case '--state-dir': opts.stateDir = path.resolve(value()); break;
      case '--services': {
        opts.services = value().split(',').map(s => s.trim().toLowerCase()).filter(Boolean);
        const unknown = opts.services.filter(s => !ALL_SERVICES.includes(s));
        if (unknown.length || !opts.services.length) fail(`--services takes a subset of ${ALL_SERVICES.join(',')}; got '${unknown.join(',')}'`, 2);
        break;
      }
      case '--region': opts.region = value(); break;
      case '--owner-pid': {
        opts.ownerPid = Number.parseInt(value(), 10);
        if (!(opts.ownerPid > 0)) fail('--owner-pid takes a process id', 2);
        break;
      }
      case '--timeout': {
        opts.timeoutSeconds = Number.parseFloat(value());
        if (!(opts.timeoutSeconds > 0)) fail('--timeout takes a number of seconds > 0', 2);
        break;
      }
      case '--json': opts.json = true; break;
      case '-h': case '--help': process.stdout.write(USAGE + '\n'); process.exit(0); break;
      default: fail(`unknown option '${arg}'\n${USAGE}`, 2);
    }
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------
// State file

const stateFile = dir => path.join(dir, 'state.json');
const LOCK = '.lock.d';
// The marker 'up' writes first into a state dir: it lists each file 'up' creates there, before creating it,
// and whether 'up' made the folder itself. 'down' removes what it lists, and the folder only if 'up' made it
// (and it is empty then): never anything else, whatever its name.
const MARKER = '.local-aws';
const MARKER_SIGNATURE = 'scripts/local-aws.sh up: the files it created here, all that its down command removes';
// The names 'up' may create (and list) in a state dir.
const UP_FILES = ['state.json', 'state.json.tmp', 's3-data', ...ALL_SERVICES.map(n => `${n}.log`)];
const FOREIGN = 'foreign';

// One 'up' or 'down' at a time per state dir, across processes: mkdir is atomic. A lock left by a
// process that died is taken over.
async function withLock(dir, fn) {
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, LOCK);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let holder = 0;
      try { holder = Number.parseInt(fs.readFileSync(path.join(lock, 'pid'), 'utf8'), 10); } catch { /* being written */ }
      if (holder && !isAlive(holder)) { fs.rmSync(lock, { recursive: true, force: true }); continue; }
      if (Date.now() > deadline) throw new Error(`${dir} is locked by process ${holder || '?'} (another up/down)`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

// The marker of a state dir: null when there is none, FOREIGN when something else has its name (a folder, a
// link, a file 'up' did not write), else { createdBy, createdDir, files }.
function readMarker(dir) {
  const file = path.join(dir, MARKER);
  let text;
  try {
    if (!fs.lstatSync(file).isFile()) return FOREIGN;
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    return FOREIGN;
  }
  try {
    const marker = JSON.parse(text);
    if (marker && marker.createdBy === MARKER_SIGNATURE && typeof marker.createdDir === 'boolean'
      && Array.isArray(marker.files) && marker.files.every(f => UP_FILES.includes(f))) return marker;
  } catch { /* not JSON: not ours */ }
  return FOREIGN;
}

function writeMarker(dir, marker) {
  fs.writeFileSync(path.join(dir, MARKER), JSON.stringify(marker) + '\n');
}

// Lists name in the state dir's marker before 'up' creates it: an 'up' killed half-way leaves nothing that
// 'down' does not know it made.
function claim(dir, name) {
  const marker = readMarker(dir);
  if (!marker || marker === FOREIGN) throw new Refusal(`${dir}: its ${MARKER} marker is gone or was replaced; not writing ${name} there`);
  if (!marker.files.includes(name)) {
    marker.files.push(name);
    writeMarker(dir, marker);
  }
}

// Removes the files the marker lists (a link is removed, never followed), then, unless keepMarker, the marker.
function removeListed(dir, marker, keepMarker = false) {
  for (const name of marker.files) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  if (keepMarker) writeMarker(dir, { ...marker, files: [] });
  else fs.rmSync(path.join(dir, MARKER), { force: true });
}

function readState(dir) {
  try {
    return JSON.parse(fs.readFileSync(stateFile(dir), 'utf8'));
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw new Refusal(`cannot read ${stateFile(dir)}: ${e.message}`);
  }
}

function writeState(dir, state) {
  const tmp = stateFile(dir) + '.tmp';
  claim(dir, path.basename(tmp));
  claim(dir, path.basename(stateFile(dir)));
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, stateFile(dir));
}

// ---------------------------------------------------------------------------------------------
// Processes

function isAlive(pid) {
  if (!pid) return false;
  try { process.kill(pid, 0); } catch (e) { if (e.code !== 'EPERM') return false; }
  // Emulators are detached, so a stopped one waits for the machine's init to reap it; until then
  // signal 0 still finds it. A zombie runs no code and holds no port: it counts as stopped.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc (not Linux): trust the signal
  }
}

// A pid from a state file may have been reused by an unrelated process after a reboot: only signal
// a process whose command line is the one we started.
function isOurs(pid, marker) {
  if (!isAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return true; // no /proc (not Linux): trust the pid
  }
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function stopProcess(pid, marker) {
  if (!isOurs(pid, marker)) return;
  // Emulators run in their own process group (detached): signal the group so no child survives.
  const signal = sig => { try { process.kill(-pid, sig); } catch { try { process.kill(pid, sig); } catch { /* gone */ } } };
  signal('SIGTERM');
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  if (isAlive(pid)) signal('SIGKILL');
  for (let i = 0; i < 20 && isAlive(pid); i++) await sleep(50);
}

// Whether process pid holds the listening socket on port. Two parallel runs can draw the same free
// port; the loser's emulator then fails to bind while the winner answers its probe, so an answer on
// the port alone does not prove that our emulator is the one listening.
function ownsPort(pid, port) {
  const tables = ['/proc/net/tcp', '/proc/net/tcp6'].map(f => { try { return fs.readFileSync(f, 'utf8'); } catch { return ''; } }).join('\n');
  if (!tables.trim()) return true; // no /proc (not Linux): trust the probe
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set();
  for (const line of tables.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // cols: sl local_address rem_address st ... inode (index 9); st 0A = LISTEN
    if (cols.length > 9 && cols[1].endsWith(':' + hexPort) && cols[3] === '0A') inodes.add(cols[9]);
  }
  let fds;
  try { fds = fs.readdirSync(`/proc/${pid}/fd`); } catch { return false; }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1])) return true;
    } catch { /* fd closed meanwhile */ }
  }
  return false;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Emulators

const EMULATORS = {
  kinesis: {
    marker: path.join('kinesis-local', 'main.js'),
    ports: 2, // kinesis-mock always opens a plain and a TLS port
    start: async ({ ports: [plain, tls], opts }) => ({
      // kinesis-mock binds 0.0.0.0 and has no setting for it: loopback-only.cjs moves its listeners to 127.0.0.1.
      args: ['--require', path.join(here, 'loopback-only.cjs'), path.join(modules, 'kinesis-local', 'main.js')],
      env: {
        KINESIS_MOCK_PLAIN_PORT: String(plain),
        KINESIS_MOCK_TLS_PORT: String(tls),
        KINESIS_MOCK_CERT_PATH: path.join(modules, 'kinesis-local', 'server.json'),
        AWS_REGION: opts.region,
        // AWS's default shard quota in the large regions; kinesis-mock's own default is 50, which
        // parallel tests creating streams would exhaust.
        SHARD_LIMIT: process.env.SHARD_LIMIT || '500',
        LOG_LEVEL: process.env.LOG_LEVEL || 'WARN',
      },
    }),
    probe: port => request(port, 'POST', '/', '{}', {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'Kinesis_20131202.ListStreams',
      ...fakeSignature('kinesis'),
    }),
  },
  dynamodb: {
    marker: path.join('dynalite', 'cli.js'),
    ports: 1,
    start: async ({ ports: [port] }) => ({
      args: [path.join(modules, 'dynalite', 'cli.js'), '--host', '127.0.0.1', '--port', String(port)],
      env: {},
    }),
    probe: port => request(port, 'POST', '/', '{}', {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': 'DynamoDB_20120810.ListTables',
      ...fakeSignature('dynamodb'),
    }),
  },
  s3: {
    marker: 's3rver-server.cjs', // our wrapper (see that file): the command line that identifies the process
    ports: 1,
    start: async ({ ports: [port], opts }) => {
      const dataDir = path.join(opts.stateDir, 's3-data');
      claim(opts.stateDir, 's3-data');
      fs.mkdirSync(dataDir, { recursive: true });
      return {
        args: [path.join(here, 's3rver-server.cjs'), dataDir, '127.0.0.1', String(port)],
        env: {},
      };
    },
    probe: port => request(port, 'GET', '/', null, {}),
  },
};

// The emulators check that a request is signed, not the signature itself.
function fakeSignature(service) {
  return {
    'X-Amz-Date': '20200101T000000Z',
    Authorization: `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/20200101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
  };
}

function request(port, method, urlPath, body, headers) {
  return new Promise(resolve => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, timeout: 2000 }, res => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    if (body !== null) req.write(body);
    req.end();
  });
}

function logTail(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function startOne(name, opts, onSpawn) {
  const emulator = EMULATORS[name];
  const logFile = path.join(opts.stateDir, `${name}.log`);
  let lastError = '';
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const ports = [];
    for (let i = 0; i < emulator.ports; i++) ports.push(await freePort());
    const { args, env } = await emulator.start({ ports, opts });
    claim(opts.stateDir, path.basename(logFile));
    const log = fs.openSync(logFile, 'w'); // one attempt per log: an old EADDRINUSE must not explain a new failure
    const child = spawn(process.execPath, args, {
      cwd: opts.stateDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', log, log],
      detached: true, // own process group: survives this script, stopped by pid with its children
    });
    fs.closeSync(log);
    child.unref();
    const spawned = { pid: child.pid, port: ports[0], ports, endpoint: `http://127.0.0.1:${ports[0]}`, marker: emulator.marker, log: logFile };
    onSpawn(spawned);
    let exited = false;
    child.on('exit', () => { exited = true; });

    const deadline = Date.now() + opts.timeoutSeconds * 1000;
    while (Date.now() < deadline && !exited) {
      if (await emulator.probe(ports[0]) && ownsPort(child.pid, ports[0])) {
        return spawned;
      }
      await sleep(100);
    }
    await stopProcess(child.pid, emulator.marker);
    const tail = logTail(logFile);
    // Another process can take a free port between our probe and the emulator's bind: try new ports.
    if (/EADDRINUSE|address already in use/i.test(tail)) {
      lastError = `ports ${ports.join(',')} were taken`;
      continue;
    }
    throw new Error(exited
      ? `${name} emulator exited before answering; last lines of ${logFile}:\n${tail}`
      : `${name} emulator did not answer within ${opts.timeoutSeconds}s; last lines of ${logFile}:\n${tail}`);
  }
  throw new Error(`${name} emulator could not bind a free port after ${PORT_ATTEMPTS} attempts (${lastError})`);
}

async function probeAll(state) {
  const results = await Promise.all(Object.entries(state.services).map(async ([name, s]) =>
    [name, isOurs(s.pid, s.marker) && await EMULATORS[name].probe(s.port)]));
  return Object.fromEntries(results);
}

// ---------------------------------------------------------------------------------------------
// Output

const ENV_NAMES = { kinesis: 'AWS_ENDPOINT_URL_KINESIS', dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB', s3: 'AWS_ENDPOINT_URL_S3' };

function variables(state) {
  const vars = {};
  for (const [name, s] of Object.entries(state.services)) vars[ENV_NAMES[name]] = s.endpoint;
  vars.AWS_REGION = state.region;
  vars.AWS_DEFAULT_REGION = state.region; // what the AWS CLI v1 and older tools read
  vars.AWS_ACCESS_KEY_ID = state.accessKeyId;
  vars.AWS_SECRET_ACCESS_KEY = state.secretAccessKey;
  // Never let an SDK fall back to the instance metadata service while pointed at emulators.
  vars.AWS_EC2_METADATA_DISABLED = 'true';
  return vars;
}

function print(state, json) {
  if (json) {
    process.stdout.write(JSON.stringify({ stateDir: state.stateDir, region: state.region, variables: variables(state), services: state.services }) + '\n');
    return;
  }
  for (const [k, v] of Object.entries(variables(state))) process.stdout.write(`export ${k}=${v}\n`);
}

// ---------------------------------------------------------------------------------------------
// Commands

// Stops the emulators a state dir's marker says 'up' started (pids from its state file, each checked to be
// the process 'up' started) and removes what the marker lists; a folder 'up' did not mark is left alone.
async function down(opts, quiet = false) {
  const say = message => { if (!quiet) process.stderr.write(`local-aws: ${message}\n`); };
  if (!fs.existsSync(opts.stateDir)) {
    say('nothing was running');
    return;
  }
  let createdDir = false;
  await withLock(opts.stateDir, async () => {
    const marker = readMarker(opts.stateDir);
    if (marker === FOREIGN) {
      say(`${opts.stateDir}: its ${MARKER} was not written by local-aws.sh up; nothing stopped or removed`);
      return;
    }
    if (!marker) {
      say('nothing was running');
      return;
    }
    const state = marker.files.includes('state.json') ? readState(opts.stateDir) : null;
    await stopAll(state);
    removeListed(opts.stateDir, marker);
    createdDir = marker.createdDir;
    say(state ? `stopped ${Object.keys(state.services).join(', ')}` : 'nothing was running');
  });
  if (createdDir) {
    try { fs.rmdirSync(opts.stateDir); } catch { /* not empty (someone else's files stay), or gone */ }
  }
}

async function stopAll(state) {
  if (!state) return;
  if (state.watcherPid && state.watcherPid !== process.pid) await stopProcess(state.watcherPid, 'local-aws.mjs');
  await Promise.all(Object.values(state.services || {}).map(s => stopProcess(s.pid, s.marker)));
}

async function up(opts) {
  const existed = fs.existsSync(opts.stateDir);
  // Whether 'up' made the folder (this one, or the earlier one whose marker says so).
  const folder = { made: !existed };
  try {
    await withLock(opts.stateDir, () => upLocked(opts, existed, folder));
  } finally {
    // A folder 'up' made and that is empty now (this 'up' failed, and removed what it wrote) goes too.
    if (folder.made) {
      try { fs.rmdirSync(opts.stateDir); } catch { /* not empty, or gone */ }
    }
  }
}

async function upLocked(opts, existed, folder) {
  // A folder that holds anything but what an earlier 'up' listed in its marker is not ours to fill, nor later
  // to empty: checked under the lock, so that no other 'up' or 'down' is changing it meanwhile.
  let marker = readMarker(opts.stateDir);
  if (marker === FOREIGN) throw new Refusal(`--state-dir ${opts.stateDir} holds a ${MARKER} that local-aws did not write: use a new or empty folder`, 2);
  const listed = new Set([LOCK, ...(marker ? [MARKER, ...marker.files] : [])]);
  const foreign = fs.readdirSync(opts.stateDir).filter(n => !listed.has(n));
  if (foreign.length) throw new Refusal(`--state-dir ${opts.stateDir} already holds files local-aws did not write (${foreign.slice(0, 3).join(', ')}): use a new or empty folder`, 2);

  const existing = marker && marker.files.includes('state.json') ? readState(opts.stateDir) : null;
  if (existing) {
    const alive = await probeAll(existing);
    const wanted = opts.services.every(s => alive[s]);
    if (wanted && Object.values(alive).every(Boolean)) {
      process.stderr.write(`local-aws: already running in ${opts.stateDir}\n`);
      print(existing, opts.json);
      return;
    }
    process.stderr.write('local-aws: found stopped emulators from an earlier run; restarting\n');
  }
  if (marker) {
    await stopAll(existing);
    removeListed(opts.stateDir, marker, true);
  } else {
    marker = { createdBy: MARKER_SIGNATURE, createdDir: !existed, files: [] };
    writeMarker(opts.stateDir, marker);
  }
  folder.made = marker.createdDir;

  const started = {};
  const state = {
    version: 1,
    stateDir: opts.stateDir,
    region: opts.region,
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    services: started,
    watcherPid: 0,
  };
  // Every pid goes into the state file the moment it exists, so that an interrupted 'up' (Ctrl+C,
  // a killed caller) leaves nothing that 'down' cannot find.
  const results = await Promise.allSettled(opts.services.map(async name => {
    started[name] = await startOne(name, opts, spawned => { started[name] = spawned; writeState(opts.stateDir, state); });
  }));
  const failures = results.filter(r => r.status === 'rejected').map(r => r.reason.message);
  writeState(opts.stateDir, state);
  if (failures.length) {
    await stopAll(state);
    removeListed(opts.stateDir, readMarker(opts.stateDir));
    throw new Refusal(failures.join('\n'));
  }
  if (opts.ownerPid) {
    const watcher = spawn(process.execPath, [fileURLToPath(import.meta.url), 'watch-owner', '--state-dir', opts.stateDir, '--owner-pid', String(opts.ownerPid)], {
      stdio: 'ignore',
      detached: true,
    });
    watcher.unref();
    state.watcherPid = watcher.pid;
    writeState(opts.stateDir, state);
  }
  process.stderr.write(`local-aws: ${Object.entries(started).map(([n, s]) => `${n} ${s.endpoint} (pid ${s.pid})`).join(', ')}\n`);
  print(state, opts.json);
}

async function status(opts) {
  const state = readState(opts.stateDir);
  if (!state) {
    process.stdout.write(`no emulators in ${opts.stateDir}\n`);
    process.exit(1);
  }
  const alive = await probeAll(state);
  for (const [name, s] of Object.entries(state.services)) {
    process.stdout.write(`${name.padEnd(9)} ${alive[name] ? 'up  ' : 'DOWN'} pid ${s.pid} ${s.endpoint}\n`);
  }
  process.exit(Object.values(alive).every(Boolean) ? 0 : 1);
}

// Runs detached beside the emulators: when the owner (a test host, say) dies without calling
// 'down' — killed, crashed — the emulators go with it instead of lingering on the machine.
async function watchOwner(opts) {
  while (isAlive(opts.ownerPid)) {
    if (!fs.existsSync(stateFile(opts.stateDir))) return; // stopped by 'down' already
    await sleep(1000);
  }
  await down(opts, true);
}

const opts = parseArgs(process.argv.slice(2));
try {
  switch (opts.command) {
    case 'up': await up(opts); break;
    case 'down': await down(opts); break;
    case 'env': {
      const state = readState(opts.stateDir);
      if (!state) fail(`no emulators in ${opts.stateDir}: run 'scripts/local-aws.sh up' first`);
      print(state, opts.json);
      break;
    }
    case 'status': await status(opts); break;
    case 'watch-owner': await watchOwner(opts); break;
    case 'install': break; // the wrapper installed the packages already
    case undefined: case '-h': case '--help': process.stdout.write(USAGE + '\n'); break;
    default: fail(`unknown command '${opts.command}'\n${USAGE}`, 2);
  }
} catch (e) {
  if (e instanceof Refusal) fail(e.message, e.code);
  fail(e.stack || String(e));
}
