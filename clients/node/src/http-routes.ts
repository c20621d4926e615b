// The socket protocol's ops as routes of the daemon's HTTP API
// (docs/protocol.md), and its answers reshaped as the socket's replies, so
// that Ringcast sends the same ops over either transport.

import { RingcastError } from './errors.js';
import type { Reply } from './transport.js';

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The path under the API's base, %-encoded. */
  path: string;
  /** The JSON body of a POST. */
  body?: object;
  /** Headers beyond the client's own (If-Match). */
  headers?: Record<string, string>;
  /** The answer's JSON as the socket's reply (without "ok"). */
  reply: (answer: unknown) => Reply;
}

const asObject = (answer: unknown): Reply =>
  typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? (answer as Reply) : {};

const post = (path: string, body: object): HttpRoute => ({ method: 'POST', path, body, reply: asObject });

/** The socket's alerts ops (docs/protocol.md, "Alerts"), each a route of
 *  /api/alerts (docs/alerts.md). */
export const ALERT_OPS = [
  'alerts.list',
  'alerts.get',
  'alerts.create',
  'alerts.update',
  'alerts.patch',
  'alerts.delete',
  'alerts.preview',
  'alerts.refresh',
];

// HTTP answers an alert bare; the socket wraps it in "alert".
const asAlert = (answer: unknown): Reply => ({ alert: answer });

function alertRoute(op: string, fields: Record<string, unknown>): HttpRoute {
  const id = () => `/api/alerts/${alertId(op, fields['id'])}`;
  // The socket's "version" beside the alert goes in the body over HTTP (the
  // daemon takes it there, as the version the writer edited).
  const withVersion = (body: unknown) => {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    return fields['version'] === undefined ? b : { ...b, version: fields['version'] };
  };
  switch (op) {
    case 'alerts.list': {
      const q = new URLSearchParams();
      for (const key of ['active', 'type', 'limit', 'offset'])
        if (fields[key] !== undefined) q.set(key, String(fields[key]));
      const search = q.toString();
      return { method: 'GET', path: search === '' ? '/api/alerts' : `/api/alerts?${search}`, reply: asObject };
    }
    case 'alerts.get':
      return { method: 'GET', path: id(), reply: asAlert };
    case 'alerts.create':
      return { method: 'POST', path: '/api/alerts', body: withVersion(fields['alert']), reply: asAlert };
    case 'alerts.update':
      return { method: 'PUT', path: id(), body: withVersion(fields['alert']), reply: asAlert };
    case 'alerts.patch':
      return { method: 'PATCH', path: id(), body: withVersion(fields['patch']), reply: asAlert };
    case 'alerts.delete': {
      const v = fields['version'];
      return {
        method: 'DELETE',
        path: id(),
        ...(v === undefined ? {} : { headers: { 'if-match': `"${String(v)}"` } }),
        reply: asObject,
      };
    }
    case 'alerts.preview':
      return post('/api/alerts/preview', (fields['alert'] ?? {}) as object);
    default: // alerts.refresh
      return post('/api/alerts/refresh', fields['reason'] === undefined ? {} : { reason: fields['reason'] });
  }
}

function alertId(op: string, value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return String(value);
  throw new RingcastError('invalid_field', `"id" must be the alert's id, a positive integer`, { source: 'client', op, field: 'id' });
}

/** The ops HTTP carries, for error messages. */
export const HTTP_OPS = [
  'ping',
  'publish',
  'invalidate',
  'stats',
  'connection',
  'connections',
  'user',
  'disconnect',
  'token',
  'log-level',
  ...ALERT_OPS,
];

/** The route for an op and its fields; throws a RingcastError for an op the
 *  HTTP API does not have, or fields a route cannot carry. */
export function routeFor(op: string, fields: Record<string, unknown>): HttpRoute {
  switch (op) {
    case 'ping':
      return { method: 'GET', path: '/api/ping', reply: asObject };
    case 'stats':
      // The socket wraps the document in "stats"; HTTP answers it bare.
      return { method: 'GET', path: '/api/stats', reply: (answer) => ({ stats: answer }) };
    case 'connection': {
      const id = fields['id'] ?? fields['connectionId'];
      return { method: 'GET', path: `/api/connections/${segment(op, 'id', id)}`, reply: asObject };
    }
    case 'connections': {
      // Sent as given: the daemon checks limit and after, and says which is wrong.
      const q = new URLSearchParams();
      for (const key of ['limit', 'after'])
        if (fields[key] !== undefined && fields[key] !== null) q.set(key, String(fields[key]));
      const search = q.toString();
      return { method: 'GET', path: search === '' ? '/api/connections' : `/api/connections?${search}`, reply: asObject };
    }
    case 'user':
      return { method: 'GET', path: `/api/users/${segment(op, 'userId', fields['userId'])}`, reply: asObject };
    case 'publish':
      return post('/api/publish', fields);
    case 'invalidate':
      return post('/api/invalidate', fields);
    case 'disconnect':
      return post('/api/disconnect', fields);
    case 'token':
      return post('/api/tokens', fields);
    case 'log-level':
      // A level changes it (PUT); none only asks (GET).
      return fields['level'] === undefined
        ? { method: 'GET', path: '/api/log-level', reply: asObject }
        : { method: 'PUT', path: '/api/log-level', body: { level: fields['level'] }, reply: asObject };
    default:
      if (ALERT_OPS.includes(op)) return alertRoute(op, fields);
      throw RingcastError.client(
        'protocol',
        `ringcast: the HTTP API has no route for the op "${op}" (over HTTP: ${HTTP_OPS.join(', ')})`,
        op,
      );
  }
}

// A path segment from a string or an integer id, %-encoded: "a/b" stays one segment.
function segment(op: string, name: string, value: unknown): string {
  if ((typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isInteger(value)))
    return encodeURIComponent(String(value));
  // The socket's daemon says invalid_field for this; say the same here.
  throw new RingcastError('invalid_field', `"${name}" must be a non-empty string or an integer`, {
    source: 'client',
    op,
  });
}
