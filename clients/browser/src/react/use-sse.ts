// useSSE: an SSEClient for the component's life, its state as React state.
// The client is made again when what defines the stream changes (url,
// channels, transport, credentials, sharing); the options of the latest render
// (callbacks, token getter, refreshToken...) are the client's, never stale.
import type { ConnectionState, ReconnectOptions, SSEClientOptions, SSEListener, SSEMessage } from '../index.js';
import { SSEClient, useEffect, useMemo, useSyncExternalStore } from './react.js';

export interface UseSSEOptions extends Omit<SSEClientOptions, 'url' | 'reconnect'> {
  /** The endpoint, for `useSSE(options)` (seed 003's form). Default `/api/sse/stream`. */
  url?: string;
  /** Connect when mounted (and disconnect when unmounted). Default true. */
  autoConnect?: boolean;
  /** Backoff and attempts (`reconnect.maxAttempts`...); `false`: never reconnect. */
  reconnect?: ReconnectOptions | boolean;
  /** Seed 001's name for `reconnect.maxAttempts`. */
  reconnectAttempts?: number;
  /** Seed 003's name for `reconnect.maxAttempts`. */
  maxReconnectAttempts?: number;
  /** Seed 001's name for `reconnect.baseDelay`. */
  reconnectDelay?: number;
  /** Seed 003's name for `reconnect.baseDelay`. */
  reconnectInterval?: number;
  /** Accepted for the seeds' code; the endpoint decides whether a token is required. */
  requireAuth?: boolean;
}

export interface UseSSEResult {
  /** `{status, retryCount, maxAttempts, lastError, lastEventId, role}`: seed 004's `connectionState.status`. */
  connectionState: ConnectionState;
  isConnected: boolean;
  /** `connecting` or `reconnecting`. */
  isConnecting: boolean;
  lastMessage: SSEMessage | null;
  messages: readonly SSEMessage[];
  /** `connectionState.lastError`. */
  error: string | null;
  connect(): void;
  disconnect(): void;
  reconnect(): void;
  clearMessages(): void;
  /** Stable for the client's life (an effect that depends on it runs once). */
  addEventListener<T = any>(name: string, fn: SSEListener<T>): void;
  removeEventListener(name: string, fn: SSEListener): void;
  /** The client itself. */
  client: SSEClient;
}

export function useSSE(url?: string | UseSSEOptions, options: UseSSEOptions = {}): UseSSEResult {
  if (typeof url == 'object') url = (options = url).url;
  const o = options;
  const r = o.reconnect;
  const opts: SSEClientOptions = {
    ...o,
    url,
    reconnect: r !== false && {
      maxAttempts: o.reconnectAttempts ?? o.maxReconnectAttempts,
      baseDelay: o.reconnectDelay ?? o.reconnectInterval,
      ...(r as ReconnectOptions),
    },
  };
  const client = useMemo(() => new SSEClient(opts), [url, String(o.channels), o.transport, o.withCredentials, o.shared]);
  client.options = opts;
  useSyncExternalStore(client.subscribe, () => client.version, () => client.version);
  useEffect(() => {
    o.autoConnect !== false && client.connect();
    return client.disconnect;
  }, [client]);
  const s = client.connectionState;
  return {
    connectionState: s,
    isConnected: s.status == 'connected',
    isConnecting: s.status == 'connecting' || s.status == 'reconnecting',
    lastMessage: client.lastMessage,
    messages: client.messages,
    error: s.lastError,
    connect: client.connect,
    disconnect: client.disconnect,
    reconnect: client.reconnect,
    clearMessages: client.clearMessages,
    addEventListener: client.addEventListener,
    removeEventListener: client.removeEventListener,
    client,
  };
}
