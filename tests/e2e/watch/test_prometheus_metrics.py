"""GET /metrics on the control socket is valid Prometheus text exposition 0.0.4 (checked by
a strict line parser: HELP/TYPE per family before its samples, `name{labels} value`,
histograms with cumulative `_bucket` counts ending at le="+Inf", `_sum` and `_count`), and
after some requests through the listener tierd_http_requests_total counts them for it, and
the response-time histogram for the listener holds them. (`tierd alarms` says "no alarms"
for a stack without any.)"""
import math

from harness import App, Tierd, get, wait_for
from watchkit import api_raw, cli, listener_stack, parse_prometheus

N = 25


def scrape(t):
    st, hdrs, body = api_raw(t, "GET", "/metrics")
    assert st == 200, body[:300]
    assert hdrs["content-type"].startswith("text/plain; version=0.0.4"), hdrs
    return parse_prometheus(body.decode("utf-8"))


def sample(fams, family, name, **labels):
    for n, ls, v in fams.get(family, {}).get("samples", []):
        if n == name and ls == labels:
            return v
    return None


def test_metrics_parse_and_count_the_listeners_requests():
    with App() as app, Tierd(listener_stack(app.addr)) as t:
        for _ in range(N):
            assert get(t.url("/")).status == 200
        assert get(t.url("/nothing-here")).status == 404

        def counted():
            f = scrape(t)
            return f if sample(f, "tierd_http_requests_total", "tierd_http_requests_total",
                               code="2xx", listener="public") == N else None
        fams = wait_for(counted, 20, interval=0.5, what=f"{N} 2xx requests in /metrics")

        no_help = [n for n, f in fams.items() if not f["help"]]
        assert not no_help, f"families without # HELP: {no_help}"
        req = fams["tierd_http_requests_total"]
        assert req["type"] == "counter" and req["help"]
        assert sample(fams, "tierd_http_requests_total", "tierd_http_requests_total",
                      code="4xx", listener="public") == 1
        assert sample(fams, "tierd_http_requests_total", "tierd_http_requests_total",
                      code="2xx", target_group="web") == N
        assert sample(fams, "tierd_connections_accepted_total",
                      "tierd_connections_accepted_total", listener="public") >= N + 1

        h = fams["tierd_http_response_seconds"]
        assert h["type"] == "histogram"
        les = [ls["le"] for n, ls, _ in h["samples"]
               if n == "tierd_http_response_seconds_bucket" and ls.get("listener") == "public"]
        assert les == ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                       "0.5", "1", "2.5", "5", "10", "+Inf"], les
        count = sample(fams, "tierd_http_response_seconds", "tierd_http_response_seconds_count",
                       listener="public")
        assert count == N + 1
        total = sample(fams, "tierd_http_response_seconds", "tierd_http_response_seconds_sum",
                       listener="public")
        assert 0 < total < 10 * (N + 1) and math.isfinite(total)

        # watch's own series are there, each with its documented type.
        for name, kind in (("tierd_process_cpu_utilization", "gauge"),
                           ("tierd_process_resident_memory_bytes", "gauge"),
                           ("tierd_host_load1", "gauge"),
                           ("tierd_watch_series", "gauge"),
                           ("tierd_watch_deliveries_pending", "gauge")):
            assert fams.get(name, {}).get("type") == kind, (name, fams.get(name))
        assert sample(fams, "tierd_process_resident_memory_bytes",
                      "tierd_process_resident_memory_bytes") > 1e6

        none = cli(t, "alarms")         # a stack without alarms
        assert none.returncode == 0 and none.stdout == "no alarms\n", none
