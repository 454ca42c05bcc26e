"""
tests/e2e/conftest.py: makes harness importable, refuses to run without the binaries (a
clear failure, never a silent skip), and attaches the logs of every process a failing test
started to its report.
"""
import os
import shutil
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
    # Logs of processes that ended with an earlier test are not this test's; those of a
    # module-scoped daemon that is still running are.
    harness.current_logs[:] = [e for e in harness.current_logs if e[2].poll() is None]
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for title, path, _ in harness.current_logs:
            try:
                with open(path, "rb") as f:
                    text = f.read()[-20000:].decode(errors="replace")
            except OSError:
                continue
            rep.sections.append((f"{title} ({path})", text))


def pytest_sessionfinish(session, exitstatus):
    """Temporary stack files and logs are removed after a clean run, kept after a failure."""
    if exitstatus != 0:
        return
    for path in harness.temp_paths:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.exists(path):
            os.unlink(path)
