// A browser without a browser, for the client's unit tests: a clock whose
// timers run only when a test moves time on, an EventSource the test drives,
// fetch answers, and tabs with BroadcastChannel and Web Locks that behave as
// the browser's do (delivery to the other tabs only, asynchronously; one lock
// holder at a time, the next waiter granted when the holder releases or its tab
// closes). The client gets a tab's `env` (SSEClientOptions.env).

/** Lets queued promise callbacks and BroadcastChannel deliveries run. */
export async function flush(rounds = 8) {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Time under the test's control: timers fire in order when advance() passes them. */
export class FakeClock {
  now = 1_000_000;
  timers = new Map();
  nextId = 1;
  /** Every setTimeout as [delay, id], for assertions on backoff delays. */
  scheduled = [];

  setTimeout = (fn, ms = 0) => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, fn });
    this.scheduled.push([ms, id]);
    return id;
  };

  clearTimeout = (id) => {
    this.timers.delete(id);
  };

  /** Moves time on by ms, running every timer that falls due, in order. */
  async advance(ms) {
    const end = this.now + ms;
    for (;;) {
      let next;
      for (const [id, t] of this.timers) if (t.at <= end && (!next || t.at < next[1].at)) next = [id, t];
      if (!next) break;
      this.timers.delete(next[0]);
      this.now = Math.max(this.now, next[1].at);
      next[1].fn();
      await flush();
    }
    this.now = end;
    await flush();
  }

  /** Moves the clock without running timers: a throttled or suspended tab. */
  jump(ms) {
    this.now += ms;
  }

  /** The delays of the timers still pending. */
  pending() {
    return [...this.timers.values()].map((t) => t.at - this.now);
  }
}

/** EventSource as the page sees it; the test opens, feeds and fails it. */
export function fakeEventSourceClass(registry) {
  return class FakeEventSource {
    constructor(url, init) {
      this.url = url;
      this.withCredentials = init?.withCredentials;
      this.readyState = 0;
      this.listeners = new Map();
      this.lastEventId = '';
      this.closed = false;
      registry.push(this);
    }
    addEventListener(type, fn) {
      if (!this.listeners.has(type)) this.listeners.set(type, new Set());
      this.listeners.get(type).add(fn);
    }
    close() {
      this.readyState = 2;
      this.closed = true;
    }
    /** The query parameters of its url. */
    get params() {
      return new URL(this.url, 'http://test.invalid').searchParams;
    }
    open() {
      this.readyState = 1;
      this.onopen?.({ type: 'open' });
    }
    /** A named event, as the browser dispatches it (only to listeners of that name). */
    emit(type, data, id) {
      if (this.closed) return;
      if (id !== undefined) this.lastEventId = id;
      const e = { type, data: typeof data == 'string' ? data : JSON.stringify(data), lastEventId: this.lastEventId };
      if (type == 'error') this.onerror?.(e);
      else for (const fn of this.listeners.get(type) || []) fn(e);
    }
    /** The connection dropped: the browser would retry (readyState CONNECTING). */
    drop() {
      this.readyState = 0;
      this.onerror?.({ type: 'error' });
    }
    /** The browser gave up: an HTTP status other than 200, or not an event stream (readyState CLOSED). */
    refuse() {
      this.readyState = 2;
      this.onerror?.({ type: 'error' });
    }
    listens(type) {
      return !!this.listeners.get(type)?.size;
    }
  };
}

/** A JSON refusal as ringcastd sends one. */
export function refusal(status, code, reason, message, headers = {}) {
  return new Response(JSON.stringify({ error: { code, reason, message } }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** A text/event-stream response the test writes to: push(text), end(), fail(). */
export function eventStream(headers = {}) {
  let controller;
  const body = new ReadableStream({
    start(c) {
      controller = c;
    },
  });
  const encoder = new TextEncoder();
  return {
    response: new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream', ...headers } }),
    push: (text) => controller.enqueue(encoder.encode(text)),
    pushBytes: (bytes) => controller.enqueue(bytes),
    end: () => controller.close(),
    fail: (e = new TypeError('network error')) => controller.error(e),
    abortWith: (signal) =>
      signal?.addEventListener('abort', () => {
        try {
          controller.error(new DOMException('aborted', 'AbortError'));
        } catch {}
      }),
  };
}

/**
 * A tab's globals. `fetch(url, init)` is the test's: each call is recorded in
 * `tab.requests`. Shares `clock` and `browser` (BroadcastChannel and locks)
 * with the other tabs of the same browser.
 */
export class FakeTab {
  constructor(browser, { clock = browser?.clock || new FakeClock(), random = () => 0.5, fetch, shared = true, localStorage } = {}) {
    this.browser = browser;
    this.clock = clock;
    this.sources = [];
    this.requests = [];
    this.channels = [];
    this.closed = false;
    const events = new EventTarget();
    const docEvents = new EventTarget();
    const tab = this;
    this.events = events;
    this.document = {
      visibilityState: 'visible',
      addEventListener: (t, f, o) => docEvents.addEventListener(t, f, o),
      dispatch: (t) => docEvents.dispatchEvent(new Event(t)),
    };
    this.navigator = { onLine: true };
    if (shared && browser) this.navigator.locks = browser.locksFor(this);
    this.env = {
      EventSource: fakeEventSourceClass(this.sources),
      fetch: async (url, init = {}) => {
        tab.requests.push({ url, init });
        if (!fetch) throw new TypeError('no fetch in this test');
        return fetch(url, init, tab);
      },
      BroadcastChannel: shared && browser ? browser.channelClassFor(this) : undefined,
      navigator: this.navigator,
      addEventListener: (t, f, o) => events.addEventListener(t, f, o),
      document: this.document,
      setTimeout: (f, ms) => clock.setTimeout(() => tab.closed || f(), ms),
      clearTimeout: clock.clearTimeout,
      Date: { now: () => clock.now },
      Math: { random },
      localStorage: localStorage ?? browser?.localStorage ?? memoryStorage(),
    };
  }
  /** The EventSource opened last. */
  get source() {
    return this.sources.at(-1);
  }
  /** The sources still open. */
  get openSources() {
    return this.sources.filter((s) => !s.closed);
  }
  online() {
    this.navigator.onLine = true;
    this.events.dispatchEvent(new Event('online'));
  }
  setVisible(visible) {
    this.document.visibilityState = visible ? 'visible' : 'hidden';
    this.document.dispatch('visibilitychange');
  }
  /** Another tab wrote this key of localStorage. */
  storageEvent(key) {
    const e = new Event('storage');
    e.key = key;
    this.events.dispatchEvent(e);
  }
  /** The tab is closed: its locks go, its channels and streams die, its timers never fire. */
  close() {
    this.closed = true;
    for (const s of this.sources) s.close();
    for (const c of this.channels) c.close();
    this.browser?.releaseAll(this);
  }
}

export function memoryStorage() {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
  };
}

/** The browser that tabs share: BroadcastChannel delivery and the Web Locks manager. */
export class FakeBrowser {
  constructor({ clock = new FakeClock() } = {}) {
    this.clock = clock;
    this.listeners = new Set();
    this.locks = new Map(); // name -> { holder: {tab, release} | null, queue: [{tab, grant, reject}] }
    this.localStorage = memoryStorage();
  }

  tab(options = {}) {
    return new FakeTab(this, options);
  }

  channelClassFor(tab) {
    const browser = this;
    return class FakeBroadcastChannel {
      constructor(name) {
        this.name = name;
        this.closed = false;
        this.tab = tab;
        browser.listeners.add(this);
        tab.channels.push(this);
      }
      postMessage(data) {
        if (this.closed) throw new Error('InvalidStateError: channel closed');
        const copy = structuredClone(data);
        for (const other of browser.listeners)
          if (other !== this && other.name == this.name)
            setImmediate(() => other.closed || other.onmessage?.({ data: structuredClone(copy) }));
      }
      close() {
        this.closed = true;
        browser.listeners.delete(this);
      }
    };
  }

  locksFor(tab) {
    const browser = this;
    return {
      request(name, options, callback) {
        return new Promise((resolve, reject) => {
          const entry = browser.locks.get(name) || { holder: null, queue: [] };
          browser.locks.set(name, entry);
          const waiter = { tab, resolve, reject, callback };
          if (options?.signal?.aborted) return reject(new DOMException('aborted', 'AbortError'));
          options?.signal?.addEventListener('abort', () => {
            const i = entry.queue.indexOf(waiter);
            if (i >= 0) {
              entry.queue.splice(i, 1);
              reject(new DOMException('aborted', 'AbortError'));
            }
          });
          entry.queue.push(waiter);
          browser.grant(name);
        });
      },
    };
  }

  grant(name) {
    const entry = this.locks.get(name);
    if (!entry || entry.holder || !entry.queue.length) return;
    const waiter = entry.queue.shift();
    const holder = (entry.holder = { tab: waiter.tab, done: false });
    const release = (value) => {
      if (holder.done) return;
      holder.done = true;
      if (entry.holder === holder) entry.holder = null;
      waiter.resolve(value);
      queueMicrotask(() => this.grant(name));
    };
    holder.release = release;
    Promise.resolve()
      .then(() => waiter.callback({ name, mode: 'exclusive' }))
      .then(release, release);
  }

  /** Who holds the lock of that name (a tab), if anyone. */
  holder(name) {
    return this.locks.get(name)?.holder?.tab;
  }

  releaseAll(tab) {
    for (const [name, entry] of this.locks) {
      entry.queue = entry.queue.filter((w) => w.tab !== tab);
      if (entry.holder?.tab === tab) entry.holder.release();
      else this.grant(name);
    }
  }
}
