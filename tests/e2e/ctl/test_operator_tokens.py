"""Several operators, each with a token of their own (control.tokens), beside the unnamed
control.token: every state-changing request, over the API or the console, is recorded in the
operator log with who made it; an unknown token and a revoked one (removed from the file,
then a reload, or a restart) are refused, and the revoked one's console session ends; no token's value appears in any output, log or API reply; two
operators with the same token are refused at start."""
import json
import os
import subprocess

from harness import TIERD, Tierd, free_port, wait_for
from ctlkit import api, api_tcp, ctl_stack

SECRETS = {"TIERD_E2E_OPS_MAIN": "main-7c1e9d0b2a", "TIERD_E2E_OPS_ALICE": "alice-4f8b2e61c9",
           "TIERD_E2E_OPS_BOB": "bob-93d7a0c5e2"}


def _control(port, bob=True):
    return (f"  address: 127.0.0.1:{port}\n"
            "  token: \"$${env:TIERD_E2E_OPS_MAIN}\"\n"
            "  console: true\n"
            "  tokens:\n"
            "    alice: \"$${env:TIERD_E2E_OPS_ALICE}\"\n" +
            ("    bob: \"$${env:TIERD_E2E_OPS_BOB}\"\n" if bob else ""))


def _as(secret):
    return {"Authorization": f"Bearer {secret}"}


def _actions(t):
    r = api(t, "GET", "/v1/events?limit=1000")
    assert r.status == 200, r
    return [e["message"] for e in r.json["events"] if e["message"].startswith("action ")]


def test_each_operator_is_recorded_and_strangers_are_refused():
    port = free_port()
    addr = f"127.0.0.1:{port}"
    os.environ.update(SECRETS)
    try:
        t = Tierd(ctl_stack(control=_control(port)))
        with t:
            r = api_tcp(addr, "POST", "/v1/bans", {"address": "192.0.2.10", "duration": 60},
                        headers=_as(SECRETS["TIERD_E2E_OPS_ALICE"]))
            assert r.status == 201, r
            r = api_tcp(addr, "DELETE", "/v1/bans/192.0.2.10",
                        headers=_as(SECRETS["TIERD_E2E_OPS_BOB"]))
            assert r.status == 200, r
            r = api_tcp(addr, "POST", "/v1/bans", {"address": "192.0.2.11"},
                        headers=_as(SECRETS["TIERD_E2E_OPS_MAIN"]))
            assert r.status == 201, r
            # Unknown tokens, and a known one with a byte changed or cut short.
            for bad in ("nobody-0000", SECRETS["TIERD_E2E_OPS_ALICE"][:-1] + "x",
                        SECRETS["TIERD_E2E_OPS_ALICE"][:-1], SECRETS["TIERD_E2E_OPS_ALICE"] + "x"):
                r = api_tcp(addr, "POST", "/v1/bans", {"address": "192.0.2.12"}, headers=_as(bad))
                assert r.status == 401 and r.error["code"] == "unauthorized", r
            assert "192.0.2.12" not in {b["address"] for b in api(t, "GET", "/v1/bans").json["bans"]}

            # A console session acts as the operator whose token signed it in.
            r = api_tcp(addr, "POST", "/console/sign-in",
                        {"token": SECRETS["TIERD_E2E_OPS_BOB"]})
            assert r.status == 200 and r.json["who"] == "bob", r
            cookie = r.header("Set-Cookie").split(";")[0]
            r = api_tcp(addr, "DELETE", "/v1/bans/192.0.2.11",
                        headers={"Cookie": cookie, "X-CSRF-Token": r.json["csrf"],
                                 "Origin": f"http://{addr}"})
            assert r.status == 200, r
            r = api_tcp(addr, "POST", "/console/sign-in", {"token": "nobody-0000"})
            assert r.status == 401, r
            # The unix socket: who is the peer's uid.
            assert api(t, "POST", "/v1/bans", {"address": "192.0.2.13"}).status == 201

            acts = _actions(t)
            assert any(a.startswith("action POST /v1/bans status=201 who=alice peer=127.0.0.1:")
                       for a in acts), acts
            assert any(a.startswith("action DELETE /v1/bans/192.0.2.10 status=200 who=bob ")
                       for a in acts), acts
            assert any(a.startswith("action POST /v1/bans status=201 who=operator ")
                       for a in acts), acts
            assert any(a.startswith("action DELETE /v1/bans/192.0.2.11 status=200 "
                                    "who=console:bob ") for a in acts), acts
            assert any(a.startswith("action POST /console/sign-in status=200 who=console:bob ")
                       for a in acts), acts
            assert any(a.startswith("action POST /console/sign-in status=401 who=- ")
                       for a in acts), acts
            assert any(a.startswith(f"action POST /v1/bans status=201 uid={os.getuid()} pid=")
                       for a in acts), acts
            # Refused requests never reached a handler: no action recorded for them.
            assert not any("192.0.2.12" in a for a in acts), acts

            # No secret in any reply, log or output.
            seen = [api(t, "GET", "/v1/config").body, api(t, "GET", "/v1/events?limit=1000").body,
                    api(t, "GET", "/v1/status").body, t.stderr(),
                    subprocess.run([TIERD, "plan", t.path, "--socket",
                                    os.path.join(t.dir, "tierd.sock")],
                                   capture_output=True, text=True, timeout=30).stdout]
            for text in seen:
                for secret in SECRETS.values():
                    assert secret not in text

            # Bob's token revoked by a reload: refused at once, his console session ended;
            # alice's session and token go on.
            r = api_tcp(addr, "POST", "/console/sign-in",
                        {"token": SECRETS["TIERD_E2E_OPS_ALICE"]})
            alice_cookie, alice_csrf = r.header("Set-Cookie").split(";")[0], r.json["csrf"]
            t.reload(ctl_stack(control=_control(port, bob=False)))

            def reloaded():
                return "operator tokens reloaded operators=2 sessions_signed_out=1" in t.stderr()
            wait_for(reloaded, 10, what="the tokens reloaded")
            r = api_tcp(addr, "GET", "/v1/status", headers=_as(SECRETS["TIERD_E2E_OPS_BOB"]))
            assert r.status == 401, r
            r = api_tcp(addr, "GET", "/console/session", headers={"Cookie": cookie})
            assert r.status == 401, r
            r = api_tcp(addr, "GET", "/console/session", headers={"Cookie": alice_cookie})
            assert r.status == 200 and r.json["who"] == "alice", r
            r = api_tcp(addr, "GET", "/v1/status", headers={
                "Cookie": alice_cookie, "X-CSRF-Token": alice_csrf, "Origin": f"http://{addr}"})
            assert r.status == 200, r
            assert "control changed: takes effect on restart" not in t.stderr()
            # A reload that gives two operators one token keeps the running tokens.
            t.reload(ctl_stack(control=_control(port).replace("TIERD_E2E_OPS_BOB",
                                                                "TIERD_E2E_OPS_ALICE")))
            wait_for(lambda: "bob has the same token as alice" in t.stderr(), 10,
                     what="the refused reload")
            r = api_tcp(addr, "GET", "/v1/status", headers=_as(SECRETS["TIERD_E2E_OPS_ALICE"]))
            assert r.status == 200, r
            r = api_tcp(addr, "GET", "/v1/status", headers=_as(SECRETS["TIERD_E2E_OPS_BOB"]))
            assert r.status == 401, r
            for secret in SECRETS.values():
                assert secret not in t.stderr()

        # Revoked in the file, then a restart: the same.
        t2 = Tierd(ctl_stack(control=_control(port, bob=False)))
        with t2:
            r = api_tcp(addr, "GET", "/v1/status", headers=_as(SECRETS["TIERD_E2E_OPS_BOB"]))
            assert r.status == 401, r
            r = api_tcp(addr, "POST", "/console/sign-in", {"token": SECRETS["TIERD_E2E_OPS_BOB"]})
            assert r.status == 401, r
            r = api_tcp(addr, "GET", "/v1/status", headers=_as(SECRETS["TIERD_E2E_OPS_ALICE"]))
            assert r.status == 200, r
    finally:
        for k in SECRETS:
            os.environ.pop(k, None)


def test_two_operators_with_one_token_are_refused(tmp_path):
    port = free_port()
    text = ctl_stack(control=_control(port)).replace("$$", "$")
    text = text.replace("${listen}", f"127.0.0.1:{free_port()}").replace("${dir}", str(tmp_path))
    (tmp_path / "stack.yaml").write_text(text)
    env = dict(os.environ, **SECRETS)
    env["TIERD_E2E_OPS_BOB"] = SECRETS["TIERD_E2E_OPS_ALICE"]
    p = subprocess.run([TIERD, "run", str(tmp_path / "stack.yaml")], capture_output=True,
                       text=True, timeout=30, env=env, cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    assert "control.tokens.bob: bob has the same token as alice" in p.stderr, p.stderr
    assert SECRETS["TIERD_E2E_OPS_ALICE"] not in p.stderr
    # An operator name that is not a name is refused where it is written.
    bad = text.replace("    alice:", "    \"al ice\":")
    (tmp_path / "stack.yaml").write_text(bad)
    p = subprocess.run([TIERD, "check", str(tmp_path / "stack.yaml")], capture_output=True,
                       text=True, timeout=30, env=env, cwd=tmp_path)
    assert p.returncode != 0 and "control.tokens: operator \"al ice\"" in p.stderr + p.stdout, \
        p.stderr + p.stdout
