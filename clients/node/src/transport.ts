// What Ringcast needs from a way to reach the daemon: the socket (client.ts)
// and HTTP (http-client.ts) both give it, with the same ops, the same replies
// and the same errors, so every operation is written once, against this.
//
// Ops and replies are the socket protocol's (docs/protocol.md, "Operations"):
// request('publish', message) resolves with {"ok": true, "id", "sent",
// "failed"}, request('stats') with {"ok": true, "stats": {...}}, and so on;
// the HTTP transport maps each op to its route and shapes the answer the same.

import type { RingcastError } from './errors.js';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** A reply: "ok" and the op's own members (over the socket, "req" too). */
export type Reply = Record<string, unknown>;

export interface RequestOptions {
  /** This request's deadline in ms (default: the client's `timeout`). */
  timeout?: number;
}

export interface RingcastClientEvents {
  /** A connection is up (the first one, or after a reconnect). */
  connect: [];
  /** The connection went away; the error says why, when known. */
  disconnect: [error: Error | undefined];
  /** The next connection attempt is scheduled. */
  reconnecting: [info: { attempt: number; delay: number; error: Error | undefined }];
  /** A fire-and-forget message failed (daemon error, or it waited too long
   *  for a connection, or the daemon cannot be reached), or the daemon refused
   *  the connection. */
  publishError: [error: RingcastError];
}

export interface Transport {
  /** 'socket' (RingcastClient) or 'http' (RingcastHttpClient). */
  readonly kind: 'socket' | 'http';
  /** Where the daemon is: the socket's absolute path, or the URL. */
  readonly target: string;
  readonly state: ConnectionState;
  /** Requests waiting for a connection or a reply. */
  readonly pending: number;
  /** Sends one op and resolves with its reply when it is ok; rejects with a
   *  RingcastError otherwise. */
  request(op: string, fields?: object, options?: RequestOptions): Promise<Reply>;
  /** Fire-and-forget: throws at once (`closed`, `queue_full`,
   *  `line_too_long`) when it cannot be sent; a later failure is emitted as
   *  'publishError'. */
  send(op: string, fields?: object): void;
  /** Refuses new requests, fails those never sent with `closed`, and resolves
   *  once the replies still due have arrived (or timed out). */
  close(): Promise<void>;
  on<E extends keyof RingcastClientEvents>(event: E, listener: (...args: RingcastClientEvents[E]) => void): this;
  once<E extends keyof RingcastClientEvents>(event: E, listener: (...args: RingcastClientEvents[E]) => void): this;
  off<E extends keyof RingcastClientEvents>(event: E, listener: (...args: RingcastClientEvents[E]) => void): this;
}
