// <SSEConnectionIndicator>: a dot and a word for the connection's state, as
// seed 004 draws it; announced politely to screen readers.
import type { ConnectionState, ConnectionStatus } from '../index.js';
import { h, type ReactElement } from './react.js';

export interface SSEConnectionIndicatorProps {
  connectionState: ConnectionState;
  /** Render nothing while connected (seed 004 does so in production). Default false. */
  hideWhenConnected?: boolean;
  /** Words to show instead of the status's own ("Connected", "Reconnecting (2/5)", "Unauthorized"...), by status. */
  labels?: Partial<Record<ConnectionStatus, string>>;
  className?: string;
}

export function SSEConnectionIndicator({ connectionState: s, hideWhenConnected, labels, className }: SSEConnectionIndicatorProps): ReactElement | null {
  const st = s.status;
  if (hideWhenConnected && st == 'connected') return null;
  let text = labels?.[st] ?? st[0].toUpperCase() + st.slice(1);
  if (st == 'reconnecting' && s.retryCount) text += ` (${s.retryCount}${s.maxAttempts < 1 / 0 ? '/' + s.maxAttempts : ''})`;
  return h(
    'span',
    { className: `rc-indicator rc-indicator--${st} ${className || ''}`, role: 'status' },
    h('span', { className: 'rc-indicator__dot', 'aria-hidden': true }),
    h('span', { className: 'rc-indicator__text' }, text),
    st != 'connected' && s.lastError && h('span', { className: 'rc-indicator__error' }, s.lastError),
  );
}
