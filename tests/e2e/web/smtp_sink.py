#!/usr/bin/env python3
"""An SMTP server for e2e.web (Debian's python3-aiosmtpd): every message received is written, decoded, as one
text file (recipients, subject, plain body) into FOLDER. usage: smtp_sink.py PORT FOLDER"""
import email
import email.policy
import pathlib
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = pathlib.Path(folder)
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))
        text = "To: {}\nFrom: {}\nSubject: {}\n\n{}".format(
            ", ".join(envelope.rcpt_tos), msg["from"], msg["subject"], body.get_content() if body else "")
        self.count += 1
        tmp = self.folder / f".{self.count}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.rename(self.folder / f"{self.count:04d}.txt")
        return "250 OK"


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    pathlib.Path(folder).mkdir(parents=True, exist_ok=True)
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("smtp sink listening", port, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
