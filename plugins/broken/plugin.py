#!/usr/bin/env python3
"""FOR TESTS ONLY. Shakes hands properly, then misbehaves on every other call (except
shutdown) as `mode` says: crash (exits 3), hang (never answers), garbage (prints non-JSON),
wrong-shape (answers with the wrong result), wrong-id (answers with another request's id), no-id (answers
without an id), no-jsonrpc (answers without "jsonrpc": "2.0"), ok (behaves). Mode from env BROKEN_MODE, else
options.mode."""
import json
import os
import sys
import time

mode = "hang"


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


for raw in sys.stdin.buffer:
    msg = json.loads(raw.decode("utf-8"))
    rid, method = msg.get("id"), msg.get("method")
    if method == "initialize":
        mode = os.environ.get("BROKEN_MODE") or (msg.get("params") or {}).get("options", {}).get("mode", "hang")
        sys.stderr.write("broken plugin starting in mode %s\n" % mode)
        sys.stderr.flush()
        reply({"jsonrpc": "2.0", "id": rid, "result": {"protocolVersion": 1,
               "capabilities": {"notify": True, "score": True}, "plugin": {"id": "broken", "version": "0.0.1"}}})
        continue
    if method == "shutdown":
        reply({"jsonrpc": "2.0", "id": rid, "result": None})
        break
    if mode == "crash":
        sys.stderr.write("broken: crashing on %s\n" % method)
        sys.stderr.flush()
        sys.exit(3)
    if mode == "hang":
        sys.stderr.write("broken: hanging on %s\n" % method)
        sys.stderr.flush()
        time.sleep(3600)
    if mode == "garbage":
        sys.stdout.write("this is not json\n")
        sys.stdout.flush()
        continue
    if mode == "wrong-id":
        reply({"jsonrpc": "2.0", "id": 99, "result": {"ok": True}})
        continue
    if mode == "no-id":
        reply({"jsonrpc": "2.0", "result": {"ok": True}})
        continue
    if mode == "no-jsonrpc":
        reply({"id": rid, "result": {"ok": True}})
        continue
    if mode == "wrong-shape":
        reply({"jsonrpc": "2.0", "id": rid, "result": {"delivered": "yes", "deductions": "lots", "ok": "sure"}})
        continue
    result = {"health": {"ok": True}, "notify": {"delivered": True}, "score": {"deductions": []}}.get(method)
    if result is None:
        reply({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "method not found"}})
    else:
        reply({"jsonrpc": "2.0", "id": rid, "result": result})
