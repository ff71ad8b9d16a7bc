#!/usr/bin/python3
"""The "2012 SOAP service" of the SOAP adapter tests: a civil-status lookup written with spyne, as a legacy
system would be. Serves SOAP 1.1 or 1.2 on 127.0.0.1, prints "ready PORT" once listening.

  TraCuuKhaiSinh(soDangKy, hoTen)  -> TraCuuKhaiSinhResponse/TraCuuKhaiSinhResult (soDangKy, hoTen, ngaySinh)
                                      soDangKy "LOI-..." answers a SOAP fault (Client.KhongTimThay),
                                      "CHAM-..." answers after 2 s
  ThongBaoKhaiSinh(soDangKy, hoTen) -> appends "soDangKy\\n" to --received (a one-way notice); "LOI-..." then
                                      answers a fault (Server.TamNgung)

--user/--password: HTTP Basic credentials it requires (401 otherwise).
"""
import argparse
import base64
import logging
import sys
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIServer, make_server, WSGIRequestHandler

from spyne import Application, ComplexModel, Fault, ServiceBase, Unicode, rpc
from spyne.protocol.soap import Soap11, Soap12
from spyne.server.wsgi import WsgiApplication

NS = "urn:hotich:tracuu:v1"


class KetQuaKhaiSinh(ComplexModel):
    __namespace__ = NS
    soDangKy = Unicode
    hoTen = Unicode
    ngaySinh = Unicode


received_lock = threading.Lock()
received_file = None


class HoTich(ServiceBase):
    @rpc(Unicode, Unicode, _returns=KetQuaKhaiSinh, _in_message_name="TraCuuKhaiSinh",
         _out_message_name="TraCuuKhaiSinhResponse")
    def TraCuuKhaiSinh(ctx, soDangKy, hoTen):
        if soDangKy.startswith("LOI-"):
            raise Fault(faultcode="Client.KhongTimThay", faultstring="Khong tim thay so dang ky " + soDangKy)
        if soDangKy.startswith("CHAM-"):
            time.sleep(2)
        return KetQuaKhaiSinh(soDangKy=soDangKy, hoTen=hoTen or "Nguyễn Văn An", ngaySinh="2012-03-04")

    @rpc(Unicode, Unicode, _in_message_name="ThongBaoKhaiSinh", _out_message_name="ThongBaoKhaiSinhResponse")
    def ThongBaoKhaiSinh(ctx, soDangKy, hoTen):
        with received_lock, open(received_file, "a", encoding="utf-8") as f:
            f.write(soDangKy + "\n")
        if soDangKy.startswith("LOI-"):
            raise Fault(faultcode="Server.TamNgung", faultstring="He thong tam ngung")


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main():
    global received_file
    p = argparse.ArgumentParser()
    p.add_argument("--version", choices=["1.1", "1.2"], default="1.1")
    p.add_argument("--received", required=True)
    p.add_argument("--user")
    p.add_argument("--password")
    a = p.parse_args()
    received_file = a.received
    logging.basicConfig(level=logging.ERROR)
    proto = Soap11 if a.version == "1.1" else Soap12
    app = WsgiApplication(Application([HoTich], tns=NS, in_protocol=proto(validator="lxml"), out_protocol=proto()))

    def guarded(environ, start_response):
        if a.user:
            want = "Basic " + base64.b64encode(f"{a.user}:{a.password}".encode()).decode()
            if environ.get("HTTP_AUTHORIZATION") != want:
                start_response("401 Unauthorized", [("Content-Type", "text/plain")])
                return [b"unauthorized"]
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, guarded, server_class=Threading, handler_class=Quiet)
    print("ready", server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
