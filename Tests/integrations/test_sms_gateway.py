"""plugins/sms-gateway against the fake SMS gateway, spoken to exactly as the host does (the harness is
test_provincial_center's `Plugin`): one JSON-RPC object per line, only the variables its plugin.yaml lists.

    cd Tests/integrations && python3 -m unittest -v test_sms_gateway
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_provincial_center as harness  # noqa: E402  (the Plugin harness; its tests are not collected here)
from fake_sms_gateway import FakeSmsGateway  # noqa: E402

PLUGIN_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "plugins", "sms-gateway"))
TOKEN = "sms-secret-token"
PHONE = "13812345678"
SIGNATURE = "州烟草专卖局"
RESULT = "已调整为每周二上午送达，客户表示满意"
# however it might be printed: plain, with +86, masked only in the middle
PHONE_FORMS = [PHONE, "+86" + PHONE, "138 1234 5678", "12345678", "8123456"]


def case_event(type_, seq, case="YC-2026-000001", phone=PHONE, data=None, **fields):
    f = {"channel": "hotline", "kind": "complaint", "description": "送货晚了", "complainant_name": "张三丰",
         "complainant_phone": phone}
    f.update(fields)
    f = {k: v for k, v in f.items() if v is not None}
    return {"version": 1, "id": "%s:%d" % (case, seq), "type": type_, "seq": seq, "at": "2026-10-13T02:00:00Z",
            "actor": "wang_hong", "rule": None,
            "case": {"number": case, "state": "registered", "handling_unit": "logistics_center",
                     "opened_at": "2026-10-10T01:30:00Z", "pack_version": "5d1c", "fields": f},
            "data": data or {}}


def registered(**kw):
    return case_event("case.registered", 1, data={"state": "registered", "fields": {}}, **kw)


def answered(**kw):
    kw.setdefault("result", RESULT)
    return case_event("case.answered", 7, data={"clock": "answer", "run": 1, "late": False},
                      handled_by="王红", handled_at="2026-10-12T09:00", process="核实并调整送货时段", **kw)


class SmsGatewayTests(unittest.TestCase):
    def setUp(self):
        self.gateway = FakeSmsGateway(token=TOKEN)
        self.gateway.start()
        self.plugin = None
        self.plugins = []

    def tearDown(self):
        for plugin in self.plugins:  # every plugin this test started, restarted ones too
            status, stderr = plugin.close()
            self.assertEqual(status, 0, stderr)
            for secret in PHONE_FORMS + [TOKEN, "张三丰"]:
                self.assertNotIn(secret, stderr, "a phone number, a name or the token in the plugin's log")
        self.gateway.stop()

    def start(self, env=None, versions=(1, 2), **options):
        opts = {"url": self.gateway.send_url, "token_env": "KESU_SMS_TOKEN", "signature": SIGNATURE,
                "timeout_seconds": 2}
        opts.update(options)
        self.plugin = harness.Plugin(PLUGIN_DIR, {"KESU_SMS_TOKEN": TOKEN} if env is None else env)
        self.plugins.append(self.plugin)
        return self.plugin.call("initialize", {"protocolVersions": list(versions),
                                               "host": {"name": "kesu", "version": "0.1.0"}, "options": opts})

    def started(self, **options):
        answer = self.start(**options)
        self.assertIn("result", answer, answer)
        return self.plugin

    def deliver(self, ev, delivery=41, **extra):
        return self.plugin.call("event", dict({"event": ev, "delivery": delivery}, **extra))

    # --- handshake ------------------------------------------------------------------------------------------------

    def test_handshake_announces_an_event_channel_only(self):
        self.assertEqual(self.start()["result"], {"protocolVersion": 2, "capabilities": {"event": True},
                                                  "plugin": {"id": "sms-gateway", "version": "1.0.0"}})
        self.assertIn("KESU_SMS_TOKEN", harness.manifest_env(PLUGIN_DIR))

    def test_a_host_speaking_only_protocol_1_is_refused(self):
        err = self.start(versions=[1])["error"]
        self.assertEqual(err["code"], -32002)

    def test_a_template_with_an_unknown_placeholder_is_refused_at_start(self):
        err = self.start(registered_text="【{signature}】{case} {result}")["error"]
        self.assertEqual(err["code"], -32602)
        self.assertIn("registered_text", err["message"])
        self.assertIn("{result}", err["message"])

    def test_a_signature_is_required(self):
        self.assertEqual(self.start(signature="")["error"]["code"], -32602)

    # --- what is sent ---------------------------------------------------------------------------------------------

    def test_registered_texts_the_case_number_to_the_complainant(self):
        self.started()
        self.assertEqual(self.deliver(registered())["result"], {"delivered": True})
        (msg,) = self.gateway.delivered()
        self.assertEqual(msg, {"to": PHONE, "request_id": "YC-2026-000001:1",
                               "text": "【州烟草专卖局】您反映的问题已受理，受理编号YC-2026-000001，我们将尽快处理。"})
        (req,) = self.gateway.requests()
        self.assertEqual((req["method"], req["path"]), ("POST", "/sms/send"))
        self.assertEqual(req["headers"].get("Authorization"), "Bearer " + TOKEN)

    def test_answered_texts_the_result(self):
        self.started()
        self.assertEqual(self.deliver(answered())["result"], {"delivered": True})
        (msg,) = self.gateway.delivered()
        self.assertIn("YC-2026-000001", msg["text"])
        self.assertIn(RESULT, msg["text"])
        self.assertTrue(msg["text"].startswith("【州烟草专卖局】"))

    def test_templates_come_from_the_options(self):
        self.started(registered_text="{signature}：{case}已受理", answered_text="{case}办结：{result}")
        self.deliver(registered())
        self.deliver(answered())
        self.assertEqual([m["text"] for m in self.gateway.delivered()],
                         ["州烟草专卖局：YC-2026-000001已受理", "YC-2026-000001办结：" + RESULT])

    def test_closed_is_texted_only_when_configured(self):
        closed = case_event("case.closed", 9, data={"state": "closed"}, result=RESULT)
        self.started()
        self.assertEqual(self.deliver(closed)["result"], {"delivered": True})
        self.assertEqual(self.gateway.requests(), [])
        self.plugin.close()
        self.started(closed_text="【{signature}】受理编号{case}的问题已办结归档。")
        self.deliver(closed)
        self.assertEqual([m["text"] for m in self.gateway.delivered()],
                         ["【州烟草专卖局】受理编号YC-2026-000001的问题已办结归档。"])

    def test_other_events_text_nobody(self):
        self.started()
        routed = case_event("case.routed", 2, data={"unit": "logistics_center", "reason": "rule"})
        reminded = case_event("case.reminded", 3, data={"clock": "answer", "run": 1, "step": 1})
        for ev in (routed, reminded):
            self.assertEqual(self.deliver(ev)["result"], {"delivered": True})
        self.assertEqual(self.gateway.requests(), [])

    def test_masked_missing_or_landline_phones_send_nothing(self):
        self.started()
        for phone in ("138****5678", None, "", "0871-6543210"):
            self.assertEqual(self.deliver(registered(phone=phone))["result"], {"delivered": True}, phone)
        self.assertEqual(self.gateway.requests(), [])
        _, stderr = self.plugin.close()
        self.assertEqual(stderr.count("no phone for YC-2026-000001"), 4, stderr)
        self.assertIn("personal_data: true", stderr)
        self.assertNotIn("5678", stderr)  # not even the masked number

    def test_phone_written_with_spaces_or_plus86_is_sent(self):
        self.started()
        self.deliver(registered(phone="+86 138-1234-5678"))
        self.assertEqual(self.gateway.delivered()[0]["to"], "+8613812345678")

    def test_a_repeated_event_is_one_sms(self):
        self.started()
        ev = registered()
        self.assertEqual(self.deliver(ev)["result"], {"delivered": True})
        self.assertEqual(self.deliver(ev)["result"], {"delivered": True})
        self.assertEqual(len(self.gateway.delivered()), 1)
        self.assertEqual([r["body"]["request_id"] for r in self.gateway.requests()], ["YC-2026-000001:1"] * 2)

    def test_answered_without_a_result_is_kept_for_a_retry(self):
        self.started()
        err = self.deliver(answered(result=""))["error"]
        self.assertEqual(err["code"], -32013)
        self.assertIn("result", err["message"])
        self.assertEqual(self.gateway.requests(), [])

    def test_a_test_event_sends_nothing(self):
        self.started()
        kit = registered(case="KIT-0001")
        self.assertEqual(self.deliver(kit, delivery=0, test=True)["result"], {"delivered": True})
        self.assertEqual(self.deliver(answered(), delivery=0, test=True)["result"], {"delivered": True})
        self.assertEqual(self.gateway.requests(), [])

    # --- failures: retried, and the number never shows --------------------------------------------------------------

    def test_a_gateway_failure_is_an_error_without_the_number_and_the_next_delivery_succeeds(self):
        self.started()
        ev = answered()
        self.gateway.fail(times=1, status=503)
        err = self.deliver(ev)["error"]
        self.assertEqual(err["code"], -32010)
        self.assertIn("503", err["message"])
        self.assertIn("YC-2026-000001", err["message"])
        self.gateway.fail(times=1, status=200, body={"ok": False, "error": "invalid number %s" % PHONE})
        err = self.deliver(ev)["error"]
        self.assertEqual(err["code"], -32012)
        self.assertIn("138****5678", err["message"])
        for form in PHONE_FORMS:
            self.assertNotIn(form, err["message"])
        self.assertEqual(self.gateway.delivered(), [])
        self.assertEqual(self.deliver(ev)["result"], {"delivered": True})
        self.assertEqual(len(self.gateway.delivered()), 1)

    def test_a_slow_or_unreachable_gateway_is_an_error(self):
        self.started(timeout_seconds=0.5)
        self.gateway.fail(times=1, status=503, delay_seconds=1.5)
        self.assertEqual(self.deliver(registered())["error"]["code"], -32011)
        self.plugin.close()
        self.started(url="http://127.0.0.1:%d/sms/send" % harness.free_port())
        err = self.deliver(registered())["error"]
        self.assertEqual(err["code"], -32011)
        self.assertNotIn(PHONE, err["message"])

    def test_a_wrong_token_is_an_error(self):
        self.started(env={"KESU_SMS_TOKEN": "wrong"})
        err = self.deliver(registered())["error"]
        self.assertEqual(err["code"], -32010)
        self.assertIn("401", err["message"])
        self.assertEqual(self.gateway.delivered(), [])

    def test_health(self):
        self.assertEqual(self.started().result("health"), {"ok": True})
        self.assertEqual(self.plugin.error("notify", {"notification": {"text": "staff only"}})["code"], -32601)


if __name__ == "__main__":
    unittest.main()
