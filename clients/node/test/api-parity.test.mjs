// Every operation gives the same answer over the socket and over HTTP: the
// queries and management calls (GET /api/ping, /api/connections/{id},
// /api/users/{userId}, POST /api/disconnect), batches (POST /api/publish with
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
