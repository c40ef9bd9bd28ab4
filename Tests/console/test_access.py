"""账号与权限 and 外发通知 (issue 18), as the administrator uses them in a browser: logins made, a password reset
(the old one stops working) and a login disabled; an API token created, used with urllib on /v1/me and revoked
(401 after); the roles matrix; a clerk opens a case with the phone unmasked and the administrator finds the view
in 个人信息查看记录; the outbox lists a failed notification (to a webhook on a closed port) and retry works; the
channels' health (the wecom-robot exec plugin and the dead webhook).

Steps are numbered and share one server.
"""
import json
import os
import sqlite3
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

from kesu_console import ARTIFACTS, PASSWORD, ROOT, Console, KesuServer, free_port

NEW_PASSWORD = "Reset-pass-2026"
PHONE = "13812345678"


class Access(unittest.TestCase):
    case = None

    @classmethod
    def setUpClass(cls):
        # A webhook to a port nobody listens on, and the shipped wecom-robot plugin (its health answers).
        cls.config_dir = tempfile.mkdtemp(prefix="kesu-access-config-")
        cls.dead_port = free_port()
        config = Path(cls.config_dir) / "kesu.yaml"
        config.write_text(
            "notifiers:\n"
            "  - name: ops\n"
            "    driver: webhook\n"
            f"    url: http://127.0.0.1:{cls.dead_port}/kesu\n"
            "    timeout_ms: 500\n"
            "    retries: 0\n"
            "  - name: robot\n"
            "    driver: exec\n"
            f"    plugin: {ROOT / 'plugins' / 'wecom-robot'}\n", encoding="utf-8")
        cls.server = KesuServer("access", "--config", str(config)).start()
        try:
            cls.c = Console(cls.server, "access")
        except Exception:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        (ARTIFACTS / "axe-access.txt").write_text(cls.c.violation_report() or "no serious or critical violations\n",
                                                 encoding="utf-8")
        cls.c.quit()
        cls.server.stop()

    def error_text(self):
        return self.c.text(".error") if self.c.has(".error") else ""

    def bearer(self, path, token):
        req = urllib.request.Request(self.server.base + path, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, None

    def test_1_setup_and_logins(self):
        c = self.c
        c.get(self.server.setup_path)
        c.send("form:has(#submit)", {"person": "wu_jing", "username": "wu_jing", "password": PASSWORD,
                                      "password_confirm": PASSWORD})
        c.get("/console/logins")
        self.assertTrue(c.has("nav[aria-label='账号与权限'] a[aria-current='page']"))
        for person in ["zhao_min", "li_na"]:
            c.send(f"form.create-login[data-person='{person}']", {"username": person, "password": PASSWORD})
            self.assertEqual(c.page, "/console/logins", self.error_text())
            self.assertTrue(c.has(f"form.reset-password[data-login='{person}']"))
        c.check("access-logins", docs=True)

    def test_2_reset_password_and_disable(self):
        c = self.c
        c.get("/console/logins")
        c.send("form.reset-password[data-login='li_na']", {"password": NEW_PASSWORD})
        self.assertIn("已为 li_na 设置新密码", c.text(".notice"))
        c.sign_in("li_na", PASSWORD)
        self.assertTrue(c.path.startswith("/console/login"), "the old password still signs in")
        self.assertIn("用户名或密码不正确", c.text(".error"))
        c.sign_in("li_na", NEW_PASSWORD)
        self.assertFalse(c.path.startswith("/console/login"), self.error_text())
        self.assertIn("李娜", c.text("#whoami"))

        c.sign_in("wu_jing")
        c.get("/console/logins")
        c.send("form.disable-login[data-login='li_na']", {})
        self.assertIn("已停用登录账号 li_na", c.text(".notice"))
        self.assertIn("已停用", c.text("#logins tr[data-person='li_na']"))
        c.check("access-logins-disabled")
        c.sign_in("li_na", NEW_PASSWORD)
        self.assertTrue(c.path.startswith("/console/login"))
        self.assertIn("此账号已停用", c.text(".error"))
        c.sign_in("wu_jing")

    def test_3_api_token_shown_once_and_revoked(self):
        c = self.c
        c.get("/console/access/tokens")
        c.check("access-tokens", docs=True)
        c.send("form#create-token", {"person": "zhao_min", "label": "热线系统对接"})
        self.assertIn("只显示这一次", c.text(".warning"))
        token = c.one("#new-token").get_attribute("value")
        self.assertTrue(token.startswith("kesu_"), token)
        c.check("access-token-created", docs=True)
        status, me = self.bearer("/v1/me", token)
        self.assertEqual(status, 200)
        self.assertEqual(me["person"], "zhao_min", me)

        c.get("/console/access/tokens")
        self.assertNotIn(token, c.driver.page_source, "the token is shown again")
        row = c.all("#tokens tr[data-person='zhao_min']")[0]
        self.assertIn("热线系统对接", row.text)
        c.one("a.revoke", row).click()
        self.assertIn("确认吊销", c.driver.page_source)
        c.check("access-token-revoke", docs=True)
        self.assertEqual(self.bearer("/v1/me", token)[0], 200, "asking revoked the token")
        c.send("form#confirm-revoke", {})
        self.assertIn("已吊销令牌", c.text(".notice"))
        self.assertEqual(self.bearer("/v1/me", token)[0], 401)

    def test_4_roles(self):
        c = self.c
        c.get("/console/access/roles")
        clerk = c.text("#roles tr[data-role='clerk']")
        self.assertIn("查看投诉人个人信息", clerk)
        self.assertIn("赵敏", clerk)
        self.assertIn("管理规则与账号", c.text("#roles tr[data-role='center_admin']"))
        c.check("access-roles", docs=True)

    def test_5_personal_data_view_is_logged(self):
        c = self.c
        c.sign_in("zhao_min")
        c.get("/console/intake")
        c.send("form#intake", {"channel": "phone", "kind": "complaint", "complainant_type": "retailer",
                               "description": "送货晚了两天。", "complainant_name": "刘女士", "complainant_phone": PHONE})
        self.assertTrue(c.path.startswith("/console/cases/"), self.error_text())
        Access.case = c.path.split("/")[3].split("?")[0]
        self.assertIn(PHONE, c.text("#field-complainant_phone"))
        c.sign_in("wu_jing")
        c.get("/console/access/views")
        rows = c.all(f"#views tr[data-person='zhao_min'][data-case='{Access.case}']")
        self.assertTrue(rows, "the clerk's view is not in the log")
        self.assertIn("赵敏", rows[0].text)
        self.assertIn("网页工作台", rows[0].text)
        c.check("access-views", docs=True)
        c.send("form#views-filter", {"person": "zhao_min", "case": "NO-SUCH-CASE"})
        self.assertFalse(c.has("#views tbody tr"))

    def test_6_outbox_failed_and_retry(self):
        c = self.c
        # A notification the webhook gave up on (as after its last attempt): written straight into the store.
        db = sqlite3.connect(os.path.join(self.server.dir, "kesu.sqlite"), timeout=30)
        note = {"kind": "reminder", "caseNumber": Access.case or "YC-2026-000001", "recipients": ["li_na"],
                "text": "案件即将到期", "at": time.time() - 978307200}
        with db:
            cur = db.execute(
                "INSERT INTO outbox (case_id, channel, notification, created_at, status, attempts, next_attempt_at, last_error)"
                " VALUES (1, 'ops', ?, ?, 'failed', 8, ?, ?)",
                (json.dumps(note, ensure_ascii=False), note["at"], note["at"],
                 f"webhook http://127.0.0.1:{self.dead_port}/kesu failed after 1 tries: Could not connect to the server."))
            item = cur.lastrowid
        db.close()
        c.get("/console/outbox")
        row = c.text(f"#failed tr[data-id='{item}']")
        self.assertIn("李娜", row)
        self.assertIn("到期提醒", row)
        self.assertIn("Could not connect", row)
        self.assertIn("wecom-robot", c.text("#plugins tr[data-channel='robot']"))
        self.assertIn("正常", c.text("#plugins tr[data-channel='robot']"))
        self.assertIn("异常", c.text("#plugins tr[data-channel='ops']"))
        self.assertIn("points", c.text("#plugins tr[data-channel='评分']"))
        c.check("outbox", docs=True)
        c.send(f"form.retry[data-id='{item}']", {})
        self.assertIn("重新排入待发送", c.text(".notice"))
        self.assertFalse(c.has(f"#failed tr[data-id='{item}']"))
        # Delivery runs in the background: the webhook is still down, so the item waits to be tried again.
        time.sleep(2)
        c.get("/console/outbox")
        self.assertTrue(c.has(f"#pending tr[data-id='{item}']"), c.text("main"))
        c.check("outbox-retried", docs=True)

    def test_7_others_are_refused(self):
        c = self.c
        c.sign_in("zhao_min")
        for path in ["/console/logins", "/console/access/tokens", "/console/outbox"]:
            c.get(path)
            self.assertIn("无权", c.text("main"))
        c.sign_in("wu_jing")

    def test_9_pages_pass_axe(self):
        self.assertEqual(self.c.problems, [], "\n".join(self.c.problems))
        self.assertEqual(self.c.violations, [], "axe:\n" + self.c.violation_report())


if __name__ == "__main__":
    unittest.main(verbosity=2)
