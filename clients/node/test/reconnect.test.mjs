// Reconnection through real daemon restarts: the client notices the daemon
// going away, holds what is asked meanwhile, and delivers it to the daemon
// that comes back on the same socket path.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { Ringcast } from '../dist/esm/index.js';
import { startDaemon, tempDir } from './helpers/daemon.mjs';
import { seqOf } from './helpers/ids.mjs';
import { Subscriber } from './helpers/sse.mjs';
import { nextEvent, within } from './helpers/wait.mjs';

describe('reconnect', { timeout: 90_000 }, () => {
  const dir = tempDir();
  const socketPath = join(dir, 'ringcast.sock');
  const daemons = [];
  const clients = [];
  const start = async () => {
    const d = await startDaemon({ socketPath });
    daemons.push(d);
    return d;
  };
  after(async () => {
    for (const c of clients) await c.close();
    for (const d of daemons) await d.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a request made while the daemon restarts waits and is delivered by the new daemon', async () => {
    const first = await start();
    const rc = new Ringcast({ socketPath, timeout: 20_000, reconnectDelay: 20, maxReconnectDelay: 200 });
    clients.push(rc);
    assert.equal(seqOf((await rc.broadcastToChannel('r', 'before', 1)).id), 1);
    assert.equal(rc.client.state, 'connected');

    const lost = nextEvent(rc.client, 'disconnect', 20_000);
    await first.stop();
    await lost;
    assert.notEqual(rc.client.state, 'connected');

    // Asked while no daemon is there: queued, not failed, and sent in call order.
    const during = Promise.all([0, 1, 2].map((n) => rc.broadcastToChannel('r', 'during', { n })));
    const reconnected = nextEvent(rc.client, 'connect', 20_000);

    const second = await start();
    const sub = await Subscriber.open(second.port, ['r']);
    await reconnected;
    // The queued publish may reach the new daemon before the subscriber did:
    // publish once more to see delivery end to end.
    const queued = await within(during, 20_000, 'the queued publishes');
    // In call order: consecutive numbers of the new daemon.
    const seq = seqOf(queued[0].id);
    assert.deepEqual(
      queued.map((r) => [seqOf(r.id), r.failed]),
      [
        [seq, 0],
        [seq + 1, 0],
        [seq + 2, 0],
      ],
    );
    const later = await rc.broadcastToChannel('r', 'after', { n: 3 });
    assert.equal(later.sent, 1);
    assert.deepEqual((await sub.nextNamed('after')).json(), { n: 3 });
    sub.close();
  });

  it('a client that never reached its daemon fails at once; once it has, a missing daemon is waited for', async () => {
    for (const d of daemons.splice(0)) await d.stop();
    const rc = new Ringcast({ socketPath, timeout: 20_000, reconnectDelay: 20, maxReconnectDelay: 200 });
    clients.push(rc);
    // No daemon yet: a configuration problem as far as this client knows.
    const started = Date.now();
    await assert.rejects(rc.ping(), (e) => {
      assert.equal(e.code, 'unreachable');
      assert.equal(e.source, 'client');
      assert.ok(e.message.includes(socketPath), e.message);
      assert.match(e.message, /RINGCAST_SOCKET/);
      assert.equal(e.cause?.code, 'ENOENT');
      return true;
    });
    assert.ok(Date.now() - started < 2000, 'failed at once, not at the 20 s deadline');
    assert.equal(rc.client.state, 'idle');

    const d = await start();
    const sub = await Subscriber.open(d.port, ['late']);
    assert.equal(typeof (await rc.ping()).version, 'string'); // the next call tries again
    assert.equal((await rc.broadcastToChannel('late', 'hello', 'world')).sent, 1);
    assert.equal((await sub.nextNamed('hello')).json(), 'world');
    sub.close();

    // Connected once: the same ENOENT now means a restart, and requests wait.
    const attempts = [];
    rc.client.on('reconnecting', (info) => attempts.push(info));
    const lost = nextEvent(rc.client, 'disconnect', 20_000);
    daemons.splice(daemons.indexOf(d), 1);
    await d.stop();
    await lost;
    const waiting = rc.ping();
    await nextEvent(rc.client, 'reconnecting', 5000); // it tried, and will again
    assert.match(String(attempts.at(-1).error?.message), /ENOENT|ECONNREFUSED/);
    await start();
    assert.equal(typeof (await within(waiting, 20_000, 'the waiting ping')).version, 'string');
    // Jitter never takes a delay past the cap.
    assert.ok(attempts.every((a) => a.delay <= 200));
  });
});
