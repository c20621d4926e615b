// One request on its way: the line to write, how to settle the caller's
// promise, and its deadline. A request is settled exactly once: by its reply,
// by its timer, or by the connection failing; whichever comes later finds it
// settled and does nothing.

import { RingcastError } from './errors.js';

export class PendingRequest {
  readonly req: number | undefined; // undefined: fire-and-forget
  readonly op: string;
  readonly line: string; // JSON and the "\n"
  #resolve: ((reply: Record<string, unknown>) => void) | undefined;
  #reject: ((error: RingcastError) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #settled = false;

  constructor(
    req: number | undefined,
    op: string,
    line: string,
    handlers: {
      resolve?: (reply: Record<string, unknown>) => void;
      reject?: (error: RingcastError) => void;
    },
  ) {
    this.req = req;
    this.op = op;
    this.line = line;
    this.#resolve = handlers.resolve;
    this.#reject = handlers.reject;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Starts the deadline. The timer stays ref'd: a process waiting for an
   *  answer is kept alive until it comes or the deadline passes, and no longer. */
  arm(ms: number, onTimeout: (p: PendingRequest) => void): void {
    this.#timer = setTimeout(() => onTimeout(this), ms);
  }

  /** Written to the socket: a fire-and-forget message needs nothing more. */
  written(): void {
    if (this.req === undefined) this.#finish();
  }

  resolve(reply: Record<string, unknown>): void {
    const f = this.#resolve;
    if (this.#finish()) f?.(reply);
  }

  reject(error: RingcastError): void {
    const f = this.#reject;
    if (this.#finish()) f?.(error);
  }

  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#resolve = undefined;
    this.#reject = undefined;
    return true;
  }
}
