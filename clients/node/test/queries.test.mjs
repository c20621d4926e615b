// The query and management operations against the real daemon, with real
// subscribers to count, look up and disconnect.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Ringcast } from '../dist/esm/index.js';
import { startDaemon } from './helpers/daemon.mjs';
import { Subscriber } from './helpers/sse.mjs';
import { within } from './helpers/wait.mjs';

describe('queries', { timeout: 60_000 }, () => {
  let daemon;
  let rc;
  let a;
  let b;

  before(async () => {
    daemon = await startDaemon();
    rc = new Ringcast({ socketPath: daemon.socketPath, timeout: 5000 });
    a = await Subscriber.open(daemon.port, ['q1', 'q2']);
    b = await Subscriber.open(daemon.port, ['q2']);
  });
  after(async () => {
    a?.close();
    b?.close();
    await rc?.close();
    await daemon?.stop();
  });

  it('ping answers the version and the clock', async () => {
    const p = await rc.ping();
    assert.match(p.version, /^\d+\.\d+\.\d+/);
    assert.ok(Math.abs(p.time - Date.now()) < 60_000);
  });

  it('getStats: totalConnections, uniqueUsers, connectionsByUser and the rest', async () => {
    const s = await rc.getStats();
    assert.equal(s.totalConnections, 2);
    assert.equal(s.uniqueUsers, 0); // anonymous connections
    assert.deepEqual(s.connectionsByUser, {});
    assert.equal(s.activeChannels, 2);
    assert.deepEqual(s.channels.q2, { connections: 2 });
    assert.equal(typeof s.uptime, 'number');
    assert.equal(typeof s.memoryUsage.rss, 'number');
  });

  it("getSystemStats: the seeds' shape, channels as an array", async () => {
    const s = await rc.getSystemStats();
    assert.equal(s.totalConnections, 2);
    assert.equal(s.activeChannels, 2);
    assert.deepEqual(
      [...s.channels].sort((x, y) => x.channel.localeCompare(y.channel)),
      [
        { channel: 'q1', activeConnections: 1 },
        { channel: 'q2', activeConnections: 2 },
      ],
    );
    assert.equal(typeof s.uptime, 'number');
    assert.equal(typeof s.memoryUsage.rss, 'number');
  });

  it('getStats: messagesPerMinute, busiestChannels, the bounded lists and memoryUsage', async () => {
    // A channel nobody else publishes to: its count is exact.
    for (let i = 0; i < 3; i++) await rc.broadcastToChannel('q-rate', 'tick', i);
    const s = await rc.getStats();
    assert.ok(s.messagesPerMinute >= 3, `messagesPerMinute ${s.messagesPerMinute}`);
    assert.deepEqual(
      s.busiestChannels.find((c) => c.channel === 'q-rate'),
      { channel: 'q-rate', messagesPerMinute: 3, connections: 0 },
    );
    assert.deepEqual(s.otherChannels, { channels: 0, messagesPerMinute: 0 });
    assert.deepEqual(s.otherUsers, { users: 0, connections: 0 });
    assert.ok(s.memoryUsage.rss > 0);
    assert.ok(s.memoryUsage.peakRss >= s.memoryUsage.rss);
    const system = await rc.getSystemStats();
    assert.equal(typeof system.messagesPerMinute, 'number');
    assert.ok(system.messagesPerMinute >= 3);
  });

  it('getClientCount counts open streams', async () => {
    assert.equal(await rc.getClientCount(), 2);
  });

  it('getConnectionInfo returns the connection, or undefined for an unknown id', async () => {
    const id = a.connected.connectionId;
    const c = await rc.getConnectionInfo(id);
    assert.equal(c.connectionId, id);
    assert.equal(c.userId, null);
    assert.equal(c.ip, '127.0.0.1');
    assert.equal(c.via, undefined);
    assert.deepEqual(Array.from(c.channels).sort(), ['q1', 'q2']);
    assert.equal(typeof c.connectedAt, 'number');
    assert.equal(typeof c.lastActivity, 'number');
    assert.equal(typeof c.queuedBytes, 'number');
    assert.ok(c.connectedAt <= Date.now());
    assert.equal(await rc.getConnectionInfo('c0-999999'), undefined);
    assert.equal(await rc.getConnectionInfo('no-such-thing'), undefined);
  });

  it('isUserConnected and getUserInfo: nobody is connected as a user yet', async () => {
    assert.equal(await rc.isUserConnected('123'), false);
    assert.equal(await rc.isUserConnected(123), false);
    assert.deepEqual(await rc.getUserInfo(123), { userId: '123', connected: false, connections: [] });
  });

  it('removeClient(userId) closes the user\'s connections (none here)', async () => {
    assert.deepEqual(await rc.removeClient('123'), { disconnected: 0 });
  });

  it('removeConnection closes that stream and the count follows', async () => {
    assert.deepEqual(await rc.removeConnection(b.connected.connectionId), { disconnected: 1 });
    await within(b.ended, 5000, 'the removed stream to end');
    assert.equal(await rc.getClientCount(), 1);
    assert.deepEqual(await rc.removeConnection(b.connected.connectionId), { disconnected: 0 });
    // The other stream is untouched.
    await rc.broadcastToChannel('q2', 'still-here', true);
    assert.equal((await a.nextNamed('still-here')).json(), true);
  });
});
