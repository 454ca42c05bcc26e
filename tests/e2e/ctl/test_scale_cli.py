"""Desired capacity (AWS's SetDesiredCapacity): `PUT /v1/auto-scaling-groups/{name}/
desired-capacity` (also spelt /v1/groups/{name}/desired-capacity) and `tierd scale GROUP N`.
The group launches or terminates to match, values outside [min_size, max_size] are refused
naming the bounds, and the change is a scaling activity and an operator-log action with who
asked (a named operator's token over TCP, the uid on the unix socket)."""
import os
import sys

from harness import Tierd, free_port, wait_for
from ctlkit import api, api_tcp, cli

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fleet"))
from fleetkit import fleet_stack, group, wait_serving  # noqa: E402

TOKEN = "carol-1b5e07d3f4"


def _events(t):
    return [e["message"] for e in api(t, "GET", "/v1/events?limit=1000").json["events"]]


def test_scale_out_and_in_by_api_and_cli():
    port = free_port()
    addr = f"127.0.0.1:{port}"
    text = fleet_stack(min_size=1, max_size=3).replace(
        "control: { socket: ${dir}/tierd.sock }\n",
        "control:\n  socket: ${dir}/tierd.sock\n"
        f"  address: {addr}\n  tokens:\n    carol: \"$${{env:TIERD_E2E_SCALE_TOKEN}}\"\n")
    os.environ["TIERD_E2E_SCALE_TOKEN"] = TOKEN
    try:
        with Tierd(text) as t:
            wait_serving(t, 1)
            # Over TCP, as carol, with the short path.
            r = api_tcp(addr, "PUT", "/v1/groups/web/desired-capacity", {"desired": 2},
                        headers={"Authorization": f"Bearer {TOKEN}"})
            assert r.status == 200, r
            assert r.json == {"group": "web", "desired_capacity": 2, "previous": 1,
                              "min_size": 1, "max_size": 3}, r
            assert len(wait_serving(t, 2)) == 2
            ev = _events(t)
            assert any("A user request by who=carol" in e and "from 1 to 2" in e
                       for e in ev), ev
            assert any(e.startswith("action PUT /v1/groups/web/desired-capacity status=200 "
                                    "who=carol peer=") for e in ev), ev

            # Outside the bounds: refused, naming them; nothing changes.
            for n, why in ((4, "4 is above max_size 3"), (0, "0 is below min_size 1")):
                r = api(t, "PUT", "/v1/auto-scaling-groups/web/desired-capacity", {"desired": n})
                assert r.status == 422 and r.error["field"] == "desired", r
                assert why in r.error["message"] and "from 1 to 3" in r.error["message"], r
            for body in ({}, {"desired": "2"}, {"desired": -1}, {"desired": 1.5}):
                r = api(t, "PUT", "/v1/auto-scaling-groups/web/desired-capacity", body)
                assert r.status == 422 and r.error["field"] == "desired", (body, r)
            r = api(t, "PUT", "/v1/auto-scaling-groups/nope/desired-capacity", {"desired": 1})
            assert r.status == 404, r
            assert group(t)["desired_capacity"] == 2

            # The CLI, on the unix socket: scale in.
            p = cli(t, "scale", "web", "1")
            assert p.returncode == 0, p.stderr
            assert p.stdout.strip() == "web: desired capacity 1 (was 2; min 1, max 3)", p.stdout
            wait_for(lambda: group(t)["in_service"] == 1 and group(t)["terminating"] == 0, 30,
                     interval=0.2, what="scaled in to 1")
            assert any(e.startswith(f"action PUT /v1/auto-scaling-groups/web/desired-capacity "
                                    f"status=200 uid={os.getuid()} pid=") for e in _events(t))
            p = cli(t, "scale", "web", "9")
            assert p.returncode == 1 and "9 is above max_size 3" in p.stderr, p
            for bad in (["web"], ["web", "x"], ["web", "-1"], ["web", ""]):
                p = cli(t, "scale", *bad)
                assert p.returncode == 2, (bad, p)
            p = cli(t, "scale", "nope", "1")
            assert p.returncode == 1 and "nope" in p.stderr, p
    finally:
        del os.environ["TIERD_E2E_SCALE_TOKEN"]
