// useSSEAlerts: the client's alerts model (SSEClient.alerts, dismissAlert) as
// React state, on a stream of the alerts channel: `{alerts, connectionState,
// dismiss}`, as seeds 001 and 004 read it.
import type { ConnectionState, SSEAlert, SSEClient } from '../index.js';
import { type UseSSEOptions, useSSE } from './use-sse.js';

export interface UseSSEAlertsResult {
  /** Higher priority first, then newer; without those dismissed in this browser. */
  alerts: readonly SSEAlert[];
  connectionState: ConnectionState;
  /** SSEClient.dismissAlert: through the daemon when the stream has a user, else in localStorage; `'auto'`: localStorage only. */
  dismiss(id: number, how?: 'user' | 'auto'): Promise<void>;
  client: SSEClient;
}

/** Options as useSSE's; `channels` defaults to `['alerts']` (give more to share the stream with other events). */
export function useSSEAlerts(options: UseSSEOptions = {}): UseSSEAlertsResult {
  const { client, connectionState } = useSSE(options.url || '/api/sse/stream', { channels: ['alerts'], ...options });
  return { alerts: client.alerts, connectionState, dismiss: client.dismissAlert, client };
}
