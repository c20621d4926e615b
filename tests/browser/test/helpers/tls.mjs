// HTTPS for the browser tests with a test CA, trusted the way a real one is:
// openssl makes a CA and a server certificate it signs (for 127.0.0.1 and
// localhost), and the CA goes into the NSS database of a HOME given to
// Chromium alone, which is where Chromium on Linux reads the CAs a user added.
// No certificate check is switched off: a chain that does not verify fails
// the page as it would for a user.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(cmd, args, what) {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const more = error.code === 'ENOENT' ? ` (${cmd} is not installed: make test installs it)` : '';
    throw new Error(`${what} failed${more}: ${error.stderr?.toString() || error.message}`);
  }
}

/**
 * A test CA, a server certificate and key signed by it, and a HOME whose NSS
 * database trusts the CA. Resolves { dir, home, ca, cert, key, remove() }.
 */
export function makeTestCa() {
  const dir = mkdtempSync(join(tmpdir(), 'ringcast-test-ca-'));
  const f = (name) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2',
    '-subj', '/CN=ringcast browser tests CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], 'making the test CA');
  run('openssl', ['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost'],
    'making the server key');
  writeFileSync(f('server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'),
    '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('server.ext')],
    'signing the server certificate');
  const home = f('home');
  const nssdb = join(home, '.pki', 'nssdb');
  mkdirSync(nssdb, { recursive: true });
  run('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password'], 'creating the NSS database');
  run('certutil', ['-A', '-d', `sql:${nssdb}`, '-n', 'ringcast-test-ca', '-t', 'C,,', '-i', f('ca.pem')],
    'trusting the test CA');
  return {
    dir,
    home,
    ca: f('ca.pem'),
    cert: f('server.pem'),
    key: f('server.key'),
    remove() {
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The [tls] section of a daemon serving HTTPS with `ca`'s server certificate on a free port. */
export function tlsConfig(ca) {
  return `[tls]\nlisten = "127.0.0.1:0"\ncertificate = ${JSON.stringify(ca.cert)}\nkey = ${JSON.stringify(ca.key)}\n`;
}

/** The HTTPS base URL a daemon's log announces ("listening on https://ADDR"). */
export function httpsBase(daemon) {
  const m = /listening on https:\/\/([0-9.]+):(\d+)/.exec(daemon.log());
  if (!m) throw new Error(`the daemon announced no HTTPS listener:\n${daemon.log()}`);
  return `https://${m[1]}:${m[2]}`;
}
