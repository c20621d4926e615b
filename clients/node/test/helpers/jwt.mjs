// Minting JWTs for the tests with node:crypto alone (no npm dependency): HS256,
// the algorithm a daemon started with `[auth] algorithm = "HS256"` verifies.
// Nothing of the client or the daemon is used, so a token the daemon accepts
// proves the test and the daemon agree on RFC 7515/7519, not on shared code.
import { createHmac } from 'node:crypto';

/** A secret of the length the daemon requires (at least 32 bytes). */
export const TEST_SECRET = 'ringcast-node-tests-hs256-secret-0123456789';

/** The configuration text that makes ringcastd verify HS256 tokens signed with `secret`. */
export function hs256Config(secret = TEST_SECRET) {
  return `[auth]\nalgorithm = "HS256"\nsecret = ${JSON.stringify(secret)}\n`;
}

/** base64url without padding (RFC 7515 §2) of a string or bytes. */
export function b64url(bytes) {
  return Buffer.from(bytes).toString('base64url');
}

/**
 * An HS256 token for `claims` (sub, roles, permissions, subscriber…). `exp`
 * defaults to an hour from now and `iat` to now; pass `exp: undefined` to leave
 * it out. `header` replaces {"alg":"HS256","typ":"JWT"} (to forge a bad token).
 */
export function mintHs256(claims, { secret = TEST_SECRET, header = { alg: 'HS256', typ: 'JWT' } } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iat: now, exp: now + 3600, ...claims };
  if (payload.exp === undefined) delete payload.exp;
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
