"""Harness for the browser tests of the web console (issue 17): starts `kesu serve` on a throwaway SQLite
store, drives Debian's chromium through chromium-driver (headless), and checks every page a person sees
with axe-core (through axe-selenium-python), keeping a screenshot of each.

It builds nothing: scripts/test (or scripts/test-console) builds `kesu` first; the binary is
$KESU_BIN, else `swift build --show-bin-path`/kesu.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, NoSuchElementException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "rules" / "tobacco-prefecture"
ARTIFACTS = Path(os.environ.get("KESU_CONSOLE_ARTIFACTS", ROOT / ".build" / "console-artifacts"))
# The screenshots kept for the documentation are written only when asked (scripts/test-console --docs), so a
# test run leaves the working tree as it was.
DOCS_SHOTS = ROOT / "docs" / "console" if os.environ.get("KESU_CONSOLE_DOCS") == "1" else None
PASSWORD = "Kesu-console-2026"
DESKTOP = (1366, 768)
PHONE = (390, 844)

# State names of the shipped pack (rules/tobacco-prefecture/procedure.yaml): what a user reads in #case-state.
STATE = {
    "registered": "已登记",
    "awaiting_approval": "待部门负责人审批",
    "dispatched": "已派单",
    "in_progress": "承办中",
    "answer_review": "承办部门审核",
    "callback_pending": "待回访",
    "redispatch_pending": "待重新派单",
    "closed": "已办结",
}


def kesu_binary():
    if os.environ.get("KESU_BIN"):
        return os.environ["KESU_BIN"]
    env = dict(os.environ)
    if not shutil.which("swift", path=env.get("PATH")):
        env["PATH"] = "/opt/swift/usr/bin:" + env.get("PATH", "")
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    binary = Path(out) / "kesu"
    if not binary.exists():
        raise RuntimeError(f"{binary} does not exist: build it first (swift build --product kesu)")
    return str(binary)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class KesuServer:
    """`kesu serve` on a fresh store; `setup_path` is the first-run link it prints on stdout."""

    SETUP_LINE = re.compile(r"首次设置:\s*(\S+/console/setup\?token=\S+)")

    def __init__(self, name, *extra_args):
        self.name = name
        self.extra_args = list(extra_args)
        self.proc = None
        self.setup_path = None
        self.lines = []

    def start(self):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix=f"kesu-console-{self.name}-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [kesu_binary(), "serve", "--db", os.path.join(self.dir, "kesu.sqlite"), "--rules", str(PACK),
                "--host", "127.0.0.1", "--port", str(self.port), "--sweep-every", "3600", *self.extra_args]
        self.log_path = ARTIFACTS / f"server-{self.name}.log"
        self.log = open(self.log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(args, cwd=self.dir, stdout=subprocess.PIPE, stderr=self.log,
                                     stdin=subprocess.DEVNULL, text=True, encoding="utf-8", bufsize=1)
        found = threading.Event()

        def read():
            for line in self.proc.stdout:
                self.lines.append(line)
                self.log.write(line)
                self.log.flush()
                m = self.SETUP_LINE.search(line)
                if m and not found.is_set():
                    link = urllib.parse.urlsplit(m.group(1))
                    self.setup_path = link.path + "?" + link.query
                    found.set()

            found.set()  # the server ended without the line

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(60) or self.setup_path is None:
            self.stop()
            raise AssertionError(f"kesu serve printed no line 首次设置: ...setup?token=... within 60 s "
                                 f"(stdout so far: {''.join(self.lines)[-2000:]!r}; log {self.log_path})")
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).read()
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        raise AssertionError(f"kesu serve did not answer /healthz on {self.base}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(getattr(self, "dir", ""), ignore_errors=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(method, url, data=None, cookies=None, files=None):
    """One request as a script would send it (no redirects followed): (status, headers, body bytes)."""
    headers = {}
    body = None
    if cookies:
        headers["Cookie"] = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    if files:
        boundary = "----kesu-console-test"
        parts = []
        for k, v in (data or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        for k, (filename, content) in files.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{filename}"\r\n'
                         f'Content-Type: application/octet-stream\r\n\r\n'.encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif data is not None:
        body = urllib.parse.urlencode(data).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


WAPITI_WATCHED = ["Cross Site Scripting", "Stored Cross Site Scripting", "Cross Site Request Forgery",
                  "SQL Injection", "Blind SQL Injection", "Command execution"]


def run_wapiti(console, base, name, start="/console/", excludes=(), seconds=None, attack_seconds=60,
               modules="xss,permanentxss,csrf,sql,blindsql,exec"):
    """Debian's wapiti against the console, signed in as the browser is (its cookies), from `start`, staying off
    sign-out and `excludes` (wildcard URLs). `seconds` bounds the crawl, `attack_seconds` each attack module. Returns the findings of the watched kinds ({} when clean); the report and log go to
    ARTIFACTS/wapiti-NAME.*"""
    jar = {}
    for c in console.cookies():
        jar.setdefault("127.0.0.1", {}).setdefault(c.get("path", "/"), {})[c["name"]] = {
            "value": c["value"], "expires": None, "secure": False, "port": None, "version": 0}
    cookie_file = ARTIFACTS / f"wapiti-{name}-cookies.json"
    cookie_file.write_text(json.dumps(jar))
    report = ARTIFACTS / f"wapiti-{name}.json"
    report.unlink(missing_ok=True)
    session = ARTIFACTS / f"wapiti-{name}-session"
    shutil.rmtree(session, ignore_errors=True)
    seconds = seconds or os.environ.get("KESU_WAPITI_SECONDS", "180")
    cmd = ["/usr/bin/python3", str(Path(__file__).with_name("wapiti_run.py")), "-u", f"{base}{start}", "--scope", "folder",
           "-c", str(cookie_file), "-m", modules, "-x", f"{base}/console/logout"]
    for x in excludes:
        cmd += ["-x", f"{base}{x}"]
    cmd += ["--max-scan-time", str(seconds), "--max-attack-time", str(attack_seconds), "-d", "4", "--flush-session",
            "--store-session", str(session), "--store-config", str(session), "--no-bugreport", "-f", "json",
            "-o", str(report), "-v", "1"]
    with open(ARTIFACTS / f"wapiti-{name}.log", "w") as log:
        subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=900, check=False)
    if not report.exists():
        raise AssertionError(f"wapiti wrote no report (see {ARTIFACTS / f'wapiti-{name}.log'})")
    data = json.loads(report.read_text())
    return {k: v for k, v in data.get("vulnerabilities", {}).items() if v and k in WAPITI_WATCHED}


class Console:
    """One browser, the way a person uses the console: pages by URL or by link, forms filled and sent."""

    def __init__(self, server, label):
        self.server = server
        self.label = label
        self.shot_number = 0
        self.violations = []  # (page, violation) with impact serious or critical
        self.problems = []  # other things every page must get right (alerts, landmarks)
        opts = webdriver.ChromeOptions()
        opts.binary_location = os.environ.get("KESU_CHROMIUM", "/usr/bin/chromium")
        for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                  f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=zh-CN", "--hide-scrollbars",
                  "--force-device-scale-factor=1"]:
            opts.add_argument(a)
        # An alert left open must be seen by the test (XSS), not dismissed by the driver.
        opts.unhandled_prompt_behavior = "ignore"
        service = Service(os.environ.get("KESU_CHROMEDRIVER", "/usr/bin/chromedriver"))
        self.driver = webdriver.Chrome(service=service, options=opts)
        self.driver.set_page_load_timeout(30)
        self.viewport(*DESKTOP)
        self.axe = Axe(self.driver)

    def viewport(self, width, height):
        """The page's own size (the window's would include the browser's frame): 1366×768, or a phone's."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def quit(self):
        self.driver.quit()

    # -- navigation -------------------------------------------------------------------------------------

    def url(self, path):
        return self.server.base + path

    def get(self, path):
        self.driver.get(self.url(path))

    @property
    def path(self):
        u = urllib.parse.urlsplit(self.driver.current_url)
        return u.path + (("?" + u.query) if u.query else "")

    @property
    def page(self):
        """The path without its query (a notice may ride along: /console/logins?created=wu_jing)."""
        return urllib.parse.urlsplit(self.driver.current_url).path

    def one(self, css, within=None):
        return (within or self.driver).find_element(By.CSS_SELECTOR, css)

    def all(self, css, within=None):
        return (within or self.driver).find_elements(By.CSS_SELECTOR, css)

    def has(self, css, within=None):
        return len(self.all(css, within)) > 0

    def text(self, css):
        return self.one(css).text.strip()

    # -- what every page must do ----------------------------------------------------------------------

    def alert_text(self):
        try:
            alert = self.driver.switch_to.alert
            text = alert.text
            alert.accept()
            return text
        except NoAlertPresentException:
            return None

    def check(self, name, shot=True, phone=False, docs=False, landmarks=True, at=None):
        """The checks on every page a person sees: no script ran (alert), the landmarks of the contract, axe
        (serious and critical violations recorded), a screenshot (of the top, or of the part `at` selects)."""
        alert = self.alert_text()
        if alert is not None:
            self.problems.append(f"{name}: a script ran (alert {alert!r}) on {self.path}")
        if landmarks:
            for css in ["main#main", "h1"]:
                if not self.has(css):
                    self.problems.append(f"{name}: no {css} on {self.path}")
        self.run_axe(name)
        if shot:
            self.screenshot(name, docs=docs, at=at)
            if phone:
                self.viewport(*PHONE)
                self.screenshot(name + "-phone")
                self.viewport(*DESKTOP)

    def run_axe(self, name):
        self.axe.inject()
        results = self.axe.run()
        bad = [v for v in results.get("violations", []) if v.get("impact") in ("serious", "critical")]
        for v in bad:
            self.violations.append((name, self.path, v))

    def screenshot(self, name, docs=False, at=None):
        self.shot_number += 1
        folder = ARTIFACTS / "screenshots" / self.label
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.shot_number:02d}-{name}.png"
        if at:  # the part of a long page the screenshot is about
            self.driver.execute_script("arguments[0].scrollIntoView()", self.one(at))
        else:
            self.driver.execute_script("window.scrollTo(0, 0)")  # the top of the page, as it opens
        self.driver.save_screenshot(str(path))
        if docs and DOCS_SHOTS is not None:
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SHOTS / f"{name}.png")

    def violation_report(self):
        lines = []
        for name, path, v in self.violations:
            lines.append(f"[{v['impact']}] {name} ({path}): {v['id']} — {v['help']} ({v['helpUrl']})")
            for node in v.get("nodes", [])[:5]:
                lines.append(f"    at {', '.join(node.get('target', []))}: {node.get('failureSummary', '').strip()}"
                             .replace("\n", " "))
        return "\n".join(lines)

    # -- forms --------------------------------------------------------------------------------------------

    YES = ("yes", "true", "1", "on")

    def fill(self, form, name, value):
        els = form.find_elements(By.NAME, name)
        if not els:
            raise AssertionError(f"form {form.get_attribute('id') or form.get_attribute('class')} on {self.path} "
                                 f"has no control named {name!r}")
        el = els[0]
        tag, kind = el.tag_name.lower(), (el.get_attribute("type") or "").lower()
        if tag == "select":
            sel = Select(el)
            values = [o.get_attribute("value") for o in sel.options]
            if value in values:
                sel.select_by_value(value)
            elif value in self.YES and any(v in self.YES for v in values):
                sel.select_by_value(next(v for v in values if v in self.YES))
            elif value == "no" and any(v in ("no", "false", "0") for v in values):
                sel.select_by_value(next(v for v in values if v in ("no", "false", "0")))
            else:
                raise AssertionError(f"select {name!r} on {self.path} has no option {value!r} (options: {values})")
        elif kind == "radio":
            for e in els:
                v = e.get_attribute("value")
                if v == value or (value in self.YES and v in self.YES):
                    self.driver.execute_script("arguments[0].click()", e)
                    return
            raise AssertionError(f"radio {name!r} on {self.path} has no value {value!r}")
        elif kind == "checkbox":
            want = value in self.YES
            if el.is_selected() != want:
                self.driver.execute_script("arguments[0].click()", el)
        elif kind == "file":
            el.send_keys(value)
        elif kind in ("date", "datetime-local", "time", "hidden", "month"):
            self.driver.execute_script(
                "arguments[0].value = arguments[1];"
                "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
                "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", el, value)
        else:
            el.clear()
            el.send_keys(value)

    def submit(self, form):
        # The form's main button (#submit) when it has several (intake's 建议分类 comes first).
        buttons = self.all("#submit", form) or self.all("button[type=submit], input[type=submit], button:not([type])", form)
        if not buttons:
            raise AssertionError(f"form {form.get_attribute('id')} on {self.path} has no submit button")
        buttons[0].click()
        WebDriverWait(self.driver, 30).until(
            lambda d: _stale(form) and d.execute_script("return document.readyState") == "complete")

    def send(self, form_css, values):
        form = self.one(form_css)
        for k, v in values.items():
            self.fill(form, k, v)
        self.submit(form)

    def csrf(self):
        """The page's anti-forgery token, as every form carries it (the sign-out form is on every page)."""
        return self.one("form#logout input[name=csrf]").get_attribute("value")

    def cookies(self):
        return self.driver.get_cookies()

    # -- people -------------------------------------------------------------------------------------------

    def sign_out(self):
        if not self.has("form#logout"):  # an error page or a download: the sign-out form is on the work list
            self.get("/console/")
        if self.has("form#logout"):
            form = self.one("form#logout")
            self.submit(form)

    def sign_in(self, username, password=PASSWORD):
        self.sign_out()
        self.get("/console/login")
        self.send("form:has(input[name=password])", {"username": username, "password": password})


def _stale(el):
    try:
        el.is_enabled()
        return False
    except Exception:
        return True
