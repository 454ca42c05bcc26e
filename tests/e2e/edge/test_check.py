"""`tierd check`: exit 0 on a valid file; exit 2 with file:line:col for every error."""
import os
import re
import subprocess
import tempfile

from harness import TIERD

VALID = """\
listeners:
  - name: public
    address: 127.0.0.1:18080
    rules:
      - match: { path_prefix: /api }
        forward: api
      - forward: web
target_groups:
  web:
    targets: [127.0.0.1:19001, 127.0.0.1:19002]
    health_check: { path: /health }
  api:
    targets: [127.0.0.1:19003]
    algorithm: round_robin
    health_check: { path: /api/health }
access_log:
  path: /tmp/tierd-e2e-check-access.log
  format: json
edge:
  workers: 2
  timeouts:
    client_header: 10s
    upstream_read: 1m
  limits:
    body_bytes: 10m
"""

# Line numbers (1-based) of the two mistakes, and their columns.
INVALID = """\
listeners:
  - name: public
    address: 127.0.0.1:18080
    rules:
      - forward: web
target_groups:
  web:
    targts: [127.0.0.1:19001]
edge:
  timeouts:
    client_header: 10 parsecs
"""


def check(text):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "stack.yaml")
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([TIERD, "check", path], capture_output=True, text=True, timeout=30)
        return path, p


def test_valid_file_exits_0():
    path, p = check(VALID)
    assert p.returncode == 0, p.stderr
    assert not re.search(r":\d+:\d+: ", p.stderr), p.stderr


def test_invalid_file_exits_2_with_positions():
    path, p = check(INVALID)
    assert p.returncode == 2, (p.returncode, p.stderr)
    diags = [m for m in (re.match(re.escape(path) + r":(\d+):(\d+): (.*)$", line)
                         for line in p.stderr.splitlines()) if m]
    assert diags, p.stderr
    at = [(int(m[1]), int(m[2]), m[3]) for m in diags]
    # Unknown key, with a suggestion, at the key itself.
    assert any((line, col) == (8, 5) and "targts" in msg and 'did you mean "targets"' in msg
               for line, col, msg in at), p.stderr
    # Bad duration, at the value.
    assert any((line, col) == (11, 20) and "client_header" in msg
               for line, col, msg in at), p.stderr
    # Nothing is reported at a line without a mistake.
    assert {line for line, _, _ in at} <= {8, 11}, p.stderr


def test_missing_file_fails():
    p = subprocess.run([TIERD, "check", "/nonexistent/tierd-e2e.yaml"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode != 0
    assert "/nonexistent/tierd-e2e.yaml" in p.stderr
