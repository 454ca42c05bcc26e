"""Run-time registration through the API: POST adds a dynamic target that takes traffic
(201); DELETE starts draining it (202), which `tierd targets` shows while a request to it
is still in flight."""
import threading
import time

from harness import App, Tierd, get, instance_counts, tg_stack, wait_for
from ctlkit import CONTROL, api, cli


def test_register_then_deregister_drains():
    with App(name="a") as a, App(name="b") as b:
        text = tg_stack([a.addr], deregistration_delay="30s") + CONTROL
        with Tierd(text) as t:
            r = api(t, "POST", "/v1/target-groups/web/targets", {"address": b.addr, "weight": 999})
            assert r.status == 201, r
            assert r.json == {"group": "web", "address": b.addr, "weight": 999}

            rows = {line.split()[1]: line.split() for line in cli(t, "targets").stdout.splitlines()[1:]}
            assert rows[b.addr][-1] == "dynamic" and rows[b.addr][4] == "999"
            assert instance_counts(t.url("/"), 6)["b"] >= 4

            res = {}
            th = threading.Thread(target=lambda: res.update(r=get(t.url("/sleep?ms=3000"))),
                                  daemon=True)
            # weight 999:1, so the slow request lands on b; check that it did.
            th.start()
            wait_for(lambda: {x["address"]: x for x in api(t, "GET", "/v1/targets").json["targets"]}
                     [b.addr]["in_flight"] == 1, 5, what="a request in flight to b")

            r = api(t, "DELETE", f"/v1/target-groups/web/targets/{b.addr}")
            assert r.status == 202, r
            assert r.json["state"] == "draining"

            p = cli(t, "targets", "web")
            rows = {line.split()[1]: line.split() for line in p.stdout.splitlines()[1:]}
            assert rows[b.addr][2] == "draining", p.stdout
            assert rows[b.addr][3] == "Target.DeregistrationInProgress"
            assert rows[a.addr][2] == "healthy"
            # New requests avoid the draining target; the one in flight finishes.
            assert instance_counts(t.url("/"), 4) == {"a": 4}
            th.join(10)
            assert res["r"].status == 200

            # Once drained it is gone; deleting it again is a 404 naming the address.
            wait_for(lambda: b.addr not in cli(t, "targets").stdout, 10, what="b removed")
            r = api(t, "DELETE", f"/v1/target-groups/web/targets/{b.addr}")
            assert r.status == 404 and r.error["field"] == "address", r
            r = api(t, "POST", "/v1/target-groups/nosuch/targets", {"address": b.addr})
            assert r.status == 404 and r.error["code"] == "not_found", r
