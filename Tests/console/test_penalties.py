"""处罚 and 报告 in a browser. The store is arranged with the kesu CLI before the server starts (a quarter's
deductions against 杨帆: one important complaint, substantiated and our fault, 4 points in 2026Q4, which the
pack's T1 threshold turns into a recommended 口头警告), and the server runs with its clock pinned after the
quarter (--now). The 主管领导 decides, the notice prints on one A4 page (Chromium's print to PDF, checked with
pdfinfo), the unit head appeals, the leader decides the appeal; the quarterly pages show their charts and print
on A4.
"""
import base64
import functools
import os
import subprocess
import tempfile
import unittest

from kesu_console import ARTIFACTS, PACK, PASSWORD, Console, KesuServer, kesu_binary

NOW = "2027-01-05T09:00:00+08:00"
REF = "2026Q4-person-yang_fan"
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
PEOPLE = {"feng_jianguo": "冯建国", "chen_gang": "陈刚", "qian_jin": "钱进", "li_na": "李娜"}

# (arguments, --now, --as): the CLI test's arrangement (Tests/KesuCLITests/PenaltiesCLITests.swift), plus a
# few cases in 2026Q3 and 2026Q4 so the quarterly report compares two quarters.
STEPS = [
    (["intake", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
      "--field", "category=marketing_service", "--field", "description=客户经理态度差", "--field", "respondent_person=yang_fan"],
     "2026-10-12T10:00:00+08:00", "zhao_min"),
    (["act", "YC-2026-000001", "substantiate", "--field", "substantiated=yes", "--field", "category=marketing_service",
      "--field", "level=important"], "2026-10-12T10:10:00+08:00", "zhao_min"),
    (["act", "YC-2026-000001", "approve_dispatch"], "2026-10-12T11:00:00+08:00", "qian_jin"),
    (["act", "YC-2026-000001", "accept", "--field", "assignee=wang_lei"], "2026-10-12T11:30:00+08:00", "li_na"),
    (["act", "YC-2026-000001", "answer", "--field", "handled_by=王磊", "--field", "handled_at=2026-10-13T11:00:00+08:00",
      "--field", "process=约谈", "--field", "result=已致歉", "--field", "fault=ours"], "2026-10-13T11:30:00+08:00", "wang_lei"),
    (["act", "YC-2026-000001", "approve_answer"], "2026-10-13T15:00:00+08:00", "chen_gang"),
    (["act", "YC-2026-000001", "callback", "--field", "satisfaction=satisfied"], "2026-10-14T10:00:00+08:00", "zhao_min"),
]
for at, category in [("2026-08-11T10:00:00+08:00", "logistics_service"), ("2026-09-15T10:00:00+08:00", "marketing_service"),
                     ("2026-11-03T10:00:00+08:00", "logistics_service")]:
    STEPS.append((["intake", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                   "--field", f"category={category}", "--field", "description=送货晚了"], at, "zhao_min"))


def step(*needs):
    """A step that builds on earlier ones: skipped when one of them did not pass."""
    def deco(f):
        @functools.wraps(f)
        def run(self):
            missing = [n for n in needs if n not in Penalties.passed]
            if missing:
                self.skipTest(f"needs {', '.join(missing)}, which did not pass")
            f(self)
            Penalties.passed.add(f.__name__.split("_", 2)[2])
        return run
    return deco


def pdf_info(path):
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    info = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    return {k.strip(): v.strip() for k, v in info.items()}


def pdf_text(path):
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


class Penalties(unittest.TestCase):
    passed = set()

    @classmethod
    def setUpClass(cls):
        # The store the server will open: its cases made by the CLI first (the server picks the last --db given).
        cls.dir = tempfile.mkdtemp(prefix="kesu-console-penalties-store-")
        cls.db = os.path.join(cls.dir, "kesu.sqlite")
        for args, now, user in STEPS:
            r = subprocess.run([kesu_binary(), *args, "--rules", str(PACK), "--db", cls.db, "--now", now, "--as", user, "--json"],
                               cwd=cls.dir, capture_output=True, text=True, encoding="utf-8")
            if r.returncode != 0:
                raise AssertionError(f"kesu {' '.join(args)} failed: {r.stdout}{r.stderr}")
        cls.server = KesuServer("penalties", "--now", NOW, "--db", cls.db).start()
        try:
            cls.c = Console(cls.server, "penalties")
        except Exception:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        (ARTIFACTS / "axe-penalties.txt").write_text(cls.c.violation_report() or "no serious or critical violations\n",
                                                    encoding="utf-8")
        cls.c.quit()
        cls.server.stop()

    def as_person(self, person):
        self.c.sign_in(person)
        self.assertFalse(self.c.path.startswith("/console/login"), f"{person} could not sign in")
        self.assertIn(PEOPLE[person], self.c.text("#whoami"))

    def print_pdf(self, name):
        """The page as Chromium prints it (its CSS @page size, A4), into the artifacts."""
        pdf = self.c.driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
        path = ARTIFACTS / f"{name}.pdf"
        path.write_bytes(base64.b64decode(pdf["data"]))
        info = pdf_info(path)
        # A4 is 595.276 × 841.89 points; pdfinfo says so, and names it.
        self.assertIn("(A4)", info["Page size"], info["Page size"])
        return path, int(info["Pages"])

    @step()
    def test_01_setup_and_logins(self):
        c = self.c
        c.get(self.server.setup_path)
        c.send("form:has(#submit)", {"person": "wu_jing", "username": "wu_jing", "password": PASSWORD,
                                      "password_confirm": PASSWORD})
        c.get("/console/logins")
        for person in PEOPLE:
            c.send(f"form.create-login[data-person='{person}']", {"username": person, "password": PASSWORD})
            self.assertFalse(c.has(f"form.create-login[data-person='{person}']"), person)

    @step("setup_and_logins")
    def test_02_leader_sees_the_recommendation(self):
        c = self.c
        self.as_person("feng_jianguo")
        c.one("a[href='/console/penalties']").click()
        self.assertEqual(c.page, "/console/penalties")
        row = c.one(f"table#penalties tr[data-ref='{REF}']")
        self.assertIn("杨帆", row.text)
        self.assertIn("口头警告", row.text)
        self.assertIn("待决定", row.text)
        c.check("penalties", docs=True)
        c.one("a", row).click()
        self.assertEqual(c.page, f"/console/penalties/{REF}")
        self.assertEqual([a.text for a in c.all("#evidence tbody a")], ["YC-2026-000001"])
        self.assertTrue(c.has("form#decide"))
        c.check("penalty-open", docs=True)

    @step("leader_sees_the_recommendation")
    def test_03_others_may_not_decide(self):
        c = self.c
        self.as_person("qian_jin")  # 企业管理科负责人: reads penalties, may not decide them
        c.get(f"/console/penalties/{REF}")
        self.assertFalse(c.has("form#decide"))
        self.assertIn("待主管领导决定", c.text("#decide-note"))

    @step("leader_sees_the_recommendation")
    def test_04_leader_decides(self):
        c = self.c
        self.as_person("feng_jianguo")
        c.get(f"/console/penalties/{REF}")
        c.send("form#decide", {"decision": "written_warning", "reason": "同一季度内态度问题未整改"})
        self.assertEqual(c.path, f"/console/penalties/{REF}?done=decide")
        self.assertIn("已记录处罚决定", c.text(".notice"))
        self.assertIn("书面警告", c.text("#decision"))
        self.assertIn("已决定", c.text("#penalty-status"))
        self.assertFalse(c.has("form#decide"))
        c.check("penalty-decided", docs=True)

    @step("leader_decides")
    def test_05_notice_prints_on_one_a4_page(self):
        c = self.c
        c.one("#notice-link").click()
        self.assertEqual(c.page, f"/console/penalties/{REF}/notice")
        self.assertEqual(c.text("#notice h1"), "处罚决定通知书")
        c.check("penalty-notice", docs=True)
        path, pages = self.print_pdf("penalty-notice")
        self.assertEqual(pages, 1, f"the notice printed on {pages} pages ({path})")
        text = pdf_text(path)
        self.assertIn("YC-2026-000001", text)
        self.assertIn("同一季度内态度问题未整改", text)
        self.assertNotIn("我的待办", text, "the console's menu printed on the notice")

    @step("leader_decides")
    def test_06_unit_head_appeals_and_the_leader_decides(self):
        c = self.c
        self.as_person("chen_gang")  # no `reports`: 处罚 is on his menu because the pack lets him appeal
        self.assertFalse(c.has("a[href='/console/quarterly']"))
        c.one("a[href='/console/penalties']").click()
        c.one(f"table#penalties tr[data-ref='{REF}'] a").click()
        c.check("penalty-appeal-form", docs=True)
        c.send("form#appeal", {"reason": "客户已撤回投诉 " + XSS})
        self.assertIn("申诉中", c.text("#penalty-status"))
        self.assertIn(XSS, c.text("#appeal-record"), "the reason is shown as the text typed")
        c.check("penalty-appealed")  # no script ran
        self.assertFalse(c.has("form#decide-appeal"), "he may not decide his own appeal")
        self.as_person("feng_jianguo")
        c.get(f"/console/penalties/{REF}")
        c.send("form#decide-appeal", {"outcome": "changed", "new_decision": "", "reason": "情节较轻"})
        self.assertIn("请选择新的处罚", c.text(".error"))
        self.assertIn("申诉中", c.text("#penalty-status"), "a refused review changed the status")
        c.send("form#decide-appeal", {"outcome": "changed", "new_decision": "verbal_warning", "reason": "情节较轻, 改为口头警告"})
        self.assertIn("已生效", c.text("#penalty-status"))
        self.assertIn("现行处罚：口头警告", c.text("#appeal-record"))
        c.check("penalty-appeal-decided", docs=True)
        c.one("#notice-link").click()
        self.assertIn("本复核决定为最终决定", c.text("#notice"))
        self.assertIn(XSS, c.text("#notice"))
        c.check("penalty-notice-appeal", shot=False)
        path, pages = self.print_pdf("penalty-notice-appeal")
        self.assertLessEqual(pages, 2, f"the notice with its appeal printed on {pages} pages ({path})")

    @step("setup_and_logins")
    def test_07_quarterly_pages_show_their_charts_and_print(self):
        c = self.c
        self.as_person("qian_jin")
        c.one("a[href='/console/quarterly']").click()
        self.assertEqual(c.page, "/console/quarterly")
        c.send("form.filters", {"quarter": "2026Q4"})
        self.assertEqual(c.path, "/console/quarterly?quarter=2026Q4")
        self.assertTrue(c.has("nav[aria-label='报告']"))
        c.check("quarterly", docs=True)
        for part, charts, most in [("summary", 0, 2), ("bulletin", 4, 3)]:
            c.one(f"nav[aria-label='报告'] a[href='/console/quarterly/{part}?quarter=2026Q4']").click()
            self.assertEqual(c.path, f"/console/quarterly/{part}?quarter=2026Q4")
            imgs = c.all("figure.chart img")
            self.assertEqual(len(imgs), charts)
            for img in imgs:
                self.assertTrue(img.get_attribute("src").startswith("data:image/svg+xml;base64,"))
                self.assertGreater(c.driver.execute_script("return arguments[0].naturalWidth", img), 0,
                                   f"chart {img.get_attribute('alt')} did not render")
            c.check(f"quarterly-{part}", docs=True)
            path, pages = self.print_pdf(f"quarterly-{part}")
            self.assertTrue(1 <= pages <= most, f"{part} printed on {pages} pages ({path})")
            self.assertNotIn("我的待办", pdf_text(path))

    def test_99_pages_pass_axe(self):
        self.assertEqual(self.c.problems, [], "\n".join(self.c.problems))
        self.assertEqual(self.c.violations, [], "axe:\n" + self.c.violation_report())


if __name__ == "__main__":
    unittest.main(verbosity=2)
