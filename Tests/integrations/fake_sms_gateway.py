#!/usr/bin/env python3
"""A fake HTTP SMS gateway for testing plugins/sms-gateway.

    POST /sms/send   {"to", "text", "request_id"}  -> {"ok": true, "message_id": "m-N", "duplicate": false}

One SMS per request id: a repeat is answered `{"ok": true, "duplicate": true}` and not sent again, but every
request stays in the record. Control API for tests (never checked against the token, never failed on purpose):

    GET  /_control/requests     every send request received (method, path, query, headers, body, status answered)
    GET  /_control/delivered    the messages "sent", one per request id, in order: [{"to", "text", "request_id"}]
    POST /_control/fail         {"times": N, "status": 503, "delay_seconds": 0, "body": {…}}
                                the next N sends wait delay_seconds, then answer status with body
                                (e.g. {"times": 1, "status": 200, "body": {"ok": false, "error": "…"}})

Importable (`FakeSmsGateway(token="…").start()` returns the port; the send URL is `.send_url`) and runnable on
its own:

    python3 fake_sms_gateway.py --port 0 --record FILE [--token T]

prints `port: N` as the first line on stdout, appends every send request as one JSON line to FILE, and serves until
SIGTERM or SIGINT. Standard library only (the recording server is fake_provincial.py's).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_provincial import RecordingServer, serve_standalone  # noqa: E402


class FakeSmsGateway(RecordingServer):
    name = "fake-sms-gateway"
    SEND_PATH = "/sms/send"

    def __init__(self, token=None, record_file=None, host="127.0.0.1", port=0):
        super().__init__(token=token, record_file=record_file, host=host, port=port)
        self._delivered = {}  # request_id -> the message, first one wins (dicts keep insertion order)

    @property
    def send_url(self):
        return self.url + self.SEND_PATH

    def delivered(self):
        with self.lock:
            return [dict(m) for m in self._delivered.values()]

    def control(self, method, path, query, body):
        if method == "GET" and path == "/_control/delivered":
            return 200, {"delivered": self.delivered()}
        return None

    def api(self, method, path, query, body, headers, segments):
        if path != self.SEND_PATH:
            return 404, {"ok": False, "error": "no such endpoint"}
        if method != "POST":
            return 405, {"ok": False, "error": "POST only"}
        body = body if isinstance(body, dict) else {}
        missing = [k for k in ("to", "text", "request_id") if not isinstance(body.get(k), str) or not body[k]]
        if missing:
            return 400, {"ok": False, "error": "missing " + ", ".join(missing)}
        with self.lock:
            if body["request_id"] in self._delivered:
                return 200, {"ok": True, "duplicate": True}
            self._delivered[body["request_id"]] = {"to": body["to"], "text": body["text"],
                                                   "request_id": body["request_id"]}
            return 200, {"ok": True, "message_id": "m-%d" % len(self._delivered), "duplicate": False}


def main(argv=None):
    p = argparse.ArgumentParser(description="A fake HTTP SMS gateway (for tests). Send endpoint: /sms/send")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (printed as `port: N`)")
    p.add_argument("--record", help="append every request received as one JSON line to this file")
    p.add_argument("--token", help="require Authorization: Bearer TOKEN on the send endpoint")
    args = p.parse_args(argv)
    serve_standalone(FakeSmsGateway(token=args.token, record_file=args.record, host=args.host, port=args.port),
                     "fake SMS gateway (send endpoint /sms/send)")


if __name__ == "__main__":
    main()
