// SSEClient: the connection's state machine. It opens the stream (EventSource
// or fetch), keeps the last event id and resumes from it, reconnects with
// backoff and full jitter, stops where a retry cannot help (401, 403, 204, other
// 4xx), renews the token once on a 401 or after `token-expired`, declares the
// stream dead when no byte came for `heartbeatTimeout` (measured on the clock,
// so that a hidden tab's throttled timers only delay the check), and retries at
// once on `online` or when the tab becomes visible. With `shared`, one tab of
// the browser runs this machine and the others mirror it (shared.ts).
//
// The alerts the daemon pushes on its alerts channel (docs/alerts.md) are kept
// as `alerts`, in the order they are shown, without those dismissed here.
//
// Every attempt has a generation (_gen): a stream's callbacks are ignored once
// a newer attempt, a failure or a stop has moved the generation on.
import { byPriority, dismissedHere, dismissHere, DISMISSED_KEY } from './alerts.js';
import { backoffDelay } from './backoff.js';
import { joinTabs, type Relay, type TabHost, type Tabs } from './shared.js';
import { credentials, type Failure, openEventSource, openFetch, type Sink, type Stream } from './transport.js';
import type { ConnectionState, ReconnectOptions, SSEAlert, SSEClientOptions, SSEEnvironment, SSEListener, SSEMessage } from './types.js';

/** The names an EventSource listens for from the start: ringcast's events and the seeds' event types. */
export const EVENT_NAMES =
  'message connected heartbeat refresh token-expired alerts alerts-update alert alerts-refresh notification toast update data broadcast system custom'.split(' ');

// Events that describe the present rather than something that happened: a tab
// that joins a shared connection is given the last of each kind.
const STICKY: Record<string, string> = { connected: 'c', alerts: 'a', 'alerts-update': 'a' };

// A listener that throws must not break the client nor the other listeners:
// its error is rethrown on its own, as EventTarget reports one.
function call(f: Function, ...a: unknown[]) {
  try {
    f(...a);
  } catch (e) {
    setTimeout(() => {
      throw e;
    });
  }
}

function parse(d: string): unknown {
  try {
    return JSON.parse(d);
  } catch {
    return d;
  }
}

export class SSEClient {
  /** The connection as the page shows it; a new object at each change. */
  declare connectionState: ConnectionState;
  /** The last `maxMessages` messages, oldest first (heartbeats are not kept); a new array at each message. */
  messages: readonly SSEMessage[] = [];
  lastMessage: SSEMessage | null = null;
  /** Grows at every change of `connectionState`, `messages` or `alerts` (what `subscribe` announces). */
  version = 0;
  /**
   * The alerts shown to this stream (events `alerts`, `alerts-update`, `alert`,
   * `alerts-refresh`), higher priority first, then newer; without those
   * dismissed in this browser. A new array at each change.
   */
  alerts: readonly SSEAlert[] = [];
  /** The stream's user (`userId` of `connected`): null when anonymous, or before the first `connected`. */
  userId: string | null = null;

  /** @internal */ declare _lead: boolean;
  /** @internal */ declare _names: Set<string>;
  /** @internal */ _sticky: Record<string, SSEMessage> = {};
  /**
   * The options, read when they are needed: callbacks, `token`,
   * `refreshToken`, `reconnect`, `heartbeatTimeout` and `maxMessages` may be
   * replaced at any time (useSSE does at every render). A new url, channels,
   * transport or sharing needs a new client.
   */
  declare options: SSEClientOptions;
  private declare _env: SSEEnvironment;
  private _l = new Map<string, Set<SSEListener>>();
  private _cb: Record<string, Set<Function>> = {};
  // Booleans declared without a value start undefined (false) and cost no bytes.
  private declare _joined: boolean;
  private declare _tabs?: Tabs;
  private declare _post?: (r: Relay) => void;
  private declare _unwire?: () => void;
  private _gen = 0;
  private declare _stream?: Stream;
  private declare _timer?: unknown;
  private declare _watch?: unknown;
  private declare _pending: boolean;
  private declare _seen: number;
  private declare _retry?: number;
  private declare _refreshed: boolean;
  private declare _expired: boolean;
  private declare _tok?: string;
  private _raw: SSEAlert[] = [];

  constructor(options: SSEClientOptions = {}) {
    this.options = options;
    this._env = options.env || (globalThis as any);
    this._names = new Set([...EVENT_NAMES, ...(options.events || [])]);
    this.connectionState = { status: 'disconnected', retryCount: 0, maxAttempts: this._max(), lastError: null, lastEventId: options.lastEventId ?? null, role: 'solo' };
    for (const k of ['onConnect', 'onDisconnect', 'onMessage', 'onError', 'onStateChange'] as const) this[k] = (f: any) => this._on(k, f);
  }

  get state() {
    return this.connectionState.status;
  }
  get retryCount() {
    return this.connectionState.retryCount;
  }
  get lastError() {
    return this.connectionState.lastError;
  }
  get lastEventId() {
    return this.connectionState.lastEventId;
  }

  /** Opens the stream (or joins the browser's shared one). Nothing when already running; restarts from a terminal state. */
  connect = (): void => {
    if (this._joined) return void (/^[edu]/.test(this.state) && this.reconnect()); // error, disconnected, unauthorized
    this._joined = true;
    const o = this.options;
    const env = this._env;
    const d = env.document;
    const ac = new AbortController();
    const opt = { signal: ac.signal };
    env.addEventListener?.('online', () => this._wake(), opt);
    d?.addEventListener('visibilitychange', () => d.visibilityState == 'visible' && this._wake(), opt);
    // Another tab dismissed an alert in localStorage.
    env.addEventListener?.('storage', (e: StorageEvent) => e.key == DISMISSED_KEY && (this._alerts(this._raw), this._bump()), opt);
    this._unwire = () => ac.abort();
    const share = o.shared !== false && env.BroadcastChannel && env.navigator?.locks;
    this._set({ status: 'connecting', retryCount: 0, maxAttempts: this._max(), role: share ? 'follower' : 'solo' });
    if (share) this._tabs = joinTabs(env, 'ringcast:' + JSON.stringify([this._url, o.channels, o.transport == 'fetch', !!o.token, o.withCredentials !== false]), this as TabHost);
    else this._attempt();
  };

  /** Closes the stream (a shared one passes to another tab) and stops reconnecting. */
  disconnect = (): void => {
    if (!this._joined) return;
    this._joined = this._lead = false;
    this._stop();
    this._unwire?.();
    this._tabs?.leave();
    this._tabs = this._post = undefined;
    this._set({ status: 'disconnected', retryCount: 0 });
  };

  /** Reconnects now, from attempt 0 (a follower asks the leader to). Connects when not started. */
  reconnect = (): void => {
    if (!this._joined) return this.connect();
    if (this._tabs && !this._lead) return this._tabs.post({ k: 'r' });
    this._stop();
    this._refreshed = false;
    this._set({ retryCount: 0 });
    this._attempt();
  };

  /** Calls `fn(data, message)` for every event of that name (an EventSource also starts listening for it). */
  addEventListener = <T = any>(name: string, fn: SSEListener<T>): void => {
    (this._l.get(name) || this._l.set(name, new Set()).get(name)!).add(fn);
    if (!this._names.has(name)) {
      this._listen([name]);
      this._tabs?.names([name]);
    }
  };

  removeEventListener = (name: string, fn: SSEListener): void => {
    this._l.get(name)?.delete(fn);
  };

  clearMessages = (): void => {
    this.messages = [];
    this.lastMessage = null;
    this._bump();
  };

  /**
   * Hides an alert. `how = 'user'` (default): `POST /api/alerts/{id}/dismiss`
   * when the stream has a user (the daemon then drops it from every stream of
   * the user: every tab, every device), else, or when the daemon refuses, in
   * this browser's localStorage (every tab of the origin hides it). `'auto'`
   * (BannerStack's timer): in localStorage only.
   */
  dismissAlert = async (id: number, how?: 'user' | 'auto'): Promise<void> => {
    this._alerts(this._raw.filter((a) => a.id != id));
    this._bump();
    if (how != 'auto' && this.userId != null)
      try {
        const r = await this.fetchApi(`/api/alerts/${id}/dismiss`, { method: 'POST', headers: { 'content-type': 'application/json' } });
        if (r.ok) return;
      } catch {}
    dismissHere(this._env, id);
  };

  /**
   * fetch() of the daemon's API (`path`: `/api/alerts/active`...) at `apiBase`,
   * authenticated as the stream is: cookie (`withCredentials`), and the token
   * as `Authorization: Bearer` when there is one.
   */
  fetchApi = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const o = this.options;
    const t = await this._token();
    return this._env.fetch!((o.apiBase ?? /(.*?)\/api\//.exec(this._url)?.[1] ?? '') + path, {
      credentials: credentials(o.withCredentials !== false),
      ...init,
      headers: { ...init.headers, ...(t && { authorization: 'Bearer ' + t }) },
    });
  };

  /** Each of these registers a callback (beside the option of the same name) and returns the function that removes it. */
  declare onConnect: (fn: () => void) => () => void;
  declare onDisconnect: (fn: () => void) => () => void;
  declare onMessage: (fn: (m: SSEMessage) => void) => () => void;
  declare onError: (fn: (e: string) => void) => () => void;
  declare onStateChange: (fn: (s: ConnectionState) => void) => () => void;
  /** Any change of `connectionState`, `messages` or `alerts` (React's useSyncExternalStore); returns the remover. */
  subscribe = (fn: () => void) => this._on('u', fn);

  private _on(k: string, f: Function) {
    (this._cb[k] ||= new Set()).add(f);
    return () => void this._cb[k].delete(f);
  }

  // The callbacks registered under k, then the option named k.
  private _fire(k: string, a?: unknown) {
    for (const f of [...(this._cb[k] || []), (this.options as any)[k]]) f && call(f, a);
  }

  private _bump() {
    this.version++;
    this._fire('u');
  }

  private async _token() {
    const t = this._tok ?? this.options.token;
    return typeof t == 'function' ? t() : t;
  }

  private _alerts(list: unknown) {
    if (!Array.isArray(list)) return;
    const gone = dismissedHere(this._env);
    this._raw = list;
    this.alerts = list.filter((a) => !gone.includes(a.id)).sort(byPriority);
  }

  private _max() {
    const r = this.options.reconnect;
    return r === false ? 0 : (r as ReconnectOptions)?.maxAttempts ?? 5;
  }

  private get _url() {
    return this.options.url || '/api/sse/stream';
  }

  // Changes the state (nothing when nothing changes), tells the callbacks, and
  // the other tabs when leading (but for an event's id: its relay carries it).
  private _set(patch: Partial<ConnectionState>, quiet?: boolean) {
    const s = this.connectionState;
    if ((Object.keys(patch) as (keyof ConnectionState)[]).every((k) => patch[k] === s[k])) return;
    const n = (this.connectionState = { ...s, ...patch });
    if (s.status != n.status) n.status == 'connected' ? this._fire('onConnect') : s.status == 'connected' && this._fire('onDisconnect');
    this._fire('onStateChange', n);
    quiet || this._post?.({ k: 's', s: n });
    this._bump();
  }

  /** @internal */
  _emit(m: SSEMessage) {
    const max = this.options.maxMessages ?? 100;
    const { type, data: d } = m as SSEMessage<any>;
    const sticky = STICKY[type];
    if (m.id) this._set({ lastEventId: m.id }, true);
    if (type == 'token-expired') this._expired = true;
    if (type == 'connected') this.userId = d?.userId ?? null;
    if (type == 'alerts' || type == 'alerts-update') this._alerts(d);
    if (type == 'alert' && d?.id != null) this._alerts([...this._raw.filter((a) => a.id != d.id), d]);
    // One tab asks for the list, and relays it to the others as an update.
    if (type == 'alerts-refresh' && (!this._tabs || this._lead))
      this.fetchApi('/api/alerts/active')
        .then((r) => r.json())
        .then((j) => this._emit({ type: 'alerts-update', data: j.alerts, id: null, timestamp: Date.now() }), () => {});
    if (sticky) this._sticky[sticky] = m;
    if (type != 'heartbeat') {
      this.messages = max ? [...this.messages, m].slice(-max) : [];
      this.lastMessage = m;
      this._fire('onMessage', m);
    }
    this._l.get(type)?.forEach((f) => call(f, d, m));
    this._post?.({ k: 'm', m });
    this._bump();
  }

  /** @internal */
  _listen(names: string[]) {
    for (const n of names)
      if (!this._names.has(n)) {
        this._names.add(n);
        this._stream?._add(n);
      }
  }

  /** @internal */
  _mirror(s: ConnectionState) {
    const e = this.lastError;
    this._set({ ...s, role: 'follower' });
    s.lastError && s.lastError != e && this._fire('onError', s.lastError);
  }

  /** @internal */
  _becomeLeader(post: (r: Relay) => void) {
    this._lead = true;
    this._post = post;
    post({ k: 'q' });
    this._set({ role: 'leader' });
    this._attempt();
  }

  /** @internal Online, visible, or asked by a follower: check the stream now, and retry now if waiting. */
  _wake() {
    if (this._tabs && !this._lead) return this._tabs.post({ k: 'w' });
    this._check();
    // A new network, or a user looking: the backoff starts again.
    if (this._pending || this.state == 'error') {
      this._set({ retryCount: 0 });
      this._attempt();
    }
  }

  private _stop() {
    const env = this._env;
    this._gen++;
    this._stream?.close();
    this._stream = undefined;
    env.clearTimeout(this._timer);
    env.clearTimeout(this._watch);
    this._pending = false;
  }

  private async _attempt() {
    this._stop();
    const g = this._gen;
    this._set({ status: this.retryCount ? 'reconnecting' : 'connecting' });
    try {
      const tok = await this._token();
      if (g == this._gen) this._open(g, tok);
    } catch (e) {
      // A token getter that fails, or a browser without EventSource: a failed attempt.
      this._fail(g, { message: 'cannot connect: ' + e });
    }
  }

  private _open(g: number, tok: string | null | undefined) {
    const o = this.options;
    const env = this._env;
    const wc = o.withCredentials !== false;
    const fetching = o.transport == 'fetch';
    const id = this.lastEventId;
    const url = this._url;
    const q = [];
    if (o.channels?.length) q.push('channels=' + o.channels.map(encodeURIComponent).join(','));
    if (tok && !fetching) q.push('token=' + encodeURIComponent(tok));
    if (id) q.push('lastEventId=' + encodeURIComponent(id));
    const u = q.length ? url + (url.includes('?') ? '&' : '?') + q.join('&') : url;
    const live =
      <A extends unknown[]>(f: (...a: A) => void) =>
      (...a: A) =>
        g == this._gen && f(...a);
    const alive = () => (this._seen = env.Date.now());
    const sink: Sink = {
      _open: live(() => {
        this._refreshed = this._expired = false;
        alive();
        this._set({ status: 'connected', retryCount: 0, lastError: null });
      }),
      _event: live((type, data, id) => {
        alive();
        this._emit({ type, data: parse(data), id: id || null, timestamp: Date.now() });
      }),
      _id: live((id) => id && this._set({ lastEventId: id })),
      _retry: live((ms) => (this._retry = ms)),
      _alive: live(alive),
      _fail: live((f) => this._fail(g, f)),
    };
    alive();
    this._stream = fetching
      ? openFetch(env, u, tok ? { authorization: 'Bearer ' + tok } : {}, wc, sink)
      : openEventSource(env, u, wc, this._names, sink);
    this._check();
  }

  // The heartbeat timeout, against the clock: called when an attempt starts,
  // by its own timer (re-armed for the time left), and on wake-ups.
  private _check = () => {
    const env = this._env;
    const max = this.options.heartbeatTimeout ?? 45000;
    if (!max || !this._stream) return;
    const left = this._seen + max - env.Date.now();
    if (left <= 0) return this._fail(this._gen, { message: `no data for ${max} ms` });
    env.clearTimeout(this._watch);
    this._watch = env.setTimeout(this._check, left);
  };

  private async _fail(g: number, f: Failure): Promise<unknown> {
    if (g != this._gen) return;
    this._stop();
    g = this._gen;
    const o = this.options;
    const s = f.status;
    this._set({ lastError: f.message });
    this._fire('onError', f.message);
    if (s == 204) return this._set({ status: 'disconnected' });
    if ((s == 401 || (!s && this._expired)) && o.refreshToken && !this._refreshed) {
      this._refreshed = true;
      this._set({ status: 'reconnecting' });
      try {
        const t = await o.refreshToken();
        if (typeof t == 'string') this._tok = t;
      } catch (e) {
        return g == this._gen && this._set({ status: 'unauthorized', lastError: 'refreshToken: ' + e });
      }
      return g == this._gen && this._attempt();
    }
    if (s == 401 || s == 403) return this._set({ status: 'unauthorized' });
    if (s && s < 500 && s != 408 && s != 429) return this._set({ status: 'error' });
    this._schedule(f.retryAfter || 0);
  }

  private _schedule(floor: number) {
    const env = this._env;
    const r = this.options.reconnect;
    const n = this.retryCount + 1;
    if (n > this._max()) return this._set({ status: 'error' });
    this._set({ status: 'reconnecting', retryCount: n });
    const { baseDelay = 1000, maxDelay = 30000 } = (r || {}) as ReconnectOptions;
    this._pending = true;
    this._timer = env.setTimeout(
      () => env.navigator?.onLine !== false && this._attempt(),
      Math.max(floor, backoffDelay(n, this._retry ?? baseDelay, maxDelay, env.Math.random)),
    );
  }
}
