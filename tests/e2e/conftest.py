"""
tests/e2e/conftest.py: makes harness importable, refuses to run without the binaries (a
clear failure, never a silent skip), and attaches the logs of every process a failing test
started to its report.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402


def pytest_sessionstart(session):
    missing = [f"{what}={path}" for what, path in (("TIERD", harness.TIERD), ("APP", harness.APP))
               if not (os.path.isfile(path) and os.access(path, os.X_OK))]
    if missing:
        raise pytest.UsageError("e2e: missing binaries: " + ", ".join(missing) +
                                "; build them with `make build/tierd build/app`")


@pytest.fixture(autouse=True)
def _collect_logs():
    harness.current_logs.clear()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        for title, path in harness.current_logs:
            try:
                with open(path, "rb") as f:
                    text = f.read()[-20000:].decode(errors="replace")
            except OSError:
                continue
            rep.sections.append((f"{title} ({path})", text))
