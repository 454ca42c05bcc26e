"""The TCP control listener: every request needs "Authorization: Bearer <token>" (401
otherwise, with a JSON error); the token comes from control.token_env, and tierd refuses to
start (exit 2) when that variable is unset."""
import os
import subprocess

from harness import TIERD, Tierd, free_port
from ctlkit import api, api_tcp, ctl_stack


def test_tcp_listener_requires_bearer_token():
    port = free_port()
    text = ctl_stack(control=f"  address: 127.0.0.1:{port}\n  token_env: TIERD_E2E_TOKEN\n")
    addr = f"127.0.0.1:{port}"
    os.environ["TIERD_E2E_TOKEN"] = "s3cret-token"
    try:
        with Tierd(text) as t:
            r = api_tcp(addr, "GET", "/v1/status")
            assert r.status == 401, r
            assert r.error["code"] == "unauthorized"
            assert r.header("WWW-Authenticate").startswith("Bearer")
            r = api_tcp(addr, "GET", "/v1/status", headers={"Authorization": "Bearer wrong"})
            assert r.status == 401, r
            r = api_tcp(addr, "GET", "/v1/nothing")
            assert r.status == 401, r               # routes are not revealed either
            r = api_tcp(addr, "GET", "/v1/status",
                        headers={"Authorization": "Bearer s3cret-token"})
            assert r.status == 200 and r.json["pid"] == t.pid, r
            # The unix socket relies on file permissions, not the token.
            assert api(t, "GET", "/v1/status").status == 200
    finally:
        del os.environ["TIERD_E2E_TOKEN"]


def test_unset_token_variable_refuses_to_start(tmp_path):
    port = free_port()
    text = ctl_stack(control=f"  address: 127.0.0.1:{port}\n  token_env: TIERD_E2E_UNSET\n")
    text = text.replace("${listen}", f"127.0.0.1:{free_port()}").replace("${dir}", str(tmp_path))
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "TIERD_E2E_UNSET"}
    p = subprocess.run([TIERD, "run", str(path)], capture_output=True, text=True, timeout=30,
                       env=env, cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    assert "TIERD_E2E_UNSET" in p.stderr and "unset or empty" in p.stderr
