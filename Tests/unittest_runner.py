"""Runs the unittest files of one folder (test_*.py) and ends with one line `<label> tests: N passed, M failed,
K skipped` that scripts/test adds to its own count; exits 1 on a failure. Tests/console/run.py and
Tests/integrations/run.py call `main` with their folder."""
import sys
import unittest
from pathlib import Path


def tests_of(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from tests_of(t)
        else:
            yield t


def main(here, label):
    here = Path(here).resolve()
    sys.path.insert(0, str(here))
    suite = unittest.defaultTestLoader.discover(str(here), pattern="test_*.py", top_level_dir=str(here))
    per_class = {}
    for t in tests_of(suite):
        per_class.setdefault(type(t).__name__, 0)
        per_class[type(t).__name__] += 1
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)

    failed = len(result.failures) + len(result.unexpectedSuccesses)
    for test, _ in result.errors:
        # setUpClass failing: none of the class's tests ran, so each of them counts as failed.
        desc = str(test)
        if desc.startswith("setUpClass"):
            failed += per_class.get(desc.split(".")[-1].rstrip(")"), 1)
        else:
            failed += 1
    skipped = len(result.skipped)
    ran_ok = result.testsRun - len(result.failures) - len(result.unexpectedSuccesses) - skipped \
        - sum(1 for t, _ in result.errors if not str(t).startswith(("setUpClass", "tearDownClass")))
    print(f"{label} tests: {max(ran_ok, 0)} passed, {failed} failed, {skipped} skipped")
    sys.exit(0 if failed == 0 and result.wasSuccessful() else 1)
