// Compiled, never run (`tsc -p test/tsconfig.json`): code written the way the
// seeds write it must type-check against the package's declarations, so a
// Next.js app that swaps its import keeps compiling. Each block names its seed.
import {
  SSEManager,
  broadcasts,
  broadcastSystemEvent,
  getSSEStats,
  getSystemStats,
  invalidateClientCaches,
  notifications,
  notifyAdmins,
  Ringcast,
  RingcastError,
  sendToast,
  sendUserSystemEvent,
  createStreamToken,
  RingcastHttpClient,
  type StreamToken,
  type Transport,
  sseManager,
  triggerRefresh,
  type BatchResult,
  type CacheInvalidationResult,
  type InvalidateResult,
  type PublishResult,
  type RingcastStats,
  type SSEMessage,
  type SystemStats,
  clearAllAlertCaches,
  notifyAlertUpdate,
  scheduleMaintenanceAlert,
  type SSEAlert,
  type SSEAlertInput,
} from '@ringcast/node';

declare const userId: number;
declare const currentAdminId: number;

export async function seed001(): Promise<void> {
  await sendToast(userId, 'Operation completed successfully!', 'success');
  await notifyAdmins('update', { type: 'user-action', message: 'User quota updated', userId });
  await SSEManager.broadcastToChannel('alerts', 'update', { title: 'System Update', message: 'New features are now available!' });
  await SSEManager.sendToUsers([123, 456], 'notifications', 'notification', { title: 'Personal Message' });
  await SSEManager.sendMessage({
    channel: 'admin-actions',
    event: 'alert',
    data: { message: 'Security alert detected' },
    target: 'role-based',
    targetRoles: ['admin', 'security_officer'],
  });
  await SSEManager.sendMessage({
    channel: 'alerts',
    event: 'alert',
    data: { message: 'Important announcement' },
    target: 'authenticated',
    excludeUsers: [123, 456],
    priority: 8,
    persistent: true,
  });
  await invalidateClientCaches(['alerts'], null);
  await sendToast(currentAdminId, 'Quota updated successfully', 'success', { duration: 5000, dismissible: true });
  await Promise.all([
    notifyAdmins('update', { type: 'user-status-changed', userId: '1', newStatus: 'x', reason: 'y' }),
    sendToast(currentAdminId, 'User status updated successfully', 'success'),
    triggerRefresh('user-list', { channel: 'admin-actions', reason: 'user_status_update' }),
  ]);
  const result: PublishResult = await SSEManager.sendToUsers([123], 'notifications', 'notification', { message: 'Test' });
  result.sent.toFixed();
  result.failed.toFixed();
  const stats = await SSEManager.getSystemStats();
  console.log(stats.totalConnections, stats.activeChannels, stats.messagesPerMinute, stats.memoryUsage, stats.uptime);
  stats.channels.map((channel) => ({ name: channel.channel, connections: channel.activeConnections }));
  const connection = await SSEManager.getConnectionInfo('conn-123');
  if (connection) console.log(connection.userId, Array.from(connection.channels), connection.connectedAt, connection.lastActivity);
  try {
    await sendToast(userId, 'message', 'success');
  } catch (error) {
    if (error instanceof RingcastError) console.log(error.code, error.message);
  }
}

export async function seed002(id: string): Promise<void> {
  sseManager.sendToUser(id, 'notification', { type: 'info', message: 'm', timestamp: new Date().toISOString(), userId: id });
  sseManager.broadcast('maintenance', { planned: true, duration: '30min' });
  const clientCount: number = await sseManager.getClientCount();
  const online: boolean = await sseManager.isUserConnected(id);
  await sseManager.removeClient(id);
  console.log(clientCount, online);
}

export async function seed003(id: string): Promise<void> {
  notifications.success(id, 'Operation completed successfully!');
  notifications.error(id, 'Something went wrong', 'Error Title');
  broadcasts.info('System maintenance in 5 minutes');
  sendUserSystemEvent(id, { event: 'user_profile_updated', data: { profileId: '123', changes: ['name', 'email'] } });
  broadcastSystemEvent({ event: 'server_maintenance', data: { startTime: '2024-01-01T10:00:00Z', duration: '30min' } });
  const stats = await getSSEStats();
  console.log(stats.totalConnections, stats.uniqueUsers, stats.connectionsByUser);
}

export async function ownInstance(): Promise<void> {
  const rc = new Ringcast({ socketPath: '/run/ringcast/ringcast.sock', timeout: 2000, userChannel: 'inbox' });
  const message: SSEMessage = { channel: 'orders', event: 'order-update', data: { orderId: 'A-1' }, ttl: 60 };
  await rc.sendBatch([message, { ...message, priority: 9 }]);
  rc.publishNoReply(message);
  rc.client.on('publishError', (e) => console.warn(e.code, e.line));
  await rc.close();
}

// The cache and the statistics this release's daemon reports, read without casts.
export async function cacheAndStats(): Promise<void> {
  const { removed } = await SSEManager.invalidateCache(['alerts'], null);
  const byUser: InvalidateResult = await SSEManager.invalidateCache(null, [42, '7']);
  const cleared: CacheInvalidationResult = await invalidateClientCaches(['alerts'], [123]);
  const asBatch: BatchResult = cleared;
  console.log(removed.toFixed(), byUser.removed, cleared.removed, asBatch.results.length);
  const s: RingcastStats = await SSEManager.getStats();
  const numbers: number[] = [
    s.cacheSize,
    s.cache.events,
    s.cache.invalidated,
    s.history.channels,
    s.history.evicted,
    s.mailboxes.users,
    s.mailboxes.pending,
    s.catchUp.resumes,
    s.catchUp.gaps,
    s.eventsDropped,
    s.eventsExpiredInQueue,
    s.slowReaderDisconnects,
    s.refused.rateLimited,
    s.cpu.user,
  ];
  if (s.store.enabled) numbers.push(s.store.lastCommit, s.store.failedCommits, s.store.bytes, s.store.path.length);
  for (const [name, c] of Object.entries(s.channelStats)) console.log(name, c.connections, c.dropped, c.expired, c.disconnected);
  for (const shard of s.shards) numbers.push(shard.id, shard.eventsDropped);
  const system: SystemStats = await getSystemStats();
  numbers.push(system.cacheSize);
  console.log(numbers);
}

// HTTP, tokens and errors: the same API whatever the transport.
export async function overHttp(session: { userId: string; roles: string[] }): Promise<string> {
  const rc = new Ringcast({ url: 'http://ringcast:8080', apiKey: 'k', timeout: 5000, connections: 4, pipelining: 10 });
  const t: Transport = rc.client;
  console.log(t.kind, t.target, t.state, t.pending);
  if (rc.client instanceof RingcastHttpClient) console.log(rc.client.url);
  await rc.sendToast(session.userId, 'hi', 'success');
  const token: StreamToken = await rc.createStreamToken(session.userId, { roles: session.roles, ttl: 600 });
  const again = await createStreamToken(42, { permissions: ['dashboard.view'], subscriber: true });
  try {
    await rc.broadcast('x', 1);
  } catch (e) {
    if (e instanceof RingcastError && e.code === 'rate_limited') console.log(e.retryAfterMs, e.status, e.reason);
    if (e instanceof RingcastError && (e.code === 'unreachable' || e.code === 'permission_denied')) throw e;
  }
  return `${token.token}${token.expiresAt}${again.token}`;
}

// seed 000: after alert CRUD, the route clears the alert caches and notifies
// every client, without awaiting either; scheduleMaintenanceAlert's arguments.
{
  clearAllAlertCaches();
  notifyAlertUpdate(); // Broadcasts to all users
  void scheduleMaintenanceAlert(new Date(), 30, ['api']);
  const alertData: SSEAlertInput = { title: 'Maintenance', alert_type: 'warning', priority: 8 };
  const created: Promise<SSEAlert> = SSEManager.createAlert(alertData);
  void created;
}
