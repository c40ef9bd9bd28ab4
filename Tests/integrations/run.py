#!/usr/bin/env python3
"""Runs the integration tests (Tests/integrations/test_*.py: plugins against a real Dovecot and fake platforms, and kesu serve end to end) and ends with one line
`integration tests: N passed, M failed, K skipped` that scripts/test adds to its own count; exits 1 on a failure."""
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here.parent))
from unittest_runner import main  # noqa: E402

main(here, "integration")
