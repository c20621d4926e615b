// The HTTP transport: the same ops as the socket (transport.ts), over the
// daemon's HTTP API with an API key, for apps in another container, on another
// host or on a serverless platform. The connections are undici's (a Pool:
// keep-alive, HTTP/1.1 pipelining); what this file adds is the socket
// client's contract, kept as far as HTTP allows:
//
// - Deadlines: every request fails with `timeout` at its deadline, counted
//   from the call; the wait for a connection counts. A request that has been
//   written is aborted then (undici closes that connection: an HTTP/1.1
//   answer cannot be skipped).
// - A bounded queue: at most maxQueue requests not yet written (waiting for a
//   connection, or for the daemon to come back); one more is `queue_full`.
// - At most once: a request written and not answered when its connection
//   drops fails with `disconnected` and is never sent again. undici only
//   pipelines idempotent requests (the GET queries) and writes a POST (publish,
//   invalidate, disconnect, token) only on a connection with nothing else in
//   flight, so a drop can never make it re-send a POST; the queries it may
//   re-send change nothing.
// - Never written is safe to send again: a request that failed to connect, or
//   that a shutting-down daemon refused (503 `unavailable`, not acted on),
//   waits with backoff and is sent again, until its deadline, once this
//   client has reached the daemon. Before that, the first failure to connect
//   fails it at once with `unreachable` (a wrong URL is not a restart).
// - Errors are the socket's: the daemon's JSON error with its code (a 400's
//   `reason` carries the socket's code), `status`, `reason` and a 429's
//   Retry-After as `retryAfterMs` (errors.ts).
//
// Order: over the socket, calls are published in call order. Here concurrent
// calls travel on several connections and may be published in any order;
// await a call before making the next one, or use sendBatch, when order
// matters.

import { EventEmitter } from 'node:events';

import { Pool } from 'undici';

import { Backoff } from './backoff.js';
import { RingcastError } from './errors.js';
import { type HttpRoute, routeFor } from './http-routes.js';
import { type HttpClientOptions, positive, resolveOptions } from './options.js';
import type { ConnectionState, Reply, RequestOptions, RingcastClientEvents, Transport } from './transport.js';

export interface RingcastHttpClient {
  on<E extends keyof RingcastClientEvents>(event: E, listener: (...args: RingcastClientEvents[E]) => void): this;
  once<E extends keyof RingcastClientEvents>(event: E, listener: (...args: RingcastClientEvents[E]) => void): this;
  off<E extends keyof RingcastClientEvents>(event: E, listener: (...args: RingcastClientEvents[E]) => void): this;
}

// One call, from request() until it is settled, across the attempts to send it.
class HttpCall {
  started = false; // written at least once: never sent again by this client
  settled = false;
  abort: ((error?: Error) => void) | undefined;
  timer: NodeJS.Timeout | undefined;
  readonly done: Promise<void>;
  #finish!: () => void;

  constructor(
    readonly op: string,
    readonly route: HttpRoute,
    readonly body: string | undefined,
    readonly onReply: (reply: Reply) => void,
    readonly onError: (error: RingcastError) => void,
  ) {
    this.done = new Promise((resolve) => (this.#finish = resolve));
  }

  settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    this.#finish();
    return true;
  }
}

export class RingcastHttpClient extends EventEmitter implements Transport {
  readonly kind = 'http' as const;
  readonly #opts: ReturnType<typeof resolveOptions>;
  readonly #origin: string;
  readonly #base: string; // the URL's path, without its trailing slash
  readonly #target: string;
  readonly #headers: Record<string, string>;
  readonly #apiKey: string | undefined;
  readonly #connections: number;
  readonly #pipelining: number;
  readonly #backoff: Backoff;
  #pool: Pool | undefined;
  #state: ConnectionState = 'idle';
  #everConnected = false;
  #calls = new Set<HttpCall>(); // not settled
  #unwritten = 0; // of those, not written yet: the queue maxQueue bounds
  #held: HttpCall[] = []; // waiting for #retryTimer to be sent again
  #retryTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: HttpClientOptions) {
    super();
    const { url, apiKey, connections, pipelining, ...rest } = options;
    this.#opts = resolveOptions(rest);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new RangeError(`ringcast: url ${JSON.stringify(String(url))} is not a URL (want http://host:port)`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new RangeError(`ringcast: url ${parsed.href} must be http: or https:`);
    if (parsed.username !== '' || parsed.password !== '')
      throw new RangeError('ringcast: put the API key in apiKey, not in the url');
    this.#origin = parsed.origin;
    this.#base = parsed.pathname.replace(/\/+$/, '');
    this.#target = this.#origin + this.#base;
    this.#apiKey = apiKey === undefined || apiKey === '' ? undefined : apiKey;
    this.#headers = { accept: 'application/json' };
    if (this.#apiKey !== undefined) this.#headers['x-api-key'] = this.#apiKey;
    this.#connections = Math.floor(positive('connections', connections, 8));
    this.#pipelining = Math.floor(positive('pipelining', pipelining, 10));
    this.#backoff = new Backoff({ initialDelay: this.#opts.reconnectDelay, maxDelay: this.#opts.maxReconnectDelay });
  }

  /** The daemon's URL (origin and base path). */
  get target(): string {
    return this.#target;
  }

  get url(): string {
    return this.#target;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get pending(): number {
    return this.#calls.size;
  }

  request(op: string, fields: object = {}, options: RequestOptions = {}): Promise<Reply> {
    const timeout = options.timeout ?? this.#opts.timeout;
    if (!(timeout > 0) || !Number.isFinite(timeout))
      return Promise.reject(new RangeError(`ringcast: timeout must be a finite number > 0 (got ${timeout})`));
    return new Promise<Reply>((resolve, reject) => {
      try {
        this.#start(op, fields, timeout, resolve, reject);
      } catch (error) {
        reject(error);
      }
    });
  }

  send(op: string, fields: object = {}): void {
    this.#start(op, fields, this.#opts.timeout, () => {}, (e) => this.#report(e));
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    // Never written, or refused unread by a daemon shutting down: not acted on.
    const never = new Set([...this.#held, ...[...this.#calls].filter((c) => !c.started)]);
    this.#held = [];
    for (const call of never)
      this.#fail(call, RingcastError.client('closed', `ringcast: the client was closed before "${call.op}" was sent`, call.op));
    this.#closing = (async () => {
      // What was written is answered (or times out) first.
      await Promise.all([...this.#calls].map((c) => c.done));
      this.#state = 'closed';
      await this.#pool?.destroy();
    })();
    return this.#closing;
  }

  // --- requests ------------------------------------------------------------------

  // Throws (synchronously) what cannot be sent at all.
  #start(
    op: string,
    fields: object,
    timeout: number,
    resolve: (reply: Reply) => void,
    reject: (error: RingcastError) => void,
  ): void {
    if (this.#closing) throw RingcastError.client('closed', `ringcast: the client is closed ("${op}" not sent)`, op);
    const route = routeFor(op, fields as Record<string, unknown>);
    const body = route.body === undefined ? undefined : JSON.stringify(route.body);
    const bytes = body === undefined ? 0 : Buffer.byteLength(body);
    if (bytes > this.#opts.maxLineBytes)
      throw RingcastError.client(
        'line_too_long',
        `ringcast: the "${op}" request is ${bytes} bytes, over the daemon's limit of ${this.#opts.maxLineBytes} (http.max_body); it was not sent`,
        op,
      );
    if (this.#unwritten >= this.#opts.maxQueue)
      throw RingcastError.client(
        'queue_full',
        `ringcast: ${this.#unwritten} requests to ${this.#target} are already waiting to be sent (maxQueue); "${op}" refused`,
        op,
      );
    const call = new HttpCall(op, route, body, resolve, reject);
    this.#calls.add(call);
    this.#unwritten++;
    call.timer = setTimeout(() => this.#timedOut(call, timeout), timeout);
    this.#dispatch(call);
  }

  #timedOut(call: HttpCall, timeout: number): void {
    const message = call.started
      ? `ringcast: no reply to "${call.op}" from ${this.#target} within ${timeout} ms (it may still have been published)`
      : `ringcast: the "${call.op}" request waited ${timeout} ms to be sent to ${this.#target}` +
        (this.#state === 'reconnecting' ? ' (the daemon is not reachable)' : '');
    const abort = call.abort;
    this.#fail(call, RingcastError.client('timeout', message, call.op));
    abort?.(new Error('ringcast: deadline passed'));
  }

  #fail(call: HttpCall, error: RingcastError): void {
    if (!this.#forget(call)) return;
    call.onError(error);
  }

  #succeed(call: HttpCall, reply: Reply): void {
    if (!this.#forget(call)) return;
    call.onReply(reply);
  }

  #forget(call: HttpCall): boolean {
    if (!call.settle()) return false;
    this.#calls.delete(call);
    if (!call.started) this.#unwritten--;
    return true;
  }

  #report(error: RingcastError): void {
    if (this.listenerCount('publishError') > 0) this.emit('publishError', error);
    else process.emitWarning(error.message, { type: 'RingcastWarning', code: error.code });
  }

  #dispatch(call: HttpCall): void {
    if (this.#state === 'idle') this.#state = 'connecting';
    const headers = call.body === undefined ? this.#headers : { ...this.#headers, 'content-type': 'application/json' };
    const chunks: Buffer[] = [];
    let status = 0;
    let retryAfterMs: number | undefined;
    this.#getPool().dispatch(
      {
        method: call.route.method,
        path: this.#base + call.route.path,
        headers: call.route.headers ? { ...headers, ...call.route.headers } : headers,
        body: call.body,
      },
      {
        onConnect: (abort) => {
          if (call.settled) {
            abort(new Error('ringcast: settled before it was written')); // timed out or closed: never written
            return;
          }
          call.abort = abort;
          if (!call.started) {
            call.started = true;
            this.#unwritten--;
          }
        },
        onHeaders: (statusCode, rawHeaders) => {
          status = statusCode;
          retryAfterMs = retryAfter(rawHeaders);
          return true;
        },
        onData: (chunk) => {
          chunks.push(chunk);
          return true;
        },
        onComplete: () => this.#answered(call, status, Buffer.concat(chunks).toString('utf8'), retryAfterMs),
        onError: (error) => this.#failed(call, error),
      },
    );
  }

  #getPool(): Pool {
    if (this.#pool) return this.#pool;
    const pool = new Pool(this.#origin, { connections: this.#connections, pipelining: this.#pipelining });
    pool.on('connect', () => {
      this.#everConnected = true;
      if (this.#state === 'connected' || this.#closing) return;
      this.#state = 'connected';
      this.emit('connect');
    });
    pool.on('disconnect', (_origin, _targets, error) => {
      // Idle keep-alive connections closing are routine (UND_ERR_INFO).
      if ((error as { code?: string }).code !== 'UND_ERR_INFO' && !this.#closing) this.emit('disconnect', error);
    });
    this.#pool = pool;
    return pool;
  }

  // --- answers ---------------------------------------------------------------------

  #answered(call: HttpCall, status: number, text: string, retryAfterMs: number | undefined): void {
    if (call.settled) return;
    this.#everConnected = true;
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (status >= 200 && status < 300) {
      if (typeof json !== 'object' || json === null || Array.isArray(json)) {
        this.#fail(call, this.#notRingcast(call, status, text));
        return;
      }
      this.#backoff.reset();
      if (this.#state !== 'closed') this.#state = 'connected';
      this.#succeed(call, { ok: true, ...call.route.reply(json) });
      return;
    }
    const error = (json as { error?: unknown } | undefined)?.error;
    if (typeof error !== 'object' || error === null) {
      this.#fail(call, this.#notRingcast(call, status, text));
      return;
    }
    const current = (json as { current?: unknown }).current;
    const e = RingcastError.fromDaemon(error, call.op, undefined, { status, retryAfterMs }, current);
    if (status === 503 && e.code === 'unavailable' && !this.#closing) {
      // Shutting down: read and not acted on, so safe to send again.
      this.#hold(call, e);
      return;
    }
    this.#fail(call, this.#explain(call, e));
  }

  // Adds what the daemon cannot know: which setting to look at on this side.
  #explain(call: HttpCall, e: RingcastError): RingcastError {
    let message: string | undefined;
    if (e.status === 404 && e.message.startsWith('no endpoint at'))
      return new RingcastError(
        'unknown_op',
        `ringcast: ${this.#target} has no ${call.route.method} ${this.#base + call.route.path} for "${call.op}" ` +
          `(a ringcastd older than this client?): ${e.message}`,
        { source: 'daemon', op: call.op, status: e.status },
      );
    // The socket's code for alerts switched off; HTTP answers 404 (no such API here).
    if (e.status === 404 && call.op.startsWith('alerts.') && e.message.startsWith('alerts are disabled'))
      return new RingcastError('not_configured', e.message, { source: 'daemon', op: call.op, status: e.status });
    if ((e.code === 'unauthorized' || e.code === 'invalid_api_key') && this.#apiKey === undefined)
      message = `${e.message} (this client sends no API key: set the apiKey option or RINGCAST_API_KEY to one of the daemon's publish.api_keys)`;
    else if (e.code === 'invalid_api_key')
      message = `${e.message} (the apiKey option or RINGCAST_API_KEY must be one of the daemon's publish.api_keys)`;
    if (message === undefined) return e;
    return new RingcastError(e.code, message, {
      source: 'daemon',
      op: e.op,
      status: e.status,
      reason: e.reason,
      retryAfterMs: e.retryAfterMs,
    });
  }

  #notRingcast(call: HttpCall, status: number, text: string): RingcastError {
    return new RingcastError(
      'protocol',
      `ringcast: ${this.#target} answered "${call.op}" with ${status} and a body that is not ringcastd's JSON ` +
        `(a proxy in between, or not ringcastd?): ${text.slice(0, 200)}`,
      { source: 'client', op: call.op, status },
    );
  }

  #failed(call: HttpCall, error: Error): void {
    if (call.settled) return;
    if (call.started) {
      this.#fail(
        call,
        RingcastError.client(
          'disconnected',
          `ringcast: the connection to ${this.#target} closed before the answer to "${call.op}" ` +
            `(it may or may not have been published; not re-sent): ${error.message}`,
          call.op,
          error,
        ),
      );
      return;
    }
    // Never written: the daemon was not reached on this attempt.
    if (this.#closing) {
      this.#fail(call, RingcastError.client('closed', `ringcast: the client was closed before "${call.op}" was sent`, call.op));
      return;
    }
    if (!this.#everConnected) {
      this.#fail(call, this.#unreachable(call, error));
      if (this.#state === 'connecting') this.#state = 'idle'; // the next call tries again
      return;
    }
    this.#hold(call, error);
  }

  #unreachable(call: HttpCall, error: Error): RingcastError {
    const code = (error as { code?: string }).code;
    return RingcastError.client(
      'unreachable',
      `ringcast: cannot reach ringcastd at ${this.#target} (${code ? `${code}: ` : ''}${error.message}). ` +
        `Is it running and listening there (http.listen, --http)? Set RINGCAST_URL (or the url option) to the ` +
        `address this app reaches it at`,
      call.op,
      error,
    );
  }

  // Not written, or refused unread: sent again after the backoff delay.
  #hold(call: HttpCall, error: Error): void {
    this.#held.push(call);
    this.#state = 'reconnecting';
    if (this.#retryTimer !== undefined) return;
    const delay = this.#backoff.next();
    this.emit('reconnecting', { attempt: this.#backoff.attempt, delay, error });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      const calls = this.#held;
      this.#held = [];
      for (const c of calls) if (!c.settled) this.#dispatch(c);
    }, delay);
    // The calls' own deadlines keep the process alive, not this timer.
    this.#retryTimer.unref();
  }
}

// Retry-After as ms: delta-seconds or an HTTP date.
function retryAfter(rawHeaders: Buffer[] | string[] | null): number | undefined {
  if (!rawHeaders) return undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (String(rawHeaders[i]).toLowerCase() !== 'retry-after') continue;
    const value = String(rawHeaders[i + 1]).trim();
    if (/^\d+$/.test(value)) return Number(value) * 1000;
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
  }
  return undefined;
}
