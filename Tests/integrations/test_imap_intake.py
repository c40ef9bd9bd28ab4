"""plugins/imap-intake against a real Dovecot on the loopback (scripts/dovecot-test-server), spoken to exactly
as the host does: one JSON-RPC object per line, only the variables its plugin.yaml lists.

    cd Tests/integrations && python3 -m unittest -v test_imap_intake

Needs Debian's dovecot-imapd. Without it the tests are skipped, unless CI is set: then they fail.
"""
import base64
import email.header
import importlib.util
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dovecot_support as dc  # noqa: E402

PLUGIN_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "plugins", "imap-intake"))
# The plugin's pure functions, for the unit tests at the end (under a name of its own: other plugins are plugin.py too).
_spec = importlib.util.spec_from_file_location("imap_intake_plugin", os.path.join(PLUGIN_DIR, "plugin.py"))
imap_plugin = importlib.util.module_from_spec(_spec)
_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in the plugin's folder
_spec.loader.exec_module(imap_plugin)
sys.dont_write_bytecode = _bytecode

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 12
PASSWD = b"root:x:0:0:root:/root:/bin/bash\n"
PERSONAL = ["张三", "李四", "王五", "13812345678", "13987654321", "139 8765 4321", "15012345678", "zhangsan",
            "lisi@", "送货", "配送", "投诉"]


def b64word(text, charset="UTF-8"):
    return "=?%s?B?%s?=" % (charset, base64.b64encode(text.encode(charset)).decode("ascii"))


def raw_mail(headers, body=b"", content_type='text/plain; charset="utf-8"', cte="base64"):
    """A mail as bytes: headers (a list of lines), then the body (bytes, encoded per `cte`)."""
    lines = list(headers) + ["MIME-Version: 1.0"]
    if content_type:
        lines.append("Content-Type: " + content_type)
    if cte:
        lines.append("Content-Transfer-Encoding: " + cte)
    if cte == "base64":
        body = base64.encodebytes(body).replace(b"\n", b"\r\n")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def multipart(headers, parts, boundary="kesu-boundary-42"):
    out = "\r\n".join(list(headers) + ["MIME-Version: 1.0",
                                       'Content-Type: multipart/mixed; boundary="%s"' % boundary]).encode() + b"\r\n\r\n"
    for part_headers, payload in parts:
        out += ("--%s\r\n" % boundary).encode() + "\r\n".join(part_headers).encode("utf-8") + b"\r\n\r\n"
        out += payload + b"\r\n"
    return out + ("--%s--\r\n" % boundary).encode()


def b64(data):
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


# --- the mails ---------------------------------------------------------------------------------------------------

COMPLAINT = raw_mail([
    "From: %s <zhangsan@example.com>" % b64word("张三"),
    "To: complaints@example.com",
    "Subject: %s" % b64word("送货不及时，投诉配送员"),
    "Message-ID: <complaint-1@example.com>",
    "Date: Tue, 13 Oct 2026 10:00:00 +0800",
], "您好：\n我是零售户，电话13812345678，这周的货晚了三天才送到。\n请尽快处理。\n".encode("utf-8"))

GBK = raw_mail([
    "From: =?GBK?Q?=C0=EE=CB=C4?= <lisi@example.com>",
    "Subject: %s" % b64word("投诉：送货太慢 139 8765 4321", "gb2312"),
    "Message-ID: <gbk-2@example.com>",
], "送货太慢了，已经等了一周。".encode("gb2312"), content_type="text/plain; charset=gb2312")

HTML_ONLY = raw_mail([
    "From: =?UTF-8?B?546L5LqU?= <wangwu@example.com>",
    "Subject: =?UTF-8?Q?HTML_=E6=8A=95=E8=AF=89?=",
    "Message-ID: <html-3@example.com>",
], ('<html><head><title>标题不要</title><style>p {color: red}</style>'
    '<script>alert("xss")</script></head><body><p>烟草&amp;配送<b>问题</b></p>'
    '<p>联系 15012345678</p><img src=x onerror="alert(1)"><!-- 注释不要 --></body></html>').encode("utf-8"),
    content_type='text/html; charset="utf-8"', cte="8bit")

ATTACHED = multipart([
    "From: Zhao Liu <zhaoliu@example.com>",
    "Subject: photos",
    "Message-ID: <attach-4@example.com>",
], [
    (['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: 8bit"],
     "照片在附件里。".encode("utf-8")),
    (["Content-Type: image/png", "Content-Transfer-Encoding: base64",
      "Content-Disposition: attachment; filename*=utf-8''%E7%85%A7%E7%89%87.png"], b64(PNG)),
    (["Content-Type: application/octet-stream", "Content-Transfer-Encoding: base64",
      'Content-Disposition: attachment; filename="../../etc/passwd"'], b64(PASSWD)),
])

NO_MESSAGE_ID = raw_mail(["From: nobody@example.com", "Subject: no id"], "没有 Message-ID 的投诉".encode("utf-8"))

NO_BODY = raw_mail(["From: empty@example.com", "Subject: empty", "Message-ID: <nobody-6@example.com>"], b"",
                   cte=None)

OVERSIZED = raw_mail(["From: big@example.com", "Subject: big", "Message-ID: <big-7@example.com>"],
                     ("很长的投诉。" * 20000).encode("utf-8"))  # 360 KB of text, 480 KB encoded

UNDECODABLE = raw_mail(["From: bad@example.com", "Subject: bad", "Message-ID: <bad-8@example.com>"],
                       b"\xff\xfe\xfa not utf-8 \xc3\x28", cte="8bit")

TOO_MANY = multipart(["From: many@example.com", "Subject: many", "Message-ID: <many-9@example.com>"],
                     [(['Content-Type: text/plain; charset="utf-8"'], b"see attachments")]
                     + [(["Content-Type: text/plain", 'Content-Disposition: attachment; filename="f%d.txt"' % i],
                         b"x") for i in range(21)])

GOOD = {"<complaint-1@example.com>", "<gbk-2@example.com>", "<html-3@example.com>", "<attach-4@example.com>"}
HOSTILE = {"<nobody-6@example.com>": "no body text", "<big-7@example.com>": "larger than max_bytes",
           "<bad-8@example.com>": "undecodable body", "<many-9@example.com>": "more than 20 attachments"}
ALL_MAILS = [COMPLAINT, GBK, HTML_ONLY, ATTACHED, NO_MESSAGE_ID, NO_BODY, OVERSIZED, UNDECODABLE, TOO_MANY]


def utf7_decode(name):
    """IMAP's modified UTF-7 (RFC 3501 5.1.3), decoded independently of the plugin's encoder."""
    def word(m):
        if not m.group(1):
            return "&"
        data = m.group(1).replace(",", "/")
        return base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-16-be")
    return re.sub(r"&([A-Za-z0-9+,]*)-", word, name)


def decoded(value):
    return str(email.header.make_header(email.header.decode_header(value)))


class ImapIntakeTests(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        if dc.dovecot_binary() is None:
            message = "dovecot not installed (Debian: apt-get install dovecot-imapd)"
            if os.environ.get("CI"):
                raise RuntimeError(message + ": required when CI is set")
            raise unittest.SkipTest(message)
        cls.server = dc.DovecotServer().start()
        cls.conn = cls.server.imap()
        cls.boxes = 0

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            try:
                cls.conn.logout()
            except Exception:
                pass
            cls.server.stop()

    def setUp(self):
        self.plugins = []

    def tearDown(self):
        for p in self.plugins:
            if p.proc.poll() is None:
                p.kill()
            stderr = p.stderr()
            for secret in PERSONAL + [self.server.password]:
                self.assertNotIn(secret, stderr, "personal data or the password in the plugin's log")

    # --- helpers ---------------------------------------------------------------------------------------------------

    def fresh_boxes(self):
        type(self).boxes += 1
        box = "T%d" % self.boxes
        return {"mailbox": box, "processed_mailbox": box + "/Processed", "quarantine_mailbox": box + "/Quarantine"}

    def start(self, versions=(1, 2), env=None, **options):
        opts = {"host": "127.0.0.1", "port": self.server.port, "tls": False, "user": self.server.user,
                "password_env": "KESU_IMAP_PASSWORD", "timeout_seconds": 5}
        opts.update(options)
        plugin = dc.Plugin(PLUGIN_DIR, {"KESU_IMAP_PASSWORD": self.server.password} if env is None else env)
        self.plugins.append(plugin)
        answer = plugin.call("initialize", {"protocolVersions": list(versions),
                                            "host": {"name": "kesu", "version": "0.1.0"}, "options": opts})
        return plugin, answer

    def started(self, **options):
        plugin, answer = self.start(**options)
        self.assertEqual(answer.get("result"), {"protocolVersion": 2, "capabilities": {"poll": True},
                                                "plugin": {"id": "imap-intake", "version": "1.0.0"}}, answer)
        return plugin

    def result(self, answer):
        self.assertIn("result", answer, answer)
        return answer["result"]

    def poll(self, plugin, limit=50):
        return self.result(plugin.call("poll", {"limit": limit}))["items"]

    def total(self, boxes):
        return sum(dc.count(self.conn, boxes[k]) for k in ("mailbox", "processed_mailbox", "quarantine_mailbox"))

    # --- the whole way: poll, quarantine, crash, poll again, ack, poll -------------------------------------------------

    def test_poll_quarantine_crash_ack(self):
        boxes = {"mailbox": "INBOX", "processed_mailbox": "Kesu/Processed", "quarantine_mailbox": "Kesu/Quarantine"}
        for mail in ALL_MAILS:
            dc.append(self.conn, "INBOX", mail)
        self.assertEqual(self.total(boxes), 9)

        plugin = self.started(max_bytes=200000)  # the defaults name INBOX, Kesu/Processed, Kesu/Quarantine
        items = self.poll(plugin)
        by_id = {i["id"]: i for i in items}
        no_id = [i for i in items if i["id"].startswith("uid:")]
        self.assertEqual(set(by_id) - {i["id"] for i in no_id}, GOOD)
        self.assertEqual(len(no_id), 1)
        self.assertRegex(no_id[0]["id"], r"^uid:\d+:\d+$")
        self.assertEqual(no_id[0]["fields"]["description"], "没有 Message-ID 的投诉")
        for item in items:
            self.assertLessEqual(len(item["id"]), 200)
            self.assertEqual(set(item), {"id", "fields", "attachments"})
            self.assertNotIn("complainant_email", item["fields"])

        plain = by_id["<complaint-1@example.com>"]["fields"]
        self.assertEqual(plain["subject"], "送货不及时，投诉配送员")
        self.assertEqual(plain["complainant_name"], "张三")
        self.assertEqual(plain["complainant_phone"], "13812345678")
        self.assertEqual(plain["description"], "您好：\n我是零售户，电话13812345678，这周的货晚了三天才送到。\n请尽快处理。")
        self.assertEqual(by_id["<complaint-1@example.com>"]["attachments"], [])

        gbk = by_id["<gbk-2@example.com>"]["fields"]
        self.assertEqual(gbk["subject"], "投诉：送货太慢 139 8765 4321")
        self.assertEqual(gbk["complainant_name"], "李四")
        self.assertEqual(gbk["complainant_phone"], "13987654321")  # from the subject, separators dropped
        self.assertEqual(gbk["description"], "送货太慢了，已经等了一周。")

        html = by_id["<html-3@example.com>"]["fields"]
        self.assertEqual(html["subject"], "HTML 投诉")
        self.assertEqual(html["complainant_name"], "王五")
        self.assertEqual(html["complainant_phone"], "15012345678")
        self.assertIn("烟草&配送问题", html["description"])
        self.assertIn("联系 15012345678", html["description"])
        for markup in ("<", ">", "script", "alert", "color", "onerror", "标题不要", "注释不要"):
            self.assertNotIn(markup, html["description"])

        attached = by_id["<attach-4@example.com>"]
        self.assertEqual(attached["fields"]["description"], "照片在附件里。")
        self.assertEqual(attached["fields"]["complainant_name"], "Zhao Liu")
        self.assertNotIn("complainant_phone", attached["fields"])
        files = attached["attachments"]
        self.assertEqual([(f["file_name"], f["media_type"]) for f in files],
                         [("照片.png", "image/png"), ("passwd", "application/octet-stream")])
        self.assertEqual(base64.b64decode(files[0]["content_base64"]), PNG)
        self.assertEqual(base64.b64decode(files[1]["content_base64"]), PASSWD)

        # The hostile ones are in quarantine with their reason, not returned, not lost.
        quarantined = dc.headers(self.conn, "Kesu/Quarantine", "MESSAGE-ID", "X-KESU-QUARANTINE-REASON")
        reasons = {h["message-id"]: h["x-kesu-quarantine-reason"] for h in quarantined}
        self.assertEqual(set(reasons), set(HOSTILE))
        for mid, reason in HOSTILE.items():
            self.assertIn(reason, reasons[mid])
        self.assertEqual(dc.count(self.conn, "INBOX"), 5)
        self.assertEqual(self.total(boxes), 9)

        # Nothing is done before ack: a second poll, even by a plugin restarted after a crash, gives the same items.
        self.assertEqual(self.poll(plugin), items)
        plugin.kill()
        plugin = self.started(max_bytes=200000)
        self.assertEqual(self.poll(plugin), items)
        self.assertEqual(self.total(boxes), 9)

        reason = "字段 'kind' 必填; field 'kind' is required"
        acks = [{"id": "<complaint-1@example.com>", "case": "YC-2026-000001", "created": True},
                {"id": "<gbk-2@example.com>", "case": "YC-2026-000002", "created": False},
                {"id": "<html-3@example.com>", "case": "YC-2026-000003", "created": True},
                {"id": "<attach-4@example.com>", "case": "YC-2026-000004", "created": True},
                {"id": no_id[0]["id"], "refused": reason},
                {"id": "<never-seen@example.com>", "case": "YC-2026-000009", "created": True}]  # ignored
        self.assertEqual(self.result(plugin.call("ack", {"items": acks})), {"ok": True})
        self.assertEqual(dc.count(self.conn, "INBOX"), 0)
        processed = {h["message-id"] for h in dc.headers(self.conn, "Kesu/Processed", "MESSAGE-ID")}
        self.assertEqual(processed, GOOD)
        quarantined = dc.headers(self.conn, "Kesu/Quarantine", "MESSAGE-ID", "SUBJECT", "X-KESU-QUARANTINE-REASON")
        refused = [h for h in quarantined if h.get("subject") == "no id"]
        self.assertEqual(len(refused), 1)
        self.assertEqual(decoded(refused[0]["x-kesu-quarantine-reason"]), "refused by Kesu: " + reason)
        self.assertEqual(self.total(boxes), 9)

        self.assertEqual(self.poll(plugin), [])
        # ack is idempotent: the same acks again change nothing
        self.assertEqual(self.result(plugin.call("ack", {"items": acks})), {"ok": True})
        self.assertEqual((dc.count(self.conn, "Kesu/Processed"), dc.count(self.conn, "Kesu/Quarantine")), (4, 5))
        self.assertEqual(self.result(plugin.call("health", {})), {"ok": True})
        status, stderr = plugin.shutdown()
        self.assertEqual(status, 0)
        self.assertIn("poll: 0 item(s)", stderr)
        self.assertIn("<complaint-1@example.com>", stderr)  # ids are logged, personal data is not (tearDown)

    # --- poll details ------------------------------------------------------------------------------------------------

    def test_limit_takes_the_oldest_first(self):
        boxes = self.fresh_boxes()
        for n in range(3):
            dc.append(self.conn, boxes["mailbox"], raw_mail(
                ["From: x@example.com", "Subject: n%d" % n, "Message-ID: <limit-%d@example.com>" % n],
                b"complaint text"))
        plugin = self.started(**boxes)
        first = self.poll(plugin, limit=2)
        self.assertEqual([i["id"] for i in first], ["<limit-0@example.com>", "<limit-1@example.com>"])
        self.result(plugin.call("ack", {"items": [{"id": i["id"], "case": "C%d" % n, "created": True}
                                                  for n, i in enumerate(first)]}))
        self.assertEqual([i["id"] for i in self.poll(plugin, limit=2)], ["<limit-2@example.com>"])
        self.assertEqual(self.poll(plugin, limit=0), [])  # the conformance kit's poll
        self.assertEqual(dc.count(self.conn, boxes["mailbox"]), 1)

    def test_one_message_id_twice_is_one_item(self):
        boxes = self.fresh_boxes()
        mail = raw_mail(["From: x@example.com", "Subject: twice", "Message-ID: <twice@example.com>"], b"same mail")
        dc.append(self.conn, boxes["mailbox"], mail)
        dc.append(self.conn, boxes["mailbox"], mail)
        plugin = self.started(**boxes)
        items = self.poll(plugin)
        self.assertEqual([i["id"] for i in items], ["<twice@example.com>"])
        self.result(plugin.call("ack", {"items": [{"id": "<twice@example.com>", "case": "C1", "created": True}]}))
        self.assertEqual((dc.count(self.conn, boxes["mailbox"]), dc.count(self.conn, boxes["processed_mailbox"])),
                         (0, 2))

    def test_odd_message_ids_get_stable_short_ids(self):
        boxes = self.fresh_boxes()
        dc.append(self.conn, boxes["mailbox"], raw_mail(
            ["From: x@example.com", "Subject: long", "Message-ID: <%s@example.com>" % ("x" * 300)], b"long id"))
        dc.append(self.conn, boxes["mailbox"], raw_mail(
            ["From: x@example.com", "Subject: folded", "Message-ID:", " <folded@example.com>"], b"folded id"))
        plugin = self.started(**boxes)
        items = self.poll(plugin)
        ids = [i["id"] for i in items]
        self.assertRegex(ids[0], r"^mid-sha256:[0-9a-f]{64}$")
        self.assertEqual(ids[1], "<folded@example.com>")
        self.assertEqual([i["id"] for i in self.poll(plugin)], ids)
        self.result(plugin.call("ack", {"items": [{"id": i, "case": "C", "created": True} for i in ids]}))
        self.assertEqual(dc.count(self.conn, boxes["processed_mailbox"]), 2)

    def test_non_ascii_quarantine_mailbox_name(self):
        boxes = self.fresh_boxes()
        boxes["quarantine_mailbox"] = boxes["mailbox"] + "/隔离区"
        dc.append(self.conn, boxes["mailbox"], NO_BODY)
        plugin = self.started(**boxes)
        self.assertEqual(self.poll(plugin), [])
        typ, data = self.conn.list('""', dc.quote(boxes["mailbox"] + "/*"))
        names = [re.search(rb'"/" "?([^"]*)"?$', d).group(1).decode("ascii") for d in data if d]
        self.assertEqual([utf7_decode(n) for n in names], [boxes["quarantine_mailbox"]])
        self.assertEqual(dc.count(self.conn, names[0]), 1)

    # --- handshake, health and errors ------------------------------------------------------------------------------

    def test_protocol_1_only_is_refused(self):
        plugin, answer = self.start(versions=(1,))
        self.assertEqual(answer["error"]["code"], -32002, answer)
        self.assertIn("unsupported protocol version", answer["error"]["message"])

    def test_wrong_password_health_error(self):
        plugin = self.started(env={"KESU_IMAP_PASSWORD": "wrong"})
        answer = plugin.call("health", {})
        self.assertEqual(answer["error"]["code"], -32011, answer)
        self.assertIn("login", answer["error"]["message"])
        self.assertNotIn("wrong", answer["error"]["message"])
        answer = plugin.call("poll", {"limit": 5})
        self.assertEqual(answer["error"]["code"], -32011, answer)
        self.assertEqual(plugin.shutdown()[0], 0)  # an error object is not a fault: still running

    def test_password_env_must_be_passed_through(self):
        # KESU_OTHER_PASSWORD is not under env: in plugin.yaml, so the host (and this harness) does not pass it.
        plugin = self.started(env={"KESU_OTHER_PASSWORD": self.server.password}, password_env="KESU_OTHER_PASSWORD")
        answer = plugin.call("health", {})
        self.assertEqual(answer["error"]["code"], -32011, answer)
        self.assertIn("KESU_OTHER_PASSWORD", answer["error"]["message"])
        self.assertIn("env:", answer["error"]["message"])

    def test_missing_mailbox_health_error(self):
        plugin = self.started(mailbox="NoSuchBox")
        answer = plugin.call("health", {})
        self.assertEqual(answer["error"]["code"], -32012, answer)
        self.assertIn("NoSuchBox", answer["error"]["message"])

    def test_plaintext_password_only_to_the_loopback(self):
        plugin = self.started(host="imap.example.com", tls=False)
        answer = plugin.call("health", {})
        self.assertEqual(answer["error"]["code"], -32010, answer)
        self.assertIn("unencrypted", answer["error"]["message"])

    def test_unreachable_server(self):
        plugin = self.started(port=1, timeout_seconds=2)
        answer = plugin.call("health", {})
        self.assertEqual(answer["error"]["code"], -32010, answer)

    def test_bad_options_and_params(self):
        plugin, answer = self.start(max_bytes="lots")
        self.assertEqual(answer["error"]["code"], -32602, answer)
        plugin = self.started()
        self.assertEqual(plugin.call("poll", {"limit": -1})["error"]["code"], -32602)
        self.assertEqual(plugin.call("ack", {"items": [{"id": "<x>"}]})["error"]["code"], -32602)
        self.assertEqual(plugin.call("ack", {"items": []})["result"], {"ok": True})
        self.assertEqual(plugin.call("frobnicate", {})["error"]["code"], -32601)

    def test_tls(self):
        if not self.server.tls_port:
            self.skipTest("no IMAPS port (openssl missing)")
        plugin = self.started(port=self.server.tls_port, tls=True, ca_file=self.server.ca_file)
        self.assertEqual(self.result(plugin.call("health", {})), {"ok": True})
        plugin = self.started(port=self.server.tls_port, tls=True)  # self-signed, not trusted: refused
        answer = plugin.call("health", {})
        self.assertEqual(answer["error"]["code"], -32010, answer)
        self.assertIn("certificate", answer["error"]["message"].lower())
        plugin = self.started(port=self.server.port, tls=False, starttls=True, ca_file=self.server.ca_file)
        self.assertEqual(self.result(plugin.call("health", {})), {"ok": True})


class MailDecodingTests(unittest.TestCase):
    """The plugin's pure functions, without a server."""

    def item(self, raw, **cfg):
        options = {"max_attachments": 20}
        options.update(cfg)
        return imap_plugin.build_item("<id>", raw, options)

    def test_a_character_split_across_encoded_words(self):
        data = "投诉".encode("utf-8")
        split = "=?UTF-8?B?%s?= =?UTF-8?B?%s?=" % (base64.b64encode(data[:4]).decode(), base64.b64encode(data[4:]).decode())
        self.assertEqual(imap_plugin.decode_words(split), "投诉")
        self.assertEqual(imap_plugin.decode_words("Re: =?utf-8?q?=E6=8A=95?= x"), "Re: 投 x")

    def test_file_names(self):
        taken = set()
        name = imap_plugin.safe_file_name
        self.assertEqual(name("..\\..\\windows\\win.ini", 1, "text/plain", taken), "win.ini")
        self.assertEqual(name("/etc/passwd", 2, "text/plain", taken), "passwd")
        self.assertEqual(name("../passwd", 3, "text/plain", taken), "passwd-2")
        self.assertEqual(name("..", 4, "image/png", taken), "attachment-4.png")
        self.assertEqual(name("photo\u202egpj.exe", 5, "image/png", taken), "photogpj.exe")  # no bidi override
        self.assertEqual(name("a\x00b:c.txt", 6, "text/plain", taken), "ab_c.txt")

    def test_imap_utf7(self):
        self.assertEqual(imap_plugin.imap_utf7("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-")
        self.assertEqual(imap_plugin.imap_utf7("A&B"), "A&-B")

    def test_phone_forms(self):
        find = imap_plugin.find_phone
        self.assertEqual(find("电话：１３８１２３４５６７８"), "13812345678")  # full-width digits
        self.assertEqual(find("138-1234-5678 或 13987654321"), "13812345678")
        self.assertIsNone(find("订单号 213812345678 固话 010-12345678"))
        self.assertIsNone(find("12812345678"))

    def test_html_with_an_unterminated_tag(self):
        raw = raw_mail(["Subject: x"], b"<p>text</p><script src=x", content_type="text/html", cte="8bit")
        self.assertEqual(self.item(raw)["fields"]["description"], "text")

    def test_an_html_part_beside_plain_text_is_not_an_attachment(self):
        raw = multipart(["Subject: alt"], [(["Content-Type: text/plain; charset=utf-8"], "纯文本".encode()),
                                           (["Content-Type: text/html; charset=utf-8"], b"<p>html</p>")])
        item = self.item(raw)
        self.assertEqual((item["fields"]["description"], item["attachments"]), ("纯文本", []))

    def test_8bit_utf8_headers_and_a_gbk_body_without_charset(self):
        raw = "Subject: 未编码的主题\r\nFrom: 赵六 <z@example.com>\r\n\r\n".encode("utf-8") + "正文".encode("gbk")
        fields = self.item(raw)["fields"]
        self.assertEqual((fields["subject"], fields["complainant_name"], fields["description"]),
                         ("未编码的主题", "赵六", "正文"))

    def test_mime_bombs_are_quarantined(self):
        def nested(n):
            if n == 0:
                return b"Content-Type: text/plain\r\n\r\nx"
            b = b"b%d" % n
            return (b'Content-Type: multipart/mixed; boundary="' + b + b'"\r\n\r\n--' + b + b"\r\n" + nested(n - 1)
                    + b"\r\n--" + b + b"--\r\n")
        deep = b"Subject: d\r\nMIME-Version: 1.0\r\n" + nested(30)
        self.assertEqual(self.item(b"Subject: d\r\nMIME-Version: 1.0\r\n" + nested(5))["fields"]["description"], "x")
        with self.assertRaises(imap_plugin.Quarantine) as caught:
            self.item(deep)
        self.assertIn("nesting", caught.exception.reason)
        wide = multipart(["Subject: w"], [(["Content-Type: text/plain"], b"x")] * 250)
        with self.assertRaises(imap_plugin.Quarantine) as caught:
            self.item(wide, max_attachments=1000)
        self.assertIn("MIME parts", caught.exception.reason)

    def test_the_reason_header(self):
        self.assertEqual(imap_plugin.reason_header("no body text"), b"X-Kesu-Quarantine-Reason: no body text\r\n")
        header = imap_plugin.reason_header("拒绝\r\nInjected: yes " + "很长" * 40)
        self.assertNotIn(b"\r\nInjected", header)
        self.assertTrue(all(len(line) <= 78 for line in header.split(b"\r\n")))
        self.assertEqual(decoded(header.decode().split(":", 1)[1].strip()), "拒绝 Injected: yes " + "很长" * 40)


if __name__ == "__main__":
    unittest.main()
