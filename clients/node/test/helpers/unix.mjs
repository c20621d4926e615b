// Unix-socket stand-ins for the tests of the transport:
// - recordingProxy: sits between the client and the real daemon and records
//   every request line the client writes (the exact fields on the wire);
// - fakeDaemon: a scriptable peer, for what a healthy daemon never does on
//   cue (stay silent, drop the connection mid-request, send garbage).
import { createConnection, createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { tempDir } from './daemon.mjs';

function listen(server, path) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
}

function lines(socket, onLine) {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop();
    for (const line of parts) if (line !== '') onLine(line);
  });
}

/** Forwards to `target`; `requests` holds every request line, parsed. */
export async function recordingProxy(target) {
  const dir = tempDir();
  const path = join(dir, 'proxy.sock');
  const requests = [];
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = createConnection({ path: target });
    sockets.add(client).add(upstream);
    lines(client, (line) => {
      requests.push(JSON.parse(line));
      upstream.write(line + '\n');
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await listen(server, path);
  return {
    path,
    requests,
    /** The last request with this op. */
    last(op = 'publish') {
      return requests.filter((r) => r.op === op).at(-1);
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A peer that calls onLine(request, socket, connectionNumber) per request line. */
export async function fakeDaemon(onLine) {
  const dir = tempDir();
  const path = join(dir, 'fake.sock');
  const sockets = new Set();
  let connections = 0;
  const received = [];
  const server = createServer((socket) => {
    const n = ++connections;
    sockets.add(socket);
    socket.on('error', () => {});
    lines(socket, (line) => {
      const request = JSON.parse(line);
      received.push(request);
      onLine(request, socket, n);
    });
  });
  await listen(server, path);
  return {
    path,
    received,
    get connections() {
      return connections;
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
