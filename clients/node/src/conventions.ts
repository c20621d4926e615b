// Every channel, event name and default the seed operations use, in one place.
//
// The seeds fix most of them (sendToast → "toasts"/"toast", notifyAdmins →
// role "admin" on "admin-actions", notifications → "notification" events,
// system events → "system" events). Where they leave a choice, the choice is
// made here, once, and the README says the same:
// - sendToUser(userId, event, data) names no channel: it uses "notifications",
//   the seeds' channel for "user-specific notifications".
// - broadcast(event, data) names no channel: it uses "system", the seeds'
//   channel for "system-wide announcements".
// Both are in the daemon's default subscription (alerts, notifications,
// toasts, system), so a browser that names no channels receives them.
// - notifications.* / broadcasts.* go to "notifications"; sendUserSystemEvent /
//   broadcastSystemEvent to "system": one channel per kind of payload, whoever
//   the audience.
// - triggerRefresh(key) without a channel uses "live-updates" (the seeds'
//   channel for real-time data synchronization).

export const CHANNELS = {
  /** sendToUser without a channel; user notifications. */
  user: 'notifications',
  /** broadcast without a channel; system events. */
  broadcast: 'system',
  notifications: 'notifications',
  system: 'system',
  toasts: 'toasts',
  admin: 'admin-actions',
  refresh: 'live-updates',
} as const;

export const EVENTS = {
  toast: 'toast',
  refresh: 'refresh',
  notification: 'notification',
  system: 'system',
} as const;

/** notifyAdmins() reaches connections with this role. */
export const ADMIN_ROLE = 'admin';

/** sendToast() defaults (seed 001's showUserToast and BANNER_CONFIG). */
export const TOAST_DEFAULTS = { type: 'info', duration: 5000, dismissible: true } as const;

/** triggerRefresh() reason when none is given. */
export const DEFAULT_REFRESH_REASON = 'manual';

/** invalidateClientCaches() refresh reason. */
export const CACHE_INVALIDATED_REASON = 'cache_invalidated';
