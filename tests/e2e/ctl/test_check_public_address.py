"""`tierd check` refuses a TCP control listener without a token, on a non-loopback address
and on loopback alike (any local user or web page reaches 127.0.0.1): exit 2 with
file:line:col naming control.address."""
import subprocess

from harness import TIERD

TEXT = """\
listeners:
  - name: public
    address: 127.0.0.1:18080
    rules:
      - forward: web
target_groups:
  web:
    targets: [127.0.0.1:19001]
control:
  socket: run/tierd.sock
  address: 0.0.0.0:7070
"""


def test_check_refuses_public_address_without_token(tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text(TEXT)
    p = subprocess.run([TIERD, "check", str(path)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, p.stdout + p.stderr
    assert f"{path}:11:12: control.address: 0.0.0.0:7070 is a TCP listener and no token" \
        in p.stderr
    assert 'token: "${env:NAME}"' in p.stderr and "not a loopback address" in p.stderr

    path.write_text(TEXT.replace("0.0.0.0:7070", "127.0.0.1:7070"))
    p = subprocess.run([TIERD, "check", str(path)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, p.stdout + p.stderr
    assert f"{path}:11:12: control.address: 127.0.0.1:7070 is a TCP listener and no token" \
        in p.stderr

    # With a token variable the file is valid (policy advisories may still fail `check`
    # with another code; validity is what this scenario is about).
    path.write_text(TEXT + "  token_env: TIERD_CONTROL_TOKEN\n")
    p = subprocess.run([TIERD, "check", str(path)], capture_output=True, text=True, timeout=30)
    assert p.returncode != 2, p.stdout + p.stderr
    assert "no token is set" not in p.stderr
