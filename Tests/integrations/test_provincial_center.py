"""plugins/provincial-center against the fake provincial platform, spoken to exactly as the host does: one JSON-RPC
object per line on the plugin's stdin/stdout, only the environment variables its plugin.yaml lists.

    cd Tests/integrations && python3 -m unittest -v test_provincial_center
"""
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fake_provincial import FakeProvincial  # noqa: E402

PLUGIN_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "plugins", "provincial-center"))
TOKEN = "prov-secret-token"
UNIT = "5301001"

DISPATCHES = [
    {"order_no": "SJ20261013-0001", "title": "送货不及时", "content": "连续两周送货晚到半天以上。", "kind": "投诉",
     "customer_name": "张三丰", "customer_phone": "13812345678", "customer_type": "零售客户",
     "deadline": "2026-10-20T10:00:00Z"},
    {"order_no": "SJ20261013-0002", "title": "办证流程", "content": "想了解许可证延续需要的材料。", "kind": "咨询",
     "customer_name": "李四光", "customer_phone": "13987654321", "customer_type": "烟农"},
    {"order_no": "SJ20261013-0003", "title": "Opening hours", "content": "Please open on Saturdays.",
     "kind": "Suggestion", "customer_name": "", "customer_phone": None, "customer_type": "批发商"},
]
PERSONAL = ["13812345678", "13987654321", "张三丰", "李四光", "138 1234 5678"]


def manifest_env(directory=PLUGIN_DIR):
    """The `env:` list of the plugin's plugin.yaml (the host passes only these variables)."""
    with open(os.path.join(directory, "plugin.yaml"), encoding="utf-8") as f:
        m = re.search(r"^env:\s*\[(.*)\]", f.read(), re.M)
    return [v.strip() for v in m.group(1).split(",") if v.strip()] if m else []


class Plugin:
    """The plugin as the host runs it: its folder as working directory, only the variables its plugin.yaml lists,
    JSON-RPC lines on stdin/stdout, stderr kept as its log. (test_sms_gateway uses it too.)"""

    def __init__(self, directory, host_env):
        env = {k: host_env[k] for k in manifest_env(directory) if k in host_env}
        self.proc = subprocess.Popen([sys.executable, "plugin.py"], cwd=directory, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = queue.Queue()
        self.stderr_lines = []
        self.next_id = 0
        self._out = threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put), daemon=True)
        self._err = threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr_lines.append), daemon=True)
        self._out.start()
        self._err.start()

    @staticmethod
    def _pump(stream, sink):
        for raw in stream:
            sink(raw.decode("utf-8", "replace"))
        stream.close()

    def call(self, method, params=None, timeout=10):
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.proc.stdin.write((json.dumps(msg) + "\n").encode("utf-8"))
        self.proc.stdin.flush()
        line = self.lines.get(timeout=timeout)
        answer = json.loads(line)  # one JSON object per line, nothing else on stdout
        assert answer.get("jsonrpc") == "2.0" and answer.get("id") == self.next_id, answer
        assert ("result" in answer) != ("error" in answer), answer
        return answer

    def result(self, method, params=None, timeout=10):
        answer = self.call(method, params, timeout)
        assert "result" in answer, "%s answered an error: %s" % (method, answer)
        return answer["result"]

    def error(self, method, params=None, timeout=10):
        answer = self.call(method, params, timeout)
        assert "error" in answer, "%s answered %s, expected an error" % (method, answer)
        return answer["error"]

    def close(self):
        """shutdown as the host sends it; returns the exit status and the whole stderr."""
        if self.proc.poll() is None:
            try:
                assert self.call("shutdown", None)["result"] is None
            except (BrokenPipeError, queue.Empty):
                pass
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdin.close()
        self._err.join(timeout=2)
        self._out.join(timeout=2)
        return self.proc.returncode, "".join(self.stderr_lines)


def answered_event(seq=7, case="YC-2026-000001", order="SJ20261013-0001", channel="provincial", **overrides):
    fields = {"channel": channel, "kind": "complaint", "description": "连续两周送货晚到半天以上。",
              "handled_by": "王红", "handled_at": "2026-10-12T09:00", "process": "核实配送线路，调整送货时段。",
              "result": "已调整为每周二上午送达，客户表示满意。", "complainant_name": "张三丰",
              "complainant_phone": "13812345678"}
    if order is not None:
        fields["external_ref"] = order
    fields.update(overrides)
    fields = {k: v for k, v in fields.items() if v is not None}
    return {"version": 1, "id": "%s:%d" % (case, seq), "type": "case.answered", "seq": seq,
            "at": "2026-10-13T02:00:00Z", "actor": "wang_hong", "rule": None,
            "case": {"number": case, "state": "callback_pending", "handling_unit": "logistics_center",
                     "opened_at": "2026-10-10T01:30:00Z", "pack_version": "5d1c", "fields": fields},
            "data": {"clock": "answer", "run": 1, "late": False}}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProvincialCenterTests(unittest.TestCase):
    def setUp(self):
        self.platform = FakeProvincial(token=TOKEN, dispatches=DISPATCHES)
        self.platform.start()
        self.plugin = None

    def tearDown(self):
        if self.plugin is not None:
            status, stderr = self.plugin.close()
            self.assertEqual(status, 0, stderr)
            for secret in PERSONAL + [TOKEN]:
                self.assertNotIn(secret, stderr, "personal data or the token in the plugin's log")
        self.platform.stop()

    def start(self, env=None, versions=(1, 2), **options):
        opts = {"url": self.platform.url + "/", "token_env": "KESU_PROVINCE_TOKEN", "unit_code": UNIT,
                "timeout_seconds": 2}
        opts.update(options)
        self.plugin = Plugin(PLUGIN_DIR, {"KESU_PROVINCE_TOKEN": TOKEN} if env is None else env)
        return self.plugin.call("initialize", {"protocolVersions": list(versions),
                                               "host": {"name": "kesu", "version": "0.1.0"}, "options": opts})

    def started(self, **options):
        answer = self.start(**options)
        self.assertIn("result", answer, answer)
        return self.plugin

    def api(self, method=None, action=None):
        """The platform API requests the plugin made (no control calls), optionally one method / one action."""
        rs = self.platform.requests()
        if method:
            rs = [r for r in rs if r["method"] == method]
        if action:
            rs = [r for r in rs if r["path"].endswith("/" + action)]
        return rs

    # --- handshake ------------------------------------------------------------------------------------------------

    def test_handshake_announces_a_source_and_an_event_channel(self):
        answer = self.start()
        self.assertEqual(answer["result"], {"protocolVersion": 2, "capabilities": {"poll": True, "event": True},
                                            "plugin": {"id": "provincial-center", "version": "1.0.0"}})
        with open(os.path.join(PLUGIN_DIR, "plugin.yaml"), encoding="utf-8") as f:
            manifest = f.read()
        self.assertRegex(manifest, r"(?m)^id: provincial-center$")
        self.assertRegex(manifest, r"(?m)^kind: \[source, notifier\]$")
        self.assertRegex(manifest, r"(?m)^protocol: \[2\]$")
        self.assertIn("KESU_PROVINCE_TOKEN", manifest_env())

    def test_a_host_speaking_only_protocol_1_is_refused(self):
        err = self.start(versions=[1])["error"]
        self.assertEqual(err["code"], -32002)
        self.assertIn("[2]", err["message"])
        self.assertEqual(self.plugin.error("health")["code"], -32600)  # not initialized, but alive

    def test_a_token_variable_that_is_not_set_is_named(self):
        err = self.start(env={})["error"]
        self.assertEqual(err["code"], -32602)
        self.assertIn("KESU_PROVINCE_TOKEN", err["message"])
        self.assertEqual(self.api(), [])

    # --- in: poll and ack -----------------------------------------------------------------------------------------

    def test_dispatches_become_items_with_the_case_fields(self):
        items = self.started().result("poll", {"limit": 50})["items"]
        self.assertEqual(items, [
            {"id": "SJ20261013-0001", "fields": {
                "channel": "provincial", "external_ref": "SJ20261013-0001", "subject": "送货不及时",
                "description": "连续两周送货晚到半天以上。", "kind": "complaint", "complainant_name": "张三丰",
                "complainant_phone": "13812345678", "complainant_type": "retailer"}},
            {"id": "SJ20261013-0002", "fields": {
                "channel": "provincial", "external_ref": "SJ20261013-0002", "subject": "办证流程",
                "description": "想了解许可证延续需要的材料。", "kind": "inquiry", "complainant_name": "李四光",
                "complainant_phone": "13987654321", "complainant_type": "grower"}},
            # empty fields left out; an unknown customer type passes through for the pack to judge
            {"id": "SJ20261013-0003", "fields": {
                "channel": "provincial", "external_ref": "SJ20261013-0003", "subject": "Opening hours",
                "description": "Please open on Saturdays.", "kind": "suggestion", "complainant_type": "批发商"}},
        ])
        (req,) = self.api()
        self.assertEqual((req["method"], req["path"], req["query"]),
                         ("GET", "/api/dispatches", {"status": "new", "limit": "50"}))
        self.assertEqual(req["headers"].get("Authorization"), "Bearer " + TOKEN)

    def test_poll_asks_for_no_more_than_the_host_takes(self):
        items = self.started().result("poll", {"limit": 2})["items"]
        self.assertEqual([i["id"] for i in items], ["SJ20261013-0001", "SJ20261013-0002"])
        self.assertEqual(self.api()[0]["query"]["limit"], "2")

    def test_ack_sends_receipts_and_rejections_and_the_platform_stops_offering_them(self):
        plugin = self.started()
        plugin.result("poll", {"limit": 50})
        refusal = "field 'complainant_type' must be one of retailer, consumer, grower, manufacturer"
        self.assertEqual(plugin.result("ack", {"items": [
            {"id": "SJ20261013-0001", "case": "YC-2026-000001", "created": True},
            {"id": "SJ20261013-0002", "case": "YC-2026-000002", "created": False},
            {"id": "SJ20261013-0003", "refused": refusal}]}), {"ok": True})
        receipts = self.api("POST", "receipt")
        self.assertEqual([(r["path"], r["body"]) for r in receipts], [
            ("/api/dispatches/SJ20261013-0001/receipt", {"case_no": "YC-2026-000001", "unit_code": UNIT}),
            ("/api/dispatches/SJ20261013-0002/receipt", {"case_no": "YC-2026-000002", "unit_code": UNIT})])
        (reject,) = self.api("POST", "reject")
        self.assertEqual((reject["path"], reject["body"]), ("/api/dispatches/SJ20261013-0003/reject", {"reason": refusal}))
        self.assertTrue(all(r["headers"].get("Authorization") == "Bearer " + TOKEN for r in self.api()))
        state = self.platform.dispatches()
        self.assertEqual({no: (o["status"], o["case_no"]) for no, o in state.items()}, {
            "SJ20261013-0001": ("received", "YC-2026-000001"), "SJ20261013-0002": ("received", "YC-2026-000002"),
            "SJ20261013-0003": ("rejected", None)})
        self.assertEqual(plugin.result("poll", {"limit": 50}), {"items": []})

    def test_a_failed_receipt_is_an_error_and_the_next_poll_and_ack_complete_it(self):
        plugin = self.started()
        plugin.result("poll", {"limit": 50})
        self.platform.fail(times=1, status=503)
        err = plugin.error("ack", {"items": [{"id": "SJ20261013-0001", "case": "YC-2026-000001", "created": True},
                                             {"id": "SJ20261013-0002", "case": "YC-2026-000002", "created": True}]})
        self.assertEqual(err["code"], -32010)
        self.assertIn("SJ20261013-0001", err["message"])
        self.assertIn("HTTP 503", err["message"])
        # the platform still offers the one whose receipt failed; the host registers it again (same case) and acks
        items = plugin.result("poll", {"limit": 50})["items"]
        self.assertEqual([i["id"] for i in items], ["SJ20261013-0001", "SJ20261013-0003"])
        self.assertEqual(plugin.result("ack", {"items": [
            {"id": "SJ20261013-0001", "case": "YC-2026-000001", "created": False}]}), {"ok": True})
        self.assertEqual(self.platform.dispatches()["SJ20261013-0001"]["status"], "received")

    def test_no_unit_code_means_no_dispatches_are_taken(self):
        err = self.started(unit_code="").error("poll", {"limit": 50})
        self.assertEqual(err["code"], -32602)
        self.assertIn("unit_code", err["message"])
        self.assertEqual(self.api(), [])

    def test_the_conformance_kits_calls_take_nothing_and_send_nothing(self):
        # `kesu plugins check`: poll with limit 0, ack of nothing, the sample event (a registered test case)
        plugin = self.started(unit_code="")
        self.assertEqual(plugin.result("poll", {"limit": 0}), {"items": []})
        self.assertEqual(plugin.result("ack", {"items": []}), {"ok": True})
        kit = dict(answered_event(case="KIT-0001", seq=1, channel="test", order=None), type="case.registered",
                   data={"state": "registered", "fields": {}})
        self.assertEqual(plugin.result("event", {"event": kit, "delivery": 1, "test": True}), {"delivered": True})
        self.assertEqual(self.api(), [])
        self.assertEqual(self.platform.dispatches()["SJ20261013-0001"]["status"], "new")

    def test_an_unreachable_platform_is_an_error_for_poll(self):
        err = self.started(url="http://127.0.0.1:%d" % free_port()).error("poll", {"limit": 50})
        self.assertEqual(err["code"], -32011)

    # --- out: event -----------------------------------------------------------------------------------------------

    def test_case_answered_posts_the_four_elements_once(self):
        plugin = self.started()
        ev = answered_event()
        self.assertEqual(plugin.result("event", {"event": ev, "delivery": 41}), {"delivered": True})
        expected = {"request_id": "YC-2026-000001:7", "case_no": "YC-2026-000001", "handled_by": "王红",
                    "handled_at": "2026-10-12T09:00", "process": "核实配送线路，调整送货时段。",
                    "result": "已调整为每周二上午送达，客户表示满意。", "late": False,
                    "answered_at": "2026-10-13T02:00:00Z"}
        (post,) = self.api("POST", "result")
        self.assertEqual(post["path"], "/api/dispatches/SJ20261013-0001/result")
        self.assertEqual(post["body"], expected)
        self.assertEqual(post["headers"].get("Authorization"), "Bearer " + TOKEN)
        self.assertEqual(self.platform.results(), {"SJ20261013-0001": expected})
        # the outbox delivers it again (a lost answer): the platform sees the same request id and keeps one result
        self.assertEqual(plugin.result("event", {"event": ev, "delivery": 41}), {"delivered": True})
        self.assertEqual([r["body"]["request_id"] for r in self.api("POST", "result")], ["YC-2026-000001:7"] * 2)
        self.assertEqual(self.platform.results(), {"SJ20261013-0001": expected})

    def test_a_late_answer_says_so(self):
        ev = answered_event()
        ev["data"]["late"] = True
        self.started().result("event", {"event": ev, "delivery": 3})
        self.assertIs(self.platform.results()["SJ20261013-0001"]["late"], True)

    def test_a_second_answer_of_the_same_order_leaves_the_first_result(self):
        plugin = self.started()
        plugin.result("event", {"event": answered_event(seq=7), "delivery": 41})
        again = answered_event(seq=12, result="二次答复")
        self.assertEqual(plugin.result("event", {"event": again, "delivery": 57}), {"delivered": True})
        self.assertEqual(self.platform.results()["SJ20261013-0001"]["request_id"], "YC-2026-000001:7")
        self.assertEqual([r["status"] for r in self.api("POST", "result")], [200, 409])

    def test_a_platform_failure_is_an_error_and_the_next_delivery_succeeds(self):
        plugin = self.started()
        ev = answered_event()
        self.platform.fail(times=1, status=503)
        err = plugin.error("event", {"event": ev, "delivery": 41})
        self.assertEqual(err["code"], -32010)
        self.assertIn("503", err["message"])
        self.assertEqual(self.platform.results(), {})
        self.assertEqual(plugin.result("event", {"event": ev, "delivery": 41}), {"delivered": True})
        self.assertEqual(self.platform.results()["SJ20261013-0001"]["request_id"], ev["id"])

    def test_a_platform_that_does_not_answer_in_time_is_an_error_and_the_next_delivery_succeeds(self):
        plugin = self.started(timeout_seconds=0.5)
        ev = answered_event()
        self.platform.fail(times=1, status=None, delay_seconds=1.5)
        err = plugin.error("event", {"event": ev, "delivery": 41})
        self.assertEqual(err["code"], -32011)
        self.assertEqual(plugin.result("event", {"event": ev, "delivery": 41}), {"delivered": True})
        # the slow request may have landed too: either way the platform keeps one result
        self.assertEqual(list(self.platform.results()), ["SJ20261013-0001"])

    def test_a_wrong_token_is_an_error(self):
        err = self.started(env={"KESU_PROVINCE_TOKEN": "wrong"}).error("event", {"event": answered_event(),
                                                                                 "delivery": 1})
        self.assertEqual(err["code"], -32010)
        self.assertIn("401", err["message"])
        self.assertNotIn("wrong", err["message"])

    def test_events_of_other_cases_and_types_send_nothing(self):
        plugin = self.started()
        hotline = answered_event(channel="hotline", order=None)
        hotline_with_ref = answered_event(seq=8, channel="hotline")
        no_ref = answered_event(seq=9, order=None)
        registered = dict(answered_event(seq=1), type="case.registered", data={"state": "registered", "fields": {}})
        reminded = dict(answered_event(seq=3), type="case.reminded", data={"clock": "answer", "run": 1, "step": 1})
        for ev in (hotline, hotline_with_ref, no_ref, registered, reminded):
            self.assertEqual(plugin.result("event", {"event": ev, "delivery": 5}), {"delivered": True})
        self.assertEqual(self.api(), [])

    def test_an_incomplete_result_is_not_sent(self):
        err = self.started().error("event", {"event": answered_event(process="", handled_by=None), "delivery": 2})
        self.assertEqual(err["code"], -32013)
        self.assertIn("handled_by, process", err["message"])
        self.assertEqual(self.api(), [])

    def test_a_test_event_is_checked_but_sends_nothing(self):
        plugin = self.started()
        kit = answered_event(case="KIT-0001", seq=1)
        self.assertEqual(plugin.result("event", {"event": kit, "delivery": 0, "test": True}), {"delivered": True})
        self.assertEqual(plugin.error("event", {"event": {"type": "case.answered"}, "delivery": 0, "test": True})["code"],
                         -32602)
        self.assertEqual(self.api(), [])

    # --- health and the rest --------------------------------------------------------------------------------------

    def test_health_asks_the_platform(self):
        plugin = self.started()
        self.assertEqual(plugin.result("health"), {"ok": True})
        (ping,) = self.api()
        self.assertEqual((ping["method"], ping["path"]), ("GET", "/api/ping"))
        self.platform.fail(times=1, status=500)
        self.assertEqual(plugin.error("health")["code"], -32010)
        self.assertEqual(plugin.result("health"), {"ok": True})

    def test_an_unknown_method_is_refused_and_the_plugin_keeps_running(self):
        plugin = self.started()
        self.assertEqual(plugin.error("notify", {"notification": {"text": "x"}})["code"], -32601)
        self.assertEqual(plugin.result("health"), {"ok": True})


if __name__ == "__main__":
    unittest.main()
