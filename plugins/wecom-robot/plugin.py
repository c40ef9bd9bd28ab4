#!/usr/bin/env python3
"""Kesu notifier plugin (protocol v1): posts a text message to a WeCom or DingTalk group robot.

Options (from plugin.yaml, overridden by configuration):
  url               the robot's webhook URL (required)
  flavour           "wecom" (default) or "dingtalk"
  mention_recipients  @-mention the notification's recipients (default true)
  timeout_seconds   HTTP timeout (default 8; keep it under the manifest's call timeout)
Standard library only.
"""
import json
import re
import sys
import urllib.error
import urllib.request

PLUGIN_ID = "wecom-robot"
PLUGIN_VERSION = "1.0.0"
PROTOCOLS = [1]
options = {}
MOBILE = re.compile(r"^\+?\d{11,15}$")


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def log(text):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def initialize(params):
    offered = params.get("protocolVersions") or []
    common = [v for v in PROTOCOLS if v in offered]
    if not common:
        raise RpcError(-32002, "unsupported protocol version: host offers %s, plugin speaks %s" % (offered, PROTOCOLS))
    opts = params.get("options") or {}
    flavour = opts.get("flavour", "wecom")
    if flavour not in ("wecom", "dingtalk"):
        raise RpcError(-32602, "options.flavour must be wecom or dingtalk, not %r" % flavour)
    if not isinstance(opts.get("url"), str) or not opts["url"]:
        raise RpcError(-32602, "options.url (the robot's webhook URL) is required")
    options.clear()
    options.update(opts)
    options["flavour"] = flavour
    return {"protocolVersion": max(common), "capabilities": {"notify": True},
            "plugin": {"id": PLUGIN_ID, "version": PLUGIN_VERSION}}


def content(n):
    """Kesu's own texts already open with their label and name the case; others get both added."""
    text = n.get("text", "")
    if text.startswith("【"):
        return text
    label = {"reminder": "提醒", "escalation": "督办", "violation": "超时"}.get(n.get("kind"), n.get("kind"))
    return "【%s】%s %s" % (label, n.get("case", ""), text)


def payload(n):
    """The robot's text message for a notification (exactly what is posted)."""
    mention = options.get("mention_recipients", True)
    recipients = [r for r in (n.get("recipients") or []) if isinstance(r, str)] if mention else []
    mobiles = [r for r in recipients if MOBILE.match(r)]
    users = [r for r in recipients if not MOBILE.match(r)]
    if options["flavour"] == "dingtalk":
        return {"msgtype": "text", "text": {"content": content(n)},
                "at": {"atUserIds": users, "atMobiles": mobiles, "isAtAll": False}}
    text = {"content": content(n), "mentioned_list": users}
    if mobiles:
        text["mentioned_mobile_list"] = mobiles
    return {"msgtype": "text", "text": text}


def notify(params):
    n = params.get("notification")
    if not isinstance(n, dict) or not isinstance(n.get("text"), str):
        raise RpcError(-32602, "params.notification with a text is required")
    body = json.dumps(payload(n), ensure_ascii=False).encode("utf-8")
    if params.get("test"):
        # The conformance kit's sample: the message is built (so a bad option still fails) but not posted to the group.
        log("test notification from the conformance kit: built, not posted")
        return {"delivered": True}
    req = urllib.request.Request(options["url"], data=body, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=float(options.get("timeout_seconds", 8))) as resp:
            answer = json.loads(resp.read().decode("utf-8") or "{}")
    except urllib.error.HTTPError as e:
        raise RpcError(-32010, "robot answered HTTP %d" % e.code)
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise RpcError(-32011, "cannot reach the robot: %s" % e)
    # both robots answer {"errcode": 0, "errmsg": "ok"} on success
    if answer.get("errcode", 0) != 0:
        raise RpcError(-32012, "robot refused the message: errcode %s %s" % (answer.get("errcode"), answer.get("errmsg")))
    log("posted %s for case %s (outbox item %s)" % (n.get("kind"), n.get("case"), n.get("id")))
    return {"delivered": True}


METHODS = {"initialize": initialize, "notify": notify, "health": lambda p: {"ok": True}}


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    for raw in sys.stdin.buffer:
        try:
            msg = json.loads(raw.decode("utf-8"))
        except ValueError:
            continue
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
        except Exception as e:
            reply({"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": "internal error: %s" % e}})


if __name__ == "__main__":
    main()
