"""The console (control.console) in a real browser: Debian's Chromium, headless, driven by
selenium through Debian's chromedriver. One daemon and one browser for the module: a stack
with a plain target group whose one target is the sample app (killed and restarted to turn
it unhealthy and back), an auto scaling group of the sample app (a refresh is started from
the console), and the shield (an operator ban is lifted from the console). Each page is
photographed into BUILD/console-screenshots/ for a person to look at.

Then a page of another site, holding the session cookie in the same browser, tries every
way to act: it must change nothing. The page weight (every file the console loads,
gzip-compressed) must stay under 150 KB.
"""
import gzip
import os
import socket
import sys

import pytest

from browser import OtherSite, chromium
from harness import APP, TIERD, App, Tierd, free_port, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ctl"))
import ctlkit  # noqa: E402

TOKEN = "e2e-console-token-7d1a"
SHOTS = os.path.join(os.path.dirname(os.path.abspath(TIERD)), "console-screenshots")
WAIT = 40


def _stack(static_addr, api_port):
    app = f'[{APP}, --listen, "127.0.0.1:$${{PORT}}", --name, "$${{INSTANCE_ID}}"]'
    return ("listeners:\n  - name: public\n    address: ${listen}\n    rules:\n"
            "      - match: { path_prefix: /s/ }\n        forward: plain\n"
            "      - forward: web\n"
            "target_groups:\n"
            "  plain:\n"
            f"    targets: [{static_addr}]\n"
            "    health_check: { path: /health, interval: 5s, timeout: 2s, "
            "healthy_threshold: 2, unhealthy_threshold: 2 }\n"
            "  web:\n"
            "    health_check: { path: /health, interval: 5s, timeout: 2s, "
            "healthy_threshold: 2 }\n"
            "    deregistration_delay: 1s\n"
            "launch_templates:\n  app:\n"
            f"    command: {app}\n    stop_timeout: 5s\n"
            "auto_scaling_groups:\n  web:\n    launch_template: app\n    target_group: web\n"
            "    min_size: 1\n    max_size: 2\n"
            "    health_check_type: elb\n    health_check_grace_period: 5s\n"
            "    instance_refresh: { min_healthy_percentage: 0, instance_warmup: 1s }\n"
            "shield:\n  mode: block\n"
            "state_dir: ${dir}/state\n"
            "control:\n  socket: ${dir}/tierd.sock\n"
            f"  address: 127.0.0.1:{api_port}\n"
            "  tokens: { alice: \"$${env:TIERD_E2E_CONSOLE_TOKEN}\" }\n"
            "  console: true\n")


def _api(t, method, path, body=None):
    r = ctlkit.api(t, method, path, body)
    return r.status, r.json


@pytest.fixture(scope="module")
def env():
    os.makedirs(SHOTS, exist_ok=True)
    os.environ["TIERD_E2E_CONSOLE_TOKEN"] = TOKEN
    api_port = free_port()
    driver = None
    try:
        with App("plain") as plain, Tierd(_stack(plain.addr, api_port)) as t:
            driver = chromium()
            yield {"t": t, "d": driver, "plain": plain,
                   "base": f"http://127.0.0.1:{api_port}"}
    finally:
        if driver is not None:
            driver.quit()
        del os.environ["TIERD_E2E_CONSOLE_TOKEN"]


def _by(d, css):
    from selenium.webdriver.common.by import By
    return d.find_elements(By.CSS_SELECTOR, css)


def _text(d):
    return d.execute_script("return document.getElementById('page').innerText")


def _wait_text(d, want, timeout=WAIT):
    return wait_for(lambda: want in _text(d), timeout, interval=0.3,
                    what=f"{want!r} on the page")


def _goto(d, page):
    d.execute_script(f"location.hash = '#{page}'")
    wait_for(lambda: d.execute_script("return document.getElementById('page').dataset.page")
             == page and d.execute_script(
                 "return document.getElementById('page').dataset.loaded") is not None,
             WAIT, interval=0.2, what=f"page {page}")


def _shot(d, name):
    d.save_screenshot(os.path.join(SHOTS, f"{name}.png"))


def _row(d, cell_text):
    """The innerText of the table row holding cell_text, or ''."""
    return d.execute_script(
        "for (const tr of document.querySelectorAll('#page tr'))"
        "  if ([...tr.cells].some(c => c.innerText === arguments[0])) return tr.innerText;"
        "return '';", cell_text)


def _click(d, label):
    """Clicks the page's button labelled `label`, found and clicked in one script: the
    page redraws every second, so an element looked up first may be gone by the click."""
    wait_for(lambda: d.execute_script(
        "for (const b of document.querySelectorAll('#page button'))"
        "  if (b.textContent === arguments[0]) { b.click(); return true; }"
        "return false;", label), 10, interval=0.2, what=f"the {label!r} button")


def _confirm(d, number=None):
    wait_for(lambda: d.execute_script("return document.getElementById('confirm').open"), 10,
             what="the confirmation dialog")
    if number is not None:
        field = _by(d, "#confirm-input")[0]
        assert field.is_displayed()
        field.clear()
        field.send_keys(str(number))
    _by(d, "#confirm-ok")[0].click()


def _sign_in(env):
    d = env["d"]
    d.get(env["base"] + "/")
    wait_for(lambda: _by(d, "#token") and _by(d, "#token")[0].is_displayed(), WAIT,
             what="the sign-in form")
    _shot(d, "sign-in")
    _by(d, "#token")[0].send_keys("not-the-token\n")
    wait_for(lambda: "not valid" in _by(d, "#sign-in-error")[0].text, 10,
             what="a refused sign-in")
    _by(d, "#token")[0].send_keys(TOKEN + "\n")
    wait_for(lambda: _by(d, "#who")[0].text == "signed in as alice", 10, what="signed in")


def test_01_sign_in_and_overview(env):
    d = env["d"]
    _sign_in(env)
    cookies = {c["name"]: c for c in d.get_cookies()}
    assert cookies["tierd_session"]["httpOnly"] is True
    assert cookies["tierd_session"]["sameSite"] == "Strict"
    # The browser keeps it no longer than the server's session lifetime (12 h).
    import time
    assert abs(cookies["tierd_session"]["expiry"] - (time.time() + 43200)) < 120, cookies
    # The cookie is invisible to the page's own script (HttpOnly).
    assert "tierd_session" not in d.execute_script("return document.cookie")
    # A few requests through the proxy so the charts have something.
    for _ in range(5):
        socket.create_connection(env["t"].addr()).close()
    _goto(d, "overview")
    wait_for(lambda: len(_by(d, ".chart canvas")) >= 3, WAIT, what="three charts")
    # No CSP violations and no script errors: the console works under its own policy.
    # (The 401s of the session probe before sign-in and of the wrong token are expected.)
    logs = [x["message"] for x in d.get_log("browser") if x["level"] == "SEVERE" and
            not ("status of 401" in x["message"] and "/console/s" in x["message"])]
    assert not logs, logs


def test_02_target_turns_unhealthy_and_back(env):
    d, plain = env["d"], env["plain"]
    _goto(d, "targets")
    wait_for(lambda: "healthy" in _row(d, plain.addr).split(), WAIT, interval=0.3,
             what="the plain target healthy")
    plain.stop()
    wait_for(lambda: "unhealthy" in _row(d, plain.addr).split(), WAIT, interval=0.3,
             what="the plain target unhealthy in the console")
    _shot(d, "target-groups-unhealthy")
    # The same port again: a new process of the sample app.
    import subprocess
    p = subprocess.Popen([APP, "--listen", plain.addr, "--name", "plain2"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: "healthy" in _row(d, plain.addr).split(), WAIT, interval=0.3,
                 what="the plain target healthy again in the console")
        _shot(d, "target-groups")
    finally:
        p.terminate()
        p.wait(5)


def test_03_start_a_refresh(env):
    d, t = env["d"], env["t"]
    wait_for(lambda: _api(t, "GET", "/v1/auto-scaling-groups")[1]["auto_scaling_groups"][0]
             ["in_service"] >= 1, WAIT, interval=0.3, what="an instance in service")
    _goto(d, "groups")
    wait_for(lambda: "InService" in _text(d), WAIT, interval=0.3, what="InService listed")
    _click(d, "Start refresh")
    _confirm(d)
    st, r = wait_for(lambda: (lambda x: x if x[0] == 200 else None)(
        _api(t, "GET", "/v1/auto-scaling-groups/web/refresh")), WAIT, what="a refresh")
    assert r["status"] in ("Pending", "InProgress", "Successful"), r
    _wait_text(d, r["status"] if r["status"] != "Pending" else "InProgress")
    _shot(d, "auto-scaling-groups")
    # Who did it: the console session, in the operator log.
    _assert_action(t, "POST /v1/auto-scaling-groups/web/refresh status=202 who=console:alice")


def _assert_action(t, what):
    st, ev = _api(t, "GET", "/v1/events?limit=1000")
    assert st == 200
    acts = [e["message"] for e in ev["events"] if e["message"].startswith("action ")]
    assert any(a.startswith("action " + what + " peer=127.0.0.1:") for a in acts), acts


def test_03b_scale_out_from_the_console(env):
    d, t = env["d"], env["t"]
    _goto(d, "groups")
    wait_for(lambda: _api(t, "GET", "/v1/auto-scaling-groups/web/refresh")[1]["status"]
             == "Successful", WAIT, interval=0.3, what="the refresh done")
    _click(d, "Set desired")
    _confirm(d, number=2)
    # The new instance appears in the console, Pending then InService.
    wait_for(lambda: _text(d).count("InService") >= 2, WAIT, interval=0.3,
             what="two instances InService in the console")
    assert _api(t, "GET", "/v1/auto-scaling-groups")[1]["auto_scaling_groups"][0][
        "desired_capacity"] == 2
    _shot(d, "auto-scaling-groups-scaled-out")
    _assert_action(t, "PUT /v1/auto-scaling-groups/web/desired-capacity status=200 "
                      "who=console:alice")
    # Outside [min, max]: the dialog's field refuses it (the API would too: 422) and stays
    # open until cancelled; nothing changes.
    _click(d, "Set desired")
    _confirm(d, number=5)
    assert d.execute_script("return document.getElementById('confirm').open")
    assert d.execute_script("return document.getElementById('confirm-input').validity"
                            ".rangeOverflow")
    [b for b in _by(d, "#confirm button") if b.text == "Cancel"][0].click()
    wait_for(lambda: not d.execute_script("return document.getElementById('confirm').open"),
             10, what="the dialog closed")
    assert _api(t, "GET", "/v1/auto-scaling-groups")[1]["auto_scaling_groups"][0][
        "desired_capacity"] == 2


def test_04_unban_an_address(env):
    d, t = env["d"], env["t"]
    st, _ = _api(t, "POST", "/v1/bans", {"address": "127.0.0.77", "duration": 600,
                                         "reason": "e2e"})
    assert st == 201
    host, port = t.addr()

    def refused():
        s = socket.socket()
        s.bind(("127.0.0.77", 0))
        s.settimeout(5)
        try:
            s.connect((host, port))
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return not s.recv(100).startswith(b"HTTP/1.1 200")
        except OSError:
            return True
        finally:
            s.close()
    assert refused()
    _goto(d, "shield")
    wait_for(lambda: "127.0.0.77" in _row(d, "127.0.0.77"), WAIT, interval=0.3,
             what="the ban listed")
    _shot(d, "shield")
    d.execute_script(
        "for (const tr of document.querySelectorAll('#page tr'))"
        "  if (tr.cells[0] && tr.cells[0].innerText === '127.0.0.77')"
        "    tr.querySelector('button').click();")
    _confirm(d)
    wait_for(lambda: "127.0.0.77" not in {b["address"] for b in
                                          _api(t, "GET", "/v1/bans")[1]["bans"]},
             WAIT, what="the ban lifted")
    wait_for(lambda: not refused(), WAIT, what="127.0.0.77 served again")
    wait_for(lambda: _row(d, "127.0.0.77") == "", WAIT, interval=0.3,
             what="the ban gone from the console")


def test_05_alarms_and_events_pages(env):
    d = env["d"]
    _goto(d, "alarms")
    _wait_text(d, "no alarms configured")
    _shot(d, "alarms")
    _goto(d, "data")
    _wait_text(d, "not configured (no databases in the stack file)")
    _wait_text(d, "not configured (no automatic certificates)")
    _shot(d, "databases-and-certificates")
    _goto(d, "events")
    _wait_text(d, "who=console:alice")
    _shot(d, "events")


def test_05b_overview_with_traffic(env):
    """Requests through the proxy (some 404s) show on the Overview's charts: the first
    fetch takes 15 minutes, later ones the seconds since (app.js series())."""
    import threading
    import time
    import urllib.parse
    import urllib.request
    d, t = env["d"], env["t"]
    stop = threading.Event()

    def load():
        while not stop.is_set():
            for path in ("/", "/s/health", "/s/missing"):
                try:
                    urllib.request.urlopen(t.url(path), timeout=2).read()
                except OSError:
                    pass                    # the 404s, and a target between states
            time.sleep(0.02)
    th = threading.Thread(target=load, daemon=True)
    th.start()
    try:
        time.sleep(2)
        _goto(d, "targets")
        _goto(d, "overview")
        time.sleep(5.5)                     # one later, incremental fetch of every chart
        now = int(time.time())
        st, m = _api(t, "GET", f"/v1/metrics?metric=request_count&statistic=sum&period=1"
                               f"&start={now - 30}&end={now}&dimension=listener:public")
        assert st == 200 and sum(p["value"] for p in m["datapoints"]) > 20, m
        assert len(_by(d, ".chart canvas")) >= 3
        _shot(d, "overview")
        # History: 24 hours of the watch's stored minutes, as a rate per second.
        _click(d, "24 h")
        asked = wait_for(lambda: d.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => n.includes('/v1/metrics?') && n.includes('period=60')"
            " && n.includes('metric=request_count'))"), WAIT, what="the 24 h series asked for")
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(asked[-1]).query)
        assert abs(int(q["end"][0]) - int(q["start"][0]) - 86400) < 2, q
        wait_for(lambda: d.execute_script(
            "return [...document.querySelectorAll('.ranges button')].find(b => "
            "b.getAttribute('aria-pressed') === 'true').textContent") == "24 h", WAIT,
            what="24 h selected")
        wait_for(lambda: len(_by(d, ".chart canvas")) >= 3, WAIT, what="the 24 h charts")
        _shot(d, "overview-24h")
        _click(d, "15 min")
    finally:
        stop.set()
        th.join(5)


ATTACK_JS = r"""
const api = arguments[0], done = arguments[1];
const out = [];
async function attempt(name, f) {
  try { const r = await f(); out.push([name, r.type, r.status]); }
  catch (e) { out.push([name, "error", String(e)]); }
}
function form(action, enctype, fields) {
  return new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.name = "f" + Math.random().toString(36).slice(2);
    document.body.appendChild(frame);
    const f = document.createElement("form");
    f.method = "POST"; f.enctype = enctype; f.target = frame.name; f.action = action;
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
  await attempt("ban no-cors", () => fetch(api + "/v1/bans", {method: "POST", mode: "no-cors",
      credentials: "include", body: '{"address": "127.0.0.99"}'}));
  await attempt("ban cors json", () => fetch(api + "/v1/bans", {method: "POST", mode: "cors",
      credentials: "include", headers: {"Content-Type": "application/json"},
      body: '{"address": "127.0.0.98"}'}));
  await attempt("session read", () => fetch(api + "/console/session", {mode: "cors",
      credentials: "include"}));
  await attempt("refresh delete", () => fetch(api + "/v1/auto-scaling-groups/web/refresh",
      {method: "DELETE", mode: "cors", credentials: "include"}));
  out.push(["form ban", "form", await form(api + "/v1/bans", "text/plain",
                                           [['{"address": "127.0.0.97", "x": "', '"}']])]);
  out.push(["form sign-out", "form", await form(api + "/console/sign-out",
                                                "application/x-www-form-urlencoded", [["a", "b"]])]);
  done(out);
})();
"""


def test_06_another_site_cannot_act_with_the_cookie(env):
    d, t = env["d"], env["t"]
    with OtherSite() as site:
        before = sorted(b["address"] for b in _api(t, "GET", "/v1/bans")[1]["bans"])
        refresh_before = _api(t, "GET", "/v1/auto-scaling-groups/web/refresh")[1].get("status")
        st0 = _api(t, "GET", "/v1/status")[1]["control"]
        d.get(site + "/")
        results = d.execute_async_script(ATTACK_JS, env["base"])
        assert len(results) == 6, results
        for name in ("ban cors json", "session read", "refresh delete"):
            assert dict((r[0], r[1]) for r in results)[name] == "error", results
        after = sorted(b["address"] for b in _api(t, "GET", "/v1/bans")[1]["bans"])
        assert after == before, "another site changed the bans"
        assert _api(t, "GET", "/v1/auto-scaling-groups/web/refresh")[1].get("status") == \
            refresh_before
        st1 = _api(t, "GET", "/v1/status")[1]["control"]
        # The requests arrived (the counters moved) and were refused before routing.
        assert st1["refused"]["origin_not_allowed"] - st0["refused"]["origin_not_allowed"] >= 4
        # The session survived: the sign-out form was refused too.
        d.get(env["base"] + "/console/index.html#events")
        wait_for(lambda: "alice" in _by(d, "#who")[0].text, WAIT, what="still signed in")


def test_07_sign_out_ends_the_session(env):
    d = env["d"]
    cookie = d.get_cookie("tierd_session")["value"]
    _by(d, "#sign-out")[0].click()
    wait_for(lambda: _by(d, "#token")[0].is_displayed(), WAIT, what="the sign-in form")
    # The old cookie (with any CSRF token) opens nothing any more.
    host, port = env["base"][7:].split(":")
    s = socket.create_connection((host, int(port)))
    s.sendall(f"GET /console/session HTTP/1.1\r\nHost: {host}:{port}\r\n"
              f"Cookie: tierd_session={cookie}\r\n\r\n".encode())
    assert s.recv(100).startswith(b"HTTP/1.1 401")
    s.close()


def test_08_page_weight_under_150_kb_compressed(env):
    """Every file the console loads, gzip -9 compressed, as a browser fetching with
    Accept-Encoding: gzip from a server that compresses would receive it."""
    d = env["d"]
    names = d.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.includes('/console/') && !n.includes('/console/session')"
        " && !n.includes('/console/stream'))")
    files = sorted({n.split("/console/")[1].split("#")[0] for n in names} | {"index.html"})
    total = 0
    import urllib.request
    for f in files:
        body = urllib.request.urlopen(env["base"] + "/console/" + f, timeout=10).read()
        total += len(gzip.compress(body, 9))
    print(f"console page weight: {total} bytes gzip-compressed over {files}")
    assert {"app.js", "uPlot.esm.js", "style.css"} <= set(files), files
    assert total < 150 * 1024, total
