#!/usr/bin/python3
"""A local stand-in of the national public service portal (DVCQG) for the sync job's tests and benchmark.

Same API shape as the portal's adapter as OpenCPS calls it (docs/portal.md says what is taken from where and
what is assumed):
  POST /api/auth         {"username","password"} -> {"error_code":0,"message","session"}
  POST /api/integration  {"session","madonvi","service":"DongBoHoSoMC"|"CapNhatTienDoHoSoMC",...}
  POST /api/share        {"session","madonvi","service":"TraCuuHoSo"|"LayDanhSachTTHC"|"LayThuTuc",...}
Answers are HTTP 200 with {"error_code","message",...}; "00" is success for the integration services (0 for
auth and share), "401" a session that is unknown or expired, "01" an invalid value, "02" a missing field,
"03" an unknown procedure code, "04" a dossier that does not exist (isUpdating "True", progress) or exists
already (isUpdating "False").

Duplicate handling: a DongBoHoSoMC equal to what the portal holds, or a CapNhatTienDoHoSoMC equal to a
progress entry it holds, is answered success and not applied again (counted as a duplicate).

For tests only (not part of the portal's API):
  GET  /_state    every record applied and how many times it was received, logins, duplicates, calls
  GET  /_count    {"records": how many distinct records it holds} (cheap, for polling)
  POST /_control  {"latency_ms", "session_ttl_s", "expire_sessions", "mode": "up"|"down"|"drop",
                   "fail_next": N (HTTP 500), "malformed": [MaHoSo...], "refuse": {MaHoSo: [code, message]},
                   "catalogue": {MATTHC: LayThuTuc result[0]}, "reset": true}
"""
import argparse
import hashlib
import json
import re
import secrets
import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DATE = re.compile(r"^\d{14}$")
HOSO_REQUIRED = ["MaHoSo", "MaTTHC", "TenTTHC", "ChuHoSo", "LoaiDoiTuong", "NgayTiepNhan", "NgayHenTra",
                 "TrangThaiHoSo", "HinhThuc", "DonViXuLy", "TrichYeuHoSo"]
HOSO_DATES = ["NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy"]
TIENDO_REQUIRED = ["MaHoSo", "NguoiXuLy", "ThoiDiemXuLy", "NoiDungXuLy", "TrangThai"]
TIENDO_DATES = ["ThoiDiemXuLy", "NgayBatDau", "NgayKetThucTheoQuyDinh"]
MAX_BODY = 8 * 1024 * 1024


class Portal:
    def __init__(self, username, password, catalogue):
        self.lock = threading.Lock()
        self.username, self.password = username, password
        self.catalogue = catalogue  # national procedures by MATTHC (LayThuTuc's result[0])
        self.reset()

    def reset(self):
        self.sessions = {}  # token -> expiry (monotonic)
        self.session_ttl = 3600.0
        self.latency = 0.0
        self.mode = "up"
        self.fail_next = 0
        self.malformed = set()
        self.refuse = {}
        self.dossiers = {}  # MaHoSo -> HoSo as last synced
        self.progress = {}  # MaHoSo -> [TienDo]
        self.received = {}  # record key -> {"service", "MaHoSo", "received"}
        self.duplicates = 0
        self.logins = 0
        self.calls = {}

    # --- helpers ---------------------------------------------------------------------------------------
    @staticmethod
    def key(service, record):
        return service + ":" + hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def count(self, service, record):
        k = self.key(service, record)
        e = self.received.setdefault(k, {"service": service, "MaHoSo": record.get("MaHoSo"), "received": 0})
        e["received"] += 1

    def session_ok(self, token):
        exp = self.sessions.get(token) if isinstance(token, str) else None
        if exp is None:
            return False
        if time.monotonic() > exp:
            del self.sessions[token]
            return False
        return True

    # --- services --------------------------------------------------------------------------------------
    def auth(self, body):
        if body.get("username") != self.username or body.get("password") != self.password:
            return {"error_code": -1, "message": "Tên đăng nhập hoặc mật khẩu không đúng"}
        token = secrets.token_hex(16)
        self.sessions[token] = time.monotonic() + self.session_ttl
        self.logins += 1
        return {"error_code": 0, "message": "Đăng nhập thành công", "session": token}

    def check_fields(self, rec, required, dates):
        if not isinstance(rec, dict):
            return ("01", "Bản ghi không phải đối tượng JSON")
        for f in required:
            if f not in rec or not isinstance(rec[f], str) or rec[f] == "":
                return ("02", "Thiếu trường bắt buộc: " + f)
        for f in dates:
            if f in rec and rec[f] != "" and (not isinstance(rec[f], str) or not DATE.match(rec[f])):
                return ("01", "Sai định dạng ngày (yyyyMMddHHmmss): " + f)
        return None

    def dong_bo(self, body):
        upd = body.get("isUpdating")
        data = body.get("data")
        if upd not in ("True", "False"):
            return {"error_code": "01", "message": "isUpdating phải là \"True\" hoặc \"False\""}
        if not isinstance(data, list) or not data:
            return {"error_code": "02", "message": "Thiếu trường bắt buộc: data"}
        for rec in data:
            bad = self.check_fields(rec, HOSO_REQUIRED, HOSO_DATES)
            if bad:
                return {"error_code": bad[0], "message": bad[1]}
            if rec["TrangThaiHoSo"] not in [str(i) for i in range(1, 11)]:
                return {"error_code": "01", "message": "TrangThaiHoSo không hợp lệ: " + rec["TrangThaiHoSo"]}
            if self.catalogue and rec["MaTTHC"] not in self.catalogue:
                return {"error_code": "03", "message": "Mã thủ tục hành chính không tồn tại: " + rec["MaTTHC"]}
            if rec["MaHoSo"] in self.refuse:
                code, msg = self.refuse[rec["MaHoSo"]]
                return {"error_code": code, "message": msg}
            known = rec["MaHoSo"] in self.dossiers
            if upd == "False" and known and self.dossiers[rec["MaHoSo"]] != rec:
                return {"error_code": "04", "message": "Hồ sơ đã tồn tại: " + rec["MaHoSo"]}
            if upd == "True" and not known:
                return {"error_code": "04", "message": "Hồ sơ không tồn tại: " + rec["MaHoSo"]}
        for rec in data:
            if self.dossiers.get(rec["MaHoSo"]) == rec:
                self.duplicates += 1
            self.dossiers[rec["MaHoSo"]] = rec
            self.count("DongBoHoSoMC", rec)
        return {"error_code": "00", "message": "Đồng bộ thành công"}

    def cap_nhat(self, body):
        data = body.get("data")
        if not isinstance(data, list) or not data:
            return {"error_code": "02", "message": "Thiếu trường bắt buộc: data"}
        for rec in data:
            bad = self.check_fields(rec, TIENDO_REQUIRED, TIENDO_DATES)
            if bad:
                return {"error_code": bad[0], "message": bad[1]}
            if rec["MaHoSo"] not in self.dossiers:
                return {"error_code": "04", "message": "Hồ sơ không tồn tại: " + rec["MaHoSo"]}
        for rec in data:
            lst = self.progress.setdefault(rec["MaHoSo"], [])
            if rec in lst:
                self.duplicates += 1
            else:
                lst.append(rec)
            self.count("CapNhatTienDoHoSoMC", rec)
        return {"error_code": "00", "message": "Cập nhật tiến độ thành công"}

    def share(self, body):
        service = body.get("service")
        if service == "TraCuuHoSo":
            code = body.get("mahoso")
            if not isinstance(code, str) or not code:
                return {"error_code": "02", "message": "Thiếu trường bắt buộc: mahoso"}
            rec = self.dossiers.get(code)
            if rec is None:
                return {"error_code": 0, "message": "Không tìm thấy hồ sơ", "result": []}
            out = dict(rec)
            out["QuaTrinhXuLy"] = list(self.progress.get(code, []))
            return {"error_code": 0, "message": "OK", "result": [out]}
        if service == "LayDanhSachTTHC":
            return {"error_code": 0, "message": "OK",
                    "result": [{"MATTHC": c, "TENTTHC": p.get("TENTTHC", "")} for c, p in self.catalogue.items()]}
        if service == "LayThuTuc":
            p = self.catalogue.get(body.get("maTTHC"))
            return {"error_code": 0, "message": "OK", "result": [p] if p else []}
        return {"error_code": "01", "message": "Dịch vụ không hỗ trợ: " + str(service)[:64]}

    def handle(self, path, body):
        """Returns (status, body bytes or None for a dropped connection)."""
        with self.lock:
            latency, mode = self.latency, self.mode
            if path.startswith("/api/integration") or path.startswith("/api/share"):
                self.calls[body.get("service", "?")] = self.calls.get(body.get("service", "?"), 0) + 1
        if latency:
            time.sleep(latency)
        if mode == "drop":
            return 0, None
        if mode == "down":
            return 503, b"<html><body>503 Service Unavailable</body></html>"
        with self.lock:
            if self.fail_next > 0 and path in ("/api/integration", "/api/share"):
                self.fail_next -= 1
                return 500, b"<html><body>500 Internal Server Error</body></html>"
            if path == "/api/auth":
                return 200, self.auth(body)
            if path not in ("/api/integration", "/api/share"):
                return 404, {"error_code": "404", "message": "not found"}
            if not self.session_ok(body.get("session")):
                return 200, {"error_code": "401", "message": "Phiên làm việc không hợp lệ hoặc đã hết hạn"}
            service = body.get("service")
            data = body.get("data")
            target = body.get("mahoso")
            if isinstance(data, list) and data and isinstance(data[0], dict):
                target = data[0].get("MaHoSo")
            if target in self.malformed and service in ("DongBoHoSoMC", "CapNhatTienDoHoSoMC"):
                return 200, b'{"status": "ok", "ketqua": "khong ro"}'
            if path == "/api/share":
                return 200, self.share(body)
            if service == "DongBoHoSoMC":
                return 200, self.dong_bo(body)
            if service == "CapNhatTienDoHoSoMC":
                return 200, self.cap_nhat(body)
            return 200, {"error_code": "01", "message": "Dịch vụ không hỗ trợ: " + str(service)[:64]}

    def control(self, c):
        with self.lock:
            if c.get("reset"):
                self.reset()
            if "latency_ms" in c:
                self.latency = float(c["latency_ms"]) / 1000.0
            if "session_ttl_s" in c:
                self.session_ttl = float(c["session_ttl_s"])
            if c.get("expire_sessions"):
                self.sessions.clear()
            if "mode" in c:
                self.mode = c["mode"]
            if "fail_next" in c:
                self.fail_next = int(c["fail_next"])
            if "malformed" in c:
                self.malformed = set(c["malformed"])
            if "catalogue" in c:
                self.catalogue = c["catalogue"]
            if "refuse" in c:
                self.refuse = {k: tuple(v) for k, v in c["refuse"].items()}
        return {"ok": True}

    def state(self):
        with self.lock:
            return {"records": list(self.received.values()), "duplicates": self.duplicates, "logins": self.logins,
                    "calls": dict(self.calls), "dossiers": len(self.dossiers),
                    "progress": sum(len(v) for v in self.progress.values())}


def make_handler(portal):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def setup(self):
            super().setup()
            # Headers and body go out in two writes: without this, Nagle + delayed ACK add 40 ms to each call.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def send(self, status, body):
            raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):
            if self.path == "/_state":
                return self.send(200, portal.state())
            if self.path == "/_count":
                with portal.lock:
                    return self.send(200, {"records": len(portal.received)})
            self.send(404, {"error_code": "404", "message": "not found"})

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n > MAX_BODY:
                self.close_connection = True
                return self.send(413, {"error_code": "413", "message": "too large"})
            raw = self.rfile.read(n)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            if self.path == "/_control":
                return self.send(200, portal.control(body or {}))
            if not isinstance(body, dict):
                return self.send(200, {"error_code": "01", "message": "Dữ liệu không phải JSON"})
            status, answer = portal.handle(self.path, body)
            if answer is None:
                self.close_connection = True
                self.connection.close()
                return
            self.send(status, answer)

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--username", default="lgsp")
    ap.add_argument("--password", default="secret")
    ap.add_argument("--catalogue", help="JSON object {MATTHC: LayThuTuc result[0]}; when given, MaTTHC is checked")
    ap.add_argument("--latency-ms", type=float, default=0)
    args = ap.parse_args()
    catalogue = {}
    if args.catalogue:
        with open(args.catalogue, encoding="utf-8") as f:
            catalogue = json.load(f)
    portal = Portal(args.username, args.password, catalogue)
    portal.latency = args.latency_ms / 1000.0
    socketserver.TCPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(portal))
    server.daemon_threads = True
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        import os
        os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
