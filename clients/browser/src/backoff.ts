// Exponential backoff with full jitter: attempt n (1, 2, ...) waits a random
// time in [0, min(max, base * 2^(n-1))). Random over the whole range, rather
// than around a fixed delay, so that the browsers a daemon restart dropped
// all at once come back spread over the window instead of in waves
// ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015).

/** The delay before attempt `attempt` (1 for the first retry), ms. `random` returns [0, 1). */
export function backoffDelay(attempt: number, base: number, max: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(max, base * 2 ** Math.min(attempt - 1, 30)));
}
