// <BannerStack>: the alerts as banners, at most `max` at once, higher priority
// first. Text only: every field is rendered as a React text node, never as
// HTML; an action's url is a link only when it is http(s) or relative. A
// non-persistent, dismissible banner leaves by itself after `autoDismissMs`,
// a delay that stops while the pointer or the keyboard focus is on it.
// Dismissing: its labelled button, or Escape inside the banner.
import type { SSEAlert } from '../index.js';
import { byPriority, h, type ReactElement, useEffect, useState } from './react.js';

export interface BannerStackProps {
  /** useSSEAlerts().alerts, or any list of the same shape. */
  alerts: readonly SSEAlert[];
  /** useSSEAlerts().dismiss: `how` is `'user'` (button, Escape) or `'auto'` (the timer). */
  onDismiss?: (id: number, how: 'user' | 'auto') => void;
  /** An action button without a url was pressed: its `action` name and the alert. */
  onAction?: (action: string, alert: SSEAlert) => void;
  /** Banners shown at once. Default 3. */
  max?: number;
  /** ms before a non-persistent, dismissible banner leaves by itself; 0: never. Default 5000. */
  autoDismissMs?: number;
  /** The region's accessible name. Default `Notifications`. */
  label?: string;
  /** The dismiss buttons' accessible name, before the alert's title. Default `Dismiss`. */
  dismissLabel?: string;
  className?: string;
}

// http(s), protocol-relative or relative: never javascript:, data: or another scheme.
const SAFE_URL = /^(https?:|[/.?#])/i;

export function BannerStack(p: BannerStackProps): ReactElement {
  return h(
    'section',
    { className: 'rc-banners ' + (p.className || ''), 'aria-label': p.label || 'Notifications' },
    [...p.alerts]
      .sort(byPriority)
      .slice(0, p.max ?? 3)
      .map((a) => h(Banner, { key: a.id, a, p })),
  );
}

function Banner({ a, p }: { a: SSEAlert; p: BannerStackProps }) {
  const { autoDismissMs: ms = 5000 } = p;
  const [held, hold] = useState(false);
  const dismissible = a.dismissible !== false;
  const type = a.alert_type || 'info';
  const close = (how: 'user' | 'auto') => p.onDismiss?.(a.id, how);
  useEffect(() => {
    if (ms > 0 && dismissible && !a.persistent && !held) {
      const t = setTimeout(close, ms, 'auto');
      return () => clearTimeout(t);
    }
  }, [a.id, ms, held, a.persistent, dismissible]);
  const on = (v: boolean) => () => hold(v);
  return h(
    'div',
    {
      className: `rc-banner rc-banner--${type}`,
      role: type == 'error' || type == 'warning' ? 'alert' : 'status',
      'data-icon': a.icon,
      onMouseEnter: on(true),
      onMouseLeave: on(false),
      onFocus: on(true),
      onBlur: on(false),
      onKeyDown: (e: { key: string }) => e.key == 'Escape' && dismissible && close('user'),
    },
    h(
      'div',
      { className: 'rc-banner__body' },
      h('strong', { className: 'rc-banner__title' }, a.title),
      a.message && h('span', { className: 'rc-banner__message' }, a.message),
      a.details && h('small', { className: 'rc-banner__details' }, a.details),
    ),
    a.actions?.length
      ? h(
          'div',
          { className: 'rc-banner__actions' },
          a.actions.map((x, i) => {
            const props = { key: i, className: 'rc-banner__action rc-banner__action--' + (x.style || 'primary') };
            return x.url
              ? SAFE_URL.test(x.url) && h('a', { ...props, href: x.url }, x.label)
              : h('button', { ...props, type: 'button', onClick: () => p.onAction?.(x.action!, a) }, x.label);
          }),
        )
      : null,
    dismissible && h('button', { type: 'button', className: 'rc-banner__close', 'aria-label': `${p.dismissLabel || 'Dismiss'}: ${a.title}`, onClick: () => close('user') }, '×'),
  );
}
