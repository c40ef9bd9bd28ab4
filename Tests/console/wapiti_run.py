"""Runs Debian's wapiti (3.0.4) with one fix: its exclusion patterns (-x) put the regex flags at the end,
which Python 3.11 refuses ("global flags not at the start"), so any -x crashes the crawl. The console tests
need -x to keep wapiti off the sign-out form. Run with Debian's /usr/bin/python3, where wapitiCore lives."""
import re
import sys

import wapitiCore.net.crawler as crawler


def wildcard_translate(pattern):
    return re.compile("(?ms)" + "".join(".*" if ch == "*" else re.escape(ch) for ch in pattern) + r"\Z")


crawler.wildcard_translate = wildcard_translate

from wapitiCore.main.wapiti import wapiti_main  # noqa: E402

sys.argv[0] = "wapiti"
sys.exit(wapiti_main())
