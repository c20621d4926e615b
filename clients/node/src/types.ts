// The shapes callers write and read: the seeds' SSEMessage (as the daemon's
// "Messages" table in docs/protocol.md defines its fields) and the daemon's
// answers. Names follow the seeds so that existing code type-checks unchanged.

/** A user id: strings and integers name the same user (123 and "123"). */
export type UserId = string | number;

/** The seeds' channels; any name matching [A-Za-z0-9._:-]{1,128} is accepted. */
export type SSEChannelType =
  | 'alerts'
  | 'notifications'
  | 'toasts'
  | 'live-updates'
  | 'admin-actions'
  | 'chat'
  | 'system'
  | 'custom'
  | (string & {});

/** The seeds' event types; any application event name is accepted too. */
export type SSEEventType =
  | 'connected'
  | 'heartbeat'
  | 'data'
  | 'update'
  | 'refresh'
  | 'toast'
  | 'alert'
  | 'notification'
  | 'broadcast'
  | 'error'
  | 'custom'
  | (string & {});

export type SSETargetType =
  | 'all'
  | 'user-specific'
  | 'role-based'
  | 'permission-based'
  | 'authenticated'
  | 'subscribers';

/** Who an event (or an alert) is for: the same fields and rules for both. */
export interface SSETargeting {
  target?: SSETargetType;
  targetUsers?: UserId[];
  targetRoles?: string[];
  targetPermissions?: string[];
  excludeUsers?: UserId[];
  requireAuth?: boolean;
}

/** A message as published. Only channel, event and data are required; the
 *  daemon fills in id (the channel's next sequence number), timestamp (now) and
 *  target ("all", or the kind implied by the one target list given). Fields
 *  the daemon does not know are rejected (`invalid_field`), not ignored. */
export interface SSEMessage extends SSETargeting {
  channel: SSEChannelType;
  event: SSEEventType;
  /** Any JSON value; sent compact on one `data:` line. */
  data: unknown;
  /** The SSE `id:`: 1–128 bytes, no line breaks; or an integer. */
  id?: string | number;
  /** Milliseconds since the epoch. */
  timestamp?: number;
  /** 0 (lowest) to 10; default 5. */
  priority?: number;
  /** Seconds; never delivered after timestamp + ttl. */
  ttl?: number;
  /** Kept for connections that subscribe later. */
  persistent?: boolean;
  /** Kept for a targeted user who is offline. */
  retryable?: boolean;
}

/** Message options beside channel, event and data (what the helpers accept). */
export type MessageOptions = Omit<SSEMessage, 'channel' | 'event' | 'data'>;

/** The daemon's answer to a publish: the event's id and how many connections
 *  it was queued for (`sent`) or could not take it (`failed`). */
export interface PublishResult {
  id: string;
  sent: number;
  failed: number;
}

export type BatchItemResult =
  | ({ ok: true } & PublishResult)
  | { ok: false; error: { code: string; message: string } };

/** The answer to a batch: totals, and one result per message, in order. A
 *  message the daemon refused does not stop the others. */
export interface BatchResult {
  sent: number;
  failed: number;
  results: BatchItemResult[];
}

/** The daemon's answer to an invalidate: how many cached events it removed. */
export interface InvalidateResult {
  removed: number;
}

/** invalidateClientCaches: the cached events removed (`removed`), then the
 *  refresh batch's totals and per-channel results, as sendBatch gives them. */
export interface CacheInvalidationResult extends BatchResult {
  removed: number;
}

/** createStreamToken's options: what the token says about the stream's user. */
export interface StreamTokenOptions {
  /** The `roles` claim (targetRoles, notifyAdmins reach streams by role). */
  roles?: string[];
  /** The `permissions` claim (targetPermissions, the dashboard endpoint). */
  permissions?: string[];
  /** The `subscriber` claim (target "subscribers"). */
  subscriber?: boolean;
  /** Seconds the token is valid (the daemon's default and bounds apply). */
  ttl?: number;
}

/** A stream token signed by ringcastd: the browser presents it as the
 *  `ringcast_token` cookie or `?token=`; `expiresAt` is in ms since the epoch. */
export interface StreamToken {
  token: string;
  expiresAt: number;
}
