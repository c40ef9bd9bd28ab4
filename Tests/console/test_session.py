"""Sessions end: an idle session expires (a server started with --session-idle 3), and a login is locked
after five wrong passwords."""
import time
import unittest

from kesu_console import ARTIFACTS, PASSWORD, Console, KesuServer


class Session(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = KesuServer("session", "--session-idle", "3").start()
        try:
            cls.c = Console(cls.server, "session")
        except Exception:
            cls.server.stop()
            raise
        c = cls.c
        c.get(cls.server.setup_path)
        c.send("form:has(#submit)", {"person": "wu_jing", "username": "wu_jing", "password": PASSWORD,
                                      "password_confirm": PASSWORD})

    @classmethod
    def tearDownClass(cls):
        (ARTIFACTS / "axe-session.txt").write_text(cls.c.violation_report() or "no serious or critical violations\n",
                                                  encoding="utf-8")
        cls.c.quit()
        cls.server.stop()

    def test_1_idle_session_expires(self):
        c = self.c
        c.get("/console/logins")
        self.assertEqual(c.page, "/console/logins", "setup did not sign the administrator in")
        time.sleep(4)
        c.driver.refresh()
        self.assertTrue(c.path.startswith("/console/login"), f"after 4 idle seconds still on {c.path}")
        self.assertFalse(c.has("#whoami"))
        c.check("session-expired")

    def test_2_five_wrong_passwords_lock_the_login(self):
        c = self.c
        for _ in range(5):
            c.get("/console/login")
            c.send("form:has(input[name=password])", {"username": "wu_jing", "password": "wrong-password-1"})
            self.assertTrue(c.has(".error"))
        c.get("/console/login")
        c.send("form:has(input[name=password])", {"username": "wu_jing", "password": PASSWORD})
        self.assertTrue(c.path.startswith("/console/login"), f"a locked login signed in: {c.path}")
        self.assertIn("已锁定", c.text(".error"))
        c.check("login-locked")

    def test_9_pages_pass_axe(self):
        self.assertEqual(self.c.problems, [], "\n".join(self.c.problems))
        self.assertEqual(self.c.violations, [], "axe:\n" + self.c.violation_report())


if __name__ == "__main__":
    unittest.main(verbosity=2)
