#!/usr/bin/env python3
"""Steady load through the cluster's haproxy, faults injected while it runs, and the delivery checks.

A receiver (the service's endpoint) records each LGSP-Message-Id once (it deduplicates, as a real receiver must
for at-least-once delivery) in the order of first arrival per LGSP-Conversation-Id. Senders, one per
conversation, send numbered messages one after the other; a message is sent again with the same message id until
it is answered 202 (503, a cut connection or a timeout is "not acknowledged": the node's idempotency check
answers a repeat of a committed one). After each fault command has run and the load has gone on past it, the
senders stop and the checks run: every acknowledged message (202, or 200 for a repeat) delivered, first arrivals in each conversation
in the order sent, no answer other than 202/200/503 (and haproxy's 502/504 for a node killed mid-request).
Prints one JSON summary line; exits 1 when a check fails.
"""
import argparse
import http.client
import http.server
import json
import subprocess
import sys
import threading
import time


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port, delay):
        super().__init__(("127.0.0.1", port), Handler)
        self.delay = delay
        self.lock = threading.Lock()
        self.seen = set()
        self.order = {}  # conversation -> [sequence number of each first arrival]
        self.repeats = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        mid = self.headers.get("LGSP-Message-Id", "")
        conv = self.headers.get("LGSP-Conversation-Id", "")
        srv = self.server
        if srv.delay:
            time.sleep(srv.delay)  # deliveries in flight (claimed) at any moment, for a node to die holding them
        with srv.lock:
            if mid in srv.seen:
                srv.repeats += 1
            else:
                srv.seen.add(mid)
                srv.order.setdefault(conv, []).append(int(mid.rsplit("-", 1)[1]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


class Load:
    def __init__(self, args, body):
        self.args = args
        self.body = body
        self.lock = threading.Lock()
        self.acked = {}  # message id -> time of its 202
        self.statuses = {}
        self.unexpected = []
        self.stop = threading.Event()

    def count(self, key):
        with self.lock:
            self.statuses[key] = self.statuses.get(key, 0) + 1

    def sender(self, conv):
        conn = None
        seq = 0
        while not self.stop.is_set():
            mid = f"{self.args.run}-{conv}-{seq}"
            status, retry_after = 0, None
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.args.http_port, timeout=self.args.timeout)
                conn.request("POST", "/v1/messages", self.body, {
                    "Authorization": "Bearer " + self.args.key,
                    "LGSP-Client": self.args.client,
                    "LGSP-Service": self.args.service,
                    "LGSP-Message-Id": mid,
                    "LGSP-Conversation-Id": f"{self.args.run}-{conv}",
                    "Content-Type": "application/json",
                })
                r = conn.getresponse()
                text = r.read()
                status, retry_after = r.status, r.getheader("Retry-After")
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
                self.count("no answer")
                time.sleep(0.1)
                continue
            self.count(str(status))
            # 200: a repeat of a message already accepted (its first answer was lost with the connection):
            # the original receipt, an acknowledgement as well.
            if status == 202 or (status == 200 and json.loads(text).get("message_id") == mid):
                with self.lock:
                    self.acked[mid] = time.monotonic()
                seq += 1
            elif status == 503:
                if retry_after != "1":
                    with self.lock:
                        self.unexpected.append(f"{mid}: 503 without Retry-After: 1")
                time.sleep(0.2)
            elif status in (502, 504):
                time.sleep(0.1)  # haproxy: the node went away mid-request (a node killed)
            else:
                with self.lock:
                    self.unexpected.append(f"{mid}: {status} {text[:200]!r}")
                time.sleep(0.2)
        if conn is not None:
            conn.close()

    def acked_count(self):
        with self.lock:
            return len(self.acked)

    def wait_acked(self, n, seconds, what):
        end = time.monotonic() + seconds
        while self.acked_count() < n:
            if time.monotonic() > end:
                raise SystemExit(f"load: {what}: only {self.acked_count()} of {n} acknowledged in {seconds}s; "
                                 f"answers {self.statuses}")
            time.sleep(0.05)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--receiver-port", type=int, required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--client", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--body", required=True)
    p.add_argument("--run", default="m")
    p.add_argument("--conversations", type=int, default=6)
    p.add_argument("--timeout", type=float, default=40)
    p.add_argument("--warmup", type=int, default=60, help="messages acknowledged before the first fault")
    p.add_argument("--after", type=int, default=60, help="messages acknowledged after each fault")
    p.add_argument("--fault", action="append", default=[], help="a shell command run as a fault, in turn")
    p.add_argument("--deliver-seconds", type=float, default=60)
    p.add_argument("--receiver-delay", type=float, default=0, help="seconds the receiver takes per delivery")
    args = p.parse_args()
    with open(args.body, "rb") as f:
        body = f.read()

    receiver = Receiver(args.receiver_port, args.receiver_delay)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    load = Load(args, body)
    threads = [threading.Thread(target=load.sender, args=(c,), daemon=True) for c in range(args.conversations)]
    for t in threads:
        t.start()
    started = time.monotonic()
    load.wait_acked(args.warmup, 60, "before the faults")
    warmup = round(time.monotonic() - started, 1)
    faults = []
    for command in args.fault:
        before = load.acked_count()
        t0 = time.monotonic()
        out = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
        if out.returncode != 0:
            load.stop.set()
            raise SystemExit(f"load: fault command failed: {command}: {out.stdout}{out.stderr}")
        load.wait_acked(before + args.after, 90, f"after '{command}'")
        # The longest time without any 202 from the fault on: the outage as clients saw it.
        with load.lock:
            times = [t0] + sorted(t for t in load.acked.values() if t > t0)
        gap = max(b - a for a, b in zip(times, times[1:]))
        faults.append({"fault": out.stdout.strip() or command, "no_202_for_s": round(gap, 2),
                       "seconds": round(time.monotonic() - t0, 1)})
    load.stop.set()
    for t in threads:
        t.join(args.timeout + 5)

    with load.lock:
        acked = dict(load.acked)
    end = time.monotonic() + args.deliver_seconds
    while True:
        with receiver.lock:
            missing = [m for m in acked if m not in receiver.seen]
        if not missing or time.monotonic() > end:
            break
        time.sleep(0.1)
    failures = []
    if missing:
        failures.append(f"{len(missing)} acknowledged messages not delivered, e.g. {sorted(missing)[:5]}")
    with receiver.lock:
        for conv, seqs in receiver.order.items():
            if seqs != sorted(seqs):
                failures.append(f"conversation {conv} out of order: {seqs[:50]}")
        delivered, repeats = len(receiver.seen), receiver.repeats
    failures += load.unexpected[:10]
    summary = {
        "seconds": round(time.monotonic() - started, 1),
        "warmup_s": warmup,
        "acknowledged": len(acked),
        "delivered": delivered,
        "redelivered_and_deduplicated": repeats,
        "answers": load.statuses,
        "faults": faults,
        "failures": failures,
    }
    print(json.dumps(summary))
    receiver.shutdown()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
