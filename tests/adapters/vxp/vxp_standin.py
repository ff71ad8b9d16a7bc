#!/usr/bin/env python3
"""A faithful local stand-in of the national document-exchange axis (VXP), for the vxp connector's tests.

It answers the operations the axis SDK (SDKVXP 2.0.1, com.vpcp.services.KnobstickServiceImp and
AgencyServiceImp) calls, in the SDK's shape: POST <endpoint>/<operation>, the parameters as headers repeated as
XroadVnpt-<name>, signed with HMAC-SHA256 over the JSON of those headers (XroadVnpt-sign-header-key,
XroadVnpt-sign-header, XroadVnpt-hash-header), JSON answers {"status": "OK"|"FAIL", "ErrorCode", "ErrorDesc", ...}.
What the SDK does not show (its error codes, duplicate handling, the HTTP status of a refused signature) is
assumed, as docs/adapters.md says.

    vxp_standin.py --port PORT --systems FILE     FILE: {"systems": {"vxp.lgsp.h41": "secret"},
                                                         "agencies": [{"id", "code", "name", "pid", "mail"}],
                                                         "system_of": {"000.00.00.G22": "vxp.bo.g22", ...}}

Control routes for the tests (no signature), under /_standin/:
    POST /_standin/inbox   {"system": S, "from": ORGAN, "to": [ORGANS], "messagetype": "edoc"|"status",
                            "edxml": TEXT}  -> {"docId"}: a document waiting for system S
    GET  /_standin/state   -> {"sent": [...], "updates": {docId: [status, ...]}, "waiting": {system: [docId]},
                               "refused_signatures": N}
    POST /_standin/faults  {"unavailable": bool, "delay_ms": N, "fail_update": bool,
                            "malformed": {"operation": [raw answer bodies, used once each, in order]}}
"""
import argparse
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
SYSTEMS = {}      # systemid -> secret
AGENCIES = []     # getAgenciesList data
SYSTEM_OF = {}    # organ id -> the system that receives its documents
DOCS = {}         # docId -> {"system", "from", "to", "messagetype", "data", "status", "created"}
SENT = []         # what systems sent: {"docId", "system", "from", "to", "messagetype", "edxml", "hash"}
BY_HASH = {}      # (system, from, to, hash) -> docId: a package sent again gets its first DocId
UPDATES = {}      # docId -> [status, ...] as updateStatus set them
FAULTS = {"unavailable": False, "delay_ms": 0, "fail_update": False, "malformed": {}}
REFUSED_SIGNATURES = [0]

# Codes for the refusals (assumed: the SDK only tests ErrorCode "0" for success).
E_SIGNATURE, E_SYSTEM, E_PARAMETER, E_NOT_FOUND, E_AGENCY, E_HASH = "401", "402", "100", "104", "105", "106"


def sdk_hex(digest):
    # The SDK's hash-file: Integer.toHexString per byte (no leading zero).
    return "".join("%x" % b for b in digest)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def ok(self, **extra):
        body = {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success"}
        body.update(extra)
        self.answer(200, body)

    def fail(self, code, desc, http=200):
        self.answer(http, {"status": "FAIL", "ErrorCode": code, "ErrorDesc": desc})

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path == "/_standin/state":
            with LOCK:
                waiting = {}
                for doc_id, d in DOCS.items():
                    if d["status"] not in ("done", "fail"):
                        waiting.setdefault(d["system"], []).append(doc_id)
                self.answer(200, {"sent": SENT, "updates": UPDATES, "waiting": waiting,
                                  "refused_signatures": REFUSED_SIGNATURES[0]})
            return
        self.answer(405, {"status": "FAIL", "ErrorCode": "405", "ErrorDesc": "POST only"})

    def do_POST(self):
        body = self.read_body()
        if self.path.startswith("/_standin/"):
            return self.control(self.path[len("/_standin/"):], json.loads(body or b"{}"))
        operation = self.path.strip("/")
        with LOCK:
            faults = dict(FAULTS)
            queued = FAULTS["malformed"].get(operation) or []
            malformed = queued.pop(0) if queued else None
        if faults["delay_ms"]:
            time.sleep(faults["delay_ms"] / 1000.0)
        if faults["unavailable"]:
            return self.answer(503, b"<html><body>503 Service Unavailable</body></html>", "text/html")
        system = self.authenticate()
        if system is None:
            return
        if malformed is not None:
            return self.answer(200, malformed.encode(), "application/json")
        handler = {
            "getReceivedEdocList": self.received,
            "getEdoc": self.get_edoc,
            "sendEdoc": self.send_edoc,
            "updateStatus": self.update_status,
            "getAgenciesList": self.agencies,
        }.get(operation)
        if handler is None:
            return self.fail(E_PARAMETER, "unknown operation " + operation, 404)
        handler(system, body)

    def param(self, name):
        return self.headers.get("XroadVnpt-" + name)

    def authenticate(self):
        """The SDK's signature: every XroadVnpt-<k> of sign-header-key is in sign-header (JSON) with the same value,
        and hash-header is hex HMAC-SHA256(secret of systemid, sign-header)."""
        keys = self.headers.get("XroadVnpt-sign-header-key")
        sign_header = self.headers.get("XroadVnpt-sign-header")
        given = self.headers.get("XroadVnpt-hash-header")
        system = self.param("systemid")
        if not keys or not sign_header or not given or not system:
            REFUSED_SIGNATURES[0] += 1
            self.fail(E_SIGNATURE, "missing XroadVnpt signature headers", 401)
            return None
        secret = SYSTEMS.get(system)
        if secret is None:
            REFUSED_SIGNATURES[0] += 1
            self.fail(E_SYSTEM, "unknown systemid " + system, 401)
            return None
        try:
            signed = json.loads(sign_header)
        except ValueError:
            signed = None
        names = keys.split(";")
        if not isinstance(signed, dict) or any(signed.get("XroadVnpt-" + k) != self.param(k) for k in names) \
                or "systemid" not in names or "timestamp" not in names:
            REFUSED_SIGNATURES[0] += 1
            self.fail(E_SIGNATURE, "sign-header does not match the headers", 401)
            return None
        expected = hmac.new(secret.encode(), sign_header.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, given):
            REFUSED_SIGNATURES[0] += 1
            self.fail(E_SIGNATURE, "hash-header does not verify", 401)
            return None
        return system

    def received(self, system, _body):
        if self.param("servicetype") != "eDoc" or self.param("messagetype") not in ("edoc", "status"):
            return self.fail(E_PARAMETER, "servicetype must be eDoc and messagetype edoc or status")
        with LOCK:
            data = [{"docId": doc_id, "serviceType": "eDoc", "messageType": d["messagetype"],
                     "from": d["from"], "to": ",".join(d["to"]), "status": d["status"],
                     "status_desc": "", "created_time": d["created"], "updated_time": d["created"]}
                    for doc_id, d in DOCS.items()
                    if d["system"] == system and d["messagetype"] == self.param("messagetype")
                    and d["status"] not in ("done", "fail")]
        self.ok(data=data)

    def get_edoc(self, system, _body):
        doc_id = self.param("docId") or self.param("docid")
        with LOCK:
            d = DOCS.get(doc_id or "")
            if d is None or d["system"] != system:
                return self.fail(E_NOT_FOUND, "no document " + str(doc_id) + " for this system")
            data = base64.b64encode(d["data"]).decode()
        self.ok(data=data)

    def send_edoc(self, system, body):
        sender, to_text, hash_file = self.param("from"), self.param("to"), self.param("hash-file")
        if self.param("servicetype") != "eDoc" or self.param("messagetype") not in ("edoc", "status") \
                or not sender or not to_text:
            return self.fail(E_PARAMETER, "from, to, servicetype eDoc and messagetype edoc|status are required")
        try:
            to = json.loads(to_text)
            assert isinstance(to, list) and to and all(isinstance(t, str) for t in to)
        except (ValueError, AssertionError):
            return self.fail(E_PARAMETER, "to must be a JSON array of agency codes")
        digest = hashlib.sha256(body).digest()
        if hash_file not in (sdk_hex(digest), digest.hex()):
            return self.fail(E_HASH, "hash-file does not match the package")
        unknown = [t for t in to if t not in SYSTEM_OF]
        if unknown:
            return self.fail(E_AGENCY, "agency not connected to the axis: " + ",".join(unknown))
        key = (system, sender, tuple(to), digest.hex())
        with LOCK:
            if key in BY_HASH:  # the same package again: its first DocId, delivered once
                return self.ok(DocId=BY_HASH[key])
            doc_id = str(uuid.uuid4())
            BY_HASH[key] = doc_id
            SENT.append({"docId": doc_id, "system": system, "from": sender, "to": to,
                         "messagetype": self.param("messagetype"), "edxml": body.decode("utf-8", "replace"),
                         "hash": digest.hex()})
            for organ in to:
                DOCS[str(uuid.uuid4())] = {"system": SYSTEM_OF[organ], "from": sender, "to": [organ],
                                           "messagetype": self.param("messagetype"), "data": body,
                                           "status": "initial", "created": time.strftime("%Y-%m-%d %H:%M:%S")}
        self.ok(DocId=doc_id)

    def update_status(self, system, _body):
        doc_id = self.param("docId") or self.param("docid")
        status = self.param("status")
        if status not in ("processing", "done", "fail"):
            return self.fail(E_PARAMETER, "status must be processing, done or fail")
        with LOCK:
            fail_update = FAULTS["fail_update"]
        if fail_update:
            return self.answer(500, b"Internal Server Error", "text/plain")
        with LOCK:
            d = DOCS.get(doc_id or "")
            if d is None or d["system"] != system:
                return self.fail(E_NOT_FOUND, "no document " + str(doc_id) + " for this system")
            if d["status"] in ("done", "fail"):
                return self.fail(E_NOT_FOUND, "document " + doc_id + " is already " + d["status"])
            d["status"] = status
            UPDATES.setdefault(doc_id, []).append(status)
        self.ok()

    def agencies(self, _system, _body):
        self.ok(data=AGENCIES)

    def control(self, what, request):
        with LOCK:
            if what == "inbox":
                doc_id = str(uuid.uuid4())
                DOCS[doc_id] = {"system": request["system"], "from": request["from"], "to": request["to"],
                                "messagetype": request.get("messagetype", "edoc"),
                                "data": request["edxml"].encode(), "status": "initial",
                                "created": time.strftime("%Y-%m-%d %H:%M:%S")}
                return self.answer(200, {"docId": doc_id})
            if what == "faults":
                for k in ("unavailable", "delay_ms", "fail_update"):
                    if k in request:
                        FAULTS[k] = request[k]
                if "malformed" in request:
                    FAULTS["malformed"] = {op: list(bodies) for op, bodies in request["malformed"].items()}
                return self.answer(200, FAULTS)
        self.answer(404, {"error": "no control route " + what})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--systems", required=True)
    args = parser.parse_args()
    with open(args.systems, encoding="utf-8") as f:
        config = json.load(f)
    SYSTEMS.update(config["systems"])
    AGENCIES.extend(config.get("agencies", []))
    SYSTEM_OF.update(config.get("system_of", {}))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
