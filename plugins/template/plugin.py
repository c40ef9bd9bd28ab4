#!/usr/bin/env python3
"""A minimal Kesu exec plugin (protocol v1): JSON-RPC 2.0, one JSON object per line on
stdin/stdout. Copy this folder to start a plugin; see docs/plugins.md for every message.

This one is a notifier that "delivers" by writing the notification to stderr, which the host
keeps in its log, and, when the option `log_file` names a file, by appending it there as one JSON
line (a relative `log_file` in kesu.yaml is resolved from kesu.yaml's folder by the host; one in
plugin.yaml, from this folder). Standard library only.
"""
import json
import sys

PLUGIN_ID = "template"
PLUGIN_VERSION = "1.0.0"
PROTOCOLS = [1]
options = {}


def log(text):
    # stderr is the plugin's log: the host captures it. Never print anything else on stdout.
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def initialize(params):
    offered = params.get("protocolVersions") or []
    common = [v for v in PROTOCOLS if v in offered]
    if not common:
        raise RpcError(-32002, "unsupported protocol version: host offers %s, plugin speaks %s" % (offered, PROTOCOLS))
    options.clear()
    options.update(params.get("options") or {})
    return {"protocolVersion": max(common), "capabilities": {"notify": True},
            "plugin": {"id": PLUGIN_ID, "version": PLUGIN_VERSION}}


def notify(params):
    n = params.get("notification")
    if not isinstance(n, dict) or not isinstance(n.get("text"), str):
        raise RpcError(-32602, "params.notification.text is required")
    if params.get("test"):
        # The conformance kit's sample: check it, deliver nothing to the real destination.
        log("test notification from the conformance kit: checked, not delivered")
        return {"delivered": True}
    log("%s: [%s] case %s to %s: %s" % (options.get("greeting", "kesu"), n.get("kind"), n.get("case"),
                                         ",".join(n.get("recipients") or []), n["text"]))
    if options.get("log_file"):
        try:
            with open(options["log_file"], "a", encoding="utf-8") as f:
                f.write(json.dumps(n, ensure_ascii=False) + "\n")
        except OSError as e:
            raise RpcError(-32010, "cannot write %s: %s" % (options["log_file"], e))
    return {"delivered": True}


METHODS = {"initialize": initialize, "notify": notify, "health": lambda p: {"ok": True}}


def main():
    for raw in sys.stdin.buffer:
        try:
            msg = json.loads(raw.decode("utf-8"))
        except ValueError:
            continue  # not JSON: nothing to answer
        rid, method = msg.get("id"), msg.get("method")
        if method == "shutdown":
            reply({"jsonrpc": "2.0", "id": rid, "result": None})
            return
        handler = METHODS.get(method)
        try:
            if handler is None:
                raise RpcError(-32601, "method not found: %s" % method)
            reply({"jsonrpc": "2.0", "id": rid, "result": handler(msg.get("params") or {})})
        except RpcError as e:
            reply({"jsonrpc": "2.0", "id": rid, "error": {"code": e.code, "message": e.message}})
        except Exception as e:  # a bug in the plugin: answer, keep running
            reply({"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": "internal error: %s" % e}})


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")  # ASCII (ensure_ascii), one line
    sys.stdout.flush()


if __name__ == "__main__":
    main()
