"""Access logs: nginx "combined" lines, JSON lines, and reopening on SIGUSR1."""
import json
import os
import re

from harness import App, Tierd, get, stack, wait_for

# nginx: $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
#        "$http_referer" "$http_user_agent"
COMBINED = re.compile(
    r'^(?P<addr>[0-9a-fA-F.:]+) - (?P<user>\S+) '
    r'\[(?P<time>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] '
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+) '
    r'"(?P<referer>[^"]*)" "(?P<ua>[^"]*)"')


def log_stack(app, fmt):
    return stack(groups={"web": [app.addr]},
                 extra=f"access_log:\n  path: ${{dir}}/access.log\n  format: {fmt}\n")


def test_combined_format():
    with App(name="a1") as a1, Tierd(log_stack(a1, "combined")) as t:
        assert get(t.url("/bytes?n=123"), headers={"Referer": "http://ref.example/",
                                                   "User-Agent": "e2e-agent/1.0"}).status == 200
        assert get(t.url("/status?code=404")).status == 404
        lines = wait_for(lambda: (lambda ls: ls if len(ls) >= 2 else None)(t.access_log_lines()),
                         10, what="two access log lines")
        m = [COMBINED.match(line) for line in lines]
        assert all(m), lines
        # Each worker writes its own lines: the file order need not be the request order.
        by_req = {x["request"]: x for x in m}
        ok = by_req["GET /bytes?n=123 HTTP/1.1"]
        assert ok["addr"] == "127.0.0.1"
        assert ok["status"] == "200" and ok["bytes"] == "123"
        assert ok["referer"] == "http://ref.example/" and ok["ua"] == "e2e-agent/1.0"
        nf = by_req["GET /status?code=404 HTTP/1.1"]
        assert nf["status"] == "404" and nf["referer"] == "-"


def test_json_format():
    with App(name="a1") as a1, Tierd(log_stack(a1, "json")) as t:
        assert get(t.url("/sleep?ms=100")).status == 200
        assert get(t.url("/status?code=503")).status == 503
        lines = wait_for(lambda: (lambda ls: ls if len(ls) >= 2 else None)(t.access_log_lines()),
                         10, what="two access log lines")
        recs = [json.loads(line) for line in lines]
        for rec in recs:
            for key in ("status", "request_time", "upstream_addr"):
                assert key in rec, (key, rec)
            assert rec["upstream_addr"] == a1.addr
        statuses = sorted(int(rec["status"]) for rec in recs)
        assert statuses == [200, 503]
        slept = [rec for rec in recs if int(rec["status"]) == 200][0]
        assert 0.09 <= float(slept["request_time"]) < 5


def test_sigusr1_reopens_after_rename():
    with App(name="a1") as a1, Tierd(log_stack(a1, "combined")) as t:
        log = os.path.join(t.dir, "access.log")
        assert get(t.url("/?before")).status == 200
        wait_for(lambda: len(t.access_log_lines()) >= 1, 10, what="first line")
        os.rename(log, log + ".1")
        t.reopen_logs()
        wait_for(lambda: os.path.exists(log), 10, what="a new access.log after SIGUSR1")
        for i in range(3):
            assert get(t.url(f"/?after{i}")).status == 200
        lines = wait_for(lambda: (lambda ls: ls if len(ls) >= 3 else None)(
            t.access_log_lines()), 10, what="new lines in the new file")
        assert all("GET /?after" in line for line in lines), lines
        old = t.access_log_lines("access.log.1")
        assert len(old) == 1 and "GET /?before" in old[0]
