// The transport: one Unix-socket connection to ringcastd speaking the
// newline-delimited JSON protocol of docs/protocol.md ("The Unix socket
// protocol"), with pipelining, per-request deadlines and reconnection.
//
// Contract, in the order a request lives it:
// - request() gives every request a fresh numeric "req" (never reused, even
//   across reconnects, so a late reply can never settle the wrong request) and
//   a deadline that starts at the call.
// - Connected: the line is written at once; writes of one tick are corked into
//   one syscall, so thousands of pipelined requests cost a few writes. The
//   reply is matched by "req" (the daemon answers in order; matching by "req"
//   also survives requests that timed out here).
// - Not connected: the request waits in a queue of at most maxQueue entries,
//   written in call order once a connection is up; past the bound it fails at
//   once with `queue_full`. Its deadline keeps running while it waits.
// - The connection drops: requests written and not answered fail with
//   `disconnected` (they may have been published: never re-sent, at most once).
//   The exception is a daemon that is shutting down: it answers `unavailable`
//   to the request it is reading and reads nothing after it, so that request
//   and every later one on the connection were never acted on; they go first
//   in the queue for the next connection, in their order.
// - Reconnection is automatic, with exponential backoff and jitter (backoff.ts),
//   once the client has been connected. A client that has never reached the
//   daemon and finds no socket (ENOENT), nobody listening (ECONNREFUSED) or no
//   permission (EACCES) fails what waits at once, with an error that says
//   what to change (socket-errors.ts): that is a configuration mistake, not a
//   restart to wait out. The next request tries again.
// - Fire-and-forget (send()) writes a line without "req": nothing answers a
//   success; a failure arrives as {"ok":false,"line":N,...} and is emitted as
//   'publishError' (or a process warning when nobody listens).
// - close() refuses new requests, fails those never written with `closed`,
//   waits for replies to those written (each bounded by its deadline), then
//   closes the socket.
//
// The socket is unref'd: an idle client never keeps a process alive, while each
// unanswered request's deadline timer does, until it is settled.

import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';

import { Backoff } from './backoff.js';
import { RingcastError } from './errors.js';
import { LineSplitter } from './line-splitter.js';
import { type ClientOptions, type ResolvedOptions, resolveOptions, socketPathFor } from './options.js';
import { PendingRequest } from './pending.js';
import { connectError, FAIL_FAST_CODES } from './socket-errors.js';
import type { ConnectionState, Reply, RequestOptions, RingcastClientEvents, Transport } from './transport.js';

export type { ConnectionState, Reply, RequestOptions, RingcastClientEvents } from './transport.js';

// A connection that lasted this long, or got a successful reply, was a good
// one: the next reconnect starts again from the first delay.
const HEALTHY_AFTER_MS = 1000;
// close() waits this long for the daemon to close its side after ours.
const CLOSE_GRACE_MS = 2000;

export interface RingcastClient {
  on<E extends keyof RingcastClientEvents>(event: E, listener: (...args: RingcastClientEvents[E]) => void): this;
  once<E extends keyof RingcastClientEvents>(event: E, listener: (...args: RingcastClientEvents[E]) => void): this;
  off<E extends keyof RingcastClientEvents>(event: E, listener: (...args: RingcastClientEvents[E]) => void): this;
}

export class RingcastClient extends EventEmitter implements Transport {
  readonly kind = 'socket' as const;
  readonly #opts: Omit<ResolvedOptions, 'socketPath'> & { socketPath: string | undefined };
  readonly #backoff: Backoff;
  readonly #splitter = new LineSplitter();
  #path: string | undefined;
  #state: ConnectionState = 'idle';
  #socket: Socket | undefined;
  #queue = new Set<PendingRequest>(); // waiting for a connection, in call order
  #inflight = new Map<number, PendingRequest>(); // written, waiting for the reply
  #refused: PendingRequest[] = []; // answered `unavailable`: to send again
  #draining = false; // the daemon said `unavailable` on this connection
  #nextReq = 1;
  #corked = false;
  #connectedAt = 0;
  #healthy = false;
  #everConnected = false; // after a first connection, errors mean "wait": a restart
  #failure: RingcastError | undefined; // the daemon's reason for closing this connection
  #lastError: Error | undefined; // the socket's last error (ENOENT, ECONNREFUSED...)
  #timer: NodeJS.Timeout | undefined; // the next reconnect
  #closing: Promise<void> | undefined; // set by close(): no new requests
  #closed: (() => void) | undefined;

  constructor(options: ClientOptions = {}) {
    super();
    this.#opts = resolveOptions(options);
    this.#backoff = new Backoff({
      initialDelay: this.#opts.reconnectDelay,
      maxDelay: this.#opts.maxReconnectDelay,
    });
  }

  /** The absolute socket path, decided at first use: the socketPath option,
   *  else $RINGCAST_SOCKET, else ./var/ringcast.sock if it exists, else
   *  /run/ringcast/ringcast.sock. */
  get socketPath(): string {
    return (this.#path ??= socketPathFor(this.#opts.socketPath));
  }

  /** The socket path (Transport's name for where the daemon is). */
  get target(): string {
    return this.socketPath;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Requests waiting for a connection or a reply. */
  get pending(): number {
    return this.#queue.size + this.#inflight.size + this.#refused.length;
  }

  /** Sends `{"op": op, "req": <n>, ...fields}` and resolves with the reply when
   *  it is `ok`; rejects with a RingcastError otherwise. */
  request(op: string, fields: object = {}, options: RequestOptions = {}): Promise<Reply> {
    if (this.#closing)
      return Promise.reject(RingcastError.client('closed', `ringcast: the client is closed ("${op}" not sent)`, op));
    const timeout = options.timeout ?? this.#opts.timeout;
    if (!(timeout > 0) || !Number.isFinite(timeout))
      return Promise.reject(new RangeError(`ringcast: timeout must be a finite number > 0 (got ${timeout})`));
    const req = this.#nextReq++;
    let line: string;
    try {
      line = this.#encode(op, fields, req);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<Reply>((resolve, reject) => {
      this.#submit(new PendingRequest(req, op, line, { resolve, reject }), timeout);
    });
  }

  /** Fire-and-forget: sends `{"op": op, ...fields}` without "req". Throws at once
   *  (RingcastError `closed`, `queue_full`, `line_too_long`) when it cannot be
   *  sent; a failure reported later by the daemon is emitted as 'publishError'. */
  send(op: string, fields: object = {}): void {
    if (this.#closing) throw RingcastError.client('closed', `ringcast: the client is closed ("${op}" not sent)`, op);
    const line = this.#encode(op, fields, undefined);
    const p = new PendingRequest(undefined, op, line, { reject: (e) => this.#report(e) });
    if (this.#state !== 'connected' && this.#queue.size >= this.#opts.maxQueue) throw this.#queueFull(op);
    this.#submit(p, this.#opts.timeout);
  }

  /** Stops reconnecting and closes the connection once every reply still due
   *  has arrived (or timed out). Requests not yet written fail with `closed`. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    let resolveClosed!: () => void;
    this.#closing = new Promise<void>((resolve) => (resolveClosed = resolve));
    this.#shutDown(resolveClosed);
    return this.#closing;
  }

  #shutDown(resolve: () => void): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const never = (p: PendingRequest) =>
      p.reject(RingcastError.client('closed', `ringcast: the client was closed before "${p.op}" was sent`, p.op));
    this.#queue.forEach(never);
    this.#queue.clear();
    this.#refused.forEach(never);
    this.#refused = [];
    const s = this.#socket;
    if (!s) {
      this.#state = 'closed';
      resolve();
      return;
    }
    this.#closed = resolve;
    s.ref(); // whoever awaits close() is kept alive until it resolves
    if (this.#state !== 'connected') s.destroy();
    else this.#endIfIdle();
  }

  // --- requests ------------------------------------------------------------------

  #encode(op: string, fields: object, req: number | undefined): string {
    // "op" and "req" first (readable in a capture) and never overridden by fields.
    const body: Record<string, unknown> = req === undefined ? { op } : { op, req };
    Object.assign(body, fields);
    body['op'] = op;
    if (req === undefined) delete body['req'];
    else body['req'] = req;
    const line = JSON.stringify(body) + '\n';
    // The daemon closes a connection that sends a line over its limit, failing
    // every other request on it: refuse this one here instead.
    const bytes = Buffer.byteLength(line) - 1;
    if (bytes > this.#opts.maxLineBytes)
      throw RingcastError.client(
        'line_too_long',
        `ringcast: the "${op}" request is ${bytes} bytes, over the daemon's line limit of ${this.#opts.maxLineBytes} (publish.max_line); it was not sent`,
        op,
      );
    return line;
  }

  #submit(p: PendingRequest, timeout: number): void {
    if (this.#state === 'connected') {
      if (p.req !== undefined) p.arm(timeout, (x) => this.#timedOut(x, timeout));
      this.#write(p);
      return;
    }
    if (this.#queue.size >= this.#opts.maxQueue) {
      p.reject(this.#queueFull(p.op));
      return;
    }
    p.arm(timeout, (x) => this.#timedOut(x, timeout));
    this.#queue.add(p);
    if (this.#state === 'idle') this.#connect();
  }

  #queueFull(op: string): RingcastError {
    const why = this.#lastError ? ` (last error: ${this.#lastError.message})` : '';
    return RingcastError.client(
      'queue_full',
      `ringcast: not connected to ${this.socketPath}${why} and ${this.#queue.size} requests are already waiting (maxQueue); "${op}" refused`,
      op,
    );
  }

  #timedOut(p: PendingRequest, timeout: number): void {
    const waiting = this.#queue.delete(p);
    if (p.req !== undefined) this.#inflight.delete(p.req);
    const what = p.req === undefined ? 'fire-and-forget message' : 'request';
    const message = waiting
      ? `ringcast: the "${p.op}" ${what} waited ${timeout} ms for a connection to ${this.socketPath}` +
        (this.#lastError ? ` (last error: ${this.#lastError.message})` : '') +
        (p.req === undefined ? '; dropped' : '')
      : `ringcast: no reply to "${p.op}" within ${timeout} ms (it may still have been published)`;
    p.reject(RingcastError.client('timeout', message, p.op));
    this.#endIfIdle();
  }

  #write(p: PendingRequest): void {
    const s = this.#socket!;
    if (!this.#corked) {
      this.#corked = true;
      s.cork();
      process.nextTick(() => {
        this.#corked = false;
        s.uncork();
      });
    }
    if (p.req !== undefined) this.#inflight.set(p.req, p);
    s.write(p.line);
    p.written();
  }

  // --- replies ------------------------------------------------------------------

  #onLine(text: string): boolean {
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      return this.#protocolError(`a reply line is not JSON: ${text.slice(0, 200)}`);
    }
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply))
      return this.#protocolError(`a reply line is not a JSON object: ${text.slice(0, 200)}`);
    const r = reply as Reply;
    if ('req' in r) {
      const p = typeof r['req'] === 'number' ? this.#inflight.get(r['req']) : undefined;
      if (!p) return true; // timed out here already: its caller has the error
      this.#inflight.delete(p.req!);
      if (r['ok'] === true) {
        this.#healthy = true;
        p.resolve(r);
      } else {
        const error = RingcastError.fromDaemon(r['error'], p.op, undefined, undefined, r['current']);
        if (error.code === 'unavailable') {
          this.#refused.push(p);
          this.#draining = true;
        } else {
          p.reject(error);
        }
      }
      this.#endIfIdle();
      return true;
    }
    // No "req": a fire-and-forget failure ("line"), or the daemon refusing the
    // connection as a whole (forbidden, line_too_long, unavailable), after
    // which it closes it.
    const line = typeof r['line'] === 'number' ? r['line'] : undefined;
    const error = RingcastError.fromDaemon(r['error'], undefined, line);
    if (error.code === 'unavailable') this.#draining = true;
    else if (error.code === 'forbidden' || error.code === 'line_too_long') this.#failure = error;
    this.#report(error);
    return true;
  }

  #protocolError(message: string): false {
    this.#failure = RingcastError.client('protocol', `ringcast: ${message}`);
    this.#socket?.destroy();
    return false;
  }

  #report(error: RingcastError): void {
    if (this.listenerCount('publishError') > 0) this.emit('publishError', error);
    else process.emitWarning(error.message, { type: 'RingcastWarning', code: error.code });
  }

  // close() ends the socket once nothing is in flight.
  #endIfIdle(): void {
    const s = this.#socket;
    if (!this.#closing || !s || s.writableEnded || this.#inflight.size > 0 || this.#refused.length > 0) return;
    s.end();
    const t = setTimeout(() => s.destroy(), CLOSE_GRACE_MS);
    s.once('close', () => clearTimeout(t));
  }

  // --- the connection -------------------------------------------------------------

  #connect(): void {
    this.#timer = undefined;
    this.#state = 'connecting';
    this.#failure = undefined;
    this.#draining = false;
    this.#healthy = false;
    this.#splitter.reset();
    const s = createConnection({ path: this.socketPath });
    this.#socket = s;
    s.setEncoding('utf8');
    s.unref();
    s.on('connect', () => this.#onConnect(s));
    s.on('data', (chunk: string) => {
      if (s !== this.#socket) return;
      for (const line of this.#splitter.push(chunk)) if (!this.#onLine(line)) return;
    });
    s.on('error', (error) => {
      this.#lastError = error;
    });
    s.on('close', () => this.#onClose(s));
  }

  #onConnect(s: Socket): void {
    if (s !== this.#socket) return;
    this.#state = 'connected';
    this.#everConnected = true;
    this.#connectedAt = Date.now();
    this.#lastError = undefined;
    // What waited goes first; a 'connect' listener's own requests follow it.
    const waiting = [...this.#queue];
    this.#queue.clear();
    for (const p of waiting) if (!p.settled) this.#write(p);
    this.emit('connect');
  }

  #onClose(s: Socket): void {
    if (s !== this.#socket) return;
    this.#socket = undefined;
    const wasConnected = this.#state === 'connected';
    if (this.#healthy || (wasConnected && Date.now() - this.#connectedAt >= HEALTHY_AFTER_MS))
      this.#backoff.reset();

    // Refused by a daemon that was shutting down, and everything written after:
    // never acted on, so safe to send again, first, in their order.
    const again = [...this.#refused, ...(this.#draining ? this.#inflight.values() : [])].filter((p) => !p.settled);
    this.#refused = [];
    if (this.#draining) this.#inflight.clear();
    if (again.length > 0) this.#queue = new Set([...again, ...this.#queue]);
    // Written, unanswered: the reply is lost with the connection.
    for (const p of this.#inflight.values()) {
      p.reject(
        this.#failure ??
          RingcastError.client(
            'disconnected',
            `ringcast: the connection to ${this.socketPath} closed before the reply to "${p.op}" ` +
              `(it may or may not have been published; not re-sent)` +
              (this.#lastError ? `: ${this.#lastError.message}` : ''),
            p.op,
            this.#lastError,
          ),
      );
    }
    this.#inflight.clear();

    if (wasConnected) this.emit('disconnect', this.#failure ?? this.#lastError);
    if (this.#closing) {
      for (const p of this.#queue)
        p.reject(RingcastError.client('closed', `ringcast: the client was closed before "${p.op}" was sent`, p.op));
      this.#queue.clear();
      this.#state = 'closed';
      this.#closed?.();
      return;
    }
    const cause = this.#lastError as NodeJS.ErrnoException | undefined;
    if (!this.#everConnected && cause?.code !== undefined && FAIL_FAST_CODES.has(cause.code)) {
      // Never reached the daemon: a wrong path or missing rights, not a
      // restart. Fail what waits now; the next request tries again.
      const waiting = [...this.#queue];
      this.#queue.clear();
      for (const p of waiting) p.reject(connectError(this.socketPath, cause, p.op));
      this.#state = 'idle';
      this.#path = undefined; // decided again: the socket may appear at ./var, or the env change
      return;
    }
    const delay = this.#backoff.next();
    this.#state = 'reconnecting';
    this.emit('reconnecting', { attempt: this.#backoff.attempt, delay, error: this.#failure ?? this.#lastError });
    this.#timer = setTimeout(() => this.#connect(), delay);
    this.#timer.unref();
  }
}
