#!/usr/bin/env python3
"""Kesu notifier plugin (protocol v2, `event` only): texts the complainant through an HTTP SMS gateway when the
case is registered (受理), answered (办结: the four-element result's `result`) and, if configured, closed.

Each message is `POST url` with `{"to": phone, "text": …, "request_id": <event id>}`: the event id is the same on
every retry, so the gateway sends one SMS per event however often Kesu delivers it. Staff reminders are not
for complainants: the plugin has no `notify`.

Options (from plugin.yaml, overridden by configuration):
  url               the gateway's send endpoint (required)
  token_env         the environment variable holding the gateway's token, sent as `Authorization: Bearer …`
                    (default none; plugin.yaml names KESU_SMS_TOKEN and lists it in `env:`)
  signature         the SMS signature (短信签名), e.g. 州烟草专卖局 (required)
  registered_text   template for case.registered (placeholders {signature}, {case})
  answered_text     template for case.answered ({signature}, {case}, {result})
  closed_text       template for case.closed ({signature}, {case}, {result}); empty: no SMS at close
  timeout_seconds   HTTP timeout (default 8; keep it under the manifest's call timeout)

The complainant's phone number goes to the gateway and nowhere else: never to the log, never into an error
message (anything that looks like one there is masked, 138****5678). Standard library only.
"""
import json
import os
import re
import string
import sys
import urllib.error
import urllib.parse
import urllib.request

PLUGIN_ID = "sms-gateway"
PLUGIN_VERSION = "1.0.0"
PROTOCOLS = [2]
options = {}
state = {"token": None, "opener": None}

DEFAULT_TEXTS = {
    "registered_text": "【{signature}】您反映的问题已受理，受理编号{case}，我们将尽快处理。",
    "answered_text": "【{signature}】您反映的问题（受理编号{case}）已办理完毕，处理结果：{result}。感谢您的监督。",
    "closed_text": "",
}
# event type -> the option holding its template
TEMPLATES = {"case.registered": "registered_text", "case.answered": "answered_text", "case.closed": "closed_text"}
PLACEHOLDERS = {"registered_text": {"signature", "case"},
                "answered_text": {"signature", "case", "result"},
                "closed_text": {"signature", "case", "result"}}
MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$|^\+\d{8,15}$")
PHONE_LIKE = re.compile(r"(?<![\w-])\+?\d(?: ?\d){6,}(?![\w-])")


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = redact(message)


def mask(phone):
    """138****5678: enough to tell numbers apart in a log, not enough to call one."""
    digits = re.sub(r"\D", "", phone)
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def redact(text):
    """Masks whatever looks like a phone number (7 digits or more) in a text bound for the log or an error."""
    return PHONE_LIKE.sub(lambda m: mask(m.group()), text)


def log(text):
    # stderr is the plugin's log: the host captures it. Never print anything else on stdout.
    sys.stderr.write(redact(text) + "\n")
    sys.stderr.flush()


# --- initialize ---------------------------------------------------------------------------------------------------

def check_template(name, template):
    if not isinstance(template, str):
        raise RpcError(-32602, "options.%s must be a string" % name)
    try:
        used = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as e:
        raise RpcError(-32602, "options.%s is not a valid template: %s (write {{ and }} for a literal brace)" % (name, e))
    unknown = sorted(used - PLACEHOLDERS[name])
    if unknown:
        raise RpcError(-32602, "options.%s uses {%s}; it may use %s" % (
            name, "}, {".join(unknown), ", ".join("{%s}" % p for p in sorted(PLACEHOLDERS[name]))))
    return used


def initialize(params):
    offered = params.get("protocolVersions") or []
    common = [v for v in PROTOCOLS if v in offered]
    if not common:
        raise RpcError(-32002, "unsupported protocol version: host offers %s, plugin speaks %s" % (offered, PROTOCOLS))
    opts = params.get("options") or {}
    url = opts.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise RpcError(-32602, "options.url (the gateway's send endpoint, http:// or https://) is required")
    signature = opts.get("signature")
    if not isinstance(signature, str) or not signature.strip():
        raise RpcError(-32602, "options.signature (the SMS signature, e.g. 州烟草专卖局) is required")
    try:
        timeout = float(opts.get("timeout_seconds", 8))
    except (TypeError, ValueError):
        timeout = 0
    if not timeout > 0:
        raise RpcError(-32602, "options.timeout_seconds must be a positive number of seconds")
    texts = {}
    for name, default in DEFAULT_TEXTS.items():
        value = opts.get(name)
        texts[name] = default if value is None else value
        check_template(name, texts[name])
    token_env = opts.get("token_env") or ""
    token = None
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise RpcError(-32602, "the environment variable %s (options.token_env) holding the gateway's token is "
                                   "not set; the host passes only the variables listed in plugin.yaml `env:`"
                           % token_env)
    options.clear()
    options.update(opts)
    options.update(texts)
    options.update(url=url, signature=signature.strip(), timeout_seconds=timeout)
    state["token"] = token
    host = urllib.parse.urlsplit(url).hostname or ""
    # A gateway on this machine (a test double) is never reached through a proxy.
    loopback = host in ("localhost", "127.0.0.1", "::1")
    state["opener"] = urllib.request.build_opener(urllib.request.ProxyHandler({})) if loopback \
        else urllib.request.build_opener()
    log("sms-gateway %s: gateway %s, texts on %s" % (
        PLUGIN_VERSION, url.split("?")[0], ", ".join(t for t, o in TEMPLATES.items() if options[o])))
    return {"protocolVersion": max(common), "capabilities": {"event": True},
            "plugin": {"id": PLUGIN_ID, "version": PLUGIN_VERSION}}


# --- event --------------------------------------------------------------------------------------------------------

def message_for(ev):
    """(case number, text) for an event that sends an SMS, or None."""
    option = TEMPLATES.get(ev["type"])
    if option is None or not options[option]:
        return None
    case = ev.get("case")
    if not isinstance(case, dict) or not isinstance(case.get("number"), str) or not case["number"]:
        raise RpcError(-32602, "event %s: a %s event needs case.number" % (ev["id"], ev["type"]))
    fields = case.get("fields") or {}
    values = {"signature": options["signature"], "case": case["number"]}
    if "result" in check_template(option, options[option]):
        result = fields.get("result")
        if not isinstance(result, str) or not result.strip():
            raise RpcError(-32013, "event %s: case %s has no `result` field for options.%s; the SMS is kept until it "
                                   "can be written (or drop {result} from the template)"
                           % (ev["id"], case["number"], option))
        values["result"] = result.strip()
    return case["number"], options[option].format(**values)


def phone_of(ev):
    """The complainant's mobile number, or None (with the reason) when there is none to text."""
    fields = (ev.get("case") or {}).get("fields") or {}
    phone = fields.get("complainant_phone")
    if not isinstance(phone, str) or not phone.strip():
        return None, "no phone"
    if "*" in phone:
        return None, "the phone is masked (the subscription needs personal_data: true)"
    phone = re.sub(r"[\s-]", "", phone)
    if not MOBILE.match(phone):
        return None, "the phone is not a mobile number"
    return phone, None


def send(ev, case_no, phone, text):
    body = json.dumps({"to": phone, "text": text, "request_id": ev["id"]}, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
    if state["token"]:
        headers["Authorization"] = "Bearer " + state["token"]
    req = urllib.request.Request(options["url"], data=body, method="POST", headers=headers)
    try:
        with state["opener"].open(req, timeout=options["timeout_seconds"]) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as e:
        if e.code == 409:  # the gateway already has this request id
            return
        raise RpcError(-32010, "the gateway answered HTTP %d for case %s (event %s)" % (e.code, case_no, ev["id"]))
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise RpcError(-32011, "cannot reach the gateway for case %s (event %s): %s" % (case_no, ev["id"], reason))
    try:
        answer = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except ValueError:
        answer = {}  # a 2xx that is not JSON: taken as sent (a retry could text the complainant twice)
    if isinstance(answer, dict) and answer.get("ok") is False:
        why = str(answer.get("error") or "no reason given")[:200]
        raise RpcError(-32012, "the gateway refused the SMS for case %s (event %s): %s" % (case_no, ev["id"], why))


def event(params):
    ev = params.get("event")
    if not isinstance(ev, dict) or not isinstance(ev.get("id"), str) or not ev["id"] \
            or not isinstance(ev.get("type"), str):
        raise RpcError(-32602, "params.event with an id and a type is required")
    if ev.get("case") is not None and not isinstance(ev["case"], dict):
        raise RpcError(-32602, "event %s: case must be an object" % ev["id"])
    found = message_for(ev)  # builds the text even for a test, so a bad template or a missing field shows
    if params.get("test"):
        log("test event %s from the conformance kit: checked, not sent" % ev["id"])
        return {"delivered": True}
    if found is None:
        log("event %s (%s): no SMS for it" % (ev["id"], ev["type"]))
        return {"delivered": True}
    case_no, text = found
    phone, why = phone_of(ev)
    if phone is None:
        log("no phone for %s: %s; event %s not texted" % (case_no, why, ev["id"]))
        return {"delivered": True}
    send(ev, case_no, phone, text)
    log("texted the complainant of %s (%s, event %s)" % (case_no, ev["type"], ev["id"]))
    return {"delivered": True}


METHODS = {"initialize": initialize, "event": event, "health": lambda p: {"ok": True}}


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")  # ASCII (ensure_ascii), one line
    sys.stdout.flush()


def main():
    for raw in sys.stdin.buffer:
        try:
            msg = json.loads(raw.decode("utf-8"))
        except ValueError:
            continue  # not JSON: nothing to answer
        if not isinstance(msg, dict):
            continue
        rid, method = msg.get("id"), msg.get("method")
        if method == "shutdown":
            reply({"jsonrpc": "2.0", "id": rid, "result": None})
            return
        handler = METHODS.get(method)
        try:
            if handler is None:
                raise RpcError(-32601, "method not found: %s" % method)
            if method != "initialize" and not options:
                raise RpcError(-32600, "initialize first")
            params = msg.get("params") or {}
            if not isinstance(params, dict):
                raise RpcError(-32602, "params must be an object")
            reply({"jsonrpc": "2.0", "id": rid, "result": handler(params)})
        except RpcError as e:
            reply({"jsonrpc": "2.0", "id": rid, "error": {"code": e.code, "message": e.message}})
        except Exception as e:  # a bug in the plugin: answer, keep running (the exception's type and line only:
            # its text could quote a phone number)
            where = e.__traceback__
            while where.tb_next is not None:
                where = where.tb_next
            message = "internal error in %s: %s at %s:%d" % (method, type(e).__name__,
                                                              os.path.basename(where.tb_frame.f_code.co_filename),
                                                              where.tb_lineno)
            log(message)
            reply({"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": message}})


if __name__ == "__main__":
    main()
