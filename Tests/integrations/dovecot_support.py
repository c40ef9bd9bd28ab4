"""Test support for plugins that speak IMAP: a throwaway Dovecot (scripts/dovecot-test-server), a few imaplib
helpers, and `Plugin`, which runs an exec plugin exactly as the Kesu host does (its folder as the working
directory, only the environment variables its plugin.yaml lists, one JSON-RPC object per line).
"""
import imaplib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "dovecot-test-server")


def dovecot_binary():
    for candidate in (os.environ.get("DOVECOT_BIN"), shutil.which("dovecot"), "/usr/sbin/dovecot",
                      "/usr/local/sbin/dovecot"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class DovecotServer:
    """`start()` prints-and-parses scripts/dovecot-test-server's `key: value` lines into `info`."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="kesu-dovecot-")
        self.info = {}

    def start(self):
        env = dict(os.environ)
        binary = dovecot_binary()
        if binary:
            env["DOVECOT_BIN"] = binary
        run = subprocess.run([SCRIPT, "start", self.dir], capture_output=True, text=True, timeout=60, env=env)
        if run.returncode != 0:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise RuntimeError("dovecot-test-server start failed:\n" + run.stdout + run.stderr)
        for line in run.stdout.splitlines():
            key, _, value = line.partition(": ")
            self.info[key] = value
        self.port = int(self.info["port"])
        self.tls_port = int(self.info["tls_port"]) if self.info.get("tls_port") else None
        self.ca_file = self.info.get("ca_file")
        self.user = self.info["user"]
        self.password = self.info["password"]
        return self

    def stop(self):
        subprocess.run([SCRIPT, "stop", self.dir], capture_output=True, timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(os.path.join(self.dir, "log", "dovecot.log"), encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def imap(self):
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(self.user, self.password)
        return conn


def quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def append(conn, mailbox, raw):
    if mailbox.upper() != "INBOX":
        conn.create(quote(mailbox))  # NO [ALREADYEXISTS] the second time: fine
    typ, data = conn.append(quote(mailbox), None, None, raw)
    assert typ == "OK", data


def count(conn, mailbox):
    """Messages in the mailbox (not flagged \\Deleted), 0 when it does not exist."""
    typ, _ = conn.select(quote(mailbox), readonly=True)
    if typ != "OK":
        return 0
    typ, data = conn.uid("SEARCH", "UNDELETED")
    return len(data[0].split()) if data and data[0] else 0


def headers(conn, mailbox, *names):
    """[{header: value}] of every undeleted message of the mailbox (names lowercased)."""
    typ, _ = conn.select(quote(mailbox), readonly=True)
    if typ != "OK":
        return []
    typ, data = conn.uid("SEARCH", "UNDELETED")
    uids = data[0].split() if data and data[0] else []
    out = []
    for uid in uids:
        typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[HEADER.FIELDS (%s)])" % " ".join(names))
        block = next(d[1] for d in data if isinstance(d, tuple))
        unfolded = re.sub(rb"\r\n[ \t]+", b" ", block).decode("ascii", "replace")
        fields = {}
        for line in unfolded.split("\r\n"):
            if ":" in line:
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.strip()
        out.append(fields)
    return out


def manifest_env(plugin_dir):
    """The names under `env:` in plugin.yaml (flow style, one line: the form the examples use)."""
    with open(os.path.join(plugin_dir, "plugin.yaml"), encoding="utf-8") as f:
        for line in f:
            found = re.match(r"^env:\s*\[(.*)\]", line)
            if found:
                return [n.strip() for n in found.group(1).split(",") if n.strip()]
    return []


class Plugin:
    """An exec plugin run as the host runs it: `call(method, params)` sends one line and waits for the answer."""

    def __init__(self, plugin_dir, env=None):
        allowed = manifest_env(plugin_dir)
        env = {k: v for k, v in (env or {}).items() if k in allowed}  # the host passes only what env: lists
        self.proc = subprocess.Popen([sys.executable, "plugin.py"], cwd=plugin_dir, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = queue.Queue()
        self.stderr_chunks = []
        self.next_id = 1
        threading.Thread(target=self._read_stdout, daemon=True).start()
        self.stderr_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self.stderr_thread.start()

    def _read_stdout(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr_chunks.append(line.decode("utf-8", "replace"))

    def call(self, method, params=None, timeout=20):
        rid = self.next_id
        self.next_id += 1
        self.proc.stdin.write((json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}) + "\n")
                              .encode("utf-8"))
        self.proc.stdin.flush()
        line = self.lines.get(timeout=timeout)
        if line is None:
            raise AssertionError("the plugin closed its stdout; stderr:\n" + self.stderr())
        answer = json.loads(line)
        assert answer.get("jsonrpc") == "2.0" and answer.get("id") == rid, answer
        assert line.decode("ascii"), "one ASCII line"
        return answer

    def stderr(self):
        return "".join(self.stderr_chunks)

    def kill(self):
        """A crash: SIGKILL, as the host does to a misbehaving plugin."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        self._close()

    def _close(self):
        self.stderr_thread.join(timeout=5)
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                pipe.close()
            except OSError:
                pass

    def shutdown(self):
        """`shutdown`, then the exit status and the whole stderr."""
        answer = self.call("shutdown", None)
        assert answer.get("result", "missing") is None, answer
        self.proc.stdin.close()
        status = self.proc.wait(timeout=10)
        self._close()
        return status, self.stderr()
