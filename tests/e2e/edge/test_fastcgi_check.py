"""`tierd check` on FastCGI groups: a valid group passes; each mistake is reported at its
file:line:col with the fix (fastcgi without protocol: fastcgi, fastcgi missing, a relative
or missing root, ${RELEASE_DIR} not supported yet, a reserved param, https not built)."""
import os
import re
import subprocess
import tempfile

from harness import TIERD

HEAD = """\
access_log: { path: /tmp/tierd-e2e-fastcgi-check.log, format: json }
listeners:
  - name: public
    address: 127.0.0.1:18080
    rules:
      - forward: php
target_groups:
"""


def check(groups):
    with tempfile.TemporaryDirectory() as d:
        root = os.path.join(d, "public")
        os.mkdir(root)
        path = os.path.join(d, "stack.yaml")
        with open(path, "w") as f:
            f.write(HEAD + groups.replace("ROOT", root))
        p = subprocess.run([TIERD, "check", path], capture_output=True, text=True, timeout=30)
        diags = [(int(m[1]), int(m[2]), m[3]) for m in
                 (re.match(re.escape(path) + r":(\d+):(\d+): (.*)$", x)
                  for x in p.stderr.splitlines()) if m]
        return p, diags


def test_valid_fastcgi_group():
    p, diags = check("""\
  php:
    protocol: fastcgi
    targets: [127.0.0.1:9000]
    fastcgi: { root: ROOT, index: index.php, split_path: .php, params: { APP_ENV: production } }
    health_check: { path: /up, interval: 5s, timeout: 2s }
""")
    assert p.returncode == 0 and not diags, p.stderr


def test_mistakes_with_positions():
    p, diags = check("""\
  php:
    targets: [127.0.0.1:9000]
    fastcgi: { root: ROOT }
  a:
    protocol: fastcgi
    targets: [127.0.0.1:9001]
  b:
    protocol: fastcgi
    fastcgi:
      root: relative/public
      params: { HTTP_PROXY: x, SCRIPT_FILENAME: /etc/passwd }
  c:
    protocol: fastcgi
    fastcgi: { root: "${RELEASE_DIR}/public", index: main.py }
  d:
    protocol: https
  e:
    protocol: fastcgi
    fastcgi: { root: /nonexistent/tierd-e2e }
""")
    assert p.returncode == 2, p.stderr
    want = [
        (10, 14, "only a group with protocol: fastcgi"),     # fastcgi without protocol
        (12, 5, "protocol fastcgi needs a fastcgi block"),  # the group "a"
        (17, 13, "is relative; write an absolute path"),
        (18, 17, "HTTP_PROXY"),
        (18, 32, "SCRIPT_FILENAME"),
        (21, 22, "${RELEASE_DIR} are not supported yet"),
        (21, 54, "does not end in split_path"),
        (26, 22, "No such file or directory"),
    ]
    for line, col, text in want:
        assert any(d[0] == line and d[1] == col and text in d[2] for d in diags), \
            (line, col, text, p.stderr)
