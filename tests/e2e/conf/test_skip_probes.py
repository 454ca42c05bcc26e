"""The skip rules of conftest.py, on a generated test file run by a pytest of its own: under
CI=true a skip fails the run when its probe succeeds, names no probe or names one that does
not exist, and stands when its probe fails; without CI every skip stands. Also: no test
under tests/e2e skips except through the probes, and every probe answers (ok, detail)."""
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

from harness import HERE, PROBES, probe_result

GENERATED = '''
import pytest

import harness

harness.PROBES["here"] = lambda: (True, "always here")
harness.PROBES["absent"] = lambda: (False, "never here")


@pytest.fixture
def absent_thing():
    harness.need("absent")
    yield


def test_needs_what_is_here():
    harness.need("here")


def test_needs_what_is_absent():
    harness.need("here", "absent")


def test_fixture_needs_what_is_absent(absent_thing):
    pass


def test_claims_missing_what_is_here():
    harness.skip_probe("here", "the test looked and found nothing")


def test_skips_naming_no_probe():
    pytest.{skip}("no reason given")


def test_skips_naming_an_unknown_probe():
    pytest.{skip}("probe nosuch: it is not there")
'''.replace("{skip}", "skip")

MODULE_SKIP = "import pytest\npytest.{skip}('a whole module', allow_module_level=True)\n"


def outcomes(xml_path):
    """{test name: "passed" | "skipped" | "failed" | "error"} from a junit file."""
    out = {}
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        kinds = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
        kind = {"failure": "failed"}.get(kinds[0], kinds[0]) if kinds else "passed"
        out[case.get("name") or case.get("classname")] = kind
    return out


def test_ci_fails_a_skip_whose_probe_succeeds(tmp_path):
    (tmp_path / "test_generated.py").write_text(GENERATED)
    (tmp_path / "test_module_skip.py").write_text(MODULE_SKIP.replace("{skip}", "skip"))
    runs = {}
    for ci in ("true", ""):
        env = dict(os.environ, CI=ci, PYTHONPATH=HERE)
        xml = tmp_path / f"ci-{ci or 'unset'}.xml"
        # -p conftest: tests/e2e/conftest.py, found through PYTHONPATH, as a plugin.
        runs[ci] = (xml, subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
             "-p", "conftest", "--continue-on-collection-errors", f"--junitxml={xml}",
             "--rootdir", str(tmp_path), str(tmp_path)],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    got = {}
    for ci, (xml, p) in runs.items():
        text = p.communicate(timeout=60)[0].decode(errors="replace")
        got[ci] = (p.returncode, outcomes(xml), text)

    rc, o, text = got["true"]
    assert rc == 1, text
    assert o["test_needs_what_is_here"] == "passed", text
    assert o["test_needs_what_is_absent"] == "skipped", text
    assert o["test_fixture_needs_what_is_absent"] == "skipped", text
    assert o["test_claims_missing_what_is_here"] == "failed", text
    assert o["test_skips_naming_no_probe"] == "failed", text
    assert o["test_skips_naming_an_unknown_probe"] == "failed", text
    assert o["test_module_skip"] == "error", text
    assert "probe here succeeds here (always here)" in text, text
    assert "probe absent: never here" in text, text

    rc, o, text = got[""]
    assert rc == 0, text
    assert o["test_needs_what_is_here"] == "passed", text
    for name in ("test_needs_what_is_absent", "test_fixture_needs_what_is_absent",
                 "test_claims_missing_what_is_here", "test_skips_naming_no_probe",
                 "test_skips_naming_an_unknown_probe"):
        assert o[name] == "skipped", (name, text)


def test_e2e_tests_skip_only_through_probes():
    bare = re.compile(r"pytest\.(skip|importorskip)\(|mark\.skip(if)?\b")
    found = []
    for d, _, files in os.walk(HERE):
        for f in files:
            path = os.path.join(d, f)
            if not f.endswith(".py") or path == os.path.join(HERE, "harness.py"):
                continue
            with open(path) as fh:
                for n, line in enumerate(fh, 1):
                    if bare.search(line):
                        found.append(f"{os.path.relpath(path, HERE)}:{n}: {line.strip()}")
    assert not found, "skip with harness.need(PROBE) instead:\n" + "\n".join(found)


def test_every_probe_answers():
    for name in PROBES:
        ok, detail = probe_result(name)
        assert isinstance(ok, bool) and isinstance(detail, str) and detail, (name, ok, detail)
