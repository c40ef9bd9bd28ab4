"""规则, the rules desk (reading part): the administrator opens every page of the pack in force — overview,
organisation, categories, the routing table (rows in order, the fallback marked), clocks and scoring, the
calendar (国庆节 in the pack's year) — and tries a complaint (试算): the route and why each earlier row did not
match. A clerk is refused every page. Screenshots rules-*.png go to the docs."""
import re
import unittest

from kesu_console import ARTIFACTS, PASSWORD, Console, KesuServer, request

ROUTING = ["R1a-marketing-county", "R1b-marketing", "R2a-logistics-county", "R2b-logistics", "R3-license-county",
           "R4a-settlement-county", "R4b-settlement", "R5-leaf-county", "R6-fallback"]


def day(cell):
    """A calendar cell's day number (the cell also holds its mark and, for screen readers, its name)."""
    return re.match(r"\d+", cell.get_attribute("textContent")).group(0)


class DeskRead(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = KesuServer("desk-read").start()
        try:
            cls.c = Console(cls.server, "desk-read")
        except Exception:
            cls.server.stop()
            raise
        c = cls.c
        c.get(cls.server.setup_path)
        c.send("form:has(#submit)", {"person": "wu_jing", "username": "wu_jing", "password": PASSWORD,
                                      "password_confirm": PASSWORD})
        c.get("/console/logins")
        c.send("form.create-login[data-person='zhao_min']", {"username": "zhao_min", "password": PASSWORD})

    @classmethod
    def tearDownClass(cls):
        (ARTIFACTS / "axe-desk-read.txt").write_text(cls.c.violation_report() or "no serious or critical violations\n",
                                                    encoding="utf-8")
        cls.c.quit()
        cls.server.stop()

    def open(self, path, name, docs=True):
        c = self.c
        c.get(path)
        self.assertEqual(c.page, path.split("?")[0], f"{path}: on {c.path}")
        self.assertTrue(c.has("nav[aria-label='规则'] a[aria-current='page']"), f"{path}: no 规则 sub-menu")
        c.check(name, docs=docs)

    def test_1_overview_links_every_page(self):
        c = self.c
        c.get("/console/")
        c.one("nav[aria-label='主菜单'] a[href='/console/rules']").click()
        self.open("/console/rules", "rules")
        self.assertEqual(c.text("#pack-name"), "州烟草专卖局(公司)客户投诉管理实施办法")
        self.assertEqual(len(c.text("#pack-version")), 12)
        links = [a.get_attribute("href").split(self.server.base)[1] for a in c.all("nav[aria-label='规则'] a")]
        for page in ["organisation", "categories", "routing", "clocks", "calendar", "try", "changes", "history"]:
            self.assertIn(f"/console/rules/{page}", links)

    def test_2_organisation_and_categories(self):
        c = self.c
        self.open("/console/rules/organisation", "rules-organisation")
        row = c.one("#units tr[data-unit='marketing_center']")
        self.assertIn("李娜", row.text)
        self.assertIn("陈刚", row.text)
        self.assertIn("管理规则与账号", c.one("#roles tr[data-role='center_admin']").text)
        self.open("/console/rules/categories", "rules-categories")
        self.assertIn("霉变", c.one("#categories tr[data-category='logistics_service']").text)

    def test_3_routing_table_in_order_with_the_fallback(self):
        c = self.c
        self.open("/console/rules/routing", "rules-routing")
        rows = c.all("table#routing tbody tr")
        self.assertEqual([r.get_attribute("data-rule") for r in rows], ROUTING)
        fallback = c.one("table#routing tr.fallback")
        self.assertEqual(fallback.get_attribute("data-rule"), "R6-fallback")
        self.assertIn("兜底", fallback.text)
        self.assertIn("routing.yaml:39", fallback.text)
        self.assertIn("第一条符合的规则生效", c.text("#routing-order"))

    def test_4_clocks_and_scoring(self):
        c = self.c
        self.open("/console/rules/clocks", "rules-clocks")
        self.assertIn("3个工作日", c.text("#clock-answer"))
        self.assertIn("逾期后8个工作小时", c.text("#clock-answer"))
        self.assertTrue(c.has("#score-rules tr[data-rule='S2-late-answer']"))

    def test_5_calendar_shows_national_day(self):
        c = self.c
        self.open("/console/rules/calendar?year=2026", "rules-calendar")
        self.assertEqual(len(c.all("table.month")), 12)
        october = c.one("table.month#m10")
        holidays = october.find_elements("css selector", "td.holiday")
        self.assertEqual([day(h) for h in holidays], [str(d) for d in range(1, 8)])
        self.assertIn("国庆节", holidays[0].get_attribute("title"))
        self.assertEqual([day(m) for m in october.find_elements("css selector", "td.makeup")], ["10"])
        self.assertFalse(c.has("#coverage-warning"))
        c.get("/console/rules/calendar?year=2027")
        self.assertIn("暂定日历", c.text("#coverage-warning"))
        c.check("rules-calendar-draft")

    def test_6_try_a_complaint(self):
        c = self.c
        self.open("/console/rules/try", "rules-try-form", docs=False)
        c.send("form#try", {"channel": "provincial", "kind": "complaint", "complainant_type": "retailer",
                            "category": "logistics_service", "region": "city", "description": "送货员连续两周没来",
                            "at": "2026-09-30T16:00"})
        self.assertEqual(c.page, "/console/rules/try")
        self.assertFalse(c.has(".error"), c.text(".error") if c.has(".error") else "")
        self.assertIn("物流中心", c.text("#route"))
        self.assertIn("R2b-logistics", c.text("#route"))
        trace = c.all("#route-trace li")
        self.assertEqual([li.get_attribute("data-rule") for li in trace], ROUTING[:3])
        self.assertIn("区域是“州府城区”，不在“甲县”、“乙县”之中", trace[2].text)
        self.assertIn("2026年10月13日 18:00", c.text("#result"))
        c.check("rules-try", docs=True)

    def test_7_a_clerk_is_refused(self):
        c = self.c
        c.sign_in("zhao_min")
        self.assertIn("赵敏", c.text("#whoami"))
        self.assertFalse(c.has("nav[aria-label='主菜单'] a[href='/console/rules']"))
        for path in ["/console/rules", "/console/rules/routing", "/console/rules/try"]:
            status, _, _ = request("GET", c.url(path), cookies=c.cookies())
            self.assertEqual(status, 403, path)
        c.get("/console/rules/routing")
        self.assertIn("无权", c.text("h1"))
        c.check("rules-refused")

    def test_9_pages_pass_axe(self):
        self.assertEqual(self.c.problems, [], "\n".join(self.c.problems))
        self.assertEqual(self.c.violations, [], "axe:\n" + self.c.violation_report())


if __name__ == "__main__":
    unittest.main(verbosity=2)
