#!/usr/bin/env python3
"""How evenly long-lived SSE streams end up spread over shards.

Opens N streams, reads the per-shard counts from /api/stats, closes 60% of the
streams on shard 0 (skewed churn), opens as many new ones, and reads the counts
again. Compare `ringcastd --accept handoff` with `--accept reuseport`
(docs/architecture.md). Standard library only; every wait is bounded.

    bench/accept/balance.py [--port 8080] [--streams 10000]
"""
import argparse
import json
import selectors
import socket
import sys
import time


def stats(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /api/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    return json.loads(buf.split(b"\r\n\r\n", 1)[1])


def open_streams(port, count, first_source):
    """Opens `count` streams; returns {socket: shard} once each got its connected event."""
    sel = selectors.DefaultSelector()
    for i in range(count):
        s = socket.socket()
        s.setblocking(False)
        s.bind((f"127.0.0.{first_source + i % 50}", 0))
        s.connect_ex(("127.0.0.1", port))
        sel.register(s, selectors.EVENT_WRITE, [b"", False])
    shard_of = {}
    deadline = time.time() + 60
    while len(shard_of) < count:
        if time.time() > deadline:
            sys.exit(f"only {len(shard_of)} of {count} streams connected within 60 s")
        for key, ev in sel.select(1):
            s, st = key.fileobj, key.data
            if ev & selectors.EVENT_WRITE and not st[1]:
                s.send(b"GET /api/sse/stream?channels=balance HTTP/1.1\r\nHost: x\r\n\r\n")
                st[1] = True
                sel.modify(s, selectors.EVENT_READ, st)
                continue
            st[0] += s.recv(4096)
            if b'"connectionId":"' in st[0]:
                cid = st[0].split(b'"connectionId":"')[1].split(b'"')[0].decode()
                shard_of[s] = int(cid[1:].split("-")[0])  # "c<shard>-<serial>"
                sel.unregister(s)
    return shard_of


def per_shard(port):
    return [s["connections"] for s in stats(port)["shards"]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--streams", type=int, default=10000)
    a = ap.parse_args()
    t0 = time.time()
    streams = open_streams(a.port, a.streams, 2)
    print(f"{a.streams} streams in {time.time() - t0:.2f} s (Python client); per shard: {per_shard(a.port)}")
    victims = [s for s, shard in streams.items() if shard == 0]
    victims = victims[: int(0.6 * len(victims))]
    for s in victims:
        s.close()
    expected = a.streams - len(victims)
    deadline = time.time() + 10
    while stats(a.port)["totalConnections"] != expected:
        if time.time() > deadline:
            sys.exit("the daemon did not notice the closed streams within 10 s")
        time.sleep(0.05)
    print(f"closed {len(victims)} streams of shard 0; per shard: {per_shard(a.port)}")
    fresh = open_streams(a.port, len(victims), 60)  # keep them open while counting
    print(f"opened {len(fresh)} new streams; per shard: {per_shard(a.port)}")


if __name__ == "__main__":
    main()
