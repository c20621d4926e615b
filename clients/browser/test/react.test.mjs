// The React part: hooks rendered with react-test-renderer (effects run, no
// DOM), components rendered to HTML with react-dom/server and driven through
// the test renderer's props.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createElement as h, useEffect, useState } from 'react';
import { renderToStaticMarkup, renderToString } from 'react-dom/server';
import TestRenderer from 'react-test-renderer';

import { BannerStack, SSEConnectionIndicator, useSSE, useSSEAlerts } from '@ringcast/browser/react';

import { FakeTab, flush, memoryStorage } from './helpers/fake-browser.mjs';

globalThis.IS_REACT_ACT_ENVIRONMENT = true;
const { act } = TestRenderer;

// Renders a component that calls the hook with the props given; returns the
// hook's latest result and a way to render again with other props.
async function renderHook(hook, props) {
  const result = { current: null, renders: 0 };
  function Probe(p) {
    result.current = hook(p);
    result.renders++;
    return null;
  }
  let root;
  await act(async () => {
    root = TestRenderer.create(h(Probe, props));
  });
  return {
    result,
    rerender: (p) => act(async () => root.update(h(Probe, p))),
    unmount: () => act(async () => root.unmount()),
  };
}

const alert = (id, priority = 5, extra = {}) => ({ id, title: `alert ${id}`, alert_type: 'info', priority, dismissible: true, persistent: false, ...extra });

describe('useSSE', () => {
  it('connects on mount, follows the state, the messages and the last message, and disconnects on unmount', async () => {
    const tab = new FakeTab(null);
    const { result, unmount } = await renderHook((p) => useSSE('/api/sse/stream', p), { channels: ['news'], shared: false, env: tab.env });
    assert.equal(result.current.connectionState.status, 'connecting');
    assert.equal(result.current.isConnecting, true);
    assert.equal(tab.source.url, '/api/sse/stream?channels=news');
    await act(async () => tab.source.open());
    assert.equal(result.current.isConnected, true);
    assert.equal(result.current.isConnecting, false);
    await act(async () => tab.source.emit('notification', { title: 'hi' }, 'e1'));
    assert.deepEqual(result.current.lastMessage.data, { title: 'hi' });
    assert.equal(result.current.messages.length, 1);
    await act(async () => result.current.clearMessages());
    assert.equal(result.current.messages.length, 0);
    await act(async () => tab.source.drop());
    assert.equal(result.current.connectionState.status, 'reconnecting');
    assert.equal(result.current.error, 'connection lost');
    await unmount();
    assert.ok(tab.sources.every((s) => s.closed));
    assert.equal(tab.clock.timers.size, 0, 'no reconnection after unmount');
  });

  it("runs seed 001's listener effect once: addEventListener and removeEventListener are stable", async () => {
    const tab = new FakeTab(null);
    const got = [];
    let effects = 0;
    function Toasts({ tick }) {
      const { addEventListener, removeEventListener, connectionState } = useSSE('/api/sse/stream', { channels: ['toasts'], shared: false, env: tab.env });
      useEffect(() => {
        effects++;
        const handleToast = (data) => got.push(data.message);
        addEventListener('toast', handleToast);
        return () => removeEventListener('toast', handleToast);
      }, [addEventListener, removeEventListener]);
      return h('div', null, `Status: ${connectionState.status} ${tick}`);
    }
    let root;
    await act(async () => {
      root = TestRenderer.create(h(Toasts, { tick: 1 }));
    });
    await act(async () => tab.source.open());
    await act(async () => root.update(h(Toasts, { tick: 2 })));
    await act(async () => tab.source.emit('toast', { message: 'Operation completed successfully!' }));
    assert.equal(effects, 1);
    assert.deepEqual(got, ['Operation completed successfully!']);
    assert.deepEqual(root.toJSON().children, ['Status: connected 2']);
    await act(async () => root.unmount());
  });

  it('calls the callbacks of the latest render', async () => {
    const tab = new FakeTab(null);
    const calls = [];
    const { rerender } = await renderHook((p) => useSSE(p), { shared: false, env: tab.env, onMessage: (m) => calls.push('first ' + m.type) });
    await act(async () => tab.source.open());
    await rerender({ shared: false, env: tab.env, onMessage: (m) => calls.push('second ' + m.type) });
    await act(async () => tab.source.emit('toast', {}));
    assert.deepEqual(calls, ['second toast']);
  });

  it('makes a new client when the channels change, and closes the old one', async () => {
    const tab = new FakeTab(null);
    const { result, rerender } = await renderHook((p) => useSSE('/api/sse/stream', p), { channels: ['a'], shared: false, env: tab.env });
    const first = result.current.client;
    await rerender({ channels: ['a'], shared: false, env: tab.env });
    assert.equal(result.current.client, first, 'same channels (a new array): same client');
    await rerender({ channels: ['a', 'b'], shared: false, env: tab.env });
    assert.notEqual(result.current.client, first);
    assert.ok(tab.sources[0].closed);
    assert.equal(tab.source.url, '/api/sse/stream?channels=a,b');
  });

  it("takes seed 003's form (one options object) and the seeds' option names", async () => {
    const tab = new FakeTab(null);
    const { result } = await renderHook((p) => useSSE(p), { url: '/api/sse', reconnectAttempts: 2, reconnectDelay: 4000, shared: false, env: tab.env });
    assert.equal(tab.source.url, '/api/sse');
    assert.equal(result.current.connectionState.maxAttempts, 2);
    await act(async () => tab.source.open());
    await act(async () => tab.source.drop());
    assert.deepEqual(tab.clock.pending(), [2000], 'random 0.5 of reconnectDelay');
    const b = new FakeTab(null);
    const other = await renderHook((p) => useSSE(p), { maxReconnectAttempts: 7, reconnect: true, shared: false, env: b.env });
    assert.equal(other.result.current.connectionState.maxAttempts, 7);
    const c = new FakeTab(null);
    const none = await renderHook((p) => useSSE(p), { reconnect: false, shared: false, env: c.env });
    assert.equal(none.result.current.connectionState.maxAttempts, 0);
  });

  it('with autoConnect: false waits for connect()', async () => {
    const tab = new FakeTab(null);
    const { result } = await renderHook((p) => useSSE('/api/sse/stream', p), { autoConnect: false, shared: false, env: tab.env });
    assert.equal(tab.sources.length, 0);
    assert.equal(result.current.connectionState.status, 'disconnected');
    await act(async () => result.current.connect());
    await flush();
    assert.equal(tab.sources.length, 1);
  });

  it('renders on the server without touching the browser', () => {
    function Page() {
      const { connectionState } = useSSE('/api/sse/stream');
      const { alerts } = useSSEAlerts();
      return h('p', null, `${connectionState.status} ${alerts.length}`);
    }
    assert.equal(renderToString(h(Page)), '<p>disconnected 0</p>');
  });
});

describe('useSSEAlerts', () => {
  it('gives the alerts of the alerts channel and dismiss()', async () => {
    const tab = new FakeTab(null, { localStorage: memoryStorage() });
    const { result } = await renderHook((p) => useSSEAlerts(p), { shared: false, env: tab.env });
    assert.equal(tab.source.url, '/api/sse/stream?channels=alerts');
    await act(async () => {
      tab.source.open();
      tab.source.emit('connected', { userId: null });
      tab.source.emit('alerts', [alert(1, 3), alert(2, 9)]);
    });
    assert.deepEqual(
      result.current.alerts.map((a) => a.id),
      [2, 1],
    );
    assert.equal(result.current.connectionState.status, 'connected');
    await act(async () => result.current.dismiss(2));
    assert.deepEqual(
      result.current.alerts.map((a) => a.id),
      [1],
    );
  });
});

describe('<SSEConnectionIndicator>', () => {
  const state = (status, extra = {}) => ({ status, retryCount: 0, maxAttempts: 5, lastError: null, lastEventId: null, role: 'solo', ...extra });

  it('shows the status as a live region, with the attempt while reconnecting and the error', () => {
    assert.equal(
      renderToStaticMarkup(h(SSEConnectionIndicator, { connectionState: state('connected') })),
      '<span class="rc-indicator rc-indicator--connected " role="status"><span class="rc-indicator__dot" aria-hidden="true"></span><span class="rc-indicator__text">Connected</span></span>',
    );
    const html = renderToStaticMarkup(h(SSEConnectionIndicator, { connectionState: state('reconnecting', { retryCount: 2, lastError: 'connection lost' }) }));
    assert.match(html, /rc-indicator--reconnecting/);
    assert.match(html, />Reconnecting \(2\/5\)</);
    assert.match(html, /<span class="rc-indicator__error">connection lost<\/span>/);
    assert.match(renderToStaticMarkup(h(SSEConnectionIndicator, { connectionState: state('reconnecting', { retryCount: 9, maxAttempts: Infinity }) })), />Reconnecting \(9\)</);
    assert.match(renderToStaticMarkup(h(SSEConnectionIndicator, { connectionState: state('unauthorized') })), />Unauthorized</);
  });

  it('hides while connected when asked, and takes other words', () => {
    assert.equal(renderToStaticMarkup(h(SSEConnectionIndicator, { connectionState: state('connected'), hideWhenConnected: true })), '');
    assert.match(renderToStaticMarkup(h(SSEConnectionIndicator, { connectionState: state('error'), labels: { error: 'Hors ligne' }, className: 'x' })), /class="rc-indicator rc-indicator--error x".*>Hors ligne</);
  });
});

describe('<BannerStack>', () => {
  it('shows at most 3 (or max), higher priority first', () => {
    const alerts = [alert(1, 1), alert(2, 9), alert(3, 5), alert(4, 7), alert(5, 5)];
    const titles = (html) => [...html.matchAll(/rc-banner__title">([^<]*)</g)].map((m) => m[1]);
    assert.deepEqual(titles(renderToStaticMarkup(h(BannerStack, { alerts }))), ['alert 2', 'alert 4', 'alert 5']);
    assert.deepEqual(titles(renderToStaticMarkup(h(BannerStack, { alerts, max: 1 }))), ['alert 2']);
  });

  it('renders text only: markup in an alert is shown, never run', () => {
    const html = renderToStaticMarkup(
      h(BannerStack, { alerts: [alert(1, 5, { title: '<img src=x onerror=alert(1)>', message: '<script>bad()</script>', details: '& more' })] }),
    );
    assert.ok(!html.includes('<img'), html);
    assert.ok(!html.includes('<script'), html);
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(html.includes('&amp; more'));
  });

  it('links only http(s) and relative urls; actions without a url are buttons', () => {
    const html = renderToStaticMarkup(
      h(BannerStack, {
        alerts: [
          alert(1, 5, {
            actions: [
              { label: 'Status', url: 'https://status.example.com', style: 'link' },
              { label: 'Here', url: '/settings' },
              { label: 'Evil', url: 'javascript:alert(1)' },
              { label: 'Data', url: 'data:text/html,x' },
              { label: 'Remind me', action: 'remind', style: 'secondary' },
            ],
          }),
        ],
      }),
    );
    assert.match(html, /<a class="rc-banner__action rc-banner__action--link" href="https:\/\/status.example.com">Status<\/a>/);
    assert.match(html, /href="\/settings"/);
    assert.ok(!html.includes('javascript:') && !html.includes('data:') && !html.includes('Evil'));
    assert.match(html, /<button class="rc-banner__action rc-banner__action--secondary" type="button">Remind me<\/button>/);
  });

  it('gives errors and warnings role="alert", others role="status", and labels the dismiss button; none when not dismissible', () => {
    const html = renderToStaticMarkup(
      h(BannerStack, { alerts: [alert(1, 9, { alert_type: 'error', title: 'Down' }), alert(2, 5, { alert_type: 'success' }), alert(3, 1, { dismissible: false })] }),
    );
    assert.match(html, /<section class="rc-banners " aria-label="Notifications">/);
    assert.match(html, /class="rc-banner rc-banner--error" role="alert"/);
    assert.match(html, /class="rc-banner rc-banner--success" role="status"/);
    assert.match(html, /<button type="button" class="rc-banner__close" aria-label="Dismiss: Down">×<\/button>/);
    assert.equal(html.match(/rc-banner__close/g).length, 2);
  });

  it('dismisses with the button and with Escape, and runs actions', async () => {
    const calls = [];
    let root;
    await act(async () => {
      root = TestRenderer.create(
        h(BannerStack, {
          alerts: [alert(1, 5, { persistent: true, actions: [{ label: 'Remind me', action: 'remind' }] })],
          onDismiss: (id, how) => calls.push(['dismiss', id, how]),
          onAction: (action, a) => calls.push(['action', action, a.id]),
        }),
      );
    });
    const banner = root.root.findByProps({ className: 'rc-banner rc-banner--info' });
    await act(async () => root.root.findByProps({ className: 'rc-banner__close' }).props.onClick());
    await act(async () => banner.props.onKeyDown({ key: 'Escape' }));
    await act(async () => banner.props.onKeyDown({ key: 'Enter' }));
    await act(async () => root.root.findByProps({ children: 'Remind me' }).props.onClick());
    assert.deepEqual(calls, [
      ['dismiss', 1, 'user'],
      ['dismiss', 1, 'user'],
      ['action', 'remind', 1],
    ]);
    await act(async () => root.unmount());
  });

  it('dismisses a non-persistent banner by itself after autoDismissMs, never a persistent one, and waits while hovered', async () => {
    const dismissed = [];
    const waiting = [];
    const dismissals = (n) => new Promise((r) => waiting.push([n, r]));
    let root;
    function Stack() {
      const [alerts, setAlerts] = useState([alert(1, 5), alert(2, 5, { persistent: true }), alert(3, 5)]);
      return h(BannerStack, {
        alerts,
        autoDismissMs: 40,
        onDismiss: (id, how) => {
          dismissed.push([id, how]);
          setAlerts((l) => l.filter((a) => a.id != id));
          for (const [n, r] of waiting) if (dismissed.length == n) r();
        },
      });
    }
    const first = dismissals(1);
    await act(async () => {
      root = TestRenderer.create(h(Stack));
    });
    // Hold the first banner (the newest of equal priority: alert 3).
    const held = root.root.findAllByProps({ className: 'rc-banner rc-banner--info' })[0];
    await act(async () => held.props.onMouseEnter());
    await act(() => first);
    assert.deepEqual(dismissed, [[1, 'auto']], 'the held banner (3) and the persistent one (2) stay');
    const second = dismissals(2);
    await act(async () => held.props.onMouseLeave());
    await act(() => second);
    assert.deepEqual(dismissed, [
      [1, 'auto'],
      [3, 'auto'],
    ]);
    await act(async () => root.unmount());
  });
});
