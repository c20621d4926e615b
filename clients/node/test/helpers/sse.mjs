// A small EventSource-like reader over node:http: one stream on any endpoint,
// optionally with a token (header, ?token= or cookie), its events parsed as the
// WHATWG EventSource parser reads them (event:, data: lines joined with "\n",
// id:, comments ignored), handed to the test in order.
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

  /**
   * Opens a stream and waits for its "connected" event.
   *
   * `channels`: the ?channels= list (undefined: none, so the endpoint's defaults).
   * `options`: the ms to wait (a number, as before), or
   *   { path = '/api/sse/stream', token, tokenIn = 'header', ms = 5000 }
   * where `token` (a JWT) goes in "Authorization: Bearer", in ?token= (tokenIn
   * 'query') or in the ringcast_token cookie (tokenIn 'cookie').
   * A refused stream rejects with an Error carrying `status` and `body`.
   */
  static async open(port, channels, options = {}) {
    const { path = '/api/sse/stream', token, tokenIn = 'header', ms = 5000 } =
      typeof options === 'number' ? { ms: options } : options;
    const query = new URLSearchParams();
    if (channels !== undefined) query.set('channels', channels.join(','));
    const headers = {};
    if (token !== undefined) {
      if (tokenIn === 'header') headers.authorization = `Bearer ${token}`;
      else if (tokenIn === 'query') query.set('token', token);
      else if (tokenIn === 'cookie') headers.cookie = `ringcast_token=${token}`;
      else throw new Error(`tokenIn: 'header', 'query' or 'cookie', not ${tokenIn}`);
    }
    const search = query.toString();
    const target = search === '' ? path : `${path}?${search}`;
    const s = new Subscriber();
    await within(s.#start(port, target, headers), ms, `the SSE stream ${path} on port ${port}`);
    const first = await s.next((e) => e.event === 'connected', ms);
    s.connected = JSON.parse(first.data);
    return s;
  }

  #start(port, target, headers) {
    return new Promise((resolve, reject) => {
      let onEnd;
      this.ended = new Promise((r) => (onEnd = r));
      this.#request = get({ host: '127.0.0.1', port, path: target, headers, agent: false }, (res) => {
        if (res.statusCode !== 200 || !String(res.headers['content-type']).startsWith('text/event-stream')) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => {
            const error = new Error(`SSE stream answered ${res.statusCode} ${res.headers['content-type']}: ${body}`);
            error.status = res.statusCode;
            error.body = body;
            reject(error);
          });
          res.on('close', () => onEnd());
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

  /**
   * Takes every event up to the first that matches, and resolves with the ones
   * before it, in order (the match itself is taken too and not returned). What
   * arrived before a fence event is exactly what the stream got since the last.
   */
  async until(match, ms = 5000) {
    const before = [];
    for (;;) {
      const e = await this.next(() => true, ms);
      if (match(e)) return before;
      before.push(e);
    }
  }

  close() {
    this.#request?.destroy();
  }
}
