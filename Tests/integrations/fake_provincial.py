#!/usr/bin/env python3
"""A fake provincial complaint platform (省局客户投诉中心) for testing plugins/provincial-center.

It speaks the API that plugins/provincial-center/README.md documents ("the API this plugin expects"):

    GET  /api/ping                                   -> {"ok": true}
    GET  /api/dispatches?status=new&limit=N          -> {"dispatches": [...]}
    POST /api/dispatches/{order_no}/receipt          {"case_no", "unit_code"}
    POST /api/dispatches/{order_no}/reject           {"reason"}
    POST /api/dispatches/{order_no}/result           {"request_id", "case_no", "handled_by", "handled_at",
                                                      "process", "result", "late", "answered_at"}

and a control API for tests (never checked against the token, never failed on purpose):

    POST /_control/dispatches   [ {dispatch}, … ]    add dispatches (status new)
    GET  /_control/dispatches                        every dispatch with its status, case_no, reason
    GET  /_control/requests                          every API request received (method, path, query, headers, body,
                                                     the status answered); control requests are not recorded
    GET  /_control/results                           the ONE stored result per order: {order_no: result}
    POST /_control/fail         {"times": N, "status": 503, "delay_seconds": 0}
                                                     the next N API requests wait delay_seconds, then answer status
                                                     ("status": null: answer normally after the delay)

Importable (`FakeProvincial(token="…", dispatches=[…]).start()` returns the port) and runnable on its own:

    python3 fake_provincial.py --port 0 --record FILE [--token T] [--seed dispatches.json]

prints `port: N` as the first line on stdout, appends every API request as one JSON line to FILE (the same
objects as /_control/requests), and serves until
SIGTERM or SIGINT. `RecordingServer` (the recording, the token check and the failures on demand) is shared
with fake_sms_gateway.py. Standard library only.
"""
import argparse
import json
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RecordingServer:
    """An HTTP server on a thread that records every request and fails on demand.

    Subclasses implement `api(method, path, query, body, headers) -> (status, object)` and may add control
    endpoints in `control(...)` (return None for "not mine")."""

    name = "fake"

    def __init__(self, token=None, record_file=None, host="127.0.0.1", port=0):
        self.token = token
        self.record_file = record_file
        self.host = host
        self.port = port
        self.lock = threading.RLock()
        self._requests = []
        self._failures = []  # [{"status": int|None, "delay_seconds": float, "body": obj|None}], one per request
        self._record = None
        self._httpd = None
        self._thread = None

    # --- life --------------------------------------------------------------------------------------------------

    def start(self):
        """Starts serving on a thread; returns the port."""
        if self.record_file:
            self._record = open(self.record_file, "a", encoding="utf-8")
        self._httpd = ThreadingHTTPServer((self.host, self.port), self._handler_class())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.name, daemon=True)
        self._thread.start()
        return self.port

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._record is not None:
            self._record.close()
            self._record = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    # --- for tests ---------------------------------------------------------------------------------------------

    def requests(self):
        """Every API request received so far (copies), oldest first. Control requests are not recorded."""
        with self.lock:
            return [dict(r) for r in self._requests]

    def fail(self, times=1, status=503, delay_seconds=0, body=None):
        """The next `times` API requests wait `delay_seconds`, then answer `status` (None: answer normally)."""
        with self.lock:
            for _ in range(int(times)):
                self._failures.append({"status": status, "delay_seconds": float(delay_seconds or 0), "body": body})

    # --- to override -------------------------------------------------------------------------------------------

    def api(self, method, path, query, body, headers, segments):
        """`path` is unquoted; `segments` are the raw path's segments, each unquoted (an order number may hold `/`)."""
        return 404, {"error": "no such endpoint"}

    def control(self, method, path, query, body):
        return None

    # --- machinery ---------------------------------------------------------------------------------------------

    def _common_control(self, method, path, query, body):
        if method == "GET" and path == "/_control/requests":
            return 200, {"requests": self.requests()}
        if method == "POST" and path == "/_control/fail":
            spec = body if isinstance(body, dict) else {}
            self.fail(times=spec.get("times", 1), status=spec.get("status", 503) if "status" in spec else 503,
                      delay_seconds=spec.get("delay_seconds", 0), body=spec.get("body"))
            return 200, {"ok": True}
        return self.control(method, path, query, body)

    def _dispatch(self, method, raw_path, headers, raw_body):
        parsed = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(parsed.path)
        segments = [urllib.parse.unquote(s) for s in parsed.path.strip("/").split("/")]
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}
        body = None
        if raw_body:
            try:
                body = json.loads(raw_body.decode("utf-8"))
            except ValueError:
                body = raw_body.decode("utf-8", "replace")
        if path.startswith("/_control/"):
            return self._common_control(method, path, query, body) or (404, {"error": "no such control endpoint"})
        with self.lock:
            failure = self._failures.pop(0) if self._failures else None
        answer = None
        if failure is not None:
            if failure["delay_seconds"]:
                time.sleep(failure["delay_seconds"])
            if failure["status"] is not None:
                answer = (int(failure["status"]),
                          failure["body"] if failure["body"] is not None else {"error": "failing on purpose"})
        if answer is None:
            if self.token and headers.get("Authorization") != "Bearer " + self.token:
                answer = (401, {"error": "missing or wrong bearer token"})
            elif method != "GET" and raw_body and not isinstance(body, (dict, list)):
                answer = (400, {"error": "the body is not JSON"})
            else:
                try:
                    answer = self.api(method, path, query, body, headers, segments)
                except Exception as e:  # a bug in the fake: say so, loudly
                    answer = (500, {"error": "fake crashed: %r" % e})
        entry = {"at": time.time(), "method": method, "path": path, "query": query, "headers": headers,
                 "body": body, "status": answer[0]}
        with self.lock:
            self._requests.append(entry)
            if self._record is not None:
                self._record.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self._record.flush()
        return answer

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, obj = server._dispatch(self.command, self.path, dict(self.headers.items()), raw)
                data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (a timeout test): nothing to answer to

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args):
                pass  # quiet: the record is the log

        return Handler


class FakeProvincial(RecordingServer):
    """The provincial platform: dispatches (new → received | rejected) and one result per order."""

    name = "fake-provincial"
    RESULT_REQUIRED = ("request_id", "case_no", "handled_by", "handled_at", "process", "result")

    def __init__(self, token=None, dispatches=(), record_file=None, host="127.0.0.1", port=0):
        super().__init__(token=token, record_file=record_file, host=host, port=port)
        self._orders = {}   # order_no -> {"dispatch", "status", "case_no", "unit_code", "reason"}
        self._results = {}  # order_no -> the first result stored
        self.add_dispatches(dispatches)

    def add_dispatches(self, dispatches):
        with self.lock:
            for d in dispatches:
                self._orders[d["order_no"]] = {"dispatch": dict(d), "status": "new", "case_no": None,
                                               "unit_code": None, "reason": None}

    def dispatches(self):
        with self.lock:
            return {no: dict(o) for no, o in self._orders.items()}

    def results(self):
        with self.lock:
            return {no: dict(r) for no, r in self._results.items()}

    def control(self, method, path, query, body):
        if path == "/_control/dispatches" and method == "POST":
            items = body if isinstance(body, list) else (body or {}).get("dispatches", [])
            self.add_dispatches(items)
            return 200, {"ok": True, "added": len(items)}
        if path == "/_control/dispatches" and method == "GET":
            return 200, {"dispatches": self.dispatches()}
        if path == "/_control/results" and method == "GET":
            return 200, {"results": self.results()}
        return None

    def api(self, method, path, query, body, headers, segments):
        if method == "GET" and path == "/api/ping":
            return 200, {"ok": True}
        if method == "GET" and path == "/api/dispatches":
            status = query.get("status", "new")
            try:
                limit = int(query.get("limit", "50"))
            except ValueError:
                return 400, {"error": "limit must be a number"}
            with self.lock:
                found = [dict(o["dispatch"]) for o in self._orders.values() if o["status"] == status]
            return 200, {"dispatches": found[:max(limit, 0)]}
        parts = segments
        if method == "POST" and len(parts) == 4 and parts[:2] == ["api", "dispatches"]:
            order_no, action = parts[2], parts[3]
            body = body if isinstance(body, dict) else {}
            with self.lock:
                order = self._orders.get(order_no)
                if order is None:
                    return 404, {"error": "no dispatch %s" % order_no}
                if action == "receipt":
                    if not body.get("case_no") or not body.get("unit_code"):
                        return 400, {"error": "case_no and unit_code are required"}
                    if order["status"] == "received" and order["case_no"] != body["case_no"]:
                        return 409, {"error": "already received as %s" % order["case_no"]}
                    order.update(status="received", case_no=body["case_no"], unit_code=body["unit_code"])
                    return 200, {"ok": True}
                if action == "reject":
                    if not body.get("reason"):
                        return 400, {"error": "reason is required"}
                    if order["status"] == "received":
                        return 409, {"error": "already received as %s" % order["case_no"]}
                    order.update(status="rejected", reason=body["reason"])
                    return 200, {"ok": True}
                if action == "result":
                    missing = [k for k in self.RESULT_REQUIRED if not body.get(k)]
                    if missing:
                        return 400, {"error": "missing " + ", ".join(missing)}
                    stored = self._results.get(order_no)
                    if stored is not None:
                        if stored["request_id"] == body["request_id"]:
                            return 200, {"ok": True, "duplicate": True}
                        return 409, {"error": "a result is already stored for %s" % order_no}
                    self._results[order_no] = dict(body)
                    order["status"] = "answered"
                    return 200, {"ok": True, "duplicate": False}
        return 404, {"error": "no such endpoint"}


def serve_standalone(server, argv_description):
    """Starts `server`, prints `port: N` first on stdout, serves until SIGTERM/SIGINT."""
    port = server.start()
    sys.stdout.write("port: %d\n" % port)
    sys.stdout.flush()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    sys.stderr.write("%s listening on %s\n" % (argv_description, server.url))
    sys.stderr.flush()
    while not done.wait(0.5):
        pass
    server.stop()


def main(argv=None):
    p = argparse.ArgumentParser(description="A fake provincial complaint platform (for tests).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (printed as `port: N`)")
    p.add_argument("--record", help="append every request received as one JSON line to this file")
    p.add_argument("--token", help="require Authorization: Bearer TOKEN on the API")
    p.add_argument("--seed", help="a JSON file holding a list of dispatches to start with")
    args = p.parse_args(argv)
    seed = []
    if args.seed:
        with open(args.seed, encoding="utf-8") as f:
            seed = json.load(f)
    serve_standalone(FakeProvincial(token=args.token, dispatches=seed, record_file=args.record,
                                    host=args.host, port=args.port), "fake provincial platform")


if __name__ == "__main__":
    main()
