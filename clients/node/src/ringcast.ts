// Ringcast: the seeds' server API (SSEManager / sseManager and their helpers)
// on top of the transport. The seeds are the documents of the Next.js
// "Universal SSE System" this package implements, numbered 000 to 004
// (docs/architecture.md#glossary). Every operation is one request; what each one
// publishes is built in messages.ts, and the channels it uses are chosen in
// conventions.ts.
//
// Differences from the seeds, all forced by the daemon living in another
// process: every operation is async, including those the seeds have
// synchronous (getClientCount, isUserConnected, getSystemStats...); results
// are the daemon's ({id, sent, failed}); and the publishing operations return
// promises that are safe to drop: seed code calls sseManager.sendToUser(...)
// without await, and a daemon that is down must not turn that into an
// unhandled rejection that ends the process. Awaiting still sees the error.

import { RingcastClient } from './client.js';
import { CHANNELS } from './conventions.js';
import { RingcastError } from './errors.js';
import { RingcastHttpClient } from './http-client.js';
import * as build from './messages.js';
import { type ClientOptions, type HttpClientOptions, httpFromEnv, resolveOptions } from './options.js';
import type {
  AlertList,
  AlertPreview,
  ListAlertsOptions,
  SSEAlert,
  SSEAlertInput,
  SSEAlertPatch,
} from './alert-types.js';
import type {
  ConnectionInfo,
  ConnectionList,
  ListConnectionsOptions,
  RingcastStats,
  SystemStats,
  UserInfo,
} from './stats-types.js';
import type { Reply, RequestOptions, Transport } from './transport.js';
import type {
  BatchResult,
  CacheInvalidationResult,
  InvalidateResult,
  PublishResult,
  SSEChannelType,
  SSEEventType,
  SSEMessage,
  StreamToken,
  StreamTokenOptions,
  UserId,
} from './types.js';

export interface RingcastOptions extends ClientOptions, Partial<Omit<HttpClientOptions, keyof ClientOptions>> {
  /** Speak HTTP to the daemon at this URL (with `apiKey`) instead of using the
   *  Unix socket. Default: $RINGCAST_URL (and $RINGCAST_API_KEY) when set and
   *  no socketPath is given, else the socket. */
  url?: string | URL;
  /** sendToUser's channel when the call names none (default "notifications"). */
  userChannel?: SSEChannelType;
  /** broadcast's channel when the call names none (default "system"). */
  broadcastChannel?: SSEChannelType;
}

/** sendToUser / broadcast options: another channel, and message options. */
export type SendOptions = build.AudienceFixedOptions & { channel?: SSEChannelType };

/** The daemon's log levels (server.log_level, ringcastd --log-level). */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical' | 'off';

/** notifications.* and broadcasts.*: (…, message, title?) per type. */
export interface UserNotifier {
  success(userId: UserId, message: string, title?: string): Promise<PublishResult>;
  error(userId: UserId, message: string, title?: string): Promise<PublishResult>;
  info(userId: UserId, message: string, title?: string): Promise<PublishResult>;
  warning(userId: UserId, message: string, title?: string): Promise<PublishResult>;
}
export interface BroadcastNotifier {
  success(message: string, title?: string): Promise<PublishResult>;
  error(message: string, title?: string): Promise<PublishResult>;
  info(message: string, title?: string): Promise<PublishResult>;
  warning(message: string, title?: string): Promise<PublishResult>;
}

// The caller may drop the promise; awaiting it still sees the rejection.
function droppable<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

function publishResult(r: Reply): PublishResult {
  return { id: String(r['id']), sent: Number(r['sent']), failed: Number(r['failed']) };
}

export class Ringcast {
  /** notifications.success(userId, message, title?) … (seed 003). */
  readonly notifications: UserNotifier;
  /** broadcasts.info(message, title?) … (seed 003). */
  readonly broadcasts: BroadcastNotifier;
  readonly #userChannel: SSEChannelType;
  readonly #broadcastChannel: SSEChannelType;
  readonly #transportOptions: Omit<RingcastOptions, 'userChannel' | 'broadcastChannel'>;
  #client: Transport | undefined;

  constructor(options: RingcastOptions = {}) {
    const { userChannel, broadcastChannel, ...transportOptions } = options;
    const { url, apiKey, connections, pipelining, ...clientOptions } = transportOptions;
    if (url !== undefined && clientOptions.socketPath !== undefined)
      throw new RangeError('ringcast: give url (HTTP) or socketPath (the Unix socket), not both');
    if (url === undefined && (apiKey !== undefined || connections !== undefined || pipelining !== undefined))
      throw new RangeError('ringcast: apiKey, connections and pipelining are HTTP options: give url too');
    resolveOptions(clientOptions); // bad settings throw here, not at the first call
    this.#transportOptions = transportOptions;
    // An explicit URL: the transport now (nothing connects until a call).
    // Otherwise it is chosen at first use, so that RINGCAST_URL set after the
    // import counts, as RINGCAST_SOCKET does.
    if (url !== undefined) this.#client = new RingcastHttpClient({ ...transportOptions, url });
    this.#userChannel = userChannel ?? CHANNELS.user;
    this.#broadcastChannel = broadcastChannel ?? CHANNELS.broadcast;
    const user = (type: build.NotificationType) => (userId: UserId, message: string, title?: string) =>
      this.sendUserNotification(userId, build.shorthand(type, message, title));
    const all = (type: build.NotificationType) => (message: string, title?: string) =>
      this.broadcastNotification(build.shorthand(type, message, title));
    this.notifications = { success: user('success'), error: user('error'), info: user('info'), warning: user('warning') };
    this.broadcasts = { success: all('success'), error: all('error'), info: all('info'), warning: all('warning') };
  }

  /** The transport (created at first use): a RingcastClient over the Unix
   *  socket, or a RingcastHttpClient. Its state, events ('connect',
   *  'disconnect', 'reconnecting', 'publishError'), and raw request()/send()
   *  for any op. */
  get client(): Transport {
    if (this.#client) return this.#client;
    const o = this.#transportOptions;
    const env = o.socketPath === undefined ? httpFromEnv() : undefined;
    this.#client = env ? new RingcastHttpClient({ ...o, ...env }) : new RingcastClient(o);
    return this.#client;
  }

  // --- publishing ---------------------------------------------------------------

  /** One message with the seeds' full SSEMessage targeting. */
  sendMessage(message: SSEMessage, options?: RequestOptions): Promise<PublishResult> {
    return droppable(this.client.request('publish', message, options).then(publishResult));
  }

  /** Several messages in one request (the protocol's "messages" batch): each is
   *  validated and published on its own, in order; a refused one is reported in
   *  its result and does not stop the others. */
  sendBatch(messages: SSEMessage[], options?: RequestOptions): Promise<BatchResult> {
    return droppable(
      this.client.request('publish', { messages }, options).then((r) => ({
        sent: Number(r['sent']),
        failed: Number(r['failed']),
        results: r['results'] as BatchResult['results'],
      })),
    );
  }

  /** Fire-and-forget: publishes without waiting for (or getting) an answer.
   *  Throws at once if it cannot be queued; a daemon error comes later as the
   *  client's 'publishError' event. */
  publishNoReply(message: SSEMessage | SSEMessage[]): void {
    this.client.send('publish', Array.isArray(message) ? { messages: message } : message);
  }

  /** seed 002: sendToUser(userId, event, data), on "notifications" unless
   *  options.channel (or the userChannel option) says otherwise. */
  sendToUser(userId: UserId, event: SSEEventType, data: unknown, options: SendOptions = {}): Promise<PublishResult> {
    const { channel, ...rest } = options;
    return this.sendMessage(build.toUsers([userId], channel ?? this.#userChannel, event, data, rest));
  }

  /** seed 001: sendToUsers([ids], channel, event, data). */
  sendToUsers(
    userIds: UserId[],
    channel: SSEChannelType,
    event: SSEEventType,
    data: unknown,
    options?: build.AudienceFixedOptions,
  ): Promise<PublishResult> {
    return this.sendMessage(build.toUsers(userIds, channel, event, data, options));
  }

  /** seed 002: broadcast(event, data) to every subscriber of "system" unless
   *  options.channel (or the broadcastChannel option) says otherwise. */
  broadcast(event: SSEEventType, data: unknown, options: SendOptions = {}): Promise<PublishResult> {
    const { channel, ...rest } = options;
    return this.sendMessage(build.toChannel(channel ?? this.#broadcastChannel, event, data, rest));
  }

  /** seed 001: broadcastToChannel(channel, event, data). */
  broadcastToChannel(
    channel: SSEChannelType,
    event: SSEEventType,
    data: unknown,
    options?: build.AudienceFixedOptions,
  ): Promise<PublishResult> {
    return this.sendMessage(build.toChannel(channel, event, data, options));
  }

  /** seed 001: notifyAdmins(event, data): role "admin" on "admin-actions". */
  notifyAdmins(event: SSEEventType, data: unknown, options?: build.AudienceFixedOptions): Promise<PublishResult> {
    return this.sendMessage(build.toAdmins(event, data, options));
  }

  /** seed 001: sendToast(userId, message, type = 'info', { duration = 5000,
   *  dismissible = true }): event "toast" on "toasts", data {message, type,
   *  duration, dismissible}. */
  sendToast(userId: UserId, message: string, type?: build.ToastType, options?: build.ToastOptions): Promise<PublishResult> {
    return this.sendMessage(build.toast(userId, message, type, options));
  }

  /** seed 001: triggerRefresh(key, { channel = 'live-updates', reason = 'manual' }):
   *  event "refresh", data {key, reason, timestamp}, to everyone on the channel. */
  triggerRefresh(key: string, options?: build.RefreshOptions): Promise<PublishResult> {
    return this.sendMessage(build.refresh(key, options));
  }

  /** Removes cached persistent events from the daemon, so that streams opened
   *  from now on no longer get them: with `channels` only, every cached event
   *  of those channels; with `users` only, the cached user-specific events
   *  naming one of those users, on any channel; with both, those users' events
   *  on those channels. null or undefined: that list is not given. Resolves
   *  with how many events were removed; rejects with `invalid_field` when
   *  neither list names anything. Streams already open are not told: see
   *  invalidateClientCaches. */
  invalidateCache(
    channels: SSEChannelType[] | null | undefined,
    users?: UserId[] | null,
    options?: RequestOptions,
  ): Promise<InvalidateResult> {
    return droppable(
      this.client
        .request('invalidate', build.invalidation(channels, users), options)
        .then((r) => ({ removed: Number(r['removed']) })),
    );
  }

  /** seed 001: invalidateClientCaches(channels, users). First clears the
   *  daemon's cache of persistent events for those channels (for those users'
   *  events only, when users are given; see invalidateCache), so that no stream
   *  opened afterwards is handed what was invalidated; then, once the daemon
   *  has answered, sends a "refresh" event {reason: 'cache_invalidated',
   *  channel, timestamp} on each channel to those users (null or empty:
   *  everyone on it), in one batch. Resolves with the batch's result and
   *  `removed`, the cached events removed. Rejects with the daemon's error if
   *  the cache cannot be cleared (no refresh is sent then), or with the first
   *  refused refresh's error. An empty `channels` does nothing. */
  invalidateClientCaches(channels: SSEChannelType[], users?: UserId[] | null): Promise<CacheInvalidationResult> {
    const messages = build.cacheInvalidation(channels, users);
    if (messages.length === 0) return Promise.resolve({ removed: 0, sent: 0, failed: 0, results: [] });
    const audience = users && users.length > 0 ? users : null;
    return droppable(
      (async () => {
        const { removed } = await this.invalidateCache(channels, audience).catch((error: unknown) => {
          // Say which call failed; the daemon's code stays as it sent it.
          if (!(error instanceof RingcastError) || error.source !== 'daemon') throw error;
          throw RingcastError.fromDaemon(
            { code: error.code, message: `invalidateClientCaches: clearing the cache: ${error.message}` },
            'invalidate',
          );
        });
        const batch = await this.sendBatch(messages);
        const i = batch.results.findIndex((r) => !r.ok);
        const bad = batch.results[i];
        if (bad && !bad.ok)
          throw RingcastError.fromDaemon(
            { code: bad.error.code, message: `invalidateClientCaches: channel "${channels[i]}": ${bad.error.message}` },
            'publish',
          );
        return { removed, ...batch };
      })(),
    );
  }

  /** seed 003: sendUserNotification(userId, {type, title, message, data}). */
  sendUserNotification(userId: UserId, payload: build.NotificationPayload): Promise<PublishResult> {
    return this.sendMessage(build.userNotification(userId, payload));
  }

  /** seed 003: broadcastNotification({type, title, message, data}). */
  broadcastNotification(payload: build.NotificationPayload): Promise<PublishResult> {
    return this.sendMessage(build.broadcastNotification(payload));
  }

  /** seed 003: sendUserSystemEvent(userId, {event, data}). */
  sendUserSystemEvent(userId: UserId, event: build.SystemEventPayload): Promise<PublishResult> {
    return this.sendMessage(build.userSystemEvent(userId, event));
  }

  /** seed 003: broadcastSystemEvent({event, data}). */
  broadcastSystemEvent(event: build.SystemEventPayload): Promise<PublishResult> {
    return this.sendMessage(build.broadcastSystemEvent(event));
  }

  // --- alerts (banners: docs/alerts.md) --------------------------------------------
  // Over the socket these need no credentials; over HTTP the API key (or a
  // token with the admin claim or one of [alerts] admin_roles). Changes are
  // committed to the daemon's alerts.db before they resolve, and reach every
  // targeted stream on the alerts channel at once (events `alerts-update`, `alert`).

  /** The alerts, newest first, filtered and paged (default 50 a page). */
  async listAlerts(options: ListAlertsOptions = {}, request?: RequestOptions): Promise<AlertList> {
    const r = await this.client.request('alerts.list', options, request);
    return {
      alerts: r['alerts'] as SSEAlert[],
      total: Number(r['total']),
      offset: Number(r['offset']),
      limit: Number(r['limit']),
    };
  }

  /** One alert, or undefined if there is none with this id. */
  async getAlert(id: number, request?: RequestOptions): Promise<SSEAlert | undefined> {
    try {
      return (await this.client.request('alerts.get', { id }, request))['alert'] as SSEAlert;
    } catch (error) {
      if (error instanceof RingcastError && error.source === 'daemon' && error.code === 'not_found') return undefined;
      throw error;
    }
  }

  /** Creates an alert; resolves with it as stored (id, version 1). Refusals:
   *  `invalid_field` (with `field`), `too_many_alerts`, `store_failed`. */
  async createAlert(alert: SSEAlertInput, request?: RequestOptions): Promise<SSEAlert> {
    return (await this.client.request('alerts.create', { alert }, request))['alert'] as SSEAlert;
  }

  /** Replaces an alert (PUT: fields left out take their defaults). `version`
   *  is the one you edited; if someone changed it meanwhile the call rejects
   *  with `version_conflict` and the alert as it stands in `error.current`. */
  async updateAlert(id: number, alert: SSEAlertInput, version: number, request?: RequestOptions): Promise<SSEAlert> {
    return (await this.client.request('alerts.update', { id, alert, version }, request))['alert'] as SSEAlert;
  }

  /** Changes some fields of an alert (a JSON merge patch: null resets a
   *  field). `version` as for updateAlert. */
  async patchAlert(id: number, patch: SSEAlertPatch, version: number, request?: RequestOptions): Promise<SSEAlert> {
    return (await this.client.request('alerts.patch', { id, patch, version }, request))['alert'] as SSEAlert;
  }

  /** Deletes an alert; with `version`, only if it is still at that version. */
  async deleteAlert(id: number, version?: number, request?: RequestOptions): Promise<{ id: number; deleted: true }> {
    const r = await this.client.request('alerts.delete', version === undefined ? { id } : { id, version }, request);
    return { id: Number(r['id']), deleted: true };
  }

  /** How many streams on the alerts channel, and distinct users, an alert with
   *  this targeting would reach now (nothing is created). */
  async previewAlert(alert: SSEAlertInput, request?: RequestOptions): Promise<AlertPreview> {
    const r = await this.client.request('alerts.preview', { alert }, request);
    return { streams: Number(r['streams']), users: Number(r['users']) };
  }

  /** Sends `alerts-refresh` {reason, timestamp} to every stream on the alerts
   *  channel (reason default "admin_update"), asking pages to reload their
   *  alerts. */
  async refreshAlerts(reason?: string, request?: RequestOptions): Promise<{ refreshed: true }> {
    await this.client.request('alerts.refresh', reason === undefined ? {} : { reason }, request);
    return { refreshed: true };
  }

  /** seed 000: notifyAlertUpdate(): refreshAlerts(reason), droppable as the
   *  seeds call it without await. */
  notifyAlertUpdate(reason?: string): Promise<{ refreshed: true }> {
    return droppable(this.refreshAlerts(reason));
  }

  /** seed 000: clearAllAlertCaches(). ringcastd holds no alert cache to clear:
   *  every change already reaches every stream, and a connecting stream gets
   *  the current list. What remains of the seeds' intent is a page that
   *  cached alerts itself: this sends every stream on the alerts channel
   *  `alerts-refresh` with reason "cache_cleared". */
  clearAllAlertCaches(): Promise<{ refreshed: true }> {
    return droppable(this.refreshAlerts('cache_cleared'));
  }

  /** seed 000: scheduleMaintenanceAlert(scheduledTime, duration, affectedServices),
   *  as a stored alert instead of a one-off event: "Scheduled Maintenance", a
   *  warning of priority 8, not dismissible, persistent, shown from now until
   *  the maintenance ends (`duration` in minutes after `scheduledTime`), with
   *  the seeds' metadata {customType: 'maintenance', customData:
   *  {scheduledTime, affectedServices, duration}}. */
  scheduleMaintenanceAlert(scheduledTime: Date, duration: number, affectedServices: string[]): Promise<SSEAlert> {
    if (!(duration > 0) || !Number.isFinite(duration))
      return Promise.reject(new RangeError(`ringcast: duration must be a number of minutes > 0 (got ${duration})`));
    return this.createAlert({
      title: 'Scheduled Maintenance',
      message: `System maintenance scheduled for ${scheduledTime.toLocaleString()}`,
      alert_type: 'warning',
      priority: 8,
      dismissible: false,
      persistent: true,
      expires_at: new Date(scheduledTime.getTime() + duration * 60_000).toISOString(),
      metadata: {
        customType: 'maintenance',
        customData: { scheduledTime: scheduledTime.toISOString(), affectedServices, duration },
      },
    });
  }

  // --- identity -----------------------------------------------------------------

  /** A short-lived token for a browser's stream, signed by ringcastd itself
   *  (the app needs no JWT library): the stream is then user `userId`, with
   *  these roles, permissions and subscriber flag, so the per-user calls reach
   *  it. Hand it to the browser as the HttpOnly cookie `ringcast_token` (or
   *  `?token=`). Resolves with {token, expiresAt (ms since the epoch)}. */
  async createStreamToken(userId: UserId, options: StreamTokenOptions = {}, request?: RequestOptions): Promise<StreamToken> {
    const r = await this.client.request('token', { userId, ...options }, request);
    return { token: String(r['token']), expiresAt: Number(r['expiresAt']) };
  }

  // --- queries ------------------------------------------------------------------

  /** Is the daemon there: its version and clock. */
  async ping(): Promise<{ version: string; time: number }> {
    const r = await this.client.request('ping');
    return { version: String(r['version']), time: Number(r['time']) };
  }

  /** The daemon's log level (docs/operations.md, "Logs"). */
  async getLogLevel(): Promise<LogLevel> {
    const r = await this.client.request('log-level');
    return String(r['level']) as LogLevel;
  }

  /** Changes the daemon's log level at once, until it restarts or reloads its
   *  configuration; resolves with the level it replaced. */
  async setLogLevel(level: LogLevel, request?: RequestOptions): Promise<{ level: LogLevel; was: LogLevel }> {
    const r = await this.client.request('log-level', { level }, request);
    return { level: String(r['level']) as LogLevel, was: String(r['was']) as LogLevel };
  }

  /** The daemon's statistics (seed 003's getStats / getSSEStats: totalConnections,
   *  uniqueUsers, connectionsByUser, and everything else the daemon reports). */
  async getStats(): Promise<RingcastStats> {
    const r = await this.client.request('stats');
    return r['stats'] as RingcastStats;
  }

  /** seed 000/001's getSystemStats() shape; channels as an array. */
  async getSystemStats(): Promise<SystemStats> {
    const s = await this.getStats();
    const number = (v: unknown) => (typeof v === 'number' ? v : undefined);
    const rates = new Map((Array.isArray(s.busiestChannels) ? s.busiestChannels : []).map((c) => [c.channel, c.messagesPerMinute]));
    const out: SystemStats = {
      totalConnections: s.totalConnections,
      activeChannels: s.activeChannels,
      uptime: s.uptime,
      memoryUsage: s.memoryUsage,
      cacheSize: s.cacheSize,
      channels: Object.entries(s.channels ?? {}).map(([channel, c]) => {
        // A channel's rate is known for the busiest channels (the daemon lists 20).
        const perMinute = number(c['messagesPerMinute']) ?? rates.get(channel);
        return perMinute === undefined
          ? { channel, activeConnections: c.connections }
          : { channel, activeConnections: c.connections, messagesPerMinute: perMinute };
      }),
    };
    const perMinute = number(s['messagesPerMinute']);
    if (perMinute !== undefined) out.messagesPerMinute = perMinute;
    return out;
  }

  /** Open SSE streams (seed 002's getClientCount, async here). */
  async getClientCount(): Promise<number> {
    return (await this.getStats()).totalConnections;
  }

  /** One connection by id, or undefined if there is none (seed 001). */
  async getConnectionInfo(connectionId: string): Promise<ConnectionInfo | undefined> {
    try {
      const r = await this.client.request('connection', { id: connectionId });
      return r['connection'] as ConnectionInfo;
    } catch (error) {
      if (error instanceof RingcastError && error.source === 'daemon' && error.code === 'not_found') return undefined;
      throw error;
    }
  }

  /** A page of every SSE connection, anonymous ones included, in a stable
   *  order (by shard, then connection serial). Pass a page's `next` as
   *  `after` for the following page; `limit` is 1 to 1000 (default 100). */
  async listConnections(options: ListConnectionsOptions = {}): Promise<ConnectionList> {
    const fields: Record<string, unknown> = {};
    if (options.limit !== undefined) fields['limit'] = options.limit;
    if (options.after !== undefined) fields['after'] = options.after;
    const r = await this.client.request('connections', fields);
    return {
      total: Number(r['total']),
      connections: r['connections'] as ConnectionInfo[],
      next: typeof r['next'] === 'string' ? r['next'] : null,
    };
  }

  /** A user's presence and connections. */
  async getUserInfo(userId: UserId): Promise<UserInfo> {
    const r = await this.client.request('user', { userId });
    return { userId: String(r['userId']), connected: r['connected'] === true, connections: r['connections'] as ConnectionInfo[] };
  }

  /** seed 002's isUserConnected(userId), async here. */
  async isUserConnected(userId: UserId): Promise<boolean> {
    return (await this.getUserInfo(userId)).connected;
  }

  /** seed 002's removeClient(userId): closes every connection of the user
   *  (what is queued to them is flushed first). */
  async removeClient(userId: UserId): Promise<{ disconnected: number }> {
    const r = await this.client.request('disconnect', { userId });
    return { disconnected: Number(r['disconnected']) };
  }

  /** Closes one connection by id (0 if there is no such connection). */
  async removeConnection(connectionId: string): Promise<{ disconnected: number }> {
    const r = await this.client.request('disconnect', { connectionId });
    return { disconnected: Number(r['disconnected']) };
  }

  /** Closes the connection once the replies still due have arrived. */
  close(): Promise<void> {
    return this.client.close();
  }
}
