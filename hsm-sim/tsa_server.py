#!/usr/bin/env python3
"""hsm-sim's RFC 3161 time-stamping authority over HTTP.

    tsa_server.py DIR PORT

Answers POST application/timestamp-query with an application/timestamp-reply made by
`openssl ts -reply` with DIR/pki/tsa.cnf (key and certificate from hsm-sim/setup.sh). The time
stamps are made by openssl; this file only carries them over HTTP, one request at a time (the
serial file is not shared between concurrent openssl runs). Stops on SIGTERM.
"""
import http.server
import os
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: tsa_server.py DIR PORT")
    pki = os.path.join(os.path.abspath(sys.argv[1]), "pki")
    port = int(sys.argv[2])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            if self.headers.get("Content-Type") != "application/timestamp-query" or not 0 < length <= 65536:
                self.send_error(400, "expected an application/timestamp-query body")
                return
            query = self.rfile.read(length)
            with tempfile.NamedTemporaryFile() as q:
                q.write(query)
                q.flush()
                done = subprocess.run(["openssl", "ts", "-reply", "-config", os.path.join(pki, "tsa.cnf"),
                                       "-queryfile", q.name], capture_output=True)
            if done.returncode != 0:
                self.send_error(500, done.stderr.decode(errors="replace")[:200])
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(done.stdout)))
            self.end_headers()
            self.wfile.write(done.stdout)

        def log_message(self, *args):
            pass

    http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
