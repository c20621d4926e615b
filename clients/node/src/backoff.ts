// Reconnect delays: exponential, capped, with jitter.
//
// Attempt n waits between half and all of min(cap, initial * 2^n), chosen at
// random ("equal jitter"). The random half keeps a fleet of backends that lost
// the daemon together from reconnecting in lockstep when it comes back; the
// fixed half keeps the delay from collapsing to zero. `random` is injectable so
// the schedule can be tested exactly.

export interface BackoffOptions {
  /** First delay before jitter, in ms. */
  initialDelay: number;
  /** Largest delay before jitter, in ms. */
  maxDelay: number;
  /** A number in [0, 1); Math.random by default. */
  random?: () => number;
}

export class Backoff {
  readonly #initial: number;
  readonly #cap: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    if (!(options.initialDelay > 0) || !(options.maxDelay >= options.initialDelay))
      throw new RangeError('backoff: need 0 < initialDelay <= maxDelay');
    this.#initial = options.initialDelay;
    this.#cap = options.maxDelay;
    this.#random = options.random ?? Math.random;
  }

  /** Attempts made since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt, in whole ms; counts the attempt. */
  next(): number {
    // 2^attempt stops growing once it passes the cap: no overflow to Infinity.
    const exp = Math.min(this.#attempt, 30);
    const ceiling = Math.min(this.#cap, this.#initial * 2 ** exp);
    this.#attempt += 1;
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  /** After a connection that worked: start again from the initial delay. */
  reset(): void {
    this.#attempt = 0;
  }
}
