// HS256 tokens for the tests, with node:crypto alone: an application's JWT,
// which a daemon started with hs256Config() verifies.
import { createHmac } from 'node:crypto';

export const TEST_SECRET = 'ringcast-browser-tests-hs256-secret-0123456789';

export function hs256Config(secret = TEST_SECRET) {
  return `[auth]\nalgorithm = "HS256"\nsecret = ${JSON.stringify(secret)}\n`;
}

/** A token for `claims` (sub, roles, admin...), valid for an hour. */
export function mintHs256(claims, secret = TEST_SECRET) {
  const now = Math.floor(Date.now() / 1000);
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iat: now, exp: now + 3600, ...claims })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
