// Event ids the daemon assigns: "<epoch>-<sequence>" (docs/protocol.md). One
// sequence numbers every event of a daemon's numbering, whatever its channel,
// from 1; the epoch names that numbering. Clients treat ids as opaque; the tests
// read their parts to check order.
import assert from 'node:assert/strict';

const DAEMON_ID = /^([0-9a-z]+)-([1-9][0-9]*)$/;

/** The sequence of a daemon-assigned id (fails the test for anything else). */
export function seqOf(id) {
  const m = DAEMON_ID.exec(String(id));
  assert.ok(m, `not a daemon-assigned event id "<epoch>-<sequence>": ${JSON.stringify(id)}`);
  return Number(m[2]);
}

/** The epoch of a daemon-assigned id. */
export function epochOf(id) {
  const m = DAEMON_ID.exec(String(id));
  assert.ok(m, `not a daemon-assigned event id "<epoch>-<sequence>": ${JSON.stringify(id)}`);
  return m[1];
}
