// The transport: pipelining against the real daemon, and what the client does
// when the peer is slow, absent, refusing or broken (a scripted fake daemon
// plays the peers a healthy daemon cannot be made to be on cue).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Ringcast, RingcastClient, RingcastError } from '../dist/esm/index.js';
import { startDaemon, tempDir } from './helpers/daemon.mjs';
import { Subscriber } from './helpers/sse.mjs';
import { seqOf } from './helpers/ids.mjs';
import { fakeDaemon } from './helpers/unix.mjs';
import { nextEvent, within } from './helpers/wait.mjs';

const reply = (socket, object) => socket.write(JSON.stringify(object) + '\n');

describe('pipelining against the daemon', { timeout: 60_000 }, () => {
  let daemon;
  let rc;
  before(async () => {
    daemon = await startDaemon();
    rc = new Ringcast({ socketPath: daemon.socketPath, timeout: 20_000 });
  });
  after(async () => {
    await rc?.close();
    await daemon?.stop();
  });

  it('5000 publishes in flight at once resolve in order, and the subscriber sees them in order', async () => {
    const N = 5000;
    const sub = await Subscriber.open(daemon.port, ['pipe']);
    const settledOrder = [];
    const calls = [];
    for (let i = 0; i < N; i++) calls.push(rc.broadcastToChannel('pipe', 'n', i).then((r) => (settledOrder.push(i), r)));
    assert.ok(rc.client.pending > N / 2, 'the requests were in flight together');
    const results = await within(Promise.all(calls), 30_000, `${N} replies`);
    // Numbered in call order: consecutive sequences.
    const first = seqOf(results[0].id);
    assert.deepEqual(
      results.map((r) => seqOf(r.id)),
      Array.from({ length: N }, (_, i) => first + i),
    );
    assert.ok(results.every((r) => r.sent === 1 && r.failed === 0));
    assert.deepEqual(settledOrder, Array.from({ length: N }, (_, i) => i));
    for (let i = 0; i < N; i++) {
      const e = await sub.nextNamed('n');
      assert.equal(e.data, String(i));
      assert.equal(e.id, results[i].id);
    }
    sub.close();
  });

  it('replies to different ops come back matched to their requests', async () => {
    const [ping, stats, pub, user, conn] = await Promise.all([
      rc.ping(),
      rc.getStats(),
      rc.broadcastToChannel('mix', 'e', 1),
      rc.isUserConnected('nobody'),
      rc.getConnectionInfo('c0-424242'),
    ]);
    assert.equal(typeof ping.version, 'string');
    assert.equal(typeof stats.totalConnections, 'number');
    seqOf(pub.id);
    assert.equal(user, false);
    assert.equal(conn, undefined);
  });

  it('a request over the line limit is refused here; the connection stays up', async () => {
    const big = 'x'.repeat(1024 * 1024);
    await assert.rejects(rc.broadcastToChannel('big', 'e', big), {
      name: 'RingcastError',
      code: 'line_too_long',
      source: 'client',
    });
    assert.equal((await rc.broadcastToChannel('big', 'e', 'small')).failed, 0);
  });
});

describe('deadlines, queueing and failures', { timeout: 60_000 }, () => {
  const cleanup = [];
  after(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('a request without a reply fails with `timeout` at its deadline; a late reply is ignored', async () => {
    let held;
    const fake = await fakeDaemon((request, socket) => {
      if (request.op === 'ping' && !held) held = { request, socket }; // the first ping: never answered in time
      else reply(socket, { req: request.req, ok: true, version: 'fake', time: 1 });
    });
    cleanup.push(() => fake.close());
    const rc = new Ringcast({ socketPath: fake.path, timeout: 5000 });
    cleanup.push(() => rc.close());
    const started = Date.now();
    await assert.rejects(rc.client.request('ping', {}, { timeout: 200 }), (e) => {
      assert.ok(e instanceof RingcastError);
      assert.equal(e.code, 'timeout');
      assert.equal(e.source, 'client');
      assert.match(e.message, /no reply to "ping" within 200 ms/);
      return true;
    });
    assert.ok(Date.now() - started >= 190);
    reply(held.socket, { req: held.request.req, ok: true, version: 'late', time: 1 }); // too late: dropped
    assert.equal((await rc.ping()).version, 'fake');
  });

  it('while the daemon is away, requests wait up to maxQueue and then are refused with `queue_full`', async () => {
    const fake = await fakeDaemon((request, socket) => reply(socket, { req: request.req, ok: true, version: 'v', time: 1 }));
    const rc = new Ringcast({ socketPath: fake.path, timeout: 300, maxQueue: 2, reconnectDelay: 10 });
    cleanup.push(() => rc.close());
    await rc.ping(); // connected once: from now on an absent daemon is waited for
    const lost = nextEvent(rc.client, 'disconnect');
    fake.close(); // the daemon goes away, its socket file with it
    await lost;
    const first = rc.ping();
    const second = rc.broadcastToChannel('a', 'b', 1);
    await assert.rejects(rc.broadcastToChannel('a', 'b', 2), (e) => {
      assert.equal(e.code, 'queue_full');
      assert.match(e.message, /2 requests are already waiting/);
      return true;
    });
    assert.throws(() => rc.publishNoReply({ channel: 'a', event: 'b', data: 3 }), { code: 'queue_full' });
    for (const p of [first, second])
      await assert.rejects(p, (e) => {
        assert.equal(e.code, 'timeout');
        assert.match(e.message, /waited 300 ms for a connection to .*fake\.sock \(last error: .*ENOENT/);
        return true;
      });
    assert.equal(rc.client.state, 'reconnecting');
  });

  it('a connection lost mid-request fails the request with `disconnected`, then the client reconnects', async () => {
    const fake = await fakeDaemon((request, socket, n) => {
      if (n === 1) socket.destroy(); // the first connection dies holding the request
      else reply(socket, { req: request.req, ok: true, version: 'second', time: 1 });
    });
    cleanup.push(() => fake.close());
    const rc = new Ringcast({ socketPath: fake.path, timeout: 5000, reconnectDelay: 10 });
    cleanup.push(() => rc.close());
    await assert.rejects(rc.ping(), { code: 'disconnected', source: 'client', message: /may or may not have been published/ });
    assert.equal((await rc.ping()).version, 'second');
    assert.equal(fake.connections, 2);
  });

  it('requests a shutting-down daemon did not act on (`unavailable`, and all after it) are sent again, in order', async () => {
    const fake = await fakeDaemon((request, socket, n) => {
      if (n === 1) {
        // As ringcastd does: answer `unavailable`, read nothing more, close.
        if (socket.readableEnded || socket.writableEnded) return;
        reply(socket, { req: request.req, ok: false, error: { code: 'unavailable', message: 'shutting down' } });
        socket.end();
        socket.pause();
      } else {
        reply(socket, { req: request.req, ok: true, id: String(request.data), sent: 3, failed: 0 });
      }
    });
    cleanup.push(() => fake.close());
    const rc = new Ringcast({ socketPath: fake.path, timeout: 5000, reconnectDelay: 10 });
    cleanup.push(() => rc.close());
    const results = await Promise.all([1, 2, 3].map((n) => rc.broadcastToChannel('c', 'e', n)));
    assert.deepEqual(
      results.map((r) => r.id),
      ['1', '2', '3'],
    );
    const second = fake.received.slice(-3);
    assert.deepEqual(
      second.map((r) => r.data),
      [1, 2, 3],
    ); // the next connection got all three, in order
    assert.equal(fake.connections, 2);
  });

  it('a daemon that refuses the connection (forbidden) fails requests with its error', async () => {
    const fake = await fakeDaemon((request, socket) => {
      reply(socket, { ok: false, error: { code: 'forbidden', message: 'uid 0 gid 0 is not allowed to publish' } });
      socket.end();
    });
    cleanup.push(() => fake.close());
    const rc = new Ringcast({ socketPath: fake.path, timeout: 5000, reconnectDelay: 5000 });
    cleanup.push(() => rc.close());
    const warned = [];
    rc.client.on('publishError', (e) => warned.push(e.code));
    await assert.rejects(rc.ping(), { code: 'forbidden', source: 'daemon', message: /not allowed to publish/ });
    assert.deepEqual(warned, ['forbidden']);
  });

  it('a reply that is not JSON fails the requests on that connection with `protocol`', async () => {
    const fake = await fakeDaemon((request, socket) => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
    cleanup.push(() => fake.close());
    const rc = new Ringcast({ socketPath: fake.path, timeout: 5000, reconnectDelay: 5000 });
    cleanup.push(() => rc.close());
    await assert.rejects(rc.ping(), { code: 'protocol', message: /not JSON/ });
  });

  it('close() waits for the replies due, then refuses new requests with `closed`', async () => {
    let read;
    const pingRead = new Promise((resolve) => (read = resolve));
    const fake = await fakeDaemon((request, socket) => {
      read(() => reply(socket, { req: request.req, ok: true, version: 'v', time: 1 }));
    });
    cleanup.push(() => fake.close());
    const rc = new Ringcast({ socketPath: fake.path, timeout: 5000 });
    const ping = rc.ping();
    const answer = await within(pingRead, 5000, 'the fake daemon to read the ping');
    const closed = rc.close();
    await assert.rejects(rc.ping(), { code: 'closed' });
    assert.throws(() => rc.publishNoReply({ channel: 'a', event: 'b', data: 1 }), { code: 'closed' });
    answer();
    assert.equal((await ping).version, 'v');
    await within(closed, 5000, 'close()');
    assert.equal(rc.client.state, 'closed');
  });

  it('close() while disconnected fails the queued requests with `closed`', async () => {
    const dir = tempDir();
    const rc = new Ringcast({ socketPath: join(dir, 'nobody.sock'), timeout: 5000 });
    const queued = assert.rejects(rc.ping(), { code: 'closed', message: /closed before "ping" was sent/ });
    await within(rc.close(), 5000, 'close()');
    await queued;
  });

  it('a fire-and-forget message that cannot reach the daemon is reported, not lost silently', async () => {
    const dir = tempDir();
    const client = new RingcastClient({ socketPath: join(dir, 'nobody.sock'), timeout: 5000 });
    cleanup.push(() => client.close());
    const reported = new Promise((resolve) => client.once('publishError', resolve));
    client.send('publish', { channel: 'a', event: 'b', data: 1 });
    const e = await within(reported, 2000, "'publishError' before the deadline");
    assert.equal(e.code, 'unreachable');
    assert.match(e.message, /nobody\.sock/);
  });
});

describe('process lifetime', { timeout: 60_000 }, () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon();
  });
  after(async () => {
    await daemon?.stop();
  });

  // A script that uses the default instance and never calls close() must still
  // end by itself: an idle connection keeps no process alive.
  it('a script that never calls close() exits once its requests are answered', async () => {
    const index = fileURLToPath(new URL('../dist/esm/index.js', import.meta.url));
    const script = `
      import { sendToast, sseManager, getClientCount } from ${JSON.stringify(index)};
      const r = await sendToast(1, 'bye', 'info');
      console.log(JSON.stringify({ r, count: await getClientCount(), path: sseManager.client.socketPath }));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, RINGCAST_SOCKET: daemon.socketPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await within(new Promise((r) => child.on('exit', r)), 10_000, 'the script to exit by itself');
    assert.equal(code, 0, err);
    const result = JSON.parse(out);
    assert.deepEqual({ ...result.r, id: undefined }, { id: undefined, sent: 0, failed: 0 });
    seqOf(result.r.id);
    assert.equal(result.count, 0);
    assert.equal(result.path, daemon.socketPath);
  });
});
