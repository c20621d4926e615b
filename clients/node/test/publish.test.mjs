// Publishing through the real daemon, seen by real SSE subscribers: the events
// arrive with the channel, event, id and data the call named, and the call
// resolves with the daemon's {id, sent, failed}.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { Ringcast, RingcastError } from '../dist/esm/index.js';
import { startDaemon } from './helpers/daemon.mjs';
import { seqOf } from './helpers/ids.mjs';
import { Subscriber } from './helpers/sse.mjs';
import { nextEvent, within } from './helpers/wait.mjs';

describe('publishing to subscribers', { timeout: 60_000 }, () => {
  let daemon;
  let rc;
  const subscribers = [];
  const subscribe = async (channels, options) => {
    const s = await Subscriber.open(daemon.port, channels, options);
    subscribers.push(s);
    return s;
  };

  before(async () => {
    daemon = await startDaemon();
    rc = new Ringcast({ socketPath: daemon.socketPath, timeout: 5000 });
  });
  // Each test starts with no subscribers: the daemon closes them, and the
  // stream's end says it is done with them.
  afterEach(async () => {
    for (const s of subscribers.splice(0)) {
      await rc.removeConnection(s.connected.connectionId);
      await within(s.ended, 5000, 'the removed stream to end');
    }
  });
  after(async () => {
    await rc?.close();
    await daemon?.stop();
  });

  it('broadcastToChannel delivers event, data and id to the channel only', async () => {
    const news = await subscribe(['news']);
    const other = await subscribe(['other']);
    const result = await rc.broadcastToChannel('news', 'update', { title: 'System Update', n: 1 });
    assert.deepEqual({ ...result, id: undefined }, { id: undefined, sent: 1, failed: 0 });
    seqOf(result.id);
    const e = await news.nextNamed('update');
    assert.deepEqual(e.json(), { title: 'System Update', n: 1 });
    assert.equal(e.id, result.id);
    // "other" got nothing: a marker published after arrives first.
    await rc.broadcastToChannel('other', 'marker', 1);
    assert.equal((await other.next((x) => x.event !== 'heartbeat')).event, 'marker');
  });

  it('broadcast(event, data) goes to "system", which a stream with default channels receives', async () => {
    const defaults = await subscribe(undefined);
    assert.ok(defaults.connected.channels.includes('system'));
    const result = await rc.broadcast('maintenance', { planned: true, duration: '30min' });
    assert.equal(result.sent, 1);
    const e = await defaults.nextNamed('maintenance');
    assert.deepEqual(e.json(), { planned: true, duration: '30min' });
  });

  it('broadcast with options.channel publishes there', async () => {
    const s = await subscribe(['ops']);
    assert.equal((await rc.broadcast('deploy', 'v2', { channel: 'ops' })).sent, 1);
    assert.equal((await s.nextNamed('deploy')).json(), 'v2');
  });

  it('sendMessage passes every field the daemon knows; target "all" reaches anonymous subscribers', async () => {
    const s = await subscribe(['alerts']);
    const result = await rc.sendMessage({
      id: 'alert-7',
      channel: 'alerts',
      event: 'alert',
      data: { title: 'Important announcement', lines: 'one\ntwo' },
      timestamp: Date.now(),
      target: 'all',
      excludeUsers: [123, '456'],
      requireAuth: false,
      priority: 8,
      ttl: 60,
      persistent: true,
      retryable: false,
    });
    assert.deepEqual(result, { id: 'alert-7', sent: 1, failed: 0 });
    const e = await s.nextNamed('alert');
    assert.equal(e.id, 'alert-7');
    assert.deepEqual(e.json(), { title: 'Important announcement', lines: 'one\ntwo' });
  });

  it('sendToast, triggerRefresh, broadcasts.* and broadcastSystemEvent arrive as the seeds describe', async () => {
    // admin-actions and live-updates are closed to anonymous streams ([[channel]] rules).
    const { token } = await rc.createStreamToken('admin-1', { roles: ['admin'], permissions: ['dashboard.view'] });
    const s = await subscribe(['notifications', 'system', 'live-updates', 'admin-actions'], { token });
    await rc.triggerRefresh('user-list', { channel: 'admin-actions', reason: 'user_status_update' });
    const refresh = await s.nextNamed('refresh');
    assert.equal(refresh.json().key, 'user-list');
    assert.equal(refresh.json().reason, 'user_status_update');
    assert.equal(typeof refresh.json().timestamp, 'number');

    await rc.triggerRefresh('dashboard');
    assert.deepEqual((await s.nextNamed('refresh')).json().key, 'dashboard'); // on live-updates

    assert.equal((await rc.broadcasts.warning('Please save your work', 'System Alert')).sent, 1);
    const n = (await s.nextNamed('notification')).json();
    assert.equal(n.type, 'warning');
    assert.equal(n.title, 'System Alert');
    assert.equal(n.message, 'Please save your work');

    assert.equal((await rc.broadcastSystemEvent({ event: 'server_maintenance', data: { duration: '30min' } })).sent, 1);
    const sys = (await s.nextNamed('system')).json();
    assert.equal(sys.event, 'server_maintenance');
    assert.deepEqual(sys.data, { duration: '30min' });
  });

  it('sendBatch publishes each message in order and reports each result; a refused one stops nothing', async () => {
    const s = await subscribe(['batch']);
    const batch = await rc.sendBatch([
      { channel: 'batch', event: 'step', data: 1 },
      { channel: 'batch', event: 'step', data: 2, priority: 11 },
      { channel: 'batch', event: 'step', data: 3 },
    ]);
    assert.equal(batch.sent, 2);
    assert.equal(batch.failed, 0);
    const first = batch.results[0];
    assert.deepEqual({ ...first, id: undefined }, { ok: true, id: undefined, sent: 1, failed: 0 });
    assert.equal(batch.results[1].ok, false);
    assert.equal(batch.results[1].error.code, 'invalid_field');
    assert.match(batch.results[1].error.message, /priority/);
    const third = batch.results[2];
    assert.deepEqual({ ...third, id: undefined }, { ok: true, id: undefined, sent: 1, failed: 0 });
    // The refused message took no number: the two accepted ones are consecutive.
    assert.equal(seqOf(third.id), seqOf(first.id) + 1);
    assert.equal((await s.nextNamed('step')).json(), 1);
    assert.equal((await s.nextNamed('step')).json(), 3);
  });

  it('publishNoReply (fire-and-forget) delivers without a reply; a refused one is reported with its line', async () => {
    const s = await subscribe(['fire']);
    rc.publishNoReply({ channel: 'fire', event: 'forget', data: { n: 1 } });
    rc.publishNoReply([
      { channel: 'fire', event: 'forget', data: { n: 2 } },
      { channel: 'fire', event: 'forget', data: { n: 3 } },
    ]);
    assert.deepEqual((await s.nextNamed('forget')).json(), { n: 1 });
    assert.deepEqual((await s.nextNamed('forget')).json(), { n: 2 });
    assert.deepEqual((await s.nextNamed('forget')).json(), { n: 3 });

    const reported = nextEvent(rc.client, 'publishError');
    rc.publishNoReply({ channel: 'fire', event: 'forget' }); // no data
    const [error] = await reported;
    assert.ok(error instanceof RingcastError);
    assert.equal(error.code, 'invalid_field');
    assert.equal(error.source, 'daemon');
    assert.equal(typeof error.line, 'number');
    assert.match(error.message, /"data" is required/);
    // The connection is still good.
    assert.equal((await rc.ping()).version.length > 0, true);
  });

  it('the daemon refusing a message surfaces as RingcastError with its code and message', async () => {
    await assert.rejects(rc.sendMessage({ channel: 'bad channel!', event: 'x', data: 1 }), (e) => {
      assert.ok(e instanceof RingcastError);
      assert.equal(e.code, 'invalid_field');
      assert.equal(e.source, 'daemon');
      assert.equal(e.op, 'publish');
      assert.match(e.message, /"channel" must be a string matching/);
      return true;
    });
    await assert.rejects(rc.sendMessage({ channel: 'a', event: 'x', data: 1, priority: 11 }), {
      name: 'RingcastError',
      code: 'invalid_field',
      message: '"priority" must be an integer from 0 to 10',
    });
    await assert.rejects(rc.sendMessage({ channel: 'a', event: 'x', data: 1, colour: 'red' }), {
      code: 'invalid_field',
      message: /unknown field "colour"/,
    });
    await assert.rejects(rc.client.request('frobnicate'), { code: 'unknown_op', source: 'daemon' });
  });

  it('a publishing call nobody awaits does not become an unhandled rejection', async () => {
    let unhandled = 0;
    const count = () => unhandled++;
    process.on('unhandledRejection', count);
    try {
      rc.sendToUser('u1', 'notification', undefined); // refused: data is required
      await rc.ping(); // its reply comes after the refusal
      await new Promise((r) => setImmediate(r));
      assert.equal(unhandled, 0);
    } finally {
      process.off('unhandledRejection', count);
    }
  });
});
