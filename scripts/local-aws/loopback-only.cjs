// Preloaded (node --require) into an emulator that binds every interface and cannot be told otherwise:
// kinesis-mock listens on 0.0.0.0 (its host is fixed in its code). Every TCP listen of the process is moved to
// 127.0.0.1, so the emulator is reachable from this machine only. A listen on a path (a Unix socket) or a handle
// is left as it is.
'use strict';
const net = require('net');

const LOOPBACK = '127.0.0.1';
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const [first] = args;
  if (first !== null && typeof first === 'object' && !Array.isArray(first) && ('port' in first) && !('path' in first) && !('handle' in first) && !('fd' in first)) {
    args[0] = { ...first, host: LOOPBACK, ipv6Only: false };
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] === 'string') {
      args[1] = LOOPBACK;
    } else {
      args.splice(1, 0, LOOPBACK);
    }
  }
  return listen.apply(this, args);
};
