#!/usr/bin/env python3
"""Kesu source + notifier plugin (protocol v2): two-way sync with the provincial complaint platform
(省局客户投诉中心).

In:  `poll` lists the platform's new dispatches (GET /api/dispatches?status=new) as items; `ack` confirms the
     ones Kesu registered (POST …/receipt with the case number) and rejects the ones it refused
     (POST …/reject with the reason), so the platform stops offering them.
Out: `event` reports the four-element result (四要素) of a provincial case when it is answered
     (POST …/result), once per order: the event id is the request id the platform de-duplicates on.

Options (from plugin.yaml, overridden by configuration):
  url               the platform's base URL (required)
  token_env         the environment variable holding the API token, sent as `Authorization: Bearer …`
                    (default none; plugin.yaml names KESU_PROVINCE_TOKEN and lists it in `env:`)
  unit_code         our bureau's code at the platform (required for poll/ack: it goes with each receipt)
  timeout_seconds   HTTP timeout, and the most one call spends on the platform (default 8)

Personal data (names, phone numbers, the text of a complaint) never goes to the log or an error message:
the log names order numbers, case numbers and event ids only. Standard library only.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

PLUGIN_ID = "provincial-center"
PLUGIN_VERSION = "1.0.0"
PROTOCOLS = [2]
options = {}
state = {"token": None, "opener": None}

KINDS = {"投诉": "complaint", "咨询": "inquiry", "建议": "suggestion",
         "complaint": "complaint", "inquiry": "inquiry", "suggestion": "suggestion"}
CUSTOMER_TYPES = {"零售客户": "retailer", "零售户": "retailer", "消费者": "consumer", "烟农": "grower",
                  "工业企业": "manufacturer",
                  "retailer": "retailer", "consumer": "consumer", "grower": "grower", "manufacturer": "manufacturer"}
FOUR_ELEMENTS = ("handled_by", "handled_at", "process", "result")
MAX_ID = 200  # the host's limit for an item id


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def log(text):
    # stderr is the plugin's log: the host captures it. Never print anything else on stdout.
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


# --- initialize ---------------------------------------------------------------------------------------------------

def initialize(params):
    offered = params.get("protocolVersions") or []
    common = [v for v in PROTOCOLS if v in offered]
    if not common:
        raise RpcError(-32002, "unsupported protocol version: host offers %s, plugin speaks %s" % (offered, PROTOCOLS))
    opts = params.get("options") or {}
    url = opts.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise RpcError(-32602, "options.url (the platform's base URL, http:// or https://) is required")
    try:
        timeout = float(opts.get("timeout_seconds", 8))
    except (TypeError, ValueError):
        timeout = 0
    if not timeout > 0:
        raise RpcError(-32602, "options.timeout_seconds must be a positive number of seconds")
    token_env = opts.get("token_env") or ""
    token = None
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise RpcError(-32602, "the environment variable %s (options.token_env) holding the platform's token is "
                                   "not set; the host passes only the variables listed in plugin.yaml `env:`"
                           % token_env)
    unit_code = opts.get("unit_code") or ""
    if not isinstance(unit_code, str):
        raise RpcError(-32602, "options.unit_code must be a string")
    options.clear()
    options.update(opts)
    options.update(url=url.rstrip("/"), timeout_seconds=timeout, unit_code=unit_code)
    state["token"] = token
    host = urllib.parse.urlsplit(url).hostname or ""
    # A platform on this machine (a test double) is never reached through a proxy.
    loopback = host in ("localhost", "127.0.0.1", "::1")
    state["opener"] = urllib.request.build_opener(urllib.request.ProxyHandler({})) if loopback \
        else urllib.request.build_opener()
    log("provincial-center %s: platform %s, unit %s, %s" % (PLUGIN_VERSION, options["url"].split("?")[0], unit_code or "(none)",
                                                           "token from %s" % token_env if token else "no token"))
    return {"protocolVersion": max(common), "capabilities": {"poll": True, "event": True},
            "plugin": {"id": PLUGIN_ID, "version": PLUGIN_VERSION}}


# --- the platform's API -------------------------------------------------------------------------------------------

def order_path(order_no, action):
    return "/api/dispatches/%s/%s" % (urllib.parse.quote(order_no, safe=""), action)


def platform(method, path, body=None, query=None, deadline=None, need_json=False):
    """One request to the platform. Returns (status, answer) for 2xx and 409 (already done there; answer None);
    the answer is the parsed JSON, or None when it is not JSON and `need_json` is false. Raises RpcError -32010 for
    another HTTP error, -32011 when the platform cannot be reached or does not answer in time, -32012 when an
    answer that is needed is not JSON. Messages name the method and path only, never a body."""
    timeout = options["timeout_seconds"]
    if deadline is not None:
        timeout = min(timeout, deadline - time.monotonic())
        if timeout <= 0:
            raise RpcError(-32011, "no time left for %s %s (options.timeout_seconds bounds each call)" % (method, path))
    url = options["url"] + path + ("?" + urllib.parse.urlencode(query) if query else "")
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json; charset=utf-8"
    if state["token"]:
        headers["Authorization"] = "Bearer " + state["token"]
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with state["opener"].open(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        if e.code == 409:
            return 409, None
        raise RpcError(-32010, "the platform answered HTTP %d to %s %s" % (e.code, method, path))
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise RpcError(-32011, "cannot reach the platform for %s %s: %s" % (method, path, reason))
    try:
        return status, json.loads(raw.decode("utf-8")) if raw.strip() else None
    except ValueError:
        if need_json:
            raise RpcError(-32012, "the platform's answer to %s %s is not JSON" % (method, path))
        return status, None


# --- in: poll and ack ---------------------------------------------------------------------------------------------

def text(value):
    if value is None:
        return ""
    return (value if isinstance(value, str) else str(value)).strip()


def item_for(d):
    """The Kesu item for one dispatch: fields named as the pack names them, empty ones left out."""
    order_no = text(d.get("order_no"))
    kind = text(d.get("kind"))
    customer_type = text(d.get("customer_type"))
    fields = {
        "channel": "provincial",
        "external_ref": order_no,
        "subject": text(d.get("title")),
        "description": text(d.get("content")),
        # known kinds and customer types are mapped; others pass through so the pack decides (and a refusal goes
        # back to the platform with the reason instead of a guess)
        "kind": KINDS.get(kind, KINDS.get(kind.lower(), kind)),
        "complainant_name": text(d.get("customer_name")),
        "complainant_phone": text(d.get("customer_phone")),
        "complainant_type": CUSTOMER_TYPES.get(customer_type, CUSTOMER_TYPES.get(customer_type.lower(), customer_type)),
    }
    return {"id": order_no, "fields": {k: v for k, v in fields.items() if v}}


def need_unit_code():
    if not options.get("unit_code"):
        raise RpcError(-32602, "options.unit_code (our bureau's code at the platform) is required to take dispatches: "
                               "each receipt carries it")


def poll(params):
    limit = params.get("limit", 50)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise RpcError(-32602, "params.limit must be a whole number, 0 or more")
    if limit == 0:  # the conformance kit's poll: nothing is taken, the platform is not asked
        return {"items": []}
    need_unit_code()
    _, answer = platform("GET", "/api/dispatches", query={"status": "new", "limit": limit}, need_json=True)
    dispatches = answer.get("dispatches") if isinstance(answer, dict) else None
    if not isinstance(dispatches, list):
        raise RpcError(-32012, "the platform's dispatch list has no `dispatches` array")
    items = []
    for d in dispatches:
        order_no = text(d.get("order_no")) if isinstance(d, dict) else ""
        if not order_no or len(order_no) > MAX_ID:
            # without a usable order number the dispatch can be neither registered nor answered: leave it there
            log("skipped a dispatch without a usable order_no (%s)" % ("none" if not order_no else "%d characters" % len(order_no)))
            continue
        items.append(item_for(d))
        if len(items) >= limit:
            break
    if items:
        log("polled %d dispatch(es): %s" % (len(items), ", ".join(i["id"] for i in items)))
    return {"items": items}


def ack(params):
    acked = params.get("items")
    if not isinstance(acked, list):
        raise RpcError(-32602, "params.items must be a list")
    if not acked:
        return {"ok": True}
    need_unit_code()
    deadline = time.monotonic() + options["timeout_seconds"]
    failed = []
    for a in acked:
        order_no = text(a.get("id")) if isinstance(a, dict) else ""
        if not order_no:
            log("ack: an item without an id, ignored")
            continue
        try:
            if a.get("refused") is not None:
                reason = text(a.get("refused")) or "refused by Kesu"
                status, _ = platform("POST", order_path(order_no, "reject"), {"reason": reason}, deadline=deadline)
                log("rejected %s (Kesu refused it; the reason went to the platform)%s"
                    % (order_no, ": it was already settled there" if status == 409 else ""))
            elif text(a.get("case")):
                case_no = text(a.get("case"))
                status, _ = platform("POST", order_path(order_no, "receipt"),
                                     {"case_no": case_no, "unit_code": options["unit_code"]}, deadline=deadline)
                log("receipt for %s: case %s (%s)%s" % (order_no, case_no, "new" if a.get("created") else "existing",
                                                         ": the platform already had a receipt" if status == 409 else ""))
            else:
                log("ack for %s names neither a case nor a refusal, ignored" % order_no)
        except RpcError as e:
            failed.append((order_no, e))
    if failed:
        # The host polls again: the platform still offers these, Kesu's intake gives back the same case, and the
        # next ack tries again.
        first = failed[0][1]
        raise RpcError(first.code, "%d of %d acknowledgement(s) failed (%s); first: %s"
                       % (len(failed), len(acked), ", ".join(no for no, _ in failed), first.message))
    return {"ok": True}


# --- out: event ---------------------------------------------------------------------------------------------------

def check_event(params):
    ev = params.get("event")
    if not isinstance(ev, dict) or not isinstance(ev.get("id"), str) or not ev["id"] \
            or not isinstance(ev.get("type"), str):
        raise RpcError(-32602, "params.event with an id and a type is required")
    case = ev.get("case")
    if case is not None and (not isinstance(case, dict) or not isinstance(case.get("fields") or {}, dict)):
        raise RpcError(-32602, "event %s: case must be an object with an object `fields`" % ev["id"])
    return ev


def result_for(ev):
    """The body posted for a provincial case's answer, or None when the event is not one."""
    if ev["type"] != "case.answered":
        return None
    case = ev.get("case") or {}
    fields = case.get("fields") or {}
    order_no = text(fields.get("external_ref"))
    if fields.get("channel") != "provincial" or not order_no:
        return None
    missing = [k for k in FOUR_ELEMENTS if not text(fields.get(k))]
    if missing:
        raise RpcError(-32013, "event %s: case %s has no %s: the platform keeps one result per order, so an "
                               "incomplete one is not sent" % (ev["id"], case.get("number"), ", ".join(missing)))
    data = ev.get("data") or {}
    return order_no, {
        "request_id": ev["id"],
        "case_no": case.get("number"),
        "handled_by": fields["handled_by"],
        "handled_at": fields["handled_at"],
        "process": fields["process"],
        "result": fields["result"],
        "late": data.get("late") if isinstance(data, dict) else None,
        "answered_at": ev.get("at"),
    }


def event(params):
    ev = check_event(params)
    found = result_for(ev)
    if params.get("test"):
        # The conformance kit's sample: checked (and the result built) but nothing goes to the platform.
        log("test event %s from the conformance kit: checked, not sent" % ev["id"])
        return {"delivered": True}
    if found is None:
        log("event %s: nothing for the platform" % ev["id"])
        return {"delivered": True}
    order_no, body = found
    status, answer = platform("POST", order_path(order_no, "result"), body)
    if status == 409:
        log("result for %s (event %s): the platform already keeps a result from an earlier answer; it kept that one"
            % (order_no, ev["id"]))
    elif isinstance(answer, dict) and answer.get("duplicate"):
        log("result for %s (event %s): already stored, not stored twice" % (order_no, ev["id"]))
    else:
        log("result for %s sent (case %s, event %s)" % (order_no, body["case_no"], ev["id"]))
    return {"delivered": True}


# --- health and the loop ------------------------------------------------------------------------------------------

def health(params):
    platform("GET", "/api/ping")
    return {"ok": True}


METHODS = {"initialize": initialize, "poll": poll, "ack": ack, "event": event, "health": health}


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
            # its text could quote a name or a phone number)
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
