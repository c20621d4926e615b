// Every operation gives the same answer over the socket and over HTTP: the
// queries and management calls (GET /api/ping, /api/connections, /api/connections/{id},
// /api/users/{userId}, POST /api/disconnect, GET and PUT /api/log-level), batches (POST /api/publish with
// "messages"), and refusals with the socket's codes (a 400's reason). Streams
// carry HS256 tokens made with node:crypto (helpers/jwt.mjs), so users are real.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Ringcast, RingcastError } from '../dist/esm/index.js';
import { startDaemon } from './helpers/daemon.mjs';
import { apiKeyConfig, TEST_API_KEY } from './helpers/http.mjs';
import { hs256Config, mintHs256 } from './helpers/jwt.mjs';
import { Subscriber } from './helpers/sse.mjs';
import { within } from './helpers/wait.mjs';

describe('the same API over the socket and over HTTP', { timeout: 60_000 }, () => {
  let daemon;
  const transports = {};
  before(async () => {
    daemon = await startDaemon({ config: hs256Config() + apiKeyConfig() });
    transports.socket = new Ringcast({ socketPath: daemon.socketPath, timeout: 5000 });
    transports.http = new Ringcast({ url: `http://127.0.0.1:${daemon.port}`, apiKey: TEST_API_KEY, timeout: 5000 });
  });
  after(async () => {
    for (const rc of Object.values(transports)) await rc.close();
    await daemon?.stop();
  });

  for (const kind of ['socket', 'http']) {
    describe(`over ${kind}`, () => {
      const rc = () => transports[kind];

      it('ping: the version and the clock', async () => {
        const p = await rc().ping();
        assert.match(p.version, /^\d+\.\d+\.\d+/);
        assert.ok(Math.abs(p.time - Date.now()) < 60_000);
      });

      it('getLogLevel and setLogLevel: the level changes at once, a bad one is refused', async () => {
        assert.equal(await rc().getLogLevel(), 'info');
        assert.deepEqual(await rc().setLogLevel('debug'), { level: 'debug', was: 'info' });
        assert.equal(await rc().getLogLevel(), 'debug');
        await assert.rejects(rc().setLogLevel('loud'), { code: 'invalid_field', source: 'daemon' });
        assert.deepEqual(await rc().setLogLevel('info'), { level: 'info', was: 'debug' });
      });

      it('sendBatch: one result per message, a refused one does not stop the others', async () => {
        const sub = await Subscriber.open(daemon.port, ['batch']);
        const r = await rc().sendBatch([
          { channel: 'batch', event: 'a', data: 1 },
          { channel: 'batch', event: 'b', data: 2, priority: 99 },
          { channel: 'batch', event: 'c', data: 3 },
        ]);
        assert.equal(r.sent, 2);
        assert.deepEqual(
          r.results.map((x) => (x.ok ? 'ok' : x.error.code)),
          ['ok', 'invalid_field', 'ok'],
        );
        assert.equal((await sub.nextNamed('a')).data, '1');
        assert.equal((await sub.nextNamed('c')).data, '3');
        sub.close();
      });

      it('getConnectionInfo, getUserInfo, isUserConnected for a user with two tabs', async () => {
        const user = `u-${kind}/1`; // a "/" must stay inside its path segment
        const token = mintHs256({ sub: user });
        const tabs = [
          await Subscriber.open(daemon.port, ['x'], { token }),
          await Subscriber.open(daemon.port, ['x', 'y'], { token, tokenIn: 'cookie' }),
        ];
        // Live on their channels: a stream still catching up after `connected`
        // is listed without them (the daemon subscribes it once caught up).
        await rc().broadcastToChannel('x', 'fence', kind);
        for (const t of tabs) await t.nextNamed('fence');
        const info = await rc().getConnectionInfo(tabs[1].connected.connectionId);
        assert.equal(info.connectionId, tabs[1].connected.connectionId);
        assert.equal(info.userId, user);
        assert.deepEqual(info.channels, ['x', 'y']);
        assert.equal(await rc().getConnectionInfo('c0-987654321'), undefined);
        const u = await rc().getUserInfo(user);
        assert.equal(u.userId, user);
        assert.equal(u.connected, true);
        assert.deepEqual(u.connections.map((c) => c.connectionId).sort(), tabs.map((t) => t.connected.connectionId).sort());
        assert.equal(await rc().isUserConnected(user), true);
        assert.equal(await rc().isUserConnected('nobody'), false);
        assert.equal((await rc().sendToUser(user, 'hi', 1, { channel: 'x' })).sent, 2);

        assert.deepEqual(await rc().removeConnection(tabs[0].connected.connectionId), { disconnected: 1 });
        await within(tabs[0].ended, 5000, 'the removed tab to end');
        assert.deepEqual(await rc().removeClient(user), { disconnected: 1 });
        await within(tabs[1].ended, 5000, "the user's last tab to end");
        assert.equal(await rc().isUserConnected(user), false);
        assert.deepEqual(await rc().removeConnection('c0-987654321'), { disconnected: 0 });
      });

      it('a refused message: `invalid_field` from the daemon, whatever the transport', async () => {
        await assert.rejects(rc().sendMessage({ channel: 'a', event: 'b', data: 1, colour: 'red' }), (e) => {
          assert.ok(e instanceof RingcastError);
          assert.equal(e.code, 'invalid_field');
          assert.equal(e.source, 'daemon');
          assert.match(e.message, /colour/);
          return true;
        });
        await assert.rejects(rc().invalidateCache(null, null), { code: 'invalid_field', source: 'daemon' });
      });
    });
  }
});

// Its own daemon: the list holds every stream, so no other test's may come or go.
describe('listConnections: the same pages over the socket and over HTTP', { timeout: 60_000 }, () => {
  let daemon;
  let socket;
  let http;
  const subs = [];
  before(async () => {
    daemon = await startDaemon({ config: hs256Config() + apiKeyConfig() });
    socket = new Ringcast({ socketPath: daemon.socketPath, timeout: 5000 });
    http = new Ringcast({ url: `http://127.0.0.1:${daemon.port}`, apiKey: TEST_API_KEY, timeout: 5000 });
    subs.push(await Subscriber.open(daemon.port, ['l1']));
    subs.push(await Subscriber.open(daemon.port, ['l1', 'l2']));
    subs.push(await Subscriber.open(daemon.port, ['l2'], { token: mintHs256({ sub: 'list-user' }) }));
    subs.push(await Subscriber.open(daemon.port, ['l3']));
    // Live on their channels, so every description lists them.
    for (const ch of ['l1', 'l2', 'l3']) await socket.broadcastToChannel(ch, 'fence', 1);
    for (const s of subs) await s.nextNamed('fence');
  });
  after(async () => {
    for (const s of subs) s.close();
    await socket?.close();
    await http?.close();
    await daemon?.stop();
  });

  // lastActivity is read at the moment of asking; the rest must be equal.
  const steady = (page) => ({
    ...page,
    connections: page.connections.map(({ lastActivity, ...rest }) => (assert.equal(typeof lastActivity, 'number'), rest)),
  });

  it('one page: every stream, anonymous ones included, the same from both', async () => {
    const s = await socket.listConnections();
    const h = await http.listConnections();
    assert.deepEqual(steady(h), steady(s));
    assert.equal(s.total, subs.length);
    assert.equal(s.next, null);
    assert.deepEqual(
      s.connections.map((c) => c.connectionId).sort(),
      subs.map((x) => x.connected.connectionId).sort(),
    );
    assert.equal(s.connections.filter((c) => c.userId === null).length, 3);
    assert.equal(s.connections.filter((c) => c.userId === 'list-user').length, 1);
  });

  it('pages of 1 and 3 follow the cursor to the end, the same from both', async () => {
    const whole = (await socket.listConnections()).connections.map((c) => c.connectionId);
    for (const limit of [1, 3]) {
      const seen = [];
      let after;
      for (let pages = 0; pages < 10; ++pages) {
        const s = await socket.listConnections({ limit, after });
        const h = await http.listConnections({ limit, after });
        assert.deepEqual(steady(h), steady(s));
        assert.ok(s.connections.length <= limit);
        seen.push(...s.connections.map((c) => c.connectionId));
        if (s.next === null) break;
        after = s.next;
      }
      assert.deepEqual(seen, whole, `limit ${limit}`);
    }
  });

  it('a bad limit or cursor: invalid_field from the daemon, the same message from both', async () => {
    for (const options of [{ limit: 0 }, { limit: 1001 }, { after: 'nonsense' }]) {
      const messages = [];
      for (const rc of [socket, http]) {
        await assert.rejects(rc.listConnections(options), (e) => {
          assert.ok(e instanceof RingcastError);
          assert.equal(e.code, 'invalid_field');
          assert.equal(e.source, 'daemon');
          messages.push(e.message);
          return true;
        });
      }
      assert.match(messages[0], options.limit === undefined ? /"after"/ : /"limit"/);
      assert.equal(messages[1], messages[0]);
    }
  });
});
