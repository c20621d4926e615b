// The socket protocol's ops as routes of the daemon's HTTP API
// (docs/protocol.md), and its answers reshaped as the socket's replies, so
// that Ringcast sends the same ops over either transport.

import { RingcastError } from './errors.js';
import type { Reply } from './transport.js';

export interface HttpRoute {
  method: 'GET' | 'POST';
  /** The path under the API's base, %-encoded. */
  path: string;
  /** The JSON body of a POST. */
  body?: object;
  /** The answer's JSON as the socket's reply (without "ok"). */
  reply: (answer: unknown) => Reply;
}

const asObject = (answer: unknown): Reply =>
  typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? (answer as Reply) : {};

const post = (path: string, body: object): HttpRoute => ({ method: 'POST', path, body, reply: asObject });

/** The ops HTTP carries, for error messages. */
export const HTTP_OPS = ['ping', 'publish', 'invalidate', 'stats', 'connection', 'user', 'disconnect', 'token'];

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
    default:
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
