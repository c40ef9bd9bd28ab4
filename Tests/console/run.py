#!/usr/bin/env python3
"""Runs the console's browser tests (Tests/console/test_*.py) and ends with one line
`console tests: N passed, M failed, K skipped` that scripts/test adds to its own count; exits 1 on a failure."""
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here.parent))
from unittest_runner import main  # noqa: E402

main(here, "console")
