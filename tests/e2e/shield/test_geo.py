"""Countries (shield.geo): a database in Tor's geoip format, written by the test, maps
127.0.0.64-127.0.0.127 to SG and 127.0.0.0-127.0.0.63 to US. With `block: [SG]` a client
from 127.0.0.66 is refused (403) and one from 127.0.0.5 served, also when the address
comes through a trusted proxy's X-Forwarded-For; scoped to paths, only those are refused;
`count` and `mode: count` only count. The
country shows in the JSON access log, in `tierd bans` and in GET /v1/bans."""
import ipaddress
import json
import os
import subprocess

from harness import TIERD, App, Tierd, control_request, wait_for
from shieldkit import cli, counters, request, shield_stack, sock_path

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def n(addr):
    return int(ipaddress.ip_address(addr))


def write_db(tmp_path):
    v4 = tmp_path / "geoip"
    v4.write_text("# Made by tests/e2e/shield/test_geo.py\n"
                  f"{n('127.0.0.0')},{n('127.0.0.63')},US\n"
                  f"{n('127.0.0.64')},{n('127.0.0.127')},SG\n"
                  f"{n('127.0.0.128')},{n('127.0.0.255')},??\n")
    v6 = tmp_path / "geoip6"
    v6.write_text("::1,::1,DE\n")
    return v4, v6


def geo_stack(app, v4, v6, body):
    return shield_stack(app.addr, f"  geo: {{ database: {v4}, database6: {v6}, {body} }}\n"
                        "  trusted_proxies: [127.0.0.200]\n"
                        "  scanners: { enabled: false }\n"
                        "  mode: ${mode}\n") + \
        "access_log: { path: ${dir}/access.log, format: json }\n"


def log_lines(t, want):
    def enough():
        ls = [json.loads(x) for x in t.access_log_lines()]
        return ls if len(ls) >= want else None
    return wait_for(enough, 10, what=f"{want} access log lines")


def test_geo_block_refuses_the_country_and_serves_the_others(tmp_path):
    v4, v6 = write_db(tmp_path)
    with App(name="a") as app, \
            Tierd(geo_stack(app, v4, v6, "block: [SG], count: [US]"), mode="block") as t:
        assert request(t, "127.0.0.66", "/") == 403
        assert request(t, "127.0.0.5", "/") == 200
        assert request(t, "127.0.0.130", "/") == 200            # "??": no country
        # Through the trusted proxy: the forwarded address is judged.
        assert request(t, "127.0.0.200", "/", {"X-Forwarded-For": "127.0.0.70"}) == 403
        assert request(t, "127.0.0.200", "/", {"X-Forwarded-For": "127.0.0.6"}) == 200
        # An untrusted peer cannot pick its country.
        assert request(t, "127.0.0.66", "/", {"X-Forwarded-For": "127.0.0.6"}) == 403

        c = counters(t)
        assert c["geo_block"] == 3 and c["geo_block:SG"] == 3
        assert c["geo_count"] == 2 and c["geo_count:US"] == 2
        assert "geo_block:US" not in c

        # The metrics: one series per country, the country a label.
        def exported():
            _, _, body = control_request(sock_path(t), "GET", "/metrics")
            text = body.decode()
            return text if 'tierd_shield_geo_block_total{country="SG"} 3' in text else None
        text = wait_for(exported, 20, interval=0.5, what="geo_block{country=SG} in /metrics")
        assert 'tierd_shield_geo_count_total{country="US"} 2' in text

        lines = log_lines(t, 6)
        by = {}
        for x in lines:
            by.setdefault((x["remote_addr"], x["status"]), []).append(x.get("country"))
        assert by[("127.0.0.66", 403)] == ["SG", "SG"]
        assert by[("127.0.0.5", 200)] == ["US"]
        assert by[("127.0.0.130", 200)] == [None]
        assert sorted(by[("127.0.0.200", 403)] + by[("127.0.0.200", 200)]) == ["SG", "US"]

        # Bans carry the country of the address.
        assert cli(t, "bans", "add", "127.0.0.77").returncode == 0
        assert cli(t, "bans", "add", "127.0.0.8").returncode == 0
        doc = json.loads(cli(t, "bans", "--json").stdout)
        listed = {b["address"]: b for b in doc["bans"]}
        assert listed["127.0.0.77"]["country"] == "SG"
        assert listed["127.0.0.8"]["country"] == "US"
        p = cli(t, "bans")
        rows = {line.split()[0]: line.split() for line in p.stdout.splitlines()[1:]}
        assert p.stdout.splitlines()[0].split()[1] == "COUNTRY"
        assert rows["127.0.0.77"][1] == "SG" and rows["127.0.0.8"][1] == "US"


def test_geo_count_and_count_mode_only_count(tmp_path):
    v4, v6 = write_db(tmp_path)
    with App(name="a") as app, \
            Tierd(geo_stack(app, v4, v6, "block: [SG]"), mode="count") as t:
        assert request(t, "127.0.0.66", "/") == 200
        assert request(t, "127.0.0.5", "/") == 200
        c = counters(t)
        assert c["geo_block"] == 0
        assert c["geo_block_counted"] == 1 and c["geo_block_counted:SG"] == 1
        lines = log_lines(t, 2)
        assert {x["remote_addr"]: x.get("country") for x in lines} == \
            {"127.0.0.66": "SG", "127.0.0.5": "US"}


def test_geo_unknown_country_is_a_check_error(tmp_path):
    v4, v6 = write_db(tmp_path)
    path = tmp_path / "s.yaml"
    path.write_text("listeners:\n  - name: public\n    address: 127.0.0.1:0\n"
                    "    rules:\n      - forward: web\n"
                    "target_groups:\n  web:\n    targets: [127.0.0.1:9]\n"
                    f"shield:\n  geo:\n    database: {v4}\n    block: [SG, XY]\n")
    p = subprocess.run([TIERD, "check", str(path)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert f"{path}:12:17: shield.geo.block[1]: \"XY\" is not an ISO 3166-1" in p.stderr, \
        p.stderr


def test_reload_reads_the_database_again(tmp_path):
    """The database is read at every reload: after the file moves 127.0.0.64/26 from SG
    to US, SIGHUP is enough for 127.0.0.66 to be served."""
    v4, v6 = write_db(tmp_path)
    with App(name="a") as app, \
            Tierd(geo_stack(app, v4, v6, "block: [SG]"), mode="block") as t:
        assert request(t, "127.0.0.66", "/") == 403
        v4.write_text(f"{n('127.0.0.0')},{n('127.0.0.127')},US\n")
        t.reload()
        wait_for(lambda: request(t, "127.0.0.66", "/") == 200, 10,
                 what="127.0.0.66 served after the reload")
        # Counters are running state: they survive the reload (polls before it count too).
        assert counters(t)["geo_block:SG"] >= 1
        assert request(t, "127.0.0.5", "/") == 200


def test_geo_scope_to_paths(tmp_path):
    v4, v6 = write_db(tmp_path)
    with App(name="a") as app, \
            Tierd(geo_stack(app, v4, v6, "block: [SG], paths: [/admin], listeners: [public]"),
                  mode="block") as t:
        assert request(t, "127.0.0.66", "/admin") == 403
        assert request(t, "127.0.0.66", "/admin/users") == 403
        assert request(t, "127.0.0.66", "/") == 200
        assert request(t, "127.0.0.66", "/administrator") == 404   # served: the app's 404
        assert request(t, "127.0.0.5", "/admin") == 404          # US: served
        assert counters(t)["geo_block:SG"] == 2


def test_analyze_reports_countries(tmp_path):
    v4, v6 = write_db(tmp_path)
    log = tmp_path / "access.log"
    lines = []
    for i, p in enumerate(("/.env", "/.git/config", "/.aws/credentials", "/.htpasswd",
                           "/backup.sql", "/wp-config.php.bak")):
        lines.append(f'127.0.0.66 - - [08/Dec/2026:04:00:{i:02d} +0000] "GET {p} HTTP/1.1" '
                     '404 5 "-" "curl/7.88"')
    for i in range(3):
        lines.append(f'127.0.0.{5 + i} - - [08/Dec/2026:04:01:{i:02d} +0000] "GET / HTTP/1.1" '
                     '200 5 "-" "Mozilla/5.0"')
    lines.append('127.0.0.130 - - [08/Dec/2026:04:02:00 +0000] "GET / HTTP/1.1" 200 5 "-" "x"')
    log.write_text("\n".join(lines) + "\n")
    p = subprocess.run([TIERD, "analyze", str(log), "--geoip", str(v4), "--geoip6", str(v6),
                        "--json"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["countries"] == [
        {"country": "SG", "requests": 6, "clients": 1, "offenders": 1},
        {"country": "US", "requests": 3, "clients": 3, "offenders": 0},
        {"country": None, "requests": 1, "clients": 1, "offenders": 0}]
    assert [o.get("country") for o in doc["offenders"]] == ["SG"]
    p = subprocess.run([TIERD, "analyze", str(log), "--geoip", str(v4)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert "Countries: 3" in p.stdout
    # Without a database, no country section.
    p = subprocess.run([TIERD, "analyze", str(log), "--json"], capture_output=True, text=True,
                       timeout=30)
    assert "countries" not in json.loads(p.stdout)
    p = subprocess.run([TIERD, "analyze", str(log), "--geoip", str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "No such file" in p.stderr, p.stderr


def test_export_maps_geo_to_waf_geo_match(tmp_path):
    """`tierd export terraform` writes the lists as WAF geo match rules (the export tests
    validate the HCL of examples/geo.yaml against the AWS provider's schema)."""
    out = tmp_path / "tf"
    p = subprocess.run([TIERD, "export", "terraform", os.path.join(REPO, "examples", "geo.yaml"),
                        "-o", str(out)], capture_output=True, text=True, timeout=30, cwd=REPO)
    assert p.returncode == 0, p.stderr
    tf = (out / "shield.tf").read_text()
    assert 'country_codes = ["SG"]' in tf and 'country_codes = ["US", "DE"]' in tf
    assert "shield.geo.paths: the geo rules apply to every path" in p.stderr
