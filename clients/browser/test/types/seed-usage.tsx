// The seeds' client code, written against @ringcast/browser: it must
// type-check against the published declarations (tsc -p test/tsconfig.json).
// Never run.
import { createSSEClient, type ConnectionState, type SSEAlert, type SSEMessage } from '@ringcast/browser';
import { BannerStack, SSEConnectionIndicator, useSSE, useSSEAlerts } from '@ringcast/browser/react';
import { useEffect, useState } from 'react';

declare function showToast(message: string, type: string): void;
declare function showNotification(data: unknown): void;
declare function loadAlerts(): void;

// Seed 001: "React Component Integration".
export function MyComponent() {
  const { connectionState, isConnected, addEventListener, removeEventListener } = useSSE('/api/sse/stream', {
    channels: ['notifications', 'toasts'],
    autoConnect: true,
  });

  useEffect(() => {
    const handleToast = (data: { message: string; type: string }) => {
      showToast(data.message, data.type);
    };
    addEventListener('toast', handleToast);
    return () => removeEventListener('toast', handleToast);
  }, [addEventListener, removeEventListener]);

  return (
    <div>
      <div>Status: {connectionState.status}</div>
      {isConnected && <div>Connected to real-time updates</div>}
    </div>
  );
}

// Seed 001: "Automatic Reconnection".
export function Reconnecting() {
  const { connectionState, reconnect } = useSSE('/api/sse/stream', { reconnectAttempts: 5, reconnectDelay: 1000 });
  if (connectionState.status === 'error') reconnect();
  return null;
}

// Seed 001 and 004: the banner system.
export function BannerSystem() {
  const { alerts, connectionState, dismiss } = useSSEAlerts();
  const first: SSEAlert | undefined = alerts[0];
  return (
    <div className="banner-container">
      <SSEConnectionIndicator connectionState={connectionState} hideWhenConnected />
      <BannerStack alerts={alerts} onDismiss={dismiss} onAction={(action, alert) => console.log(action, alert.id)} max={3} autoDismissMs={5000} />
      {first && <p>{first.title}</p>}
    </div>
  );
}

// Seed 004: the admin panel's live updates.
export function AdminAlertPanel() {
  const { addEventListener } = useSSE('/api/admin/sse/stream', { channels: ['admin-actions'], requireAuth: true });
  useEffect(() => {
    addEventListener('update', (data: { type: string; alertId: number }) => {
      if (data.type === 'alert-updated') loadAlerts();
    });
  }, [addEventListener]);
  return null;
}

// Seed 003: the hook with one options object, reading message.type in onMessage.
export function Seed003() {
  const { isConnected, isConnecting, lastMessage, messages, error, connect, disconnect, clearMessages } = useSSE({
    url: '/api/sse',
    reconnect: true,
    reconnectInterval: 3000,
    maxReconnectAttempts: 5,
    onConnect: () => console.log('Connected to SSE'),
    onDisconnect: () => console.log('Disconnected from SSE'),
    onMessage: (message: SSEMessage) => {
      if (message.type === 'notification') showNotification(message.data);
    },
    onError: (e: string) => console.error('SSE Error:', e),
  });
  const [n] = useState(messages.length);
  return (
    <div onClick={isConnected ? disconnect : connect} onDoubleClick={clearMessages}>
      {isConnecting ? 'Connecting' : error}
      {lastMessage && <div>Last message: {JSON.stringify(lastMessage.data)}</div>}
      {n}
    </div>
  );
}

// The client without React, every option.
export function core() {
  const client = createSSEClient({
    url: 'https://rc.example.com/api/sse/stream',
    channels: ['alerts', 'orders'],
    withCredentials: false,
    token: async () => (await fetch('/session/ringcast-token')).text(),
    transport: 'fetch',
    reconnect: { baseDelay: 500, maxDelay: 10_000, maxAttempts: Infinity },
    heartbeatTimeout: 60_000,
    maxMessages: 50,
    events: ['order-update'],
    refreshToken: async () => {
      await fetch('/session/refresh', { method: 'POST' });
    },
    shared: true,
    apiBase: 'https://rc.example.com',
    lastEventId: null,
    onStateChange: (s: ConnectionState) => console.log(s.status, s.retryCount, s.maxAttempts, s.lastError, s.lastEventId, s.role),
  });
  const off = client.onMessage((m) => console.log(m.type, m.id, m.timestamp));
  createSSEClient({ env: window, shared: false }); // the browser's globals are an environment
  client.addEventListener<{ orderId: string }>('order-update', (data) => console.log(data.orderId));
  client.connect();
  const status: 'connecting' | 'connected' | 'reconnecting' | 'error' | 'disconnected' | 'unauthorized' = client.state;
  console.log(status, client.retryCount, client.lastError, client.lastEventId, client.messages.length, client.alerts, client.userId);
  void client.dismissAlert(1, 'user');
  off();
  client.disconnect();
}
