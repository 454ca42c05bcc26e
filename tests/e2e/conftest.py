"""
tests/e2e/conftest.py: makes harness importable, refuses to run without the binaries (a
clear failure, never a silent skip), and attaches the logs of every process a failing test
started to its report.

Skips: a test skips through harness.need(PROBE), so its reason reads "probe PROBE: why".
With CI=true in the environment a skip fails the run when its probe succeeds here (the
test had no reason to skip), when it names no probe (a bare pytest.skip, an importorskip),
or when the probe it names does not exist; the terminal summary lists the probes consulted.
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


CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _skip_reason(rep):
    lr = rep.longrepr
    if isinstance(lr, tuple) and len(lr) == 3:
        return str(lr[2]).removeprefix("Skipped: ")
    return str(lr)


def ci_verdict(reason):
    """None when a skip with this reason may stand under CI=true, else why it may not."""
    m = harness.PROBE_SKIP_RE.search(reason)
    if not m:
        return "the skip names no probe (skip with harness.need(NAME), see harness.PROBES)"
    name = m.group(1)
    if name not in harness.PROBES:
        return f"the skip names probe {name}, which harness.PROBES does not have"
    ok, detail = harness.probe_result(name)
    if ok:
        return f"probe {name} succeeds here ({detail}), so the test must run"
    return None


def _judge_skip(rep):
    """Under CI=true, turns a skip that may not stand into a failure."""
    if not CI or not rep.skipped or hasattr(rep, "wasxfail"):
        return
    reason = _skip_reason(rep)
    verdict = ci_verdict(reason)
    if verdict:
        rep.outcome = "failed"
        rep.longrepr = f"CI=true forbids this skip: {verdict}; it said: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _judge_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    _judge_skip(rep)
    if rep.failed:
        for title, path, _ in harness.current_logs:
            try:
                with open(path, "rb") as f:
                    text = f.read()[-20000:].decode(errors="replace")
            except OSError:
                continue
            rep.sections.append((f"{title} ({path})", text))


def pytest_terminal_summary(terminalreporter):
    if not harness._probe_results:
        return
    terminalreporter.section("probes" + (" (CI=true: a skip must name a failing probe)"
                                         if CI else ""))
    for name, (ok, detail) in sorted(harness._probe_results.items()):
        terminalreporter.line(f"{name}: {'ok' if ok else 'no'}: {detail}")


def pytest_sessionfinish(session, exitstatus):
    """Temporary stack files and logs are removed after a clean run, kept after a failure."""
    if exitstatus != 0:
        return
    for path in harness.temp_paths:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.exists(path):
            os.unlink(path)
