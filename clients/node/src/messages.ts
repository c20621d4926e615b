// The messages the seed operations publish, and the fields of the invalidate
// request, built as plain data (no I/O), so that each operation's exact fields
// can be read and tested in one place. The Ringcast class only sends what
// these functions return.
//
// The operation's own fields (channel, event, data, target, target lists) are
// written after the caller's options: options add priority, ttl,
// excludeUsers... but never redirect the message.

import { ADMIN_ROLE, CACHE_INVALIDATED_REASON, CHANNELS, DEFAULT_REFRESH_REASON, EVENTS, TOAST_DEFAULTS } from './conventions.js';
import type { MessageOptions, SSEChannelType, SSEEventType, SSEMessage, UserId } from './types.js';

/** Options for messages whose audience the operation decides. */
export type AudienceFixedOptions = Omit<MessageOptions, 'target' | 'targetUsers' | 'targetRoles' | 'targetPermissions'>;

export type NotificationType = 'info' | 'success' | 'warning' | 'error';

/** Seed 003's NotificationPayload. */
export interface NotificationPayload {
  title?: string;
  message: string;
  type?: NotificationType;
  data?: Record<string, unknown>;
  /** Milliseconds since the epoch; default: now. */
  timestamp?: number;
}

/** Seed 003's system event: sendUserSystemEvent(userId, { event, data }). */
export interface SystemEventPayload {
  event: string;
  data?: unknown;
}

export type ToastType = 'success' | 'error' | 'warning' | 'info';

export interface ToastOptions {
  /** Milliseconds the toast stays up (default 5000). */
  duration?: number;
  /** Whether the user may close it (default true). */
  dismissible?: boolean;
}

export interface RefreshOptions {
  /** Default "live-updates". */
  channel?: SSEChannelType;
  /** Default "manual". */
  reason?: string;
}

export function toUsers(
  userIds: UserId[],
  channel: SSEChannelType,
  event: SSEEventType,
  data: unknown,
  options: AudienceFixedOptions = {},
): SSEMessage {
  return { ...options, channel, event, data, target: 'user-specific', targetUsers: [...userIds] };
}

export function toChannel(
  channel: SSEChannelType,
  event: SSEEventType,
  data: unknown,
  options: AudienceFixedOptions = {},
): SSEMessage {
  return { ...options, channel, event, data, target: 'all' };
}

/** notifyAdmins(event, data): role "admin" on "admin-actions". */
export function toAdmins(event: SSEEventType, data: unknown, options: AudienceFixedOptions = {}): SSEMessage {
  return { ...options, channel: CHANNELS.admin, event, data, target: 'role-based', targetRoles: [ADMIN_ROLE] };
}

/** sendToast(userId, message, type, { duration, dismissible }). */
export function toast(userId: UserId, message: string, type: ToastType = TOAST_DEFAULTS.type, options: ToastOptions = {}): SSEMessage {
  const data = {
    message,
    type,
    duration: options.duration ?? TOAST_DEFAULTS.duration,
    dismissible: options.dismissible ?? TOAST_DEFAULTS.dismissible,
  };
  return toUsers([userId], CHANNELS.toasts, EVENTS.toast, data);
}

/** triggerRefresh(key, { channel, reason }): a "refresh" event to everyone on the channel. */
export function refresh(key: string, options: RefreshOptions = {}, now = Date.now()): SSEMessage {
  const data = { key, reason: options.reason ?? DEFAULT_REFRESH_REASON, timestamp: now };
  return toChannel(options.channel ?? CHANNELS.refresh, EVENTS.refresh, data);
}

/** invalidateClientCaches(channels, users): one "refresh" per channel, to those
 *  users, or to everyone on it when users is null, undefined or empty. */
export function cacheInvalidation(
  channels: SSEChannelType[],
  users: UserId[] | null | undefined,
  now = Date.now(),
): SSEMessage[] {
  return channels.map((channel) => {
    const data = { reason: CACHE_INVALIDATED_REASON, channel, timestamp: now };
    return users && users.length > 0
      ? toUsers(users, channel, EVENTS.refresh, data)
      : toChannel(channel, EVENTS.refresh, data);
  });
}

/** The invalidate request's fields: each list given as an array is sent (the
 *  daemon refuses a request with neither list non-empty); null or undefined
 *  leaves it out. */
export function invalidation(
  channels: SSEChannelType[] | null | undefined,
  users: UserId[] | null | undefined,
): { channels?: SSEChannelType[]; users?: UserId[] } {
  const fields: { channels?: SSEChannelType[]; users?: UserId[] } = {};
  if (channels) fields.channels = [...channels];
  if (users) fields.users = [...users];
  return fields;
}

function notificationData(p: NotificationPayload, now: number): NotificationPayload {
  return { ...p, type: p.type ?? 'info', timestamp: p.timestamp ?? now };
}

/** sendUserNotification(userId, payload): "notification" on "notifications". */
export function userNotification(userId: UserId, payload: NotificationPayload, now = Date.now()): SSEMessage {
  return toUsers([userId], CHANNELS.notifications, EVENTS.notification, notificationData(payload, now));
}

/** broadcastNotification(payload): "notification" to everyone on "notifications". */
export function broadcastNotification(payload: NotificationPayload, now = Date.now()): SSEMessage {
  return toChannel(CHANNELS.notifications, EVENTS.notification, notificationData(payload, now));
}

/** The notification shorthand: (message, title?) with the type fixed. */
export function shorthand(type: NotificationType, message: string, title?: string): NotificationPayload {
  return title === undefined ? { type, message } : { type, title, message };
}

function systemData(e: SystemEventPayload, now: number) {
  return { event: e.event, data: e.data ?? null, timestamp: now };
}

/** sendUserSystemEvent(userId, { event, data }): "system" on "system". */
export function userSystemEvent(userId: UserId, e: SystemEventPayload, now = Date.now()): SSEMessage {
  return toUsers([userId], CHANNELS.system, EVENTS.system, systemData(e, now));
}

/** broadcastSystemEvent({ event, data }): "system" to everyone on "system". */
export function broadcastSystemEvent(e: SystemEventPayload, now = Date.now()): SSEMessage {
  return toChannel(CHANNELS.system, EVENTS.system, systemData(e, now));
}
