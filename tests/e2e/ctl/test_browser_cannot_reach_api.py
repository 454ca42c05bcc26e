"""A real browser (Debian's Chromium, headless) cannot drive the control API.

A page served from another local port tries what a hostile page would: `fetch()` in no-cors
mode (text/plain bodies, headers the browser drops), CORS requests (a DELETE, a POST with
the real token: both need a preflight), and HTML form posts (text/plain and urlencoded). Then
DNS rebinding: a name the page's owner controls resolves to 127.0.0.1 (Chromium's
--host-resolver-rules stands in for the attacker's DNS), so the page is same-origin with the
API and may even read the answers; it has the token too. Nothing may change on the daemon:
the targets, the configuration generation and the stack file stay as they were, and every
request that reached the TCP listener was refused before routing (the daemon's own
counters prove that the requests did arrive, so the test cannot pass by the browser not
sending them).
"""
import json
import os

from browser import OtherSite, chromium
from harness import Tierd, free_port
from ctlkit import api, ctl_stack

TOKEN = "e2e-browser-token-5f2c"
ATTACKER_STACK = """\
listeners:
  - name: public
    address: 127.0.0.1:1
    rules:
      - forward: web
target_groups:
  web:
    targets: [127.0.0.1:2]
launch_templates:
  pwn:
    command: ["/bin/sh", "-c", "touch /tmp/tierd-pwned"]
"""


ATTACK_JS = r"""
const api = arguments[0], body = arguments[1], token = arguments[2], done = arguments[3];
const out = [];
async function attempt(name, f) {
  try { const r = await f(); out.push([name, r.type, r.status]); }
  catch (e) { out.push([name, "error", String(e)]); }
}
function form(enctype, fields) {
  return new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.name = "f" + Math.random().toString(36).slice(2);
    document.body.appendChild(frame);
    const f = document.createElement("form");
    f.method = "POST"; f.enctype = enctype; f.target = frame.name;
    f.action = api + "/v1/target-groups/web/targets";
    for (const [k, v] of fields) {
      const i = document.createElement("input"); i.name = k; i.value = v; f.appendChild(i);
    }
    document.body.appendChild(f);
    const t = setTimeout(() => resolve("timeout"), 10000);
    frame.onload = () => { clearTimeout(t); resolve("loaded"); };
    f.submit();
  });
}
(async () => {
  await attempt("apply text/plain", () => fetch(api + "/v1/apply",
      {method: "POST", mode: "no-cors", body: body}));
  await attempt("register text/plain", () => fetch(api + "/v1/target-groups/web/targets",
      {method: "POST", mode: "no-cors", body: '{"address": "127.0.0.1:9"}'}));
  await attempt("deregister", () => fetch(api + "/v1/target-groups/web/targets/127.0.0.1:1",
      {method: "DELETE", mode: "cors"}));
  await attempt("no-cors with dropped headers", () => fetch(api + "/v1/target-groups/web/targets",
      {method: "POST", mode: "no-cors", body: '{"address": "127.0.0.1:10"}',
       headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token}}));
  await attempt("cors with the token", () => fetch(api + "/v1/target-groups/web/targets",
      {method: "POST", mode: "cors", body: '{"address": "127.0.0.1:11"}',
       headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token}}));
  out.push(["form text/plain", "form",
            await form("text/plain", [['{"address": "127.0.0.1:12", "x": "', '"}']])]);
  out.push(["form urlencoded", "form",
            await form("application/x-www-form-urlencoded", [["address", "127.0.0.1:13"]])]);
  done(out);
})();
"""

REBIND_JS = r"""
const body = arguments[0], token = arguments[1], done = arguments[2];
fetch("/v1/target-groups/web/targets", {method: "POST", body: body,
      headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token}})
  .then(async (r) => done([r.status, await r.text()]))
  .catch((e) => done(["error", String(e)]));
"""


def _snapshot(t):
    st = api(t, "GET", "/v1/status")
    targets = api(t, "GET", "/v1/targets")
    config = api(t, "GET", "/v1/config")
    assert st.status == 200 and targets.status == 200 and config.status == 200
    return (st.json["generation"], sorted(x["address"] for x in targets.json["targets"]),
            config.body), st.json["control"]


def test_a_web_page_cannot_change_anything():
    api_port = free_port()
    os.environ["TIERD_E2E_BROWSER_TOKEN"] = TOKEN
    driver = None
    try:
        text = ctl_stack(control=f"  address: 127.0.0.1:{api_port}\n"
                                 f"  token: \"$${{env:TIERD_E2E_BROWSER_TOKEN}}\"\n")
        with Tierd(text) as t:
            before, ctl0 = _snapshot(t)
            assert ctl0["tcp_requests"] == 0
            # The attacker's DNS: its name answers with loopback.
            driver = chromium("--host-resolver-rules=MAP rebind.test 127.0.0.1")

            # 1. A page from another local port.
            with OtherSite() as page:
                driver.get(page + "/")
                results = driver.execute_async_script(ATTACK_JS, f"http://127.0.0.1:{api_port}",
                                                      ATTACKER_STACK, TOKEN)
            by_name = {r[0]: r for r in results}
            assert len(by_name) == 7, results
            # CORS requests (a DELETE is one: no-cors allows only GET, HEAD and POST) never
            # got past their preflight; no-cors answers are opaque.
            for name in ("cors with the token", "deregister"):
                assert by_name[name][1] == "error", results
            for name in ("apply text/plain", "register text/plain",
                         "no-cors with dropped headers"):
                assert by_name[name][1] == "opaque", results

            # 2. DNS rebinding: the same page origin as the API, token in hand.
            driver.get(f"http://rebind.test:{api_port}/v1/status")
            status, reply = driver.execute_async_script(
                REBIND_JS, json.dumps({"address": "127.0.0.1:14"}), TOKEN)
            assert status == 421, reply
            assert json.loads(reply)["error"]["code"] == "misdirected_request"

            after, ctl1 = _snapshot(t)
            assert after == before, "a web page changed the daemon"
            assert not os.path.exists("/tmp/tierd-pwned")
            refused = ctl1["refused"]
            # Every request the browser sent arrived, and each was refused before routing:
            # 3 no-cors fetches, 2 preflights, 2 forms by Origin; the rebound page by Host.
            assert refused["origin_not_allowed"] >= 7, ctl1
            assert refused["misdirected_request"] >= 2, ctl1
            assert ctl1["tcp_requests"] == sum(refused.values()), ctl1
    finally:
        if driver is not None:
            driver.quit()
        del os.environ["TIERD_E2E_BROWSER_TOKEN"]
