#!/usr/bin/env python3
"""imap-intake: a Kesu source plugin (protocol 2) that brings complaints in by e-mail.

It polls an IMAP mailbox and hands each mail to Kesu as an item: the subject, the text of the body (HTML
reduced to plain text), the sender's display name, the first mainland mobile number found, and the
attachments. A mail stays in the mailbox until Kesu acks it: then it is moved to the processed mailbox (or,
refused, to the quarantine mailbox with the reason in a header). A mail that cannot be an item (too big, no
text, undecodable, too many attachments, unparseable) is moved to quarantine with the reason, and never
returned. Nothing is ever deleted before its copy is safely stored (APPEND or COPY first, then \\Deleted and
UID EXPUNGE).

JSON-RPC 2.0, one JSON object per line on stdin/stdout (docs/plugins.md, docs/integrations.md "Source
plugins"). stderr is the log: it carries message ids and counts, never names, phone numbers or bodies.
Python 3 standard library only. README.md beside this file lists the options.
"""
import base64
import binascii
import codecs
import email
import email.errors
import email.message
import email.utils
import hashlib
import html.parser
import imaplib
import ipaddress
import json
import mimetypes
import os
import re
import ssl
import sys
import time
import unicodedata

PLUGIN_ID = "imap-intake"
PLUGIN_VERSION = "1.0.0"
PROTOCOLS = [2]

QUARANTINE_HEADER = "X-Kesu-Quarantine-Reason"
MAX_ID = 200
MAX_MIME_PARTS = 200          # more leaves than this: quarantined (a MIME bomb)
MAX_MIME_DEPTH = 20           # deeper nesting than this: quarantined
COPY_ONLY_ABOVE = 64 << 20    # a quarantined mail above this is copied server-side (no reason header)
META_CHUNK = 200              # UIDs per FETCH of sizes and Message-IDs

imaplib._MAXLINE = 10_000_000  # a UID SEARCH of a big mailbox is one long line

options = {}

# name: (type, default). "int"/"bool" accept strings too (`kesu plugins check --option key=value`).
OPTIONS = {
    "host": ("str", None),
    "port": ("int", None),                    # 993 with tls, 143 without
    "tls": ("bool", True),                    # IMAPS (implicit TLS)
    "starttls": ("bool", False),              # with tls: false, upgrade the plain connection
    "tls_verify": ("bool", True),             # verify the server's certificate and name
    "ca_file": ("str", None),                 # a CA (or self-signed) certificate to trust, PEM
    "allow_plaintext": ("bool", False),       # send the password unencrypted to a non-loopback host
    "user": ("str", None),
    "password": ("str", None),
    "password_env": ("str", None),            # default KESU_IMAP_PASSWORD; list it under env: in plugin.yaml
    "mailbox": ("str", "INBOX"),
    "processed_mailbox": ("str", "Kesu/Processed"),
    "quarantine_mailbox": ("str", "Kesu/Quarantine"),
    "max_bytes": ("int", 10 << 20),
    "max_attachments": ("int", 20),
    "timeout_seconds": ("int", 30),
    "poll_seconds": ("int", 25),              # poll starts no new mail after this long
    "poll_max_bytes": ("int", 32 << 20),      # poll stops adding items past this many bytes of mail
}


def log(text):
    # stderr is the plugin's log: ids and counts only, never personal data. Nothing else on stdout.
    sys.stderr.write("imap-intake: " + text + "\n")
    sys.stderr.flush()


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class Quarantine(Exception):
    """The mail cannot become an item: it goes to the quarantine mailbox with this reason."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------------- options

def parse_option(name, kind, value):
    if value is None:
        return None
    if kind == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
    elif kind == "int":
        if isinstance(value, float) and value.is_integer():  # JSON numbers may arrive as 50.0
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
    elif kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1", "false", "no", "off", "0"):
            return value.strip().lower() in ("true", "yes", "on", "1")
    raise RpcError(-32602, "option '%s' must be %s, not %s" % (
        name, {"str": "a string", "int": "a non-negative integer", "bool": "true or false"}[kind],
        type(value).__name__))


def load_options(raw):
    if not isinstance(raw, dict):
        raise RpcError(-32602, "params.options must be an object")
    cfg = {}
    for name, (kind, default) in OPTIONS.items():
        value = parse_option(name, kind, raw.get(name))
        cfg[name] = default if value is None else value
    unknown = sorted(k for k in raw if k not in OPTIONS)
    if unknown:
        log("ignoring unknown option(s): %s" % ", ".join(unknown))
    if cfg["port"] is None:
        cfg["port"] = 993 if cfg["tls"] else 143
    for name in ("mailbox", "processed_mailbox", "quarantine_mailbox"):
        if not cfg[name].strip():
            raise RpcError(-32602, "option '%s' must not be empty" % name)
    if cfg["quarantine_mailbox"] == cfg["mailbox"] or cfg["processed_mailbox"] == cfg["mailbox"]:
        raise RpcError(-32602, "processed_mailbox and quarantine_mailbox must differ from mailbox")
    if cfg["max_bytes"] < 1:
        raise RpcError(-32602, "option 'max_bytes' must be at least 1")
    return cfg


def password(cfg):
    if cfg["password"] is not None:
        return cfg["password"]
    name = cfg["password_env"] or "KESU_IMAP_PASSWORD"
    value = os.environ.get(name)
    if value is None:
        raise RpcError(-32011, "no password: the environment variable %s is not set (the host passes only the "
                               "variables listed under env: in plugin.yaml)" % name)
    return value


def is_loopback(host):
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# ------------------------------------------------------------------------------------------ IMAP helpers

def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def imap_utf7(name):
    """A mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3), e.g. 已处理 -> &XfJZBA-."""
    out, buf = [], []

    def flush():
        if buf:
            b64 = base64.b64encode("".join(buf).encode("utf-16-be")).decode("ascii").rstrip("=")
            out.append("&" + b64.replace("/", ",") + "-")
            buf.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def uid_set(uids):
    """[1,2,3,7] -> '1:3,7'"""
    uids = sorted(set(uids))
    parts, i = [], 0
    while i < len(uids):
        j = i
        while j + 1 < len(uids) and uids[j + 1] == uids[j] + 1:
            j += 1
        parts.append(str(uids[i]) if i == j else "%d:%d" % (uids[i], uids[j]))
        i = j + 1
    return ",".join(parts)


def chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def short(e):
    args = getattr(e, "args", None) or ()
    text = args[0] if len(args) == 1 else str(e)  # an OSError's args are (errno, text): str() has both
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text)[:300]


def parse_fetch(data):
    """imaplib's FETCH data -> {uid: {"meta": bytes, "literal": bytes or None}} (one literal per message)."""
    msgs, cur = [], None
    for item in data or []:
        if isinstance(item, tuple):
            head, literal = item[0], item[1]
            if re.match(rb"^\d+ \(", head):
                cur = {"meta": head, "literal": literal}
                msgs.append(cur)
            elif cur is not None:
                cur["meta"] += head
        elif isinstance(item, bytes):
            if re.match(rb"^\d+ \(", item):
                cur = {"meta": item, "literal": None}
                msgs.append(cur)
            elif cur is not None:
                cur["meta"] += item
    out = {}
    for m in msgs:
        found = re.search(rb"\bUID (\d+)", m["meta"])
        if found:  # a FETCH without UID is an unsolicited flag update: not ours
            out[int(found.group(1))] = m
    return out


def message_id_of(header_bytes):
    """The raw Message-ID value (whitespace removed) from a header block, or None."""
    if not header_bytes:
        return None
    found = re.search(rb"(?im)^message-id[ \t]*:((?:[^\r\n]*)(?:\r?\n[ \t][^\r\n]*)*)", header_bytes)
    if not found:
        return None
    value = re.sub(rb"\s+", b"", found.group(1))
    return value or None


def item_id(uidvalidity, uid, mid):
    """The item's id: the Message-ID when it is sane; else a hash of it; else uid:<UIDVALIDITY>:<UID>.
    The same mail always gets the same id (poll and ack both compute it from the same FETCH)."""
    if mid:
        if len(mid) <= MAX_ID and all(0x21 <= b <= 0x7E for b in mid):
            return mid.decode("ascii")
        return "mid-sha256:" + hashlib.sha256(mid).hexdigest()
    return "uid:%s:%d" % (uidvalidity, uid)


def reason_header(reason):
    """One header line (CRLF-terminated) carrying the reason; RFC 2047-encoded when not ASCII."""
    reason = " ".join(clean_text(reason).split()) or "unspecified"
    reason = reason[:900]
    try:
        reason.encode("ascii")
        value = reason
    except UnicodeEncodeError:
        words, chunk = [], ""
        for ch in reason:  # encoded words of at most 30 bytes of UTF-8: lines of at most 78 characters
            if len((chunk + ch).encode("utf-8")) > 30:
                words.append(chunk)
                chunk = ""
            chunk += ch
        if chunk:
            words.append(chunk)
        value = "\r\n ".join("=?utf-8?b?%s?=" % base64.b64encode(w.encode("utf-8")).decode("ascii")
                             for w in words)
    return ("%s: %s\r\n" % (QUARANTINE_HEADER, value)).encode("ascii")


class Session:
    """One IMAP connection for one call: connect, log in, select; moves and quarantines; expunge; log out."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.imap = None
        self.caps = set()
        self.delimiter = "/"
        self.ensured = set()
        self.deleted = []
        self.uidvalidity = None

    def __enter__(self):
        cfg = self.cfg
        host, port, timeout = cfg["host"], cfg["port"], cfg["timeout_seconds"] or None
        if not host:
            raise RpcError(-32010, "option 'host' is not set")
        if not cfg["user"]:
            raise RpcError(-32011, "option 'user' is not set")
        secret = password(cfg)
        if not cfg["tls"] and not cfg["starttls"] and not cfg["allow_plaintext"] and not is_loopback(host):
            raise RpcError(-32010, "refusing to send the password unencrypted to %s: set tls: true (IMAPS), "
                                   "starttls: true, or allow_plaintext: true" % host)
        context = None
        if cfg["tls"] or cfg["starttls"]:
            context = ssl.create_default_context(cafile=cfg["ca_file"] or None)
            if not cfg["tls_verify"]:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        try:
            if cfg["tls"]:
                self.imap = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
            else:
                self.imap = imaplib.IMAP4(host, port, timeout=timeout)
                if cfg["starttls"]:
                    self.imap.starttls(context)
        except (OSError, imaplib.IMAP4.error, ValueError) as e:
            self.imap = None
            raise RpcError(-32010, "cannot connect to %s:%s: %s" % (host, port, short(e)))
        try:
            try:
                self.imap.login(cfg["user"], secret)
            except UnicodeEncodeError:  # a non-ASCII password: AUTHENTICATE PLAIN carries UTF-8
                token = b"\0" + cfg["user"].encode("utf-8") + b"\0" + secret.encode("utf-8")
                self.imap.authenticate("PLAIN", lambda _: token)
        except imaplib.IMAP4.abort as e:
            self.close()
            raise RpcError(-32010, "connection to %s:%s lost while logging in: %s" % (host, port, short(e)))
        except imaplib.IMAP4.error as e:
            self.close()
            raise RpcError(-32011, "login as %s refused by %s: %s" % (cfg["user"], host, short(e)))
        typ, data = self.imap.capability()
        if typ == "OK" and data and data[-1]:
            self.caps = set(data[-1].decode("ascii", "replace").upper().split())
        typ, data = self.imap.list('""', '""')
        if typ == "OK" and data and isinstance(data[0], bytes):
            found = re.search(rb'\) (?:"((?:[^"\\]|\\.)*)"|NIL) ', data[0])
            if found:
                self.delimiter = found.group(1).decode("ascii", "replace") if found.group(1) is not None else ""
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        if self.imap is not None:
            try:
                self.imap.logout()
            except Exception:
                pass
            self.imap = None

    def name(self, mailbox):
        if self.delimiter and self.delimiter != "/":
            mailbox = mailbox.replace("/", self.delimiter)
        return quote(imap_utf7(mailbox))

    def check(self, typ, data, what, code=-32013):
        if typ != "OK":
            raise RpcError(code, "%s: %s" % (what, short(Exception(data[0] if data else typ))))
        return data

    def select(self, mailbox, readonly=False):
        typ, data = self.imap.select(self.name(mailbox), readonly=readonly)
        self.check(typ, data, "cannot select mailbox '%s'" % mailbox, code=-32012)
        _, values = self.imap.response("UIDVALIDITY")
        self.uidvalidity = values[0].decode("ascii", "replace") if values and values[0] else "0"

    def ensure(self, mailbox):
        """Creates the mailbox if it is not there (and subscribes to it, for people's mail clients)."""
        if mailbox in self.ensured:
            return self.name(mailbox)
        quoted = self.name(mailbox)
        typ, data = self.imap.list('""', quoted)
        if not (typ == "OK" and any(isinstance(d, (bytes, tuple)) for d in data)):
            typ, data = self.imap.create(quoted)
            if typ != "OK" and b"ALREADYEXISTS" not in b"".join(d for d in data if isinstance(d, bytes)):
                self.check(typ, data, "cannot create mailbox '%s'" % mailbox)
            self.imap.subscribe(quoted)
            log("created mailbox %s" % mailbox)
        self.ensured.add(mailbox)
        return quoted

    def undeleted_uids(self):
        typ, data = self.imap.uid("SEARCH", "UNDELETED")
        self.check(typ, data, "UID SEARCH failed")
        return sorted(int(u) for u in b" ".join(d for d in data if isinstance(d, bytes)).split())

    def meta(self, uids):
        """{uid: (size, id)} for these UIDs (gone ones are absent)."""
        out = {}
        for chunk in chunks(uids, META_CHUNK):
            typ, data = self.imap.uid("FETCH", uid_set(chunk), "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            self.check(typ, data, "UID FETCH failed")
            for uid, m in parse_fetch(data).items():
                size = re.search(rb"RFC822\.SIZE (\d+)", m["meta"])
                out[uid] = (int(size.group(1)) if size else 0,
                            item_id(self.uidvalidity, uid, message_id_of(m["literal"])))
        return out

    def fetch(self, uid):
        """(raw mail bytes, internal date as a time tuple or None), or (None, None) if it is gone."""
        typ, data = self.imap.uid("FETCH", str(uid), "(UID INTERNALDATE BODY.PEEK[])")
        self.check(typ, data, "UID FETCH failed")
        m = parse_fetch(data).get(uid)
        if m is None or m["literal"] is None:
            return None, None
        return m["literal"], imaplib.Internaldate2tuple(m["meta"])

    def delete(self, uids):
        typ, data = self.imap.uid("STORE", uid_set(uids), "+FLAGS.SILENT", r"(\Deleted)")
        self.check(typ, data, "UID STORE \\Deleted failed")
        self.deleted.extend(uids)

    def move(self, uids, mailbox):
        target = self.ensure(mailbox)
        if "MOVE" in self.caps:
            typ, data = self.imap.uid("MOVE", uid_set(uids), target)
            self.check(typ, data, "UID MOVE to '%s' failed" % mailbox)
        else:  # copy first, then delete: never lose a mail
            typ, data = self.imap.uid("COPY", uid_set(uids), target)
            self.check(typ, data, "UID COPY to '%s' failed" % mailbox)
            self.delete(uids)

    def quarantine(self, uid, reason, raw=None, when=None, size=0):
        """Appends the mail to quarantine with the reason header, then deletes the original."""
        target = self.ensure(self.cfg["quarantine_mailbox"])
        if raw is None and size > COPY_ONLY_ABOVE:
            typ, data = self.imap.uid("COPY", str(uid), target)
            self.check(typ, data, "UID COPY to quarantine failed")
            log("uid %d is too big to rewrite (%d bytes): copied to quarantine without the reason header" % (uid, size))
            self.delete([uid])
            return
        if raw is None:
            raw, when = self.fetch(uid)
            if raw is None:
                return  # gone meanwhile
        typ, data = self.imap.append(target, None, when, reason_header(reason) + raw)
        if typ != "OK":  # the server would not take the rewritten mail: copy it as it is (the log has the id)
            log("uid %d: APPEND to quarantine refused (%s): copying it there without the reason header"
                % (uid, short(Exception(data[0] if data else typ))))
            typ, data = self.imap.uid("COPY", str(uid), target)
            self.check(typ, data, "UID COPY to quarantine failed")
        self.delete([uid])

    def expunge(self):
        if not self.deleted:
            return
        if "UIDPLUS" in self.caps:
            typ, data = self.imap.uid("EXPUNGE", uid_set(self.deleted))
        else:  # without UIDPLUS: EXPUNGE also removes mails others flagged \Deleted
            typ, data = self.imap.expunge()
        self.check(typ, data, "EXPUNGE failed")
        self.deleted = []


# --------------------------------------------------------------------------------------- mail decoding

CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030",
    "x-euc-cn": "gb18030", "hz-gb-2312": "hz", "big5": "big5hkscs", "x-big5": "big5hkscs",
    "us-ascii": "utf-8", "ascii": "utf-8", "iso-8859-1": "cp1252", "latin1": "cp1252", "unicode-1-1-utf-7": "utf-7",
}
ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
PHONE = re.compile(r"(?<![0-9])(1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})(?![0-9])")
MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def codec(charset):
    charset = (charset or "").strip().strip('"').lower()
    return CHARSET_ALIASES.get(charset, charset)


def decode_bytes(data, charset, strict=True):
    """Bytes in a declared charset (an unknown name: UTF-8), or undeclared: UTF-8, else GB18030.
    None when undecodable and strict; with strict=False undecodable bytes become U+FFFD."""
    name = codec(charset)
    if name:
        try:
            codecs.lookup(name)
            candidates = [name]
        except LookupError:
            candidates = ["utf-8"]
    else:
        candidates = ["utf-8", "gb18030"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue  # LookupError: a codec that is not a text encoding (base64_codec, zlib_codec)
    if strict:
        return None
    try:
        return data.decode(candidates[0], "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def unescape_8bit(s):
    """A header parsed from bytes keeps raw 8-bit bytes as surrogates: decode them (UTF-8, else GB18030)."""
    if not any("\udc80" <= ch <= "\udcff" for ch in s):
        return s
    raw = s.encode("utf-8", "surrogateescape")
    return decode_bytes(raw, None, strict=False)


def decode_words(s):
    """RFC 2047: decodes =?charset?B|Q?...?= words; adjacent words of one charset are joined as bytes first
    (a character split across two words still decodes), whitespace between encoded words is dropped."""
    out, pending, pending_cs, pos = [], b"", None, 0

    def flush():
        nonlocal pending, pending_cs
        if pending_cs is not None:
            out.append(decode_bytes(pending, pending_cs, strict=False))
        pending, pending_cs = b"", None

    for m in ENCODED_WORD.finditer(s):
        between = s[pos:m.start()]
        if between.strip() or pending_cs is None:
            flush()
            out.append(between)
        charset = m.group(1).split("*", 1)[0]  # RFC 2231 language suffix
        text = m.group(3)
        try:
            if m.group(2) in "bB":
                data = base64.b64decode(text + "=" * (-len(text) % 4))
            else:
                data = binascii.a2b_qp(text.encode("ascii", "replace"), header=True)
        except (binascii.Error, ValueError):
            data = m.group(0).encode("ascii", "replace")
            charset = "utf-8"
        if pending_cs is not None and codec(charset) != codec(pending_cs):
            flush()
        pending += data
        pending_cs = charset
        pos = m.end()
    flush()
    out.append(s[pos:])
    return "".join(out)


def clean_text(s, keep_newlines=False):
    """No lone surrogates (JSON must be valid Unicode), no control or format characters (bidi overrides)."""
    s = s.encode("utf-8", "replace").decode("utf-8")
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for ch in s:
        if keep_newlines and ch in "\n\t":
            kept.append(ch)
        elif ch in "\n\t":
            kept.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in "\u200d":
            continue
        else:
            kept.append(ch)
    return "".join(kept)


def header_text(msg, name):
    """The decoded value of the first header `name`, or ''."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            if not isinstance(value, str):
                value = str(value)
            value = re.sub(r"\r?\n(?=[ \t])", "", value)
            return unescape_8bit(value)
    return ""


def display_name(msg):
    raw = header_text(msg, "From")
    if not raw:
        return ""
    name, _ = email.utils.parseaddr(raw)
    name = " ".join(clean_text(decode_words(name)).split()).strip().strip('"\'').strip()
    if not name or "@" in name:  # no name, or the address itself: not a name
        return ""
    return name[:100]


class HtmlText(html.parser.HTMLParser):
    """HTML -> plain text: scripts, styles and other non-text elements are dropped whole; entities decoded."""
    SKIP = {"script", "style", "title", "noscript", "template", "iframe", "object", "embed", "svg", "math",
            "applet", "frameset", "xml"}
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "dt",
             "dd", "blockquote", "pre", "hr", "section", "article", "header", "footer", "address", "form",
             "fieldset", "figure", "figcaption", "main", "nav", "aside", "caption", "thead", "tbody", "tfoot"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(source):
    parser = HtmlText()
    parser.feed(source)
    parser.close()
    text = "".join(parser.parts)
    # Whatever still looks like markup (an unterminated tag the parser gave back as text) goes too.
    return re.sub(r"<[/!?]?[A-Za-z][^<>]*(?:>|$)", " ", text)


def tidy_body(text):
    text = clean_text(text, keep_newlines=True).replace("\t", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def find_phone(*texts):
    for text in texts:
        found = PHONE.search(unicodedata.normalize("NFKC", text))
        if found:
            return "".join(found.groups())
    return None


def leaves(msg):
    """The MIME leaves (a message/rfc822 part counts as a leaf), depth-first, bounded."""
    out, stack = [], [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        if depth > MAX_MIME_DEPTH:
            raise Quarantine("MIME nesting deeper than %d" % MAX_MIME_DEPTH)
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            payload = part.get_payload()
            stack.extend((p, depth + 1) for p in reversed(payload if isinstance(payload, list) else []))
        else:
            out.append(part)
            if len(out) > MAX_MIME_PARTS:
                raise Quarantine("more than %d MIME parts" % MAX_MIME_PARTS)
    return out


def payload_bytes(part, what):
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        return inner.as_bytes() if isinstance(inner, email.message.Message) else b""
    data = part.get_payload(decode=True)
    if any(isinstance(d, email.errors.InvalidBase64LengthDefect) for d in part.defects):
        raise Quarantine("undecodable %s (broken base64)" % what)
    return data or b""


def safe_file_name(raw, index, media_type, taken):
    name = clean_text(decode_words(unescape_8bit(raw or "")))
    name = name.replace("\\", "/").split("/")[-1]           # a base name: no folders, no ../
    name = re.sub(r'[<>:"|?*]', "_", name).strip().lstrip(".").strip()
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:140] + "." + ext[:9]) if dot and len(ext) <= 9 else name[:150]
    if not name:
        name = "attachment-%d%s" % (index, mimetypes.guess_extension(media_type) or ".bin")
    base, n = name, 2
    while name.lower() in taken:
        stem, dot, ext = base.rpartition(".")
        name = "%s-%d.%s" % (stem, n, ext) if dot and stem else "%s-%d" % (base, n)
        n += 1
    taken.add(name.lower())
    return name


def build_item(iid, raw, cfg):
    """A parsed mail -> the item; raises Quarantine when it cannot be one."""
    msg = email.message_from_bytes(raw)
    parts = leaves(msg)
    plains, htmls, files = [], [], []
    for part in parts:
        media_type = part.get_content_type()
        disposition = part.get_content_disposition()
        file_name = part.get_filename()
        is_body = disposition != "attachment" and not file_name and media_type in ("text/plain", "text/html")
        if is_body:
            data = payload_bytes(part, "body")
            text = decode_bytes(data, part.get_content_charset())
            if text is None:
                raise Quarantine("undecodable body (charset %s)" % (part.get_content_charset() or "undeclared"))
            (plains if media_type == "text/plain" else htmls).append(text)
        elif not part.is_multipart() or media_type == "message/rfc822":
            files.append((part, media_type, file_name))
    if len(files) > cfg["max_attachments"]:
        raise Quarantine("more than %d attachments (%d)" % (cfg["max_attachments"], len(files)))

    description = tidy_body("\n\n".join(plains))
    if not description and htmls:
        description = tidy_body(html_to_text("\n".join(htmls)))
    if not description:
        raise Quarantine("no body text")
    subject = " ".join(clean_text(decode_words(header_text(msg, "Subject"))).split())

    attachments, taken = [], set()
    for index, (part, media_type, file_name) in enumerate(files, 1):
        if media_type == "message/rfc822" and not file_name:
            file_name = "message-%d.eml" % index
        data = payload_bytes(part, "attachment %d" % index)
        if not MEDIA_TYPE.match(media_type):
            media_type = "application/octet-stream"
        attachments.append({"file_name": safe_file_name(file_name, index, media_type, taken),
                            "media_type": media_type,
                            "content_base64": base64.b64encode(data).decode("ascii")})

    fields = {}
    if subject:
        fields["subject"] = subject
    fields["description"] = description
    name = display_name(msg)
    if name:
        fields["complainant_name"] = name
    phone = find_phone(subject, description)
    if phone:
        fields["complainant_phone"] = phone
    return {"id": iid, "fields": fields, "attachments": attachments}


# ------------------------------------------------------------------------------------------------ methods

def initialize(params):
    offered = params.get("protocolVersions") or []
    common = [v for v in PROTOCOLS if v in offered]
    if not common:
        raise RpcError(-32002, "unsupported protocol version: host offers %s, plugin speaks %s" % (offered, PROTOCOLS))
    cfg = load_options(params.get("options") or {})
    options.clear()
    options.update(cfg)
    mode = "tls" if cfg["tls"] else ("starttls" if cfg["starttls"] else "plain")
    log("%s %s: mailbox %s on %s:%s (%s)" % (PLUGIN_ID, PLUGIN_VERSION, cfg["mailbox"], cfg["host"] or "(no host)",
                                             cfg["port"], mode))
    return {"protocolVersion": max(common), "capabilities": {"poll": True},
            "plugin": {"id": PLUGIN_ID, "version": PLUGIN_VERSION}}


def config():
    return options if options else load_options({})


def poll(params):
    limit = params.get("limit", 50)
    if isinstance(limit, float) and limit.is_integer():
        limit = int(limit)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise RpcError(-32602, "params.limit must be a non-negative integer")
    if limit == 0:  # the conformance kit's poll: nothing is taken, no connection needed
        return {"items": []}
    cfg = config()
    deadline = time.monotonic() + cfg["poll_seconds"]
    items, seen, quarantined, batch_bytes = [], set(), 0, 0
    with Session(cfg) as s:
        s.select(cfg["mailbox"])
        uids = s.undeleted_uids()
        for chunk in chunks(uids, META_CHUNK):
            if len(items) >= limit or time.monotonic() > deadline or batch_bytes >= cfg["poll_max_bytes"]:
                break
            meta = s.meta(chunk)
            for uid in chunk:
                if len(items) >= limit or time.monotonic() > deadline or batch_bytes >= cfg["poll_max_bytes"]:
                    break
                if uid not in meta:
                    continue  # expunged meanwhile
                size, iid = meta[uid]
                if iid in seen:
                    continue  # the same Message-ID twice: one item; ack moves both
                raw = when = None
                if size > cfg["max_bytes"]:
                    reason = "larger than max_bytes (%d > %d bytes)" % (size, cfg["max_bytes"])
                else:
                    raw, when = s.fetch(uid)
                    if raw is None:
                        continue
                    try:
                        item = build_item(iid, raw, cfg)
                    except Quarantine as q:
                        reason = q.reason
                    except Exception as e:  # the parser choked: the mail is hostile or broken, not us
                        reason = "cannot parse the mail (%s)" % type(e).__name__
                    else:
                        seen.add(iid)
                        items.append(item)
                        batch_bytes += len(raw)
                        continue
                try:
                    s.quarantine(uid, reason, raw=raw, when=when, size=size)
                except RpcError as e:  # the server refuses: leave the mail where it is, go on with the others
                    log("could not quarantine %s (%s): %s; left in %s" % (iid, reason, e.message, cfg["mailbox"]))
                    continue
                log("quarantined %s: %s" % (iid, reason))
                quarantined += 1
        s.expunge()
    log("poll: %d item(s)%s, %d quarantined" % (len(items), (": " + " ".join(i["id"] for i in items)) if items else "",
                                               quarantined))
    return {"items": items}


def ack(params):
    items = params.get("items")
    if not isinstance(items, list):
        raise RpcError(-32602, "params.items must be an array")
    for i, it in enumerate(items):
        if not isinstance(it, dict) or not isinstance(it.get("id"), str) or not it["id"]:
            raise RpcError(-32602, "params.items[%d].id must be a non-empty string" % i)
        refused = it.get("refused")
        if refused is not None and not isinstance(refused, str):
            raise RpcError(-32602, "params.items[%d].refused must be a string" % i)
        if refused is None and not isinstance(it.get("case"), str):
            raise RpcError(-32602, "params.items[%d] needs 'case' or 'refused'" % i)
    if not items:
        return {"ok": True}
    cfg = config()
    done = refused_n = unknown = 0
    with Session(cfg) as s:
        s.select(cfg["mailbox"])
        by_id = {}
        for uid, (_, iid) in sorted(s.meta(s.undeleted_uids()).items()):
            by_id.setdefault(iid, []).append(uid)
        for it in items:
            uids = by_id.pop(it["id"], None)
            if not uids:
                log("ack: %s is not in %s (already acked?): ignored" % (it["id"], cfg["mailbox"]))
                unknown += 1
                continue
            if it.get("refused") is not None:
                for uid in uids:
                    s.quarantine(uid, "refused by Kesu: " + it["refused"])
                log("ack: %s refused: quarantined" % it["id"])
                refused_n += 1
            else:
                s.move(uids, cfg["processed_mailbox"])
                done += 1
        s.expunge()
    log("ack: %d processed, %d refused, %d unknown" % (done, refused_n, unknown))
    return {"ok": True}


def health(params):
    cfg = config()
    with Session(cfg) as s:
        s.select(cfg["mailbox"], readonly=True)
    return {"ok": True}


METHODS = {"initialize": initialize, "poll": poll, "ack": ack, "health": health}


def main():
    for raw in sys.stdin.buffer:
        try:
            msg = json.loads(raw.decode("utf-8"))
        except ValueError:
            continue  # not JSON: nothing to answer
        if not isinstance(msg, dict):
            continue
        rid, method = msg.get("id"), msg.get("method")
        if method == "shutdown":
            reply({"jsonrpc": "2.0", "id": rid, "result": None})
            return
        handler = METHODS.get(method)
        params = msg.get("params")
        try:
            if handler is None:
                raise RpcError(-32601, "method not found: %s" % method)
            if params is not None and not isinstance(params, dict):
                raise RpcError(-32602, "params must be an object")
            reply({"jsonrpc": "2.0", "id": rid, "result": handler(params or {})})
        except RpcError as e:
            log("%s failed: %s" % (method, e.message))
            reply({"jsonrpc": "2.0", "id": rid, "error": {"code": e.code, "message": e.message}})
        except (imaplib.IMAP4.error, OSError, ssl.SSLError) as e:  # the server or the network, mid-call
            message = "IMAP error during %s: %s" % (method, short(e))
            log(message)
            reply({"jsonrpc": "2.0", "id": rid, "error": {"code": -32013, "message": message}})
        except Exception as e:  # a bug in the plugin: answer, keep running
            log("internal error in %s: %s" % (method, type(e).__name__))
            reply({"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": "internal error: %s" % type(e).__name__}})


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")  # ASCII (ensure_ascii), one line
    sys.stdout.flush()


if __name__ == "__main__":
    main()
