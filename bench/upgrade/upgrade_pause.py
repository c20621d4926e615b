#!/usr/bin/env python3
"""Measures an upgrade without a reconnect (docs/operations.md) under load.

Opens --streams SSE streams on a running ringcastd, publishes --rate events a
second over its Unix socket (each acknowledged; a publish refused or left
unanswered during the handover is sent again), runs the takeover command, and
reports, once --settle seconds have passed after the old daemon exited:

  reconnects   streams whose connection ended (must be 0)
  lost, dups   events a stream missed or got twice, by the publisher's numbers
  pause        the longest time between two events on one stream, over all
               streams (and the median of each stream's longest)
  delay        the longest time from an event's publish to its arrival on a
               stream, before the takeover (the baseline of this machine and of
               this script) and from the request on: at a low --rate the gap
               between events is mostly the interval, the delay is the handover's
  where        for a loss: which streams, which events, and where the request
               and the old daemon's exit fell among them
  cpu          CPU seconds of the old daemon from the request to its exit, and
               of the new daemon from its start to the old one's exit and to
               the end of the run

  bench/upgrade/upgrade_pause.py --port 8080 --socket var/ringcast.sock \\
      --old-pid $(pidof ringcastd) --streams 10000 --rate 10 \\
      --takeover 'build/src/ringcastd --config ringcast.toml --takeover'

The new daemon keeps running afterwards; its pid is printed. Needs `ulimit -n`
above --streams. Python's own loop is the bottleneck beyond ~20k events/s of
fan-out: keep streams x rate below that, or run it on another machine.
"""
import argparse
import collections
import os
import re
import selectors
import shlex
import socket
import statistics
import subprocess
import threading
import time

EVENT_RE = re.compile(rb"event: n\ndata: (\d+)\n")


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


class Stream:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.head_done = False
        self.next = None  # the number expected next; None before the first event
        self.lost = 0
        self.missed = []  # the numbers lost, to say where a loss happened
        self.dups = 0
        self.last_at = None
        self.longest = 0.0
        self.delay = 0.0  # longest publish -> arrival
        self.ended = False


class Publisher(threading.Thread):
    def __init__(self, path, channel, rate):
        super().__init__(daemon=True)
        self.path, self.channel, self.period = path, channel, 1.0 / rate
        self.acked = 0
        self.resent = 0
        self.sent_at = {}  # event number -> its first attempt (a resend waited too)
        self.stop = False

    def run(self):
        sock, reader = None, None
        due = time.monotonic()
        while not self.stop:
            try:
                if sock is None:
                    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    sock.settimeout(30)
                    sock.connect(self.path)
                    reader = sock.makefile("rb")
                n = self.acked
                line = ('{"op":"publish","req":%d,"channel":"%s","event":"n","data":%d}\n'
                        % (n, self.channel, n))
                self.sent_at.setdefault(n, time.monotonic())
                sock.sendall(line.encode())
                reply = reader.readline()
                if b'"ok":true' not in reply:
                    raise OSError("refused: %r" % reply)
                self.acked = n + 1
                due += self.period
                time.sleep(max(0.0, due - time.monotonic()))
            except OSError:
                self.resent += 1
                if sock:
                    sock.close()
                sock = None
                time.sleep(0.001)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/api/sse")
    ap.add_argument("--channel", default="upgrade")
    ap.add_argument("--socket", required=True, help="the daemon's publishing socket")
    ap.add_argument("--old-pid", type=int, required=True)
    ap.add_argument("--takeover", required=True, help="command that runs ringcastd --takeover")
    ap.add_argument("--streams", type=int, default=100)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--settle", type=float, default=5.0)
    a = ap.parse_args()

    sel = selectors.DefaultSelector()
    streams = []
    request = (f"GET {a.path}?channels={a.channel} HTTP/1.1\r\nHost: {a.host}\r\n"
               "Accept: text/event-stream\r\n\r\n").encode()
    for _ in range(a.streams):
        s = socket.create_connection((a.host, a.port))
        s.sendall(request)
        s.setblocking(False)
        st = Stream(s)
        streams.append(st)
        sel.register(s, selectors.EVENT_READ, st)

    def pump(until):
        while time.monotonic() < until:
            for key, _ in sel.select(timeout=max(0.0, min(0.05, until - time.monotonic()))):
                st = key.data
                try:
                    data = st.sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                now = time.monotonic()
                if not data:
                    st.ended = True
                    sel.unregister(st.sock)
                    continue
                st.buf += data
                if not st.head_done:
                    if b"\r\n\r\n" not in st.buf:
                        continue
                    st.head_done = True
                    st.buf = st.buf.split(b"\r\n\r\n", 1)[1]
                last = 0
                for m in EVENT_RE.finditer(st.buf):
                    n = int(m.group(1))
                    if st.next is not None:
                        if n < st.next:
                            st.dups += 1
                        elif n > st.next:
                            st.lost += n - st.next
                            st.missed.extend(range(st.next, n))
                    st.next = max(n + 1, st.next or 0)
                    sent = pub.sent_at.get(n)
                    if sent is not None:
                        st.delay = max(st.delay, now - sent)
                    if st.last_at is not None:
                        st.longest = max(st.longest, now - st.last_at)
                    st.last_at = now
                    last = m.end()
                st.buf = st.buf[last:]

    pub = Publisher(a.socket, a.channel, a.rate)
    pub.start()
    pump(time.monotonic() + a.warmup)
    warm_delay = [st.delay for st in streams]
    for st in streams:
        st.longest = 0.0  # only what the handover costs
        st.delay = 0.0
    old_cpu = cpu_seconds(a.old_pid)
    requested_after = pub.acked
    started = time.monotonic()
    new = subprocess.Popen(shlex.split(a.takeover))
    old_cpu_end = old_cpu
    while os.path.exists(f"/proc/{a.old_pid}") and time.monotonic() - started < 120:
        old_cpu_end = cpu_seconds(a.old_pid) or old_cpu_end
        pump(time.monotonic() + 0.01)
    handover = time.monotonic() - started
    exited_after = pub.acked
    new_cpu_at_exit = cpu_seconds(new.pid)
    pump(time.monotonic() + a.settle)
    pub.stop = True
    pub.join(timeout=35)
    total = pub.acked
    pump(time.monotonic() + 2.0)
    for st in streams:
        if st.next is not None and st.next < total:
            st.lost += total - st.next
            st.missed.extend(range(st.next, total))

    longest = [st.longest for st in streams]
    delay = [st.delay for st in streams]
    print(f"streams {a.streams}, rate {a.rate}/s, {total} events published "
          f"({pub.resent} publishes sent again)")
    print(f"reconnects {sum(st.ended for st in streams)}, lost {sum(st.lost for st in streams)}, "
          f"duplicates {sum(st.dups for st in streams)}")
    missed = collections.Counter(n for st in streams for n in st.missed)
    if missed:
        print(f"lost on {sum(1 for st in streams if st.missed)} streams (opened as number "
              f"{[i for i, st in enumerate(streams) if st.missed][:10]}); events lost "
              f"(event: streams) {dict(sorted(missed.items()))}; the request came after event "
              f"{requested_after - 1}, the old daemon exited after {exited_after - 1}")
    print(f"handover: request to old exit {handover * 1000:.0f} ms")
    print(f"pause: longest {max(longest) * 1000:.0f} ms, median of each stream's longest "
          f"{statistics.median(longest) * 1000:.0f} ms (events every {1000 / a.rate:.0f} ms)")
    print(f"delay publish->arrival: longest {max(delay) * 1000:.0f} ms from the request on "
          f"(median of each stream's longest {statistics.median(delay) * 1000:.0f} ms); "
          f"before it {max(warm_delay) * 1000:.0f} ms "
          f"(median {statistics.median(warm_delay) * 1000:.0f} ms)")
    new_cpu = cpu_seconds(new.pid)
    nan = float('nan')
    if old_cpu is not None:
        print(f"cpu: old daemon {old_cpu_end - old_cpu:.3f} s from the request to its exit; "
              f"new daemon {new_cpu_at_exit if new_cpu_at_exit is not None else nan:.3f} s "
              f"by then, {new_cpu if new_cpu is not None else nan:.3f} s since it started")
    print(f"new daemon pid {new.pid}")


if __name__ == "__main__":
    main()
