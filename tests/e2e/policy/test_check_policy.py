"""`tierd check` policy rules: exit 1 on a failed check (0 with --soft-fail), skips with
their reason, and machine formats that parse (SARIF 2.1.0, JSON, JUnit XML)."""
import json
import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from harness import TIERD

PUBLIC = """\
# tierd:skip=TD-EDGE-005 logs are collected by the host
listeners:
  - name: public
    address: 0.0.0.0:18080
    rules: [{ forward: web }]
target_groups:
  web:
    targets: [127.0.0.1:19001]
    health_check: { path: /health }
  # tierd:skip=TD-TG-001 the batch pool is checked by its scheduler
  batch:
    targets: [127.0.0.1:19002]
"""


def check(text, *args):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "stack.yaml")
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([TIERD, "check", path, *args], capture_output=True, text=True,
                           timeout=30)
        return path, p


def test_failed_check_exits_1_with_position_and_fix():
    path, p = check(PUBLIC)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "FAILED for resource: listeners.public" in p.stdout
    assert f"File: {path}:4:5" in p.stdout                 # the address key
    assert "TD-EDGE-001" in p.stdout and "Fix:" in p.stdout
    assert "SKIPPED for resource: target_groups.batch" in p.stdout
    assert "the batch pool is checked by its scheduler" in p.stdout
    assert "\033[" not in p.stdout                          # no colour without a tty


def test_soft_fail_exits_0():
    _, p = check(PUBLIC, "--soft-fail")
    assert p.returncode == 0, p.stdout + p.stderr


def test_sarif_parses_and_locates_findings():
    path, p = check(PUBLIC, "--output", "sarif")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["version"] == "2.1.0" and "$schema" in doc
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "tierd"
    assert len(run["tool"]["driver"]["rules"]) >= 30
    edge = [r for r in run["results"] if r["ruleId"] == "TD-EDGE-001"]
    assert edge and edge[0]["level"] == "error"
    loc = edge[0]["locations"][0]["physicalLocation"]
    assert loc["region"] == {"startLine": 4, "startColumn": 5}
    assert any(r.get("suppressions") for r in run["results"])


def test_json_and_junit_parse():
    _, p = check(PUBLIC, "-o", "json")
    doc = json.loads(p.stdout)
    assert doc["summary"]["failed"] == len(doc["results"]["failed_checks"]) > 0
    assert doc["summary"]["skipped"] == 2
    _, p = check(PUBLIC, "--output=junitxml", "--quiet")
    root = ET.fromstring(p.stdout)
    assert root.tag == "testsuites"
    assert root.find(".//failure") is not None and root.find(".//skipped") is not None


def test_invalid_file_exits_2_before_policy():
    _, p = check("listeners:\n  - name: a\n    adress: 0.0.0.0:80\n", "--soft-fail")
    assert p.returncode == 2
    assert "did you mean" in p.stderr
    assert "TD-" not in p.stdout


def test_unknown_format_is_a_usage_error():
    _, p = check(PUBLIC, "--output", "xml")
    assert p.returncode == 2
    assert "unknown output format" in p.stderr
