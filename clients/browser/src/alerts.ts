// What the alerts model of the client needs besides its events: the order in
// which alerts are shown, and the dismissals this browser keeps for itself
// (an anonymous visitor's, an automatic one, or one the daemon refused), in
// localStorage under one key that every tab of the origin reads.
import type { SSEAlert, SSEEnvironment } from './types.js';

export const DISMISSED_KEY = 'ringcast:dismissed';

/** Alerts in the order they are shown: higher priority first, then newer (a larger id). */
export const byPriority = (a: SSEAlert, b: SSEAlert) => b.priority - a.priority || b.id - a.id;

/** The ids dismissed in this browser ([] without localStorage, or when it holds garbage). */
export function dismissedHere(env: SSEEnvironment): number[] {
  try {
    return JSON.parse(env.localStorage!.getItem(DISMISSED_KEY)!) || [];
  } catch {
    return [];
  }
}

/** Remembers one more (the last 200 are kept); nothing where localStorage is missing or full. */
export function dismissHere(env: SSEEnvironment, id: number) {
  try {
    env.localStorage!.setItem(DISMISSED_KEY, JSON.stringify([...dismissedHere(env), id].slice(-200)));
  } catch {}
}
