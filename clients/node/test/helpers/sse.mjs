// A small EventSource-like reader over node:http: one stream, its events
// parsed as the WHATWG EventSource parser reads them (event:, data: lines
// joined with "\n", id:, comments ignored), handed to the test in order.
import { get } from 'node:http';

import { within } from './wait.mjs';

export class Subscriber {
  events = []; // received, not yet taken by next()
  #waiters = [];
  #request;
  #buffer = '';
  #event = { type: '', data: [], id: undefined };
  ended;
  connected; // the "connected" event's data

  /** Opens /api/sse/stream?channels=… (no channels: the daemon's defaults)
   *  and waits for the "connected" event. */
  static async open(port, channels, ms = 5000) {
    const s = new Subscriber();
    await within(s.#start(port, channels), ms, `the SSE stream on port ${port}`);
    const first = await s.next((e) => e.event === 'connected', ms);
    s.connected = JSON.parse(first.data);
    return s;
  }

  #start(port, channels) {
    const query = channels === undefined ? '' : `?channels=${encodeURIComponent(channels.join(','))}`;
    return new Promise((resolve, reject) => {
      let onEnd;
      this.ended = new Promise((r) => (onEnd = r));
      this.#request = get({ host: '127.0.0.1', port, path: `/api/sse/stream${query}`, agent: false }, (res) => {
        if (res.statusCode !== 200 || !String(res.headers['content-type']).startsWith('text/event-stream')) {
          reject(new Error(`SSE stream answered ${res.statusCode} ${res.headers['content-type']}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk) => this.#feed(chunk));
        res.on('close', () => onEnd());
        resolve();
      });
      this.#request.on('error', (error) => {
        reject(error);
        onEnd();
      });
    });
  }

  #feed(chunk) {
    this.#buffer += chunk;
    const lines = this.#buffer.split('\n');
    this.#buffer = lines.pop();
    for (let line of lines) {
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        this.#dispatch();
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') this.#event.type = value;
      else if (field === 'data') this.#event.data.push(value);
      else if (field === 'id') this.#event.id = value;
    }
  }

  #dispatch() {
    const e = this.#event;
    this.#event = { type: '', data: [], id: undefined };
    if (e.data.length === 0) return;
    const event = { event: e.type || 'message', data: e.data.join('\n'), id: e.id };
    event.json = () => JSON.parse(event.data);
    const w = this.#waiters.findIndex((x) => x.match(event));
    if (w >= 0) this.#waiters.splice(w, 1)[0].resolve(event);
    else this.events.push(event);
  }

  /** The first event (received or to come) that matches, taken from the stream. */
  next(match = () => true, ms = 5000) {
    const i = this.events.findIndex(match);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]);
    let waiter;
    const p = new Promise((resolve) => {
      waiter = { match, resolve };
      this.#waiters.push(waiter);
    });
    return within(p, ms, 'an SSE event').finally(() => {
      const k = this.#waiters.indexOf(waiter);
      if (k >= 0) this.#waiters.splice(k, 1);
    });
  }

  /** The next event named `name` (heartbeats and others stay queued). */
  nextNamed(name, ms = 5000) {
    return this.next((e) => e.event === name, ms);
  }

  close() {
    this.#request?.destroy();
  }
}
