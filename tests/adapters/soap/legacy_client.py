#!/usr/bin/python3
"""The legacy SOAP client of the SOAP adapter tests: zeep reads the adapter's generated WSDL and runs the
cases given as a JSON list on stdin, printing one JSON result per case (a list) on stdout.

A case: {"port": "HotichSoapSoap11" | "...Soap12", "op": "TraCuuKhaiSinh", "args": {...},
         "auth": {"user": "...", "password": "...", "digest": true}  (optional),
         "message_id": "..." (optional WS-Addressing MessageID)}
A result: {"ok": true, "value": {...}} or {"fault": {"message": "...", "code": "...", "detail": "..."}}
"""
import json
import sys

from lxml import etree
from zeep import Client, Settings
from zeep.exceptions import Fault, TransportError
from zeep.helpers import serialize_object
from zeep.wsse.username import UsernameToken


def main():
    wsdl = sys.argv[1]
    cases = json.load(sys.stdin)
    results = []
    plain = Client(wsdl, settings=Settings(strict=True))
    service_name = next(iter(plain.wsdl.services))
    for case in cases:
        client = plain
        if case.get("auth"):
            a = case["auth"]
            client = Client(wsdl, wsse=UsernameToken(a["user"], a["password"], use_digest=a.get("digest", False)))
        service = client.bind(service_name, case["port"])
        try:
            value = getattr(service, case["op"])(**case.get("args", {}))
            results.append({"ok": True, "value": json.loads(json.dumps(serialize_object(value), default=str))})
        except Fault as f:
            detail = etree.tostring(f.detail, encoding="unicode") if f.detail is not None else ""
            results.append({"fault": {"message": f.message, "code": str(f.code), "detail": detail}})
        except TransportError as e:
            results.append({"transport_error": {"status": e.status_code, "message": str(e)}})
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
