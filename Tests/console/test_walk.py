"""A complaint's whole life in the console, as the people of the tobacco-prefecture pack do it in a browser:
setup by the administrator, logins made on /console/logins, then intake → approval and dispatch →
acceptance → the four elements with an attachment → unit review → unsatisfied callback → re-dispatch →
close. Each step checks what that person sees (whole or masked phone, which actions are offered, which posts
are refused) and every page passes axe without a serious or critical violation. Ends with wapiti against
the console, signed in.

Steps are numbered and share one server; a step whose earlier steps failed is skipped, so the first failure
is the one to read.
"""
import datetime
import functools
import json
import os
import shutil
import subprocess
import time
import unittest
import urllib.parse
from pathlib import Path

from kesu_console import ARTIFACTS, PASSWORD, STATE, Console, KesuServer, request, run_wapiti

PEOPLE = {  # login name = person id; the five people of the walk, plus the administrator
    "wu_jing": "吴静", "zhao_min": "赵敏", "qian_jin": "钱进", "li_na": "李娜", "wang_lei": "王磊",
    "chen_gang": "陈刚",
}
PHONE = "13812345678"
MASKED = "138****5678"
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
ATTACHMENT = ("four-elements.txt", "处理反馈表：经手人员王磊，现场核实货源情况。\n".encode("utf-8"))


def step(*needs):
    """A step of the walk: skipped (with the reason) when a step it builds on did not pass."""
    def deco(f):
        @functools.wraps(f)
        def run(self):
            missing = [n for n in needs if n not in Walk.passed]
            if missing:
                self.skipTest(f"needs {', '.join(missing)}, which did not pass")
            f(self)
            Walk.passed.add(f.__name__.split("_", 2)[2])
        return run
    return deco


class Walk(unittest.TestCase):
    passed = set()
    case = county_case = xss_case = None

    @classmethod
    def setUpClass(cls):
        cls.server = KesuServer("walk").start()
        try:
            cls.c = Console(cls.server, "walk")
        except Exception:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        report = cls.c.violation_report()
        (ARTIFACTS / "axe-walk.txt").write_text(report or "no serious or critical violations\n", encoding="utf-8")
        cls.c.quit()
        cls.server.stop()

    # -- helpers ------------------------------------------------------------------------------------------

    @property
    def b(self):
        return self.c

    def as_person(self, person):
        self.b.sign_in(person)
        self.assertFalse(self.b.path.startswith("/console/login"),
                         f"{person} could not sign in: still on {self.b.path} ({self._error_text()})")
        self.assertIn(PEOPLE[person], self.b.text("#whoami"))

    def _error_text(self):
        return "; ".join(e.text for e in self.b.all(".error")) or "no .error shown"

    def open_case(self, number, name=None, **check):
        self.b.get(f"/console/cases/{urllib.parse.quote(number)}")
        self.assertEqual(self.b.text("#case-number"), number)
        if name:
            self.b.check(name, **check)

    def state(self):
        return self.b.text("#case-state")

    def offered(self, transition):
        return self.b.has(f"a.transition[data-transition='{transition}']")

    def take(self, transition, values, name=None, **check):
        """Follows the transition's link from the case page, fills #act and sends it; back on the case page."""
        number = self.b.text("#case-number")
        links = self.b.all(f"a.transition[data-transition='{transition}']")
        self.assertTrue(links, f"{transition} is not offered on case {number} (offered: {self.offered_ids()})")
        links[0].click()
        self.assertTrue(self.b.has("form#act"), f"no form#act on {self.b.path}")
        self.assertTrue(self.b.has("form#act input[name=expected_version]"))
        if name:
            self.b.check(name, **check)
        self.b.send("form#act", values() if callable(values) else values)
        self.assertTrue(self.b.path.startswith("/console/cases/") and "/act/" not in self.b.path,
                        f"{transition} was not taken: now on {self.b.path} ({self._error_text()})")
        self.assertEqual(self.b.text("#case-number"), number)

    def offered_ids(self):
        return [a.get_attribute("data-transition") for a in self.b.all("a.transition")]

    def field(self, field_id):
        return self.b.text(f"#field-{field_id}")

    def post_as_browser(self, path, data, files=None):
        return request("POST", self.b.url(path), data, cookies=self.b.cookies(), files=files)

    def get_as_browser(self, path):
        return request("GET", self.b.url(path), cookies=self.b.cookies())

    def intake(self, values, name=None, **check):
        self.b.get("/console/intake")
        if name:
            self.b.check(name, **check)
        self.b.send("form#intake", values)
        path = self.b.path
        self.assertTrue(path.startswith("/console/cases/"), f"intake did not open the new case: on {path} "
                                                            f"({self._error_text()})")
        return urllib.parse.unquote(path.split("/")[3].split("?")[0])

    def now_for(self, form_css, name):
        kind = self.b.one(f"{form_css} [name={name}]").get_attribute("type")
        now = datetime.datetime.now()
        return now.strftime("%Y-%m-%dT%H:%M") if kind == "datetime-local" else now.strftime("%Y-%m-%d %H:%M")

    def answer(self, name=None, **check):
        def values():
            v = {"handled_by": "王磊", "handled_at": self.now_for("form#act", "handled_at"),
                 "process": "电话联系客户并上门核实，协调送货线路补货。", "result": "已补货，客户表示认可。"}
            if self.b.has("form#act [name=fault]"):
                v["fault"] = "ours"
            return v
        self.take("answer", values, name, **check)

    # -- the walk -----------------------------------------------------------------------------------------

    @step()
    def test_01_signed_out_visitors_are_sent_to_sign_in(self):
        status, headers, _ = request("GET", self.b.url("/"))
        self.assertIn(status, (301, 302, 303, 307, 308))
        self.assertTrue(headers["Location"].endswith("/console/"), headers["Location"])
        status, headers, _ = request("GET", self.b.url("/console/"))
        self.assertEqual(status, 303)
        self.assertTrue(urllib.parse.urlsplit(headers["Location"]).path == "/console/login", headers["Location"])
        self.assertIn("next=", headers["Location"])

    @step()
    def test_02_setup_as_administrator(self):
        self.b.get(self.server.setup_path)
        self.b.check("setup", landmarks=True, docs=True)
        self.b.send("form:has(#submit)", {"person": "wu_jing", "username": "wu_jing", "password": PASSWORD,
                                           "password_confirm": PASSWORD})
        self.assertEqual(self.b.page, "/console/logins", self._error_text())
        self.assertIn("吴静", self.b.text("#whoami"))
        # The link works once.
        status, _, body = request("GET", self.b.url(self.server.setup_path))
        self.assertFalse(status == 200 and b"password_confirm" in body, "the setup link still offers the form")

    @step("setup_as_administrator")
    def test_03_administrator_creates_the_logins(self):
        self.b.get("/console/logins")
        self.b.check("logins", docs=True)
        for person in ["zhao_min", "qian_jin", "li_na", "wang_lei", "chen_gang"]:
            self.assertTrue(self.b.has(f"#logins tr[data-person='{person}']"), person)
            self.b.send(f"form.create-login[data-person='{person}']", {"username": person, "password": PASSWORD})
            self.assertEqual(self.b.page, "/console/logins", self._error_text())
            self.assertFalse(self.b.has(f"form.create-login[data-person='{person}']"),
                             f"{person} still has a create form after the login was made")
        self.b.check("logins-made")

    @step("administrator_creates_the_logins")
    def test_04_sign_in_page_and_wrong_password(self):
        self.b.sign_out()
        self.assertTrue(self.b.path.startswith("/console/login"), self.b.path)
        self.b.check("login", landmarks=True, docs=True, phone=True)
        self.b.send("form:has(input[name=password])", {"username": "zhao_min", "password": "not-the-password"})
        self.assertTrue(self.b.path.startswith("/console/login"))
        self.assertTrue(self.b.has(".error[role=alert]"), "a wrong password shows no .error[role=alert]")
        self.b.check("login-wrong-password")

    @step("administrator_creates_the_logins")
    def test_05_clerk_registers_a_complaint(self):
        self.as_person("zhao_min")
        self.assertEqual(self.b.page, "/console/")
        self.b.check("queue-empty")
        Walk.case = self.intake({
            "channel": "phone", "kind": "complaint", "complainant_type": "retailer",
            "description": "客户经理两周未上门拜访，电话订货一直占线，货源紧张。",
            "category": "marketing_service", "level": "general", "complainant_name": "刘女士",
            "complainant_phone": PHONE, "region": "city"}, "intake", docs=True, phone=True)
        self.assertEqual(self.state(), STATE["registered"])
        self.assertIn(PHONE, self.field("complainant_phone"))
        self.assertTrue(self.offered("substantiate"))
        self.assertFalse(self.offered("approve_dispatch"))
        self.assertTrue(self.b.all("#timeline li"))
        self.b.check("case-registered", docs=True, phone=True)

    @step("clerk_registers_a_complaint")
    def test_06_posts_without_the_token_are_refused(self):
        form = {"channel": "phone", "kind": "complaint", "complainant_type": "retailer", "description": "无令牌"}
        status, _, body = self.post_as_browser("/console/intake", form)
        self.assertEqual(status, 403, "an intake post without csrf was not refused")
        self.assertIn("请求无效", body.decode("utf-8", "replace"))
        status, _, _ = self.post_as_browser("/console/intake", {**form, "csrf": "forged"})
        self.assertEqual(status, 403, "an intake post with a forged csrf was not refused")
        # The same post with the page's token is accepted: the refusals were the token's doing.
        status, headers, _ = self.post_as_browser("/console/intake", {**form, "description": "有令牌",
                                                                      "csrf": self.b.csrf()})
        self.assertEqual(status, 303, headers)

    @step("clerk_registers_a_complaint")
    def test_07_clerk_substantiates(self):
        self.open_case(self.case)
        self.take("substantiate", {"substantiated": "yes", "category": "marketing_service", "level": "general"},
                  "act-substantiate", docs=True)
        self.assertEqual(self.state(), STATE["awaiting_approval"])
        # The clerk may not approve: no link, and the post is refused.
        self.assertFalse(self.offered("approve_dispatch"))
        status, _, _ = self.post_as_browser(f"/console/cases/{self.case}/act/approve_dispatch",
                                            {"csrf": self.b.csrf(), "expected_version": "2",
                                             "handling_unit": "marketing_center"})
        self.assertEqual(status, 403, "the clerk's approve_dispatch post was not refused")
        self.assertEqual(self.state(), STATE["awaiting_approval"])

    @step("clerk_substantiates")
    def test_08_same_caller_again_shows_the_repeat_hint(self):
        Walk.county_case = self.intake({
            "channel": "phone", "kind": "complaint", "complainant_type": "retailer",
            "description": "甲县客户经理服务态度差。", "category": "marketing_service", "level": "general",
            "complainant_name": "刘女士", "complainant_phone": PHONE, "region": "county_a"})
        self.assertTrue(self.b.has("#repeat-callers"), "no #repeat-callers for a second call from the same phone")
        self.assertIn(self.case, self.b.text("#repeat-callers"))
        self.b.check("case-repeat-caller")

    @step("clerk_substantiates")
    def test_09_center_head_approves_and_dispatches(self):
        self.as_person("qian_jin")
        self.b.get("/console/approvals")
        self.b.check("approvals", docs=True)
        row = self.b.all(f"#queue tr[data-case='{self.case}']")
        self.assertTrue(row, f"case {self.case} is not in the approvals queue")
        self.b.one("a", row[0]).click()
        self.assertEqual(self.b.text("#case-number"), self.case)
        self.assertIn(PHONE, self.field("complainant_phone"))
        self.take("approve_dispatch", {"handling_unit": "marketing_center", "review_comment": "同意，请营销中心处理。"},
                  "act-approve-dispatch")
        self.assertEqual(self.state(), STATE["dispatched"])
        self.b.get("/console/supervision")
        self.assertTrue(self.b.has("#by-unit"))
        # The dashboard's counts: the dispatched case under its unit, its state, and the total of open cases.
        by_state = {self.b.one("th", r).text.strip(): [c.text.strip() for c in self.b.all("td", r)]
                    for r in self.b.all("#by-state tbody tr")}
        self.assertIn(STATE["dispatched"], by_state, f"no row for {STATE['dispatched']} in #by-state: {by_state}")
        self.assertGreaterEqual(int(by_state[STATE["dispatched"]][2]), 1)
        total = [c.text.strip() for c in self.b.all("#by-unit tfoot td")]
        self.assertEqual(int(total[2]), sum(int(v[2]) for v in by_state.values()), "the total of open cases is the sum by state")
        self.b.check("supervision", docs=True)

    @step("center_head_approves_and_dispatches")
    def test_10_liaison_sees_the_phone_masked_and_accepts(self):
        self.as_person("li_na")
        self.b.check("queue-liaison", docs=True, phone=True)
        self.assertTrue(self.b.has(f"#queue tr[data-case='{self.case}']"), f"{self.case} is not in li_na's queue")
        self.open_case(self.case, "case-liaison")
        phone = self.field("complainant_phone")
        self.assertIn(MASKED, phone)
        self.assertNotIn(PHONE, self.b.driver.page_source)
        self.assertFalse(self.b.has("#repeat-callers"))
        self.assertFalse(self.offered("transfer"))
        self.take("accept", {"assignee": "wang_lei"}, "act-accept", docs=True)
        self.assertEqual(self.state(), STATE["in_progress"])

    @step("liaison_sees_the_phone_masked_and_accepts")
    def test_11_liaison_sees_only_her_unit(self):
        status, _, _ = self.get_as_browser(f"/console/cases/{self.county_case}")
        self.assertEqual(status, 403, f"li_na (marketing_center) could open {self.county_case} of county_a")
        self.b.get(f"/console/cases/{self.county_case}")
        self.assertFalse(self.b.has("#case-number"))
        self.b.check("forbidden")
        self.b.get("/console/?scope=unit")
        self.assertFalse(self.b.has(f"#queue tr[data-case='{self.county_case}']"))

    @step("liaison_sees_the_phone_masked_and_accepts")
    def test_12_handler_attaches_a_file(self):
        self.as_person("wang_lei")
        self.open_case(self.case)
        self.assertIn(PHONE, self.field("complainant_phone"))
        path = ARTIFACTS / ATTACHMENT[0]
        path.write_bytes(ATTACHMENT[1])
        self.b.send("form#upload", {"file": str(path)})
        self.assertTrue(self.b.has("#case-number"), f"the upload did not lead back to the case: {self.b.path}")
        self.assertEqual(self.b.text("#case-number"), self.case, self._error_text())
        links = self.b.all("#attachments a.attachment")
        self.assertTrue(links, "no a.attachment after the upload")
        self.assertIn(ATTACHMENT[0], links[0].text)
        href = urllib.parse.urlsplit(links[0].get_attribute("href")).path
        status, headers, body = self.get_as_browser(href)
        self.assertEqual(status, 200)
        self.assertTrue((headers["Content-Disposition"] or "").startswith("attachment"), headers)
        self.assertEqual(body, ATTACHMENT[1])
        self.b.check("case-handler", docs=True)

    @step("liaison_sees_the_phone_masked_and_accepts")
    def test_13_handler_answers_the_four_elements(self):
        self.as_person("wang_lei")
        self.open_case(self.case)
        self.assertIn(PHONE, self.field("complainant_phone"))
        self.answer("act-answer", docs=True, phone=True)
        self.assertEqual(self.state(), STATE["answer_review"])

    @step("handler_answers_the_four_elements")
    def test_14_handler_may_not_approve_his_answer(self):
        self.assertFalse(self.offered("approve_answer"))
        status, _, _ = self.post_as_browser(f"/console/cases/{self.case}/act/approve_answer",
                                            {"csrf": self.b.csrf(), "expected_version": "5"})
        self.assertEqual(status, 403, "the handler's approve_answer post was not refused")

    @step("handler_answers_the_four_elements")
    def test_15_unit_head_reviews_the_answer(self):
        self.as_person("chen_gang")
        self.open_case(self.case, "case-unit-head")
        self.assertIn(MASKED, self.field("complainant_phone"))
        self.assertNotIn(PHONE, self.b.driver.page_source)
        for f in ["handled_by", "process", "result"]:
            self.assertTrue(self.b.has(f"#field-{f}"), f"the four elements' {f} is not shown")
        if "handler_attaches_a_file" in Walk.passed:  # that step reports its own failure
            link = self.b.one("#attachments a.attachment")
            status, headers, body = self.get_as_browser(urllib.parse.urlsplit(link.get_attribute("href")).path)
            self.assertEqual((status, body), (200, ATTACHMENT[1]))
        self.take("approve_answer", {"review_comment": "四要素齐全，同意。"}, "act-approve-answer")
        self.assertEqual(self.state(), STATE["callback_pending"])

    @step("unit_head_reviews_the_answer")
    def test_16_unsatisfied_callback(self):
        self.as_person("zhao_min")
        self.b.get("/console/callbacks")
        self.b.check("callbacks", docs=True)
        self.assertTrue(self.b.has(f"#queue tr[data-case='{self.case}']"), "not in the callbacks queue")
        self.open_case(self.case)
        self.assertIn(PHONE, self.field("complainant_phone"))
        self.take("callback", {"satisfaction": "unsatisfied", "callback_note": "客户表示货源仍然紧张。"}, "act-callback")
        self.assertEqual(self.state(), STATE["redispatch_pending"])

    @step("unsatisfied_callback")
    def test_17_redispatch(self):
        values = {"review_comment": "客户不满意，重新派单。"}
        self.take("redispatch", values, "act-redispatch")
        self.assertEqual(self.state(), STATE["dispatched"])

    @step("redispatch")
    def test_18_second_round(self):
        self.as_person("li_na")
        self.open_case(self.case)
        self.take("accept", {"assignee": "wang_lei"})
        self.assertEqual(self.state(), STATE["in_progress"])
        self.as_person("wang_lei")
        self.open_case(self.case)
        self.answer()
        self.assertEqual(self.state(), STATE["answer_review"])
        self.as_person("chen_gang")
        self.open_case(self.case)
        self.take("approve_answer", {"review_comment": "同意。"})
        self.assertEqual(self.state(), STATE["callback_pending"])

    @step("second_round")
    def test_19_satisfied_callback_closes(self):
        self.as_person("zhao_min")
        self.open_case(self.case)
        self.take("callback", {"satisfaction": "satisfied", "callback_note": "客户满意。"})
        self.assertEqual(self.state(), STATE["closed"])
        self.assertEqual(self.offered_ids(), [])
        self.assertGreaterEqual(len(self.b.all("#timeline li")), 12)
        self.b.check("case-closed", docs=True, phone=True)

    @step("administrator_creates_the_logins")
    def test_20_script_in_a_description_stays_text(self):
        self.as_person("zhao_min")
        Walk.xss_case = self.intake({
            "channel": "phone", "kind": "complaint", "complainant_type": "consumer", "description": XSS,
            "category": "marketing_service", "level": "general", "complainant_name": XSS,
            "complainant_phone": "13900001111", "region": "city"})
        time.sleep(0.5)  # the broken image's onerror would fire now
        self.assertIsNone(self.b.alert_text(), "a script in the description ran")
        self.assertEqual(self.b.all("img[src='x']"), [])
        self.assertIn(XSS, self.field("description"))
        self.assertNotIn("<script>alert(1)", self.b.driver.page_source)
        self.b.check("case-xss")
        for path in ["/console/?scope=unit", "/console/?q=" + urllib.parse.quote(XSS), "/console/approvals",
                     "/console/supervision"]:
            self.b.get(path)
            time.sleep(0.3)
            self.assertIsNone(self.b.alert_text(), f"a script ran on {path}")
            self.assertEqual(self.b.all("img[src='x']"), [], path)
        self.as_person("li_na")
        status, _, _ = self.get_as_browser(f"/console/cases/{self.xss_case}")
        if status == 200:
            self.open_case(self.xss_case)
            time.sleep(0.5)
            self.assertIsNone(self.b.alert_text())
            self.assertEqual(self.b.all("img[src='x']"), [])
            self.assertIn("****", self.field("complainant_phone"))

    @step("satisfied_callback_closes")
    def test_30_sign_out(self):
        self.as_person("zhao_min")
        self.b.sign_out()
        self.assertTrue(self.b.path.startswith("/console/login"), self.b.path)
        self.b.get("/console/")
        self.assertTrue(self.b.path.startswith("/console/login"), self.b.path)

    @step("administrator_creates_the_logins")
    def test_90_wapiti_finds_no_xss_csrf_or_injection(self):
        wapiti = shutil.which("wapiti")
        self.assertIsNotNone(wapiti, "wapiti is not installed (apt-get install wapiti)")
        self.as_person("zhao_min")
        found = run_wapiti(self.b, self.server.base, "walk")
        self.assertEqual(found, {}, json.dumps(found, ensure_ascii=False, indent=1)[:4000])
        # The scan was signed in: it reached the pages behind sign-in, and the session is still alive.
        status, _, _ = self.get_as_browser("/console/")
        self.assertEqual(status, 200, "zhao_min's session did not survive the scan")

    def test_99_every_page_passes_axe_and_ran_no_script(self):
        self.assertEqual(self.c.problems, [], "\n".join(self.c.problems))
        self.assertEqual(self.c.violations, [],
                         "axe found serious or critical violations:\n" + self.c.violation_report())


if __name__ == "__main__":
    unittest.main(verbosity=2)
