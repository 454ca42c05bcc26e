"""
tests/e2e/shield/shieldkit.py: helpers for the shield scenarios: a stack with the shield
section, a state_dir and the control socket in the test's directory; requests from a chosen
127.x source address; the bans as the control API lists them; the CLI.
"""
import http.client
import json
import os
import subprocess
import time

from harness import TIERD, START_TIMEOUT, can_connect, control_request, wait_for

NIKTO_UA = "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)"


def shield_stack(app_addr, shield):
    """One listener on ${listen} forwarding to `app_addr`; `shield` is the YAML text of the
    shield section's body (indented by 2)."""
    return ("listeners:\n  - name: public\n    address: ${listen}\n    rules:\n"
            "      - forward: web\n"
            f"target_groups:\n  web:\n    targets: [{app_addr}]\n"
            "shield:\n" + shield +
            "state_dir: ${dir}/state\n"
            "control: { socket: ${dir}/tierd.sock }\n")


def sock_path(t):
    return os.path.join(t.dir, "tierd.sock")


def cli(t, *args, timeout=30):
    """`tierd ARGS --socket <the daemon's socket>`; returns CompletedProcess (text)."""
    return subprocess.run([TIERD, *args, "--socket", sock_path(t)], capture_output=True,
                          text=True, timeout=timeout)


def api_get(t, path):
    status, _, body = control_request(sock_path(t), "GET", path)
    assert status == 200, (path, body[:300])
    return json.loads(body)


def bans(t):
    """{address: ban} from GET /v1/bans."""
    return {b["address"]: b for b in api_get(t, "/v1/bans")["bans"]}


def counters(t):
    return api_get(t, "/v1/shield")["counters"]


def wait_ban(t, addr, timeout=10, count_only=False):
    """Waits until GET /v1/bans lists addr (with that count_only); returns its ban."""
    def found():
        b = bans(t).get(addr)
        return b if b and b["count_only"] is count_only else None
    return wait_for(found, timeout, what=f"a ban of {addr}")


def request(t, src, path="/", headers=None, timeout=5.0):
    """One GET on a new connection from source address src. Returns the status, or
    "refused" (connect failed), "closed" (closed or reset before a response)."""
    host, port = t.addr()
    c = http.client.HTTPConnection(host, port, timeout=timeout, source_address=(src, 0))
    try:
        try:
            c.connect()
        except ConnectionRefusedError:
            return "refused"
        try:
            c.request("GET", path, headers=headers or {})
            r = c.getresponse()
            r.read()
            return r.status
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected,
                http.client.BadStatusLine):
            return "closed"
    finally:
        c.close()


def accepted(t, src):
    """True when a connection from src gets an answer, False when tierd closes it at accept
    (before a byte is read, so the request gets no response)."""
    return request(t, src, "/") not in ("refused", "closed")


def restart_after_kill9(t):
    """kill -9 the daemon of Tierd t and start it again on the same stack file and
    state_dir (the same ports, so t.url() still works)."""
    t.proc.kill()
    t.proc.wait(timeout=10)
    t._err.close()
    t.__enter__()
    wait_for(lambda: can_connect(*t.addr()) and os.path.exists(sock_path(t)), START_TIMEOUT,
             what="tierd to start again")
    time.sleep(0.05)
