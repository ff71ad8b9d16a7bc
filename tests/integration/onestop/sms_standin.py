"""A stand-in for an SMS gateway in the one-stop notification tests (the real gateway is an external system).

Usage: sms_standin.py PORT LOG MODE_FILE. Each POST is answered as MODE_FILE says at that moment: "ok" (200, the
request appended to LOG as one JSON line), "500" (refused, nothing logged) or "slow" (answers after 30 s).
"""
import http.server
import json
import os
import sys
import time

PORT, LOG, MODE_FILE = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Gateway(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        mode = open(MODE_FILE).read().strip() if os.path.exists(MODE_FILE) else "ok"
        if mode == "500":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"gateway busy\n" * 100)
            return
        if mode == "slow":
            time.sleep(30)
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps({"authorization": self.headers.get("Authorization"),
                                "body": json.loads(body)}, ensure_ascii=False) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "queued"}')

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", PORT), Gateway).serve_forever()
