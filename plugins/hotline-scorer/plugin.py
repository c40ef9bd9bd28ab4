#!/usr/bin/env python3
"""Kesu scorer plugin (protocol v1): the 12345-hotline appraisal formula.

    score = 100 - W_on_time      * late answers / V
                - W_satisfaction * unsatisfied callbacks / V
                - W_redispatch   * re-dispatches / V

with V the unit's expected volume in the period. The formula is linear in the counts, so it is
scored per fact: each late answer costs W_on_time / V points, and so on; the sum of a period's
deductions is exactly the formula. See README.md. Standard library only.
"""
import json
import sys

PLUGIN_ID = "hotline-scorer"
PLUGIN_VERSION = "1.0.0"
PROTOCOLS = [1]
RATES = ("on_time", "satisfaction", "redispatch")
DEFAULTS = {
    "weights": {"on_time": 40, "satisfaction": 40, "redispatch": 20},
    "expected_volume": 200,
    "expected_volume_by_unit": {},
    "facts": {"on_time": ["answer_late", "reply_late"], "satisfaction": ["callback_unsatisfied"],
              "redispatch": ["redispatched"]},
    "person_share": 0,
}
config = dict(DEFAULTS)


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def number(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RpcError(-32602, "options.%s must be a number" % what)
    return float(value)


def initialize(params):
    offered = params.get("protocolVersions") or []
    common = [v for v in PROTOCOLS if v in offered]
    if not common:
        raise RpcError(-32002, "unsupported protocol version: host offers %s, plugin speaks %s" % (offered, PROTOCOLS))
    opts = params.get("options") or {}
    c = dict(DEFAULTS)
    c.update(opts)
    for r in RATES:
        number(c["weights"].get(r, 0), "weights.%s" % r)
    if number(c["expected_volume"], "expected_volume") <= 0:
        raise RpcError(-32602, "options.expected_volume must be above 0")
    number(c["person_share"], "person_share")
    config.clear()
    config.update(c)
    return {"protocolVersion": max(common), "capabilities": {"score": True},
            "plugin": {"id": PLUGIN_ID, "version": PLUGIN_VERSION}}


def rate_of(fact_id):
    for r in RATES:
        if fact_id in (config["facts"].get(r) or []):
            return r
    return None


def score(params):
    fact = params.get("fact")
    if not isinstance(fact, dict) or fact.get("kind") not in ("violation", "outcome") or not isinstance(fact.get("id"), str):
        raise RpcError(-32602, "params.fact {kind: violation|outcome, id, ...} is required")
    rate = rate_of(fact["id"])
    unit = fact.get("unit")
    if rate is None or not unit:
        return {"deductions": []}
    volume = float(config["expected_volume_by_unit"].get(unit, config["expected_volume"]))
    points = round(float(config["weights"].get(rate, 0)) / volume, 4)
    if points == 0:
        return {"deductions": []}
    out = [{"subject": {"kind": "unit", "id": unit}, "points": points, "ruleID": "hotline.%s" % rate}]
    share = float(config["person_share"])
    person = fact.get("person")
    if share > 0 and person:
        out.append({"subject": {"kind": "person", "id": person}, "points": round(points * share, 4),
                    "ruleID": "hotline.%s" % rate})
    return {"deductions": out}


METHODS = {"initialize": initialize, "score": score, "health": lambda p: {"ok": True}}


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
