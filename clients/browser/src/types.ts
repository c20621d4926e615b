// The public types of the client: its options, its states, the messages it
// hands to the page, and the environment it runs in (injectable, for tests).
// No code here: every declaration is erased by the build.

/**
 * Where the connection stands.
 * - `connecting`: the first attempt is under way;
 * - `connected`: the stream is open (the daemon answered 200);
 * - `reconnecting`: the stream dropped or an attempt failed; the next attempt
 *   waits its backoff delay (`retryCount` says which attempt it is);
 * - `error`: given up: `maxAttempts` attempts failed in a row, or the daemon
 *   refused the request in a way a retry cannot mend (400, 404...); `connect()`
 *   or `reconnect()` start again, and so do `online` and the tab becoming visible;
 * - `disconnected`: not started, stopped by `disconnect()`, or told to stop by
 *   the daemon (204);
 * - `unauthorized`: refused with 401 (after the `refreshToken` hook, if any,
 *   had its one try) or 403: terminal until `connect()` / `reconnect()`.
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'error' | 'disconnected' | 'unauthorized';

/** The connection as the page shows it: one immutable object per change. */
export interface ConnectionState {
  status: ConnectionStatus;
  /** The attempt under way or waited for since the stream was last open (0 while connected). */
  retryCount: number;
  /** `reconnect.maxAttempts`: for "Reconnecting (2/5)". */
  maxAttempts: number;
  /** Why the last attempt or stream failed (the daemon's JSON message when it gave one), or null. */
  lastError: string | null;
  /** The position the next (re)connection resumes from, sent as `?lastEventId=`. */
  lastEventId: string | null;
  /**
   * Tab sharing: `leader` holds the browser's one connection and relays it,
   * `follower` is fed by the leader over BroadcastChannel, `solo` has its own
   * connection (`shared: false`, or a browser without BroadcastChannel or Web Locks).
   */
  role: 'solo' | 'leader' | 'follower';
}

/** An event as the page receives it. */
export interface SSEMessage<T = unknown> {
  /** The event name (`event:` line): `connected`, `alert`, `toast`, ... (`message` when unnamed). */
  type: string;
  /** The data, parsed as JSON when it is JSON, else the text as sent. */
  data: T;
  /** The event's id (`id:` line), or null when it had none. */
  id: string | null;
  /** When this tab received it (ms since the epoch). */
  timestamp: number;
}

/** A listener of one event name: the parsed data first, the whole message second. */
export type SSEListener<T = any> = (data: T, message: SSEMessage<T>) => void;

/** A token: the value, or a getter (sync or async) evaluated on every (re)connection. */
export type TokenSource = string | null | undefined | (() => string | null | undefined | Promise<string | null | undefined>);

export interface ReconnectOptions {
  /** First delay's ceiling, ms (full jitter: each delay is random in [0, ceiling]). Replaced by the daemon's `retry:` once it sent one. Default 1000. */
  baseDelay?: number;
  /** Largest ceiling, ms. Default 30000. */
  maxDelay?: number;
  /** Failed attempts in a row before `error`; `Infinity` never gives up, 0 never retries. Default 5. */
  maxAttempts?: number;
}

/**
 * The global object as the client uses it: `window` in a browser (the
 * default). Tests pass a fake one; a member that is missing is a browser
 * without that API (no BroadcastChannel: no tab sharing).
 */
export interface SSEEnvironment {
  EventSource?: { new (url: string, init?: { withCredentials?: boolean }): EventSource };
  fetch?: typeof fetch;
  BroadcastChannel?: { new (name: string): BroadcastChannel };
  /** `locks` (tab sharing) and `onLine` (no attempt is spent offline). */
  navigator?: { locks?: LockManager; onLine?: boolean };
  /** `online`, and `storage` (another tab dismissed an alert), are heard here. */
  addEventListener?(type: string, fn: (e: any) => void, options: { signal: AbortSignal }): void;
  /** `visibilitychange` is heard here, and `visibilityState` read. */
  document?: { visibilityState?: string; addEventListener(type: string, fn: () => void, options: { signal: AbortSignal }): void };
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: any): void;
  /** `Date.now()`: the clock the heartbeat timeout is measured on. */
  Date: { now(): number };
  /** `Math.random()`: the backoff's jitter. */
  Math: { random(): number };
  /** Alerts dismissed in this browser (anonymous or automatic dismissals). */
  localStorage?: Pick<Storage, 'getItem' | 'setItem'>;
}

export interface SSEClientOptions {
  /** The SSE endpoint. Default `/api/sse/stream`. */
  url?: string;
  /** Channels to subscribe to (`?channels=`); none: the endpoint's defaults. */
  channels?: string[];
  /** Send cookies (the HttpOnly `ringcast_token`), also cross-origin. Default true. */
  withCredentials?: boolean;
  /**
   * A token, or a getter evaluated on every (re)connection: sent as `?token=`
   * with the EventSource transport, as `Authorization: Bearer` with fetch.
   * Without one the cookie authenticates (or nothing: an anonymous stream).
   */
  token?: TokenSource;
  /**
   * `eventsource` (default): the browser's EventSource. `fetch`: fetch() and
   * this package's parser, which can send `Authorization` and sees comments.
   */
  transport?: 'eventsource' | 'fetch';
  /** Backoff and attempts; `false`: never reconnect (`maxAttempts: 0`). */
  reconnect?: ReconnectOptions | boolean;
  /** ms without any byte of the stream (events, heartbeats, comments) before it counts as dead; 0: never. Default 45000. */
  heartbeatTimeout?: number;
  /** Messages kept in `messages` (heartbeats are not kept). Default 100. */
  maxMessages?: number;
  /** Event names to listen for besides ringcast's own and those given to `addEventListener` (EventSource only dispatches names it was told). */
  events?: string[];
  /**
   * Called on a 401, or before reconnecting after `token-expired`, to renew
   * the credentials (set a new cookie, or return the new token); the next
   * attempt follows at once. One try per refusal: a second 401 is `unauthorized`.
   * A string it returns replaces `token`.
   */
  refreshToken?: () => unknown;
  /** One connection per browser for this url, channels and kind of auth, shared by every tab. Default true (where BroadcastChannel and Web Locks exist). */
  shared?: boolean;
  /** Where the daemon's API is, for the alerts (`/api/alerts/...`). Default: what precedes `/api/` in `url` (`''`: this origin). */
  apiBase?: string;
  /** A position to resume from on the first connection. */
  lastEventId?: string | null;
  onConnect?: () => void;
  onDisconnect?: () => void;
  onMessage?: (message: SSEMessage) => void;
  onError?: (error: string) => void;
  onStateChange?: (state: ConnectionState) => void;
  /** The global object to use instead of `globalThis` (tests). */
  env?: SSEEnvironment;
}

/** An alert as a stream or `GET /api/alerts/active` gives it (docs/alerts.md). Text fields are plain text. */
export interface SSEAlert {
  id: number;
  title: string;
  message?: string;
  details?: string;
  /** `info`, `warning`, `error`, `success`, or a custom type. */
  alert_type: string;
  /** 0-10, higher first. */
  priority: number;
  icon?: string;
  dismissible: boolean;
  /** Kept across page reloads: never dismissed automatically. */
  persistent: boolean;
  starts_at?: string;
  expires_at?: string;
  actions?: { label: string; url?: string; action?: string; style?: 'primary' | 'secondary' | 'danger' | 'link' }[];
  metadata?: unknown;
  created_at?: string;
  updated_at?: string;
  version?: number;
}
