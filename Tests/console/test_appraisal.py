"""考核 in the browser, as the appraisal office uses it: the pack's demo case (county_a late and unsatisfied,
so there are points) written into the server's store with `kesu demo`; the center head opens the quarter's
scores, drills down to the deductions and their case, downloads the XLSX (read back with openpyxl) and the
CSV, records the center's report on 报送, and downloads the 台账; the auditor gets the register masked; a
handler is refused. Every page passes axe.
"""
import csv
import functools
import io
import os
import subprocess
import tempfile
import unittest
import urllib.parse

import openpyxl

from kesu_console import ARTIFACTS, PACK, PASSWORD, Console, KesuServer, kesu_binary, request

PERIOD = "2026Q4"
CASE = "YC-2026-000001"


def step(*needs):
    """A step: skipped (with the reason) when a step it builds on did not pass."""
    def deco(f):
        @functools.wraps(f)
        def run(self):
            missing = [n for n in needs if n not in Appraisal.passed]
            if missing:
                self.skipTest(f"needs {', '.join(missing)}, which did not pass")
            f(self)
            Appraisal.passed.add(f.__name__.split("_", 2)[2])
        return run
    return deco


class Appraisal(unittest.TestCase):
    passed = set()

    @classmethod
    def setUpClass(cls):
        cls.server = KesuServer("appraisal").start()
        try:
            # The demo's case, written by the CLI into the store the server reads.
            demo = subprocess.run([kesu_binary(), "demo", "--json", "--db", os.path.join(cls.server.dir, "kesu.sqlite"),
                                   "--rules", str(PACK)], capture_output=True, text=True, timeout=120)
            if demo.returncode != 0:
                raise AssertionError(f"kesu demo failed: {demo.stderr[-2000:]}")
            cls.c = Console(cls.server, "appraisal")
        except Exception:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        (ARTIFACTS / "axe-appraisal.txt").write_text(cls.c.violation_report() or "no serious or critical violations\n",
                                                    encoding="utf-8")
        cls.c.quit()
        cls.server.stop()

    @property
    def b(self):
        return self.c

    def download(self, path):
        """A file as the signed-in browser would get it: (status, headers, bytes)."""
        return request("GET", self.b.url(path), cookies=self.b.cookies())

    def as_person(self, person):
        self.b.sign_in(person)
        self.assertFalse(self.b.path.startswith("/console/login"), f"{person} could not sign in")

    @step()
    def test_01_administrator_makes_the_logins(self):
        self.b.get(self.server.setup_path)
        self.b.send("form:has(#submit)", {"person": "wu_jing", "username": "wu_jing", "password": PASSWORD,
                                           "password_confirm": PASSWORD})
        self.assertEqual(self.b.page, "/console/logins")
        for person in ["qian_jin", "deng_qing", "li_na"]:
            self.b.send(f"form.create-login[data-person='{person}']", {"username": person, "password": PASSWORD})
            self.assertEqual(self.b.page, "/console/logins")

    @step("administrator_makes_the_logins")
    def test_02_a_handler_is_refused(self):
        self.as_person("li_na")
        self.assertFalse(self.b.has("nav[aria-label='主菜单'] a[href='/console/scores']"), "考核 in a liaison's menu")
        for path in ["/console/scores", "/console/scores/duties", "/console/scores/register"]:
            status, _, _ = self.download(path)
            self.assertEqual(status, 403, path)
        self.b.get("/console/scores")
        self.assertIn("无权", self.b.text("h1"))
        self.b.check("scores-refused")

    @step("administrator_makes_the_logins")
    def test_03_center_head_reads_the_quarter(self):
        self.as_person("qian_jin")
        self.b.one("nav[aria-label='主菜单'] a[href='/console/scores']").click()
        self.assertEqual(self.b.page, "/console/scores")
        self.assertTrue(self.b.has("nav[aria-label='考核']"))
        self.b.get(f"/console/scores?period={PERIOD}&by=unit")
        row = self.b.one("#scores tr[data-subject='county_a']")
        cells = [td.text for td in self.b.all("td", row)]
        self.assertEqual(cells[:3], ["2.5", "97.5", "3"], cells)
        self.assertIn("50.0%", cells)
        self.b.check("scores", docs=True)
        # By person: the handler the late answer is charged to.
        self.b.send("form#period", {"period": PERIOD, "by": "person"})
        self.assertIn("by=person", self.b.path)
        self.assertTrue(self.b.has("#scores tr[data-subject='gao_peng'].deducted"))

    @step("center_head_reads_the_quarter")
    def test_04_drill_down_to_the_case(self):
        self.b.get(f"/console/scores?period={PERIOD}&by=unit")
        self.b.one("#scores tr[data-subject='county_a'] th a").click()
        self.assertEqual(self.b.page, "/console/scores/unit/county_a")
        rules = [td.text for td in self.b.all("#items tbody td:nth-child(3)")]
        self.assertEqual(sorted(rules), ["S2-late-answer", "S6a-fault-general", "S7-unsatisfied-callback"])
        self.assertEqual({a.text for a in self.b.all("#items a")}, {CASE})
        self.b.check("scores-detail", docs=True)
        self.b.one("#items a").click()
        self.assertEqual(self.b.page, f"/console/cases/{CASE}")
        self.b.check("scores-case", shot=False)

    @step("center_head_reads_the_quarter")
    def test_05_downloads_xlsx_and_csv(self):
        self.b.get(f"/console/scores?period={PERIOD}&by=unit")
        href = self.b.one("a#download-xlsx").get_attribute("href")
        status, headers, body = self.download(urllib.parse.urlsplit(href).path + "?" + urllib.parse.urlsplit(href).query)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.assertTrue(headers["Content-Disposition"].startswith("attachment;"), headers["Content-Disposition"])
        self.assertIn("filename*=UTF-8''", headers["Content-Disposition"])
        wb = openpyxl.load_workbook(io.BytesIO(body))
        self.assertEqual(wb.sheetnames, ["汇总", "明细"])
        summary = list(wb["汇总"].iter_rows(values_only=True))
        head = list(summary[0])
        county = next(r for r in summary[1:] if r[0] == "county_a")
        self.assertEqual(county[head.index("扣分合计")], 2.5)
        self.assertEqual(county[head.index("得分")], 97.5)
        items = list(wb["明细"].iter_rows(values_only=True))
        self.assertEqual({r[2] for r in items[1:]}, {CASE})

        href = self.b.one("a#download-csv").get_attribute("href")
        status, headers, body = self.download(urllib.parse.urlsplit(href).path + "?" + urllib.parse.urlsplit(href).query)
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/csv"))
        self.assertTrue(body.startswith(b"\xef\xbb\xbf"))
        rows = list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))
        self.assertEqual(rows[0][:3], ["单位编号", "单位名称", "基础分"])

    @step("center_head_reads_the_quarter")
    def test_06_duties_record_the_centers_report(self):
        self.b.get(f"/console/scores/duties?quarter={PERIOD}")
        self.assertIn("报送", self.b.text("h1"))
        self.assertTrue(self.b.has("#duties tr[data-report='expectation_analysis']"))
        self.b.check("scores-duties", docs=True)
        self.b.send("form#submit-quarterly_summary-enterprise_mgmt", {"note": "已送州局办公室"})
        self.assertIn("done=submitted", self.b.path)
        self.assertIn("已登记报送", self.b.text(".notice"))
        row = self.b.one("#duties tr[data-report='quarterly_summary']")
        self.assertIn("钱进", row.text)
        self.assertIn("已送州局办公室", row.text)
        self.assertFalse(self.b.has("form#submit-quarterly_summary-enterprise_mgmt"))

    @step("center_head_reads_the_quarter")
    def test_07_register_download(self):
        self.b.get("/console/scores/register")
        self.assertTrue(self.b.has("form#register"))
        self.b.check("scores-register", docs=True)
        status, headers, body = self.download("/console/scores/register?from=2026-09-01&until=2026-12-31&format=xlsx")
        self.assertEqual(status, 200)
        self.assertIn("filename*=UTF-8''", headers["Content-Disposition"])
        ws = openpyxl.load_workbook(io.BytesIO(body))["台账"]
        rows = list(ws.iter_rows(values_only=True))
        head = list(rows[0])
        self.assertEqual(head[:3], ["案件编号", "登记时间", "渠道"])
        self.assertEqual([r[0] for r in rows[1:]], [CASE])
        self.assertEqual(rows[1][head.index("联系电话")], "13812345678", "the center head has personal_data")
        self.assertEqual(rows[1][head.index("承办答复时限是否按时")], "逾期")
        # A wrong window: the page again, saying so.
        self.b.get("/console/scores/register?from=2026-12-31&until=2026-09-01&format=csv")
        self.assertTrue(self.b.has("div.error[role=alert]"))
        self.b.check("scores-register-refused")

    @step("administrator_makes_the_logins")
    def test_08_auditor_gets_the_register_masked(self):
        self.as_person("deng_qing")
        status, _, body = self.download("/console/scores/register?from=2026-09-01&until=2026-12-31&format=csv")
        self.assertEqual(status, 200)
        text = body.decode("utf-8")
        self.assertIn("138****5678", text)
        self.assertNotIn("13812345678", text)
        self.b.get(f"/console/scores/duties?quarter={PERIOD}")
        self.assertFalse(self.b.has("#duties form"), "a read-only role is offered a submission form")

    def test_99_pages_pass_axe(self):
        self.assertEqual(self.c.problems, [], "\n".join(self.c.problems))
        self.assertEqual(self.c.violations, [], "axe:\n" + self.c.violation_report())


if __name__ == "__main__":
    unittest.main(verbosity=2)
