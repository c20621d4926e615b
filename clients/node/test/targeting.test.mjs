// Targeted operations, through the real daemon, to streams that carry an
// identity. The daemon verifies HS256 tokens (helpers/jwt.mjs mints them with
// node:crypto), so each stream is who its token says:
//
//   admin       roles [admin]                  /api/admin/sse/stream  (Bearer header)
//   moderator   roles [moderator]              /api/admin/sse/stream  (?token=)
//   dashboard   permissions [dashboard.view]   /api/dashboard/sse     (cookie)
//   tab1, tab2  user "42" twice (two tabs)     /api/sse/stream, notifications/toasts/system
//               (tab2's token has the integer sub 42, sent as ?token=)
//   user7       user "7", permissions [reports.export]   same channels
//   subscriber  user "sub-1", subscriber: true           same channels
//   anonymous   no token                                 same channels
//
// Every operation is checked three ways:
//   - the exact request the client wrote (a recording proxy sits between the
//     client and the daemon's socket);
//   - the daemon's answer: `sent` is the number of streams it reached;
//   - what every stream received. After each operation a fence event goes to
//     every stream (one per channel group: admin-actions, live-updates,
//     system) and each stream is read up to its fence: a recipient must show
//     exactly the operation's events before it, every other stream nothing. The
//     daemon answers a publish only once every shard has queued it, so the
//     fence, published after the answer, is behind it on every stream: an
//     absence is proven by order, without sleeping.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { Ringcast, RingcastError } from '../dist/esm/index.js';
import { startDaemon } from './helpers/daemon.mjs';
import { hs256Config, mintHs256 } from './helpers/jwt.mjs';
import { Subscriber } from './helpers/sse.mjs';
import { recordingProxy } from './helpers/unix.mjs';
import { within } from './helpers/wait.mjs';

const ADMIN = '/api/admin/sse/stream';
const DASHBOARD = '/api/dashboard/sse';
const GENERAL = ['notifications', 'toasts', 'system'];
// Each stream is on exactly one of these, so a fence on each reaches every
// stream once.
const FENCE_CHANNELS = ['admin-actions', 'live-updates', 'system'];

const STREAMS = {
  admin: { claims: { sub: 'admin-1', roles: ['admin'] }, path: ADMIN },
  moderator: { claims: { sub: 'mod-1', roles: ['moderator'] }, path: ADMIN, tokenIn: 'query' },
  dashboard: { claims: { sub: 'viewer-1', permissions: ['dashboard.view'] }, path: DASHBOARD, tokenIn: 'cookie' },
  tab1: { claims: { sub: '42' }, channels: GENERAL },
  tab2: { claims: { sub: 42 }, channels: GENERAL, tokenIn: 'query' },
  user7: { claims: { sub: '7', permissions: ['reports.export'] }, channels: GENERAL },
  subscriber: { claims: { sub: 'sub-1', subscriber: true }, channels: GENERAL },
  anonymous: { channels: GENERAL },
};
const ON_SYSTEM = ['tab1', 'tab2', 'user7', 'subscriber', 'anonymous'];
const USER_42 = ['tab1', 'tab2'];

describe('targeted operations reach exactly the streams they name', { timeout: 60_000 }, () => {
  let daemon;
  let proxy;
  let rc;
  /** name -> Subscriber, for the streams still open */
  const streams = {};
  let fences = 0;

  before(async () => {
    daemon = await startDaemon({ config: hs256Config() });
    proxy = await recordingProxy(daemon.socketPath);
    rc = new Ringcast({ socketPath: proxy.path, timeout: 5000 });
    for (const [name, { claims, path, channels, tokenIn }] of Object.entries(STREAMS)) {
      const token = claims && mintHs256(claims);
      streams[name] = await Subscriber.open(daemon.port, channels, { path, token, tokenIn });
    }
  });
  // A test that failed half-way may leave events unread; the next test starts
  // behind a fresh fence.
  afterEach(async () => {
    if (Object.keys(streams).length > 0) await fence();
  });
  after(async () => {
    for (const s of Object.values(streams)) s.close();
    await rc?.close();
    proxy?.close();
    await daemon?.stop();
  });

  // The last request the client wrote, without the transport's own members.
  function wire() {
    const { op, req, ...message } = proxy.last('publish');
    assert.equal(op, 'publish');
    assert.equal(typeof req, 'number');
    return message;
  }

  // Publishes a fence to every open stream and resolves with what each one
  // received before it: name -> [{event, id, data}] (heartbeats left out).
  async function fence() {
    const seq = ++fences;
    const batch = await rc.sendBatch(FENCE_CHANNELS.map((channel) => ({ channel, event: 'fence', data: { seq }, target: 'all' })));
    assert.equal(batch.sent, Object.keys(streams).length, 'every open stream gets one fence');
    const got = {};
    await Promise.all(
      Object.entries(streams).map(async ([name, s]) => {
        const before = await s.until((e) => e.event === 'fence' && e.json().seq === seq);
        got[name] = before.filter((e) => e.event !== 'heartbeat').map((e) => ({ event: e.event, id: e.id, data: e.json() }));
      }),
    );
    return got;
  }

  // Asserts the answer (`sent` = the recipients' event count, nothing failed)
  // and that since the last fence each recipient received exactly `events` and
  // every other stream nothing.
  async function expectOnly(result, recipients, events) {
    const label = `${recipients.join(', ') || 'nobody'} ← ${events.map((e) => e.event).join(', ')}`;
    assert.equal(result.sent, recipients.length * events.length, `sent: ${label}`);
    assert.equal(result.failed, 0, label);
    const got = await fence();
    const want = Object.fromEntries(Object.keys(streams).map((name) => [name, recipients.includes(name) ? events : []]));
    assert.deepEqual(got, want, label);
  }

  // The event a single publish delivers: its name, the id the daemon answered,
  // the data the client wrote.
  function delivered(result, message = wire()) {
    return { event: message.event, id: result.id, data: message.data };
  }

  it('every stream carries the identity its token proves, on the channels its endpoint gives', () => {
    const seen = Object.fromEntries(Object.entries(streams).map(([n, s]) => [n, [s.connected.userId, s.connected.channels]]));
    assert.deepEqual(seen, {
      admin: ['admin-1', ['admin-actions']],
      moderator: ['mod-1', ['admin-actions']],
      dashboard: ['viewer-1', ['live-updates']],
      tab1: ['42', GENERAL],
      tab2: ['42', GENERAL], // an integer sub is the user's decimal text
      user7: ['7', GENERAL],
      subscriber: ['sub-1', GENERAL],
      anonymous: [null, GENERAL],
    });
  });

  it('notifyAdmins(event, data): role "admin" only; the moderator on the same channel is passed by', async () => {
    const data = { type: 'alert-updated', alertId: 5, action: 'updated' };
    const r = await rc.notifyAdmins('update', data);
    assert.deepEqual(wire(), { channel: 'admin-actions', event: 'update', data, target: 'role-based', targetRoles: ['admin'] });
    assert.equal(r.sent, 1);
    await expectOnly(r, ['admin'], [delivered(r)]);

    // The moderator's absence is its role, not its channel.
    const all = await rc.broadcastToChannel('admin-actions', 'update', data);
    await expectOnly(all, ['admin', 'moderator'], [delivered(all)]);
    const both = await rc.sendMessage({ channel: 'admin-actions', event: 'update', data, target: 'role-based', targetRoles: ['admin', 'moderator'] });
    await expectOnly(both, ['admin', 'moderator'], [delivered(both)]);
  });

  it("sendToast(userId, message, type, options): both of 42's tabs, {message, type, duration, dismissible}", async () => {
    const r = await rc.sendToast('42', 'Quota updated successfully', 'success');
    const data = { message: 'Quota updated successfully', type: 'success', duration: 5000, dismissible: true };
    assert.deepEqual(wire(), { channel: 'toasts', event: 'toast', data, target: 'user-specific', targetUsers: ['42'] });
    assert.equal(r.sent, 2);
    await expectOnly(r, USER_42, [{ event: 'toast', id: r.id, data }]);

    const e = await rc.sendToast(42, 'Payment failed', 'error', { duration: 10000, dismissible: false });
    assert.deepEqual(wire().data, { message: 'Payment failed', type: 'error', duration: 10000, dismissible: false });
    await expectOnly(e, USER_42, [delivered(e)]);

    const d = await rc.sendToast('7', 'Hello');
    assert.deepEqual(wire().data, { message: 'Hello', type: 'info', duration: 5000, dismissible: true });
    await expectOnly(d, ['user7'], [delivered(d)]);
  });

  it('sendToUser(userId, event, data): that user on "notifications", integer or string id', async () => {
    const data = { orderId: 'A-1', status: 'shipped' };
    const r = await rc.sendToUser(42, 'order-update', data);
    assert.deepEqual(wire(), { channel: 'notifications', event: 'order-update', data, target: 'user-specific', targetUsers: [42] });
    await expectOnly(r, USER_42, [delivered(r)]);

    const s = await rc.sendToUser('7', 'order-update', data);
    await expectOnly(s, ['user7'], [delivered(s)]);

    // Options are kept; the audience stays the operation's.
    const o = await rc.sendToUser(7, 'chat-message', { message: 'hi' }, { channel: 'system', priority: 9, ttl: 30 });
    assert.deepEqual(wire(), {
      priority: 9,
      ttl: 30,
      channel: 'system',
      event: 'chat-message',
      data: { message: 'hi' },
      target: 'user-specific',
      targetUsers: [7],
    });
    await expectOnly(o, ['user7'], [delivered(o)]);
  });

  it('sendToUser reaches nobody for a user not connected, or not on the channel', async () => {
    await expectOnly(await rc.sendToUser(99, 'order-update', { x: 1 }), [], []);
    // admin-1 is connected, but only to admin-actions.
    await expectOnly(await rc.sendToUser('admin-1', 'order-update', { x: 1 }, { channel: 'system' }), [], []);
  });

  it('sendToUsers([42, 7], channel, event, data): both users, each stream once', async () => {
    const data = { title: 'Personal Alert', alert_type: 'info' };
    const r = await rc.sendToUsers([42, 7], 'notifications', 'alert', data);
    assert.deepEqual(wire(), { channel: 'notifications', event: 'alert', data, target: 'user-specific', targetUsers: [42, 7] });
    await expectOnly(r, [...USER_42, 'user7'], [delivered(r)]);

    // 42 and "42" are the same user: its tabs get one copy each.
    const d = await rc.sendToUsers([42, '42', '7'], 'system', 'alert', data);
    await expectOnly(d, [...USER_42, 'user7'], [delivered(d)]);
  });

  it('notifications.success/error/info/warning(userId, message, title?): that user', async () => {
    for (const type of ['success', 'error', 'info', 'warning']) {
      const before = Date.now();
      const r = await rc.notifications[type](7, `${type} message`, `${type} title`);
      const m = wire();
      assert.ok(m.data.timestamp >= before && m.data.timestamp <= Date.now());
      assert.deepEqual(m, {
        channel: 'notifications',
        event: 'notification',
        data: { type, title: `${type} title`, message: `${type} message`, timestamp: m.data.timestamp },
        target: 'user-specific',
        targetUsers: [7],
      });
      await expectOnly(r, ['user7'], [delivered(r, m)]);
    }
    const n = await rc.notifications.success('42', 'no title');
    assert.equal('title' in wire().data, false);
    await expectOnly(n, USER_42, [delivered(n)]);
  });

  it('sendUserNotification / sendUserSystemEvent: that user, the seed payloads', async () => {
    const r = await rc.sendUserNotification('42', { type: 'info', title: 'Custom', message: 'Body', data: { customField: 'value' } });
    assert.deepEqual(wire().data, { type: 'info', title: 'Custom', message: 'Body', data: { customField: 'value' }, timestamp: wire().data.timestamp });
    await expectOnly(r, USER_42, [delivered(r)]);

    const data = { profileId: '123', changes: ['name', 'email'] };
    const s = await rc.sendUserSystemEvent(7, { event: 'user_profile_updated', data });
    const m = wire();
    assert.deepEqual(m, {
      channel: 'system',
      event: 'system',
      data: { event: 'user_profile_updated', data, timestamp: m.data.timestamp },
      target: 'user-specific',
      targetUsers: [7],
    });
    await expectOnly(s, ['user7'], [delivered(s, m)]);
  });

  it('sendMessage: subscribers, authenticated, permission-based, role-based, excludeUsers, requireAuth', async () => {
    const cases = [
      [{ target: 'subscribers' }, ['subscriber']],
      [{ target: 'subscribers', excludeUsers: ['sub-1'] }, []],
      [{ target: 'authenticated' }, ['tab1', 'tab2', 'user7', 'subscriber']],
      [{ target: 'authenticated', excludeUsers: [42], priority: 8, persistent: true }, ['user7', 'subscriber']],
      [{ target: 'permission-based', targetPermissions: ['reports.export'] }, ['user7']],
      [{ target: 'permission-based', targetPermissions: ['reports.export', 'nobody.has.this'] }, ['user7']],
      // dashboard.view is held, but not by a stream on this channel.
      [{ target: 'permission-based', targetPermissions: ['dashboard.view'] }, []],
      [{ target: 'role-based', targetRoles: ['admin'] }, []],
      [{ target: 'all', excludeUsers: ['7', 'sub-1'] }, ['tab1', 'tab2', 'anonymous']],
      [{ target: 'all', requireAuth: true }, ['tab1', 'tab2', 'user7', 'subscriber']],
      [{ target: 'all', requireAuth: true, excludeUsers: [42] }, ['user7', 'subscriber']],
      [{ target: 'user-specific', targetUsers: [42, 7], excludeUsers: [7] }, USER_42],
      [{ targetUsers: ['7', 'sub-1'], requireAuth: true }, ['user7', 'subscriber']], // the target follows from the list
    ];
    for (const [targeting, recipients] of cases) {
      const message = { channel: 'system', event: 'alert', data: { message: JSON.stringify(targeting) }, ...targeting };
      const r = await rc.sendMessage(message);
      assert.deepEqual(wire(), message);
      await expectOnly(r, recipients, [delivered(r, message)]);
    }

    // Permission-based on the dashboard's channel.
    const p = await rc.sendMessage({ channel: 'live-updates', event: 'stats', data: { n: 1 }, target: 'permission-based', targetPermissions: ['dashboard.view'] });
    await expectOnly(p, ['dashboard'], [delivered(p)]);
  });

  it("invalidateClientCaches(channels, ['42']): 42's cache cleared, then a refresh to 42 only, per channel", async () => {
    const r = await rc.invalidateClientCaches(['notifications'], ['42']);
    const inv = proxy.last('invalidate');
    assert.deepEqual(inv, { op: 'invalidate', req: inv.req, channels: ['notifications'], users: ['42'] });
    const batch = proxy.last('publish');
    assert.ok(proxy.requests.indexOf(inv) < proxy.requests.indexOf(batch), 'the cache is cleared first');
    assert.equal(r.removed, 0);
    assert.deepEqual(Object.keys(batch).sort(), ['messages', 'op', 'req']);
    const [m] = batch.messages;
    assert.deepEqual(m, {
      channel: 'notifications',
      event: 'refresh',
      data: { reason: 'cache_invalidated', channel: 'notifications', timestamp: m.data.timestamp },
      target: 'user-specific',
      targetUsers: ['42'],
    });
    await expectOnly(r, USER_42, [{ event: 'refresh', id: r.results[0].id, data: m.data }]);

    const two = await rc.invalidateClientCaches(['notifications', 'system'], [42, 7]);
    const ms = proxy.last('publish').messages;
    assert.deepEqual(
      ms.map((x) => [x.channel, x.target, x.targetUsers, x.data.channel]),
      [
        ['notifications', 'user-specific', [42, 7], 'notifications'],
        ['system', 'user-specific', [42, 7], 'system'],
      ],
    );
    const events = ms.map((x, i) => ({ event: 'refresh', id: two.results[i].id, data: x.data }));
    await expectOnly(two, [...USER_42, 'user7'], events);

    const all = await rc.invalidateClientCaches(['system'], null);
    assert.deepEqual(proxy.last('invalidate').channels, ['system']);
    assert.equal('users' in proxy.last('invalidate'), false);
    assert.equal(proxy.last('publish').messages[0].target, 'all');
    await expectOnly(all, ON_SYSTEM, [{ event: 'refresh', id: all.results[0].id, data: proxy.last('publish').messages[0].data }]);
  });

  it('broadcastToChannel / broadcast / triggerRefresh: everyone on the channel, the anonymous stream too', async () => {
    const data = { message: 'Maintenance at 22:00' };
    const r = await rc.broadcastToChannel('system', 'maintenance', data);
    assert.deepEqual(wire(), { channel: 'system', event: 'maintenance', data, target: 'all' });
    await expectOnly(r, ON_SYSTEM, [delivered(r)]);

    const b = await rc.broadcast('announcement', { v: 2 });
    await expectOnly(b, ON_SYSTEM, [delivered(b)]);

    const n = await rc.broadcasts.warning('Please save your work', 'System Alert');
    await expectOnly(n, ON_SYSTEM, [delivered(n)]);

    const t = await rc.triggerRefresh('stats');
    assert.deepEqual(wire(), { channel: 'live-updates', event: 'refresh', data: { key: 'stats', reason: 'manual', timestamp: wire().data.timestamp }, target: 'all' });
    await expectOnly(t, ['dashboard'], [delivered(t)]);
  });

  it("the daemon's validation errors surface as RingcastError", async () => {
    await assert.rejects(rc.sendToUsers([], 'alerts', 'alert', {}), (e) => {
      assert.ok(e instanceof RingcastError);
      assert.equal(e.code, 'invalid_field');
      assert.equal(e.source, 'daemon');
      assert.match(e.message, /needs a non-empty "targetUsers"/);
      return true;
    });
    await assert.rejects(rc.sendToUser('', 'x', 1), { code: 'invalid_field', message: /"targetUsers" holds something/ });
    await assert.rejects(rc.sendMessage({ channel: 'a', event: 'x', data: 1, target: 'everyone' }), {
      code: 'invalid_field',
      message: /"target" must be one of/,
    });
    await assert.rejects(
      rc.sendMessage({ channel: 'a', event: 'x', data: 1, targetRoles: ['admin'], targetUsers: [1] }),
      { code: 'invalid_field', message: /give "target"/ },
    );
    // The cache is cleared first: its refusal names the channel, and no refresh goes out.
    await assert.rejects(rc.invalidateClientCaches(['alerts', 'not a channel'], null), {
      code: 'invalid_field',
      message: /invalidateClientCaches: clearing the cache: "channels": "not a channel"/,
    });
    await assert.rejects(rc.notifyAdmins('update', undefined), { code: 'invalid_field', message: /"data" is required/ });
    // Nothing refused reached anyone.
    await expectOnly({ sent: 0, failed: 0 }, [], []);
  });

  it('isUserConnected / getUserInfo / removeClient follow the identities', async () => {
    assert.equal(await rc.isUserConnected(42), true);
    assert.equal(await rc.isUserConnected('sub-1'), true);
    assert.equal(await rc.isUserConnected(99), false);
    const info = await rc.getUserInfo(42);
    assert.equal(info.userId, '42');
    assert.equal(info.connected, true);
    assert.deepEqual(
      info.connections.map((c) => c.connectionId).sort(),
      [streams.tab1.connected.connectionId, streams.tab2.connected.connectionId].sort(),
    );

    assert.deepEqual(await rc.removeClient('42'), { disconnected: 2 });
    await within(Promise.all([streams.tab1.ended, streams.tab2.ended]), 5000, "42's streams to end");
    delete streams.tab1;
    delete streams.tab2;
    assert.equal(await rc.isUserConnected(42), false);
    // Everyone else is still there and gets what is meant for them.
    const r = await rc.sendToUsers([42, 7], 'system', 'alert', { after: 'removal' });
    await expectOnly(r, ['user7'], [delivered(r)]);
  });
});
