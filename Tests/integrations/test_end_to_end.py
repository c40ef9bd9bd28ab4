"""Issue 20, end to end, with the real `kesu serve`: a complaint mailed to a real Dovecot mailbox and a dispatch
of a (fake) provincial platform become cases; they are handled and closed with the CLI; every case event reaches a
webhook receiver with a valid signature, the provincial platform holds exactly one four-element result per order,
the complainant gets an SMS through a (fake) gateway, and the feed returns the same events in order — also across a
SIGKILL of `kesu serve` between a commit and its delivery.

Run: cd Tests/integrations && KESU_BIN=../../.build/debug/kesu python3 -m unittest -v test_end_to_end
"""
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from dovecot_support import DovecotServer, dovecot_binary, append  # noqa: E402
from fake_provincial import FakeProvincial  # noqa: E402
from fake_sms_gateway import FakeSmsGateway  # noqa: E402

SECRET = "whsec-e2e-测试"


def kesu_binary():
    return os.environ.get("KESU_BIN") or os.path.join(ROOT, ".build", "debug", "kesu")


class WebhookReceiver:
    """Records every POST with its raw body and headers; `hang(n, seconds)` makes the next n requests wait."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []
        self.hangs = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    hang = receiver.hangs.pop(0) if receiver.hangs else 0
                    receiver.received.append({"headers": dict(self.headers.items()), "body": raw, "at": time.time()})
                if hang:
                    time.sleep(hang)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass

            def do_HEAD(self):
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def hang(self, times, seconds):
        with self.lock:
            self.hangs += [seconds] * times

    def events(self):
        with self.lock:
            return [dict(r) for r in self.received]

    def stop(self):
        self.httpd.shutdown()


def verify(headers, body):
    ts = headers.get("Kesu-Timestamp", "")
    expected = "sha256=" + hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("Kesu-Signature", "")) and abs(time.time() - int(ts)) <= 300


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MAIL = (
    "From: =?UTF-8?B?5byg5LiJ?= <zhangsan@example.com>\r\n"
    "To: complaints@example.org\r\n"
    "Subject: =?UTF-8?B?6YCB6LSn5LiN5Y+K5pe2?=\r\n"
    "Message-ID: <e2e-0001@example.com>\r\n"
    "Date: Mon, 07 Dec 2026 09:00:00 +0800\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "本周订的卷烟三天了还没送到，送货员电话也打不通。联系电话 13912345678。\r\n"
).encode("utf-8")


@unittest.skipUnless(os.path.exists(kesu_binary()), "no kesu binary (build first, or set KESU_BIN)")
class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not dovecot_binary():
            if os.environ.get("CI"):
                raise AssertionError("dovecot is not installed (scripts/test installs dovecot-imapd)")
            raise unittest.SkipTest("dovecot is not installed (apt-get install dovecot-imapd)")
        cls.dir = tempfile.mkdtemp(prefix="kesu-e2e-")
        cls.dovecot = DovecotServer().start()
        cls.province = FakeProvincial(token="prov-token", dispatches=[{
            "order_no": "SJ-2026-1207-001", "title": "零售户反映送货员服务态度差", "content": "零售户反映送货员多次迟到且态度生硬。",
            "kind": "complaint", "customer_name": "李四", "customer_phone": "13700001111", "customer_type": "retailer"}])
        cls.province.start()
        cls.sms = FakeSmsGateway(token="sms-token")
        cls.sms.start()
        cls.hook = WebhookReceiver()
        cls.port = free_port()
        cls.config = os.path.join(cls.dir, "kesu.yaml")
        with open(cls.config, "w", encoding="utf-8") as f:
            f.write(f"""
rules: {ROOT}/rules/tobacco-prefecture
storage: {{driver: sqlite, path: kesu.db}}
notifiers:
  - {{name: ops, driver: webhook, url: "http://127.0.0.1:{cls.hook.port}/kesu", secret_env: KESU_WEBHOOK_SECRET, timeout_ms: 30000, retries: 0}}
  - {{name: province, driver: exec, plugin: {ROOT}/plugins/provincial-center, options: {{url: "{cls.province.url}", unit_code: "YZ-01"}}}}
  - {{name: sms, driver: exec, plugin: {ROOT}/plugins/sms-gateway, options: {{url: "{cls.sms.send_url}", signature: 州烟草专卖局}}}}
sources:
  - name: mail
    driver: exec
    plugin: {ROOT}/plugins/imap-intake
    every: 1
    actor: zhao_min
    fields: {{channel: email, kind: complaint, complainant_type: retailer}}
    options: {{host: 127.0.0.1, port: {cls.dovecot.port}, tls: false, user: {cls.dovecot.user}}}
  - name: province
    driver: exec
    plugin: {ROOT}/plugins/provincial-center
    every: 1
    actor: zhao_min
    options: {{url: "{cls.province.url}", unit_code: "YZ-01"}}
subscriptions:
  - {{channel: ops, events: ["*"]}}
  - {{channel: province, events: [case.answered], where: {{channel: provincial}}}}
  - {{channel: sms, events: [case.registered, case.answered], personal_data: true}}
""")
        cls.env = dict(os.environ, KESU_WEBHOOK_SECRET=SECRET, KESU_IMAP_PASSWORD=cls.dovecot.password,
                       KESU_PROVINCE_TOKEN="prov-token", KESU_SMS_TOKEN="sms-token", KESU_CONFIG=cls.config)
        cls.env.pop("KESU_DB", None)
        cls.env.pop("KESU_RULES", None)
        out = cls.kesu("users", "add", "--person", "zhao_min", "--label", "feed")
        cls.token = [w for w in out.split() if len(w) >= 20][-1]
        cls.server = None
        cls.start_server()

    @classmethod
    def tearDownClass(cls):
        if cls.server and cls.server.poll() is None:
            cls.server.terminate()
            try:
                cls.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                cls.server.kill()
        cls.log.close()
        for stop in (cls.hook.stop, cls.province.stop, cls.sms.stop, cls.dovecot.stop):
            try:
                stop()
            except Exception:
                pass
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def kesu(cls, *args):
        run = subprocess.run([kesu_binary(), *args], capture_output=True, text=True, env=cls.env, cwd=cls.dir, timeout=120)
        if run.returncode != 0:
            raise AssertionError(f"kesu {' '.join(args)} failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
        return run.stdout

    @classmethod
    def start_server(cls):
        if getattr(cls, "log", None):
            cls.log.close()
        cls.log = open(os.path.join(cls.dir, "serve.log"), "ab")
        cls.server = subprocess.Popen([kesu_binary(), "serve", "--port", str(cls.port), "--sweep-every", "1"],
                                      stdout=cls.log, stderr=subprocess.STDOUT, env=cls.env, cwd=cls.dir)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{cls.port}/healthz", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("kesu serve did not come up:\n" + cls.server_log())

    @classmethod
    def server_log(cls):
        with open(os.path.join(cls.dir, "serve.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def feed(self):
        events, cursor = [], None
        while True:
            url = f"http://127.0.0.1:{self.port}/v1/events?limit=7" + (f"&after={cursor}" if cursor else "")
            req = urllib.request.Request(url, headers={"Authorization": "Bearer " + self.token})
            page = json.loads(urllib.request.urlopen(req, timeout=10).read())
            events += page["events"]
            if not page["events"]:
                return events
            cursor = page["cursor"]

    def wait(self, what, check, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.3)
        self.fail(f"timed out waiting for {what}\n--- kesu serve log ---\n{self.server_log()}")

    def cases(self):
        return json.loads(self.kesu("list", "--json"))["cases"]

    def act(self, number, transition, person, **fields):
        args = ["act", number, transition, "--as", person, "--json"]
        for k, v in fields.items():
            args += ["--field", f"{k}={v}"]
        return json.loads(self.kesu(*args))

    def test_mail_and_dispatch_to_closed_cases_reach_every_integration_once(self):
        with self.dovecot.imap() as conn:
            append(conn, "INBOX", MAIL)
        cases = self.wait("two registered cases", lambda: (lambda c: c if len(c) == 2 else None)(self.cases()))
        by_channel = {c.get("channel"): c["number"] for c in cases}
        self.assertEqual(set(by_channel), {"email", "provincial"})
        mail_case, prov_case = by_channel["email"], by_channel["provincial"]
        shown = json.loads(self.kesu("show", prov_case, "--json"))
        self.assertEqual(shown["fields"].get("external_ref"), "SJ-2026-1207-001", "the provincial order number is kept")
        # The platform was told the case number; the mail left the inbox for Processed.
        self.wait("the provincial receipt", lambda: any(r["path"].endswith("/receipt") for r in self.province.requests()))

        for number in (mail_case, prov_case):
            self.act(number, "substantiate", "zhao_min", substantiated="yes", category="logistics_service", level="general")
            self.act(number, "approve_dispatch", "qian_jin", handling_unit="county_a")
            self.act(number, "accept", "ma_lin", assignee="gao_peng")
            self.act(number, "answer", "gao_peng", handled_by="高鹏", handled_at="2026-12-07T15:30:00+08:00", process="约谈送货员，核实送货记录",
                     result="已调整送货线路，客户表示满意")
            self.act(number, "approve_answer", "luo_jun")
        self.wait("the provincial result", lambda: self.province.results().get("SJ-2026-1207-001"))

        # The receiver hangs on the next delivery; kesu serve is killed while it waits, after the commit of the
        # callback and before the delivery is marked done. The restarted server delivers it again, same event id.
        self.wait("the outbox to drain", lambda: len(self.hook.events()) >= len(self.feed()), seconds=60)
        self.hook.hang(1, 6)
        before = len(self.hook.events())
        self.act(mail_case, "callback", "zhao_min", satisfaction="satisfied")
        self.wait("the hanging delivery", lambda: len(self.hook.events()) > before, seconds=30)
        self.server.send_signal(signal.SIGKILL)
        self.server.wait(timeout=10)
        self.act(prov_case, "callback", "zhao_min", satisfaction="satisfied")
        self.start_server()

        feed = self.wait("the feed to hold every event", lambda: (lambda f: f if sum(e["type"] == "case.closed" for e in f) == 2 else None)(self.feed()))
        ids = [e["id"] for e in feed]
        self.wait("every event at the webhook",
                  lambda: set(ids) <= {r["headers"].get("Kesu-Event-Id") for r in self.hook.events()}, seconds=60)
        received = self.hook.events()
        self.assertTrue(all(verify(r["headers"], r["body"]) for r in received), "every delivery is signed with the secret")
        got = [json.loads(r["body"]) for r in received]
        self.assertEqual({g["id"] for g in got}, set(ids), "no event missing, none extra")
        for g, r in zip(got, received):
            self.assertEqual(g["id"], r["headers"]["Kesu-Event-Id"])
        repeats = [i for i in ids if sum(g["id"] == i for g in got) > 1]
        self.assertTrue(repeats, "the delivery cut by the kill came again")
        for i in repeats:
            bodies = {json.dumps(g, sort_keys=True) for g in got if g["id"] == i}
            self.assertEqual(len(bodies), 1, f"a repeat of {i} is the same event")
        # In case order per channel: each case's events arrive by seq (a repeat comes back before the next).
        for number in (mail_case, prov_case):
            seqs = [g["seq"] for g in got if g["case"]["number"] == number]
            firsts = sorted(set(seqs), key=seqs.index)
            self.assertEqual(firsts, sorted(firsts), f"{number}'s events in order")
        # The feed: every case's events in sequence order, each one once.
        self.assertEqual(len(ids), len(set(ids)))
        for number in (mail_case, prov_case):
            seqs = [e["seq"] for e in feed if e["case"]["number"] == number]
            self.assertEqual(seqs, list(range(1, len(seqs) + 1)))
        # The provincial platform holds one result, with the four elements; the complainant got SMS.
        results = self.province.results()
        self.assertEqual(list(results), ["SJ-2026-1207-001"])
        r = results["SJ-2026-1207-001"]
        self.assertEqual((r["case_no"], r["handled_by"], r["result"]), (prov_case, "高鹏", "已调整送货线路，客户表示满意"))
        sms = self.sms.delivered()
        texts = [m["text"] for m in sms if m["to"] == "13912345678"]
        self.assertTrue(any(mail_case in t for t in texts), "the mail's complainant got the acknowledgement with the case number")
        self.assertTrue(any("已调整送货线路" in t for t in texts), "and the answer")
        self.assertNotIn("13912345678", self.server_log(), "the phone number is in no log")
        # The administrator sees each source's last poll, in `kesu sources list` and beside the plugin in `plugins list`.
        sources = {s["name"]: s for s in json.loads(self.kesu("sources", "list", "--json"))["sources"]}
        self.assertEqual(set(sources), {"mail", "province"})
        self.assertEqual(sources["mail"]["health"], "ok")
        self.assertIsNotNone(sources["mail"]["last_poll"])
        self.assertIsNone(sources["mail"]["last_error"])
        listed = self.kesu("plugins", "list", "--dir", os.path.join(ROOT, "plugins"))
        self.assertRegex(listed, r"imap-intake\tsource\t.*source 'mail': last poll .*: 1 registered")
        self.assertRegex(listed, r"provincial-center\tsource,notifier\t")
        # The conformance kit passes on the source plugin against the real mailbox.
        kit = self.kesu("plugins", "check", os.path.join(ROOT, "plugins", "imap-intake"), "--option", "host=127.0.0.1",
                        "--option", f"port={self.dovecot.port}", "--option", "tls=false", "--option", f"user={self.dovecot.user}")
        self.assertNotIn("FAIL", kit)
        self.assertIn("poll + ack", kit)
        # The mail was moved to Processed, nothing left in the inbox or quarantined.
        with self.dovecot.imap() as conn:
            conn.select("INBOX")
            self.assertEqual(conn.search(None, "ALL")[1][0].split(), [])


if __name__ == "__main__":
    unittest.main()
