// Targeted operations. Connections are anonymous in this release, so a message
// for users or roles reaches none of them (sent: 0), which is itself the check
// that the daemon read the targeting. A proxy between client and daemon records
// the exact request on the wire; the same message republished with target
// "all" shows what a targeted subscriber would receive.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { Ringcast, RingcastError } from '../dist/index.js';
import { startDaemon } from './helpers/daemon.mjs';
import { Subscriber } from './helpers/sse.mjs';
import { recordingProxy } from './helpers/unix.mjs';
import { within } from './helpers/wait.mjs';

const SEED_CHANNELS = ['notifications', 'toasts', 'admin-actions', 'system', 'alerts', 'live-updates', 'chat'];

describe('targeted operations', { timeout: 60_000 }, () => {
  let daemon;
  let proxy;
  let rc;
  let sub;

  before(async () => {
    daemon = await startDaemon();
    proxy = await recordingProxy(daemon.socketPath);
    rc = new Ringcast({ socketPath: proxy.path, timeout: 5000 });
  });
  afterEach(async () => {
    if (!sub) return;
    await rc.removeConnection(sub.connected.connectionId);
    await within(sub.ended, 5000, 'the removed stream to end');
    sub = undefined;
  });
  after(async () => {
    await rc?.close();
    proxy?.close();
    await daemon?.stop();
  });

  // The request the client wrote, without the transport's own members.
  function wire() {
    const { op, req, ...message } = proxy.last('publish');
    assert.equal(op, 'publish');
    assert.equal(typeof req, 'number');
    return message;
  }

  // Republishes `message` to everyone on its channel and returns what the
  // anonymous subscriber receives: the content a targeted recipient would get.
  async function contentOf(message) {
    const { target, targetUsers, targetRoles, targetPermissions, ...rest } = message;
    const result = await rc.sendMessage({ ...rest, target: 'all' });
    assert.equal(result.sent, 1);
    const e = await sub.next((x) => x.event !== 'heartbeat');
    return { channel: message.channel, event: e.event, data: e.json() };
  }

  async function subscribeAll() {
    sub = await Subscriber.open(daemon.port, SEED_CHANNELS);
  }

  it('sendToUser(userId, event, data): user-specific on "notifications"', async () => {
    await subscribeAll();
    const data = { orderId: 'A-1', status: 'shipped' };
    assert.deepEqual(await rc.sendToUser('user123', 'order-update', data), { id: '1', sent: 0, failed: 0 });
    const m = wire();
    assert.deepEqual(m, {
      channel: 'notifications',
      event: 'order-update',
      data,
      target: 'user-specific',
      targetUsers: ['user123'],
    });
    assert.deepEqual(await contentOf(m), { channel: 'notifications', event: 'order-update', data });
  });

  it('sendToUser with options: another channel, message options kept, audience fixed', async () => {
    await rc.sendToUser(7, 'chat-message', { message: 'hi' }, { channel: 'chat', priority: 9, ttl: 30 });
    assert.deepEqual(wire(), {
      priority: 9,
      ttl: 30,
      channel: 'chat',
      event: 'chat-message',
      data: { message: 'hi' },
      target: 'user-specific',
      targetUsers: [7],
    });
  });

  it('sendToUsers([ids], channel, event, data)', async () => {
    await subscribeAll();
    const data = { title: 'Personal Alert', alert_type: 'info' };
    const result = await rc.sendToUsers([123, 456], 'alerts', 'alert', data);
    assert.equal(result.sent, 0);
    const m = wire();
    assert.deepEqual(m, { channel: 'alerts', event: 'alert', data, target: 'user-specific', targetUsers: [123, 456] });
    assert.deepEqual(await contentOf(m), { channel: 'alerts', event: 'alert', data });
  });

  it('sendMessage with role, permission and authenticated targets reaches no anonymous subscriber', async () => {
    await subscribeAll();
    for (const targeting of [
      { target: 'role-based', targetRoles: ['admin', 'moderator'] },
      { target: 'permission-based', targetPermissions: ['dashboard.view'] },
      { target: 'authenticated', excludeUsers: [123, 456], priority: 8, persistent: true },
      { target: 'subscribers' },
      { target: 'all', requireAuth: true },
      { targetUsers: [456, 789] }, // the target follows from the one list given
    ]) {
      const message = { channel: 'alerts', event: 'alert', data: { message: 'x' }, ...targeting };
      const result = await rc.sendMessage(message);
      assert.equal(result.sent, 0, JSON.stringify(targeting));
      assert.deepEqual(wire(), message);
    }
  });

  it('notifyAdmins(event, data): role "admin" on "admin-actions"', async () => {
    await subscribeAll();
    const data = { type: 'alert-updated', alertId: 5, action: 'updated' };
    assert.equal((await rc.notifyAdmins('update', data)).sent, 0);
    const m = wire();
    assert.deepEqual(m, { channel: 'admin-actions', event: 'update', data, target: 'role-based', targetRoles: ['admin'] });
    assert.deepEqual(await contentOf(m), { channel: 'admin-actions', event: 'update', data });
  });

  it('sendToast(userId, message, type, {duration, dismissible}): "toast" on "toasts"', async () => {
    await subscribeAll();
    assert.equal((await rc.sendToast(42, 'Quota updated successfully', 'success')).sent, 0);
    const m = wire();
    assert.deepEqual(m, {
      channel: 'toasts',
      event: 'toast',
      data: { message: 'Quota updated successfully', type: 'success', duration: 5000, dismissible: true },
      target: 'user-specific',
      targetUsers: [42],
    });
    assert.deepEqual(await contentOf(m), { channel: 'toasts', event: 'toast', data: m.data });

    await rc.sendToast('u-1', 'Payment failed', 'error', { duration: 10000, dismissible: false });
    assert.deepEqual(wire().data, { message: 'Payment failed', type: 'error', duration: 10000, dismissible: false });
    await rc.sendToast('u-1', 'Hello');
    assert.deepEqual(wire().data, { message: 'Hello', type: 'info', duration: 5000, dismissible: true });
  });

  it('notifications.success/error/info/warning(userId, message, title?)', async () => {
    await subscribeAll();
    for (const type of ['success', 'error', 'info', 'warning']) {
      const before = Date.now();
      assert.equal((await rc.notifications[type](9, `${type} message`, `${type} title`)).sent, 0);
      const m = wire();
      assert.ok(m.data.timestamp >= before && m.data.timestamp <= Date.now());
      assert.deepEqual(m, {
        channel: 'notifications',
        event: 'notification',
        data: { type, title: `${type} title`, message: `${type} message`, timestamp: m.data.timestamp },
        target: 'user-specific',
        targetUsers: [9],
      });
    }
    await rc.notifications.error(9, 'no title');
    assert.equal('title' in wire().data, false);
    assert.deepEqual((await contentOf(wire())).event, 'notification');
  });

  it('broadcasts.* go to everyone on "notifications"', async () => {
    await subscribeAll();
    for (const type of ['success', 'error', 'info', 'warning']) {
      assert.equal((await rc.broadcasts[type](`all ${type}`)).sent, 1);
      const m = wire();
      assert.deepEqual(m, {
        channel: 'notifications',
        event: 'notification',
        data: { type, message: `all ${type}`, timestamp: m.data.timestamp },
        target: 'all',
      });
      const e = await sub.nextNamed('notification');
      assert.deepEqual(e.json(), m.data);
    }
  });

  it('sendUserNotification / broadcastNotification take the seed payload', async () => {
    await rc.sendUserNotification('u7', { type: 'info', title: 'Custom Notification', message: 'Body', data: { customField: 'value' } });
    assert.deepEqual(wire().data, {
      type: 'info',
      title: 'Custom Notification',
      message: 'Body',
      data: { customField: 'value' },
      timestamp: wire().data.timestamp,
    });
    assert.deepEqual(wire().targetUsers, ['u7']);
    await rc.broadcastNotification({ type: 'warning', title: 'System Alert', message: 'Please save your work', timestamp: 5 });
    assert.deepEqual(wire(), {
      channel: 'notifications',
      event: 'notification',
      data: { type: 'warning', title: 'System Alert', message: 'Please save your work', timestamp: 5 },
      target: 'all',
    });
  });

  it('sendUserSystemEvent(userId, {event, data}): "system" on "system"', async () => {
    await subscribeAll();
    const data = { profileId: '123', changes: ['name', 'email'] };
    assert.equal((await rc.sendUserSystemEvent('u1', { event: 'user_profile_updated', data })).sent, 0);
    const m = wire();
    assert.deepEqual(m, {
      channel: 'system',
      event: 'system',
      data: { event: 'user_profile_updated', data, timestamp: m.data.timestamp },
      target: 'user-specific',
      targetUsers: ['u1'],
    });
    assert.deepEqual(await contentOf(m), { channel: 'system', event: 'system', data: m.data });
  });

  it('invalidateClientCaches(channels, users): a "refresh" per channel, in one batch', async () => {
    await subscribeAll();
    const all = await rc.invalidateClientCaches(['alerts', 'toasts'], null);
    assert.equal(all.sent, 2);
    const batch = proxy.last('publish');
    assert.deepEqual(Object.keys(batch).sort(), ['messages', 'op', 'req']);
    assert.deepEqual(
      batch.messages.map((m) => [m.channel, m.event, m.target, m.data.reason, m.data.channel]),
      [
        ['alerts', 'refresh', 'all', 'cache_invalidated', 'alerts'],
        ['toasts', 'refresh', 'all', 'cache_invalidated', 'toasts'],
      ],
    );
    assert.deepEqual((await sub.nextNamed('refresh')).json(), batch.messages[0].data);
    assert.deepEqual((await sub.nextNamed('refresh')).json(), batch.messages[1].data);

    const some = await rc.invalidateClientCaches(['alerts'], [1, 2]);
    assert.equal(some.sent, 0);
    assert.deepEqual(proxy.last('publish').messages[0].targetUsers, [1, 2]);
    assert.equal(proxy.last('publish').messages[0].target, 'user-specific');
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
    await assert.rejects(rc.invalidateClientCaches(['alerts', 'not a channel'], null), {
      code: 'invalid_field',
      message: /invalidateClientCaches: channel "not a channel"/,
    });
    await assert.rejects(rc.notifyAdmins('update', undefined), { code: 'invalid_field', message: /"data" is required/ });
  });
});
