#!/usr/bin/env python3
"""Smoke test of ringcast-load against a real ringcastd: the modes the figures in
docs/performance.md come from must keep working (and keep checking what they
claim to check), at a size that takes a few seconds.

  load_smoke.py RINGCASTD RINGCAST_LOAD

Runs, each bounded in time:
  1. a resume burst over HTTP (200 streams, 20 events each), with the daemon's
     catchUp counters checked by the generator and here;
  2. a resume burst published over the Unix socket, persistent events;
  3. a short --persistent publish run: the cache and the store are used;
  4. the same again on the same daemon: the cached events of run 3 reach the new
     streams and are counted apart (earlier_runs), not as duplicates;
  5. streams over TLS (--tls-target, verified with --tls-ca, --tls-resume) to the
     daemon's [tls] listener: every event, and the handshakes counted;
  6. HTTP/2 (--h2): 150 streams over two h2c connections (prior knowledge, one
     of 100 streams and one of 50) from one process, and 120 over three h2
     connections by ALPN to the [tls] listener from two: every event on every
     stream; and --h2 above the daemon's max_concurrent_streams fails with why;
  7. a takeover (--takeover) of that daemon by a new one under a steady publish
     (50 streams, 10 events/s, 3 s): no reconnect, nothing lost or twice, the
     new daemon's pid reported (and stopped here at the end).
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

READY_TIMEOUT_S = 20
RUN_TIMEOUT_S = 60


def fail(msg):
    print("load_smoke: " + msg, file=sys.stderr)
    sys.exit(1)


def daemon_args(ringcastd, tmp):
    return [ringcastd, "--config", os.path.join(tmp, "ringcast.toml"), "--http", "127.0.0.1:0",
            "--shards", "2", "--data-dir", os.path.join(tmp, "data"),
            "--log-level", "info"]  # info: the HTTPS listener's address is in the log


def make_certificate(tmp):
    """A self-signed certificate for localhost and 127.0.0.1 (its own CA)."""
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("openssl could not make a certificate: " + r.stderr)
    return cert, key


def https_target(tmp):
    """The HTTPS listener the daemon's log announces."""
    with open(os.path.join(tmp, "ringcastd.log")) as f:
        m = re.search(r"listening on https://([0-9.]+:[0-9]+)", f.read())
    if not m:
        fail("the daemon announced no HTTPS listener")
    return m.group(1)


def start_daemon(ringcastd, tmp):
    config = os.path.join(tmp, "ringcast.toml")
    cert, key = make_certificate(tmp)
    with open(config, "w") as f:
        f.write('[publish]\napi_keys = ["smoke-key"]\n[tls]\nlisten = "127.0.0.1:0"\n'
                'certificate = "%s"\nkey = "%s"\n' % (cert, key))
    notify_path = os.path.join(tmp, "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(0.5)
    log = open(os.path.join(tmp, "ringcastd.log"), "w")
    daemon = subprocess.Popen(
        daemon_args(ringcastd, tmp),
        env=dict(os.environ, NOTIFY_SOCKET=notify_path), stdout=log, stderr=log)
    deadline = time.monotonic() + READY_TIMEOUT_S
    ready, status = False, ""
    while not ready and time.monotonic() < deadline and daemon.poll() is None:
        try:
            msg = notify.recv(4096).decode()
        except socket.timeout:
            continue
        for line in msg.splitlines():
            ready |= line == "READY=1"
            if line.startswith("STATUS="):
                status = line[7:]
    notify.close()
    if not ready or not status.startswith("listening on 127.0.0.1:"):
        stop_daemon(daemon)
        fail("ringcastd did not become ready (status %r); log:\n%s" %
             (status, open(os.path.join(tmp, "ringcastd.log")).read()))
    return daemon, "127.0.0.1:" + status.rsplit(":", 1)[1]


def stop_daemon(daemon):
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def kernel_carries_streams(ringcastd):
    """As tests/integration/upgrade_test.cc asks: what `ringcastd --probe` notes."""
    p = subprocess.run([ringcastd, "--probe"], capture_output=True, text=True, timeout=30)
    return "cannot turn a direct descriptor back" not in p.stdout + p.stderr


def running(pid):
    """Alive and not a zombie (the daemon the takeover replaced is one until reaped)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def stop_pid(pid):
    """Stops a daemon that is not our child (the takeover's) by its pid."""
    if pid <= 0 or not running(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if running(pid):
        os.kill(pid, signal.SIGKILL)


def load_report(load, target, args):
    """Runs ringcast-load with args: its exit status and JSON report."""
    cmd = [load, "--target", target, "--api-key", "smoke-key", "-q", "--json"] + args
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        fail("timed out: " + " ".join(cmd))
    try:
        return p.returncode, json.loads(p.stdout), cmd
    except ValueError:
        fail("no JSON report from %s (exit %d): %s" % (" ".join(cmd), p.returncode, p.stderr))


def run_load(load, target, args):
    code, report, cmd = load_report(load, target, args)
    if code != 0 or not report["ok"]:
        fail("%s exited %d: errors %s" % (" ".join(cmd), code, report["errors"]))
    return report


def run_load_failing(load, target, args):
    """A run that must fail: its report, with the errors."""
    code, report, cmd = load_report(load, target, args)
    if code != 1 or report["ok"]:
        fail("%s should have failed, exited %d: %s" % (" ".join(cmd), code, report))
    return report


def expect(report, key, want):
    if report.get(key) != want:
        fail("%s is %r, expected %r (report: %s)" % (key, report.get(key), want, report))


def main():
    if len(sys.argv) != 3:
        fail("usage: load_smoke.py RINGCASTD RINGCAST_LOAD")
    ringcastd, load = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="ringcast-load-smoke.") as tmp:
        daemon, target = start_daemon(ringcastd, tmp)
        new_pid = 0
        try:
            r = run_load(load, target, ["-n", "200", "--resume-burst", "20"])
            expect(r, "mode", "resume")
            expect(r, "catchup_resumes", 200)
            expect(r, "catchup_gaps", 0)
            expect(r, "catchup_replayed", 4000)
            expect(r, "received_deliveries", 4200)  # 20 replayed + 1 live, each
            expect(r, "lost", 0)
            if not r["burst_time_s"] > 0 or r["replay_streams"] != 200:
                fail("no burst figures: %s" % r)

            sock = os.path.join(tmp, "data", "ringcast.sock")
            r = run_load(load, target, ["-n", "50", "--resume-burst", "10", "--persistent",
                                        "--publish-unix", sock])
            expect(r, "catchup_replayed", 500)
            expect(r, "received_deliveries", 550)

            publish = ["-n", "100", "-r", "50", "-d", "1", "-w", "0.2", "--persistent"]
            r = run_load(load, target, publish)
            expect(r, "persistent", True)
            expect(r, "store_enabled", True)
            if r["cache_events"] == 0 or r["store_written"] == 0:
                fail("a --persistent run left nothing in the cache or the store: %s" % r)

            # Run 3's events are cached: the next streams get them on connect.
            r = run_load(load, target, publish)
            if r["earlier_runs"] == 0:
                fail("cached events of the previous run were not recognised: %s" % r)
            expect(r, "duplicates", 0)

            # 5. Streams over TLS, verified against the certificate itself.
            r = run_load(load, target, [
                "-n", "50", "-r", "20", "-d", "1", "-w", "0.2", "--procs", "1",
                "--connect-concurrency", "1", "--tls-target", https_target(tmp),
                "--tls-ca", os.path.join(tmp, "cert.pem"), "--tls-resume"])
            expect(r, "tls_handshakes", 50)
            expect(r, "lost", 0)
            expect(r, "duplicates", 0)
            if r["tls_resumed"] < 40:
                fail("--tls-resume resumed %d of 50 handshakes: %s" % (r["tls_resumed"], r))

            # 6. HTTP/2: every stream of every connection gets every event.
            r = run_load(load, target, ["-n", "150", "--h2", "100", "-r", "20", "-d", "1",
                                        "-w", "0.2", "--procs", "1"])
            expect(r, "protocol", "h2c")
            expect(r, "stream_connections", 2)
            expect(r, "connected", 150)
            expect(r, "lost", 0)
            expect(r, "duplicates", 0)
            expect(r, "disconnects", 0)
            if r["events_published"] < 20 or \
                    r["received_deliveries"] != 150 * r["events_published"]:
                fail("the h2c streams did not get every event: %s" % r)
            r = run_load(load, target, [
                "-n", "120", "--h2", "40", "-r", "20", "-d", "1", "-w", "0.2", "--procs", "2",
                "--tls-target", https_target(tmp), "--tls-ca", os.path.join(tmp, "cert.pem")])
            expect(r, "protocol", "h2")
            expect(r, "stream_connections", 3)
            expect(r, "tls_handshakes", 3)
            expect(r, "lost", 0)
            expect(r, "duplicates", 0)
            if r["events_published"] < 20 or \
                    r["received_deliveries"] != 120 * r["events_published"]:
                fail("the h2 streams did not get every event: %s" % r)
            too_many = run_load_failing(load, target, ["-n", "200", "--h2", "200", "-r", "20",
                                                       "-d", "1"])
            if "SETTINGS_MAX_CONCURRENT_STREAMS" not in " ".join(too_many["errors"]):
                fail("--h2 over the daemon's stream limit did not say why: %s" % too_many)

            # 7. Only where streams are carried over (Linux 6.8+): elsewhere
            # they drain and reconnect by design. The new daemon's log goes to
            # a file: it outlives ringcast-load and would hold run_load's pipe.
            if not kernel_carries_streams(ringcastd):
                print("load_smoke: takeover run skipped: this kernel cannot give a direct "
                      "descriptor back (streams drain instead)")
                return
            takeover = " ".join(daemon_args(ringcastd, tmp) + ["--takeover"])
            r = run_load(load, target, [
                "-n", "50", "-r", "10", "-w", "1", "-d", "2", "--publish-unix", sock,
                "--old-pid", str(daemon.pid), "--takeover", takeover,
                "--takeover-log", os.path.join(tmp, "new-daemon.log")])
            new_pid = r.get("new_pid", 0)
            expect(r, "mode", "takeover")
            expect(r, "old_exited", True)
            expect(r, "reconnects", 0)
            expect(r, "lost", 0)
            expect(r, "duplicates", 0)
            expect(r, "lost_streams", 0)
            if r["events_published"] < 25 or \
                    r["received_deliveries"] != 50 * r["events_published"]:
                fail("the streams did not get every event across the takeover: %s" % r)
            if not running(new_pid) or r["new_cpu_s"] is None or r["pause_max_us"] == 0:
                fail("no running new daemon or no pause figures: %s" % r)
            daemon.wait(10)  # the old one, replaced
        finally:
            stop_daemon(daemon)
            stop_pid(new_pid)
    print("load_smoke: ok")


if __name__ == "__main__":
    main()
