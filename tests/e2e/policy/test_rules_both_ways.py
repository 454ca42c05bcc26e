"""Every active policy rule, both ways, through `tierd check` on a real file: for each rule a
minimal stack file that validation accepts (exit 0 or 1, never 2) on which the rule FAILS,
and one on which it PASSES, read from `-o json` by check_id. A rule that cannot fail on a
file that loads is dead: it is deferred until its keys exist, or retired when validation
already refuses what it judged (docs/checks.md). The second half pins those refusals, so a
validator that starts accepting one of them sends someone back to the rule.

No daemon starts: `tierd check` only reads the file. Relative paths (static roots, logs)
resolve in a temporary directory that is tierd's working directory."""
import json
import os
import pwd
import re
import subprocess

import pytest

from harness import ROOT, TIERD

# Secrets by reference resolve at check time in some readers: give them values.
ENV = {"HOOK_SECRET": "x", "SMTP_PASSWORD": "x", "DB_PASSWORD": "x", "TIERD_TOKEN": "x"}

HC = "    health_check: { path: /health }\n"
TG = "    targets: [127.0.0.1:19001]\n" + HC


def stack(address="127.0.0.1:18080", rules="[{ forward: web }]", tg=TG, extra=""):
    """A file that loads: one listener, target group `web`, and `extra` sections."""
    return (f"listeners:\n  - name: pub\n    address: \"{address}\"\n    rules: {rules}\n"
            f"target_groups:\n  web:\n{tg}{extra}")


def fleet(template="", group="min_size: 2\n    max_size: 4\n"):
    """Launch template `app` and auto scaling group `web` (into target group web)."""
    return ("launch_templates:\n  app:\n    command: [/bin/sleep, \"1000\"]\n"
            + "".join(f"    {line}\n" for line in template.splitlines()) +
            "auto_scaling_groups:\n  web:\n    launch_template: app\n    target_group: web\n"
            f"    {group}")


def unprivileged_user():
    for name in ("nobody", "daemon"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    return pwd.getpwuid(os.getuid()).pw_name


PUBLIC = "0.0.0.0:18080"
LOGIN_RULES = "[{ match: { path_prefix: /login/ }, forward: web }, { forward: web }]"
TOPIC = "topics:\n  ops:\n    subscriptions: [{ command: [/bin/true] }]\n"
ALARM = ("alarms:\n  hot:\n    metric: cpu_utilization\n    dimensions: { auto_scaling_group: web }"
         "\n    comparison: greater_than_threshold\n    threshold: 80\n")
EMAIL = "topics:\n  ops:\n    subscriptions: [{ email: ops@example.com }]\n"
HOOK = "topics:\n  ops:\n    subscriptions:\n      - webhook: \"{url}\"\n{secret}"
SECRET_REF = "        secret: \"${env:HOOK_SECRET}\"\n"


def tls(address="0.0.0.0:443", key="c.key", more="      hsts: { max_age: 365d }\n",
        redirect=True):
    """A TLS listener with the test certificate (copied into the work directory), and a
    port-80 listener that redirects to it."""
    text = (f"listeners:\n  - name: pub\n    address: \"{address}\"\n    tls:\n"
            f"      certificates: [{{ cert: c.pem, key: {key} }}]\n{more}"
            "    rules: [{ forward: web }]\n")
    if redirect:
        text += ("  - { name: http, address: \"0.0.0.0:80\", "
                 "rules: [{ redirect: { scheme: https } }] }\n")
    return text + f"target_groups:\n  web:\n{TG}"


def hook(url="https://hooks.example.com/tierd", secret=SECRET_REF):
    return HOOK.format(url=url, secret=secret)


def smtp(extra=""):
    return (EMAIL + "smtp:\n  url: \"smtps://mail.example.com\"\n  from: tierd@example.com\n"
            + extra)


def db(more=""):
    """Database `main` on loopback."""
    return "databases:\n  main:\n    address: 127.0.0.1:3306\n" + more


def db_backup(repo="sftp:b@backup.example:/r", pw="closed.pass", retention="30d"):
    return (f"    backup: {{ repository: \"{repo}\", password_file: {pw}, "
            f"retention: {retention} }}\n")


DB_USER = ("    schemas: [shop]\n    users: {{ app: {{ password: {pw}, host: {host}, "
           "grants: [\"ALL PRIVILEGES ON shop.*\"] }} }}\n")
DB_GOOD = (DB_USER.format(pw="\"${env:DB_PASSWORD}\"", host="localhost")
           + "    storage_encryption: { key_file: db.key }\n" + db_backup())


# (rule, variant, failing file, a fragment of its message, passing file)
CASES = [
    ("TD-DATA-001", "plain", stack(extra=db()), "unencrypted", stack(extra=db(DB_GOOD))),
    ("TD-DATA-002", "wildcard", stack(extra=db().replace("127.0.0.1:3306", "0.0.0.0:3306")),
     "beyond loopback", stack(extra=db(DB_GOOD))),
    ("TD-DATA-003", "none", stack(extra=db()), "no backup: section", stack(extra=db(DB_GOOD))),
    ("TD-DATA-003", "short", stack(extra=db(db_backup(retention="3d"))), "under 7 days",
     stack(extra=db(DB_GOOD))),
    ("TD-DATA-004", "local", stack(extra=db(db_backup(repo="/var/backups/tierd"))),
     "a path on this host", stack(extra=db(DB_GOOD))),
    ("TD-DATA-006", "off", stack(extra=db("    deletion_protection: false\n")),
     "deletion_protection is off", stack(extra=db(DB_GOOD))),
    ("TD-DATA-013", "any", stack(extra=db(DB_USER.format(pw="\"${env:DB_PASSWORD}\"",
                                                         host="\"%\""))),
     "may connect from host", stack(extra=db(DB_GOOD))),
    ("TD-DATA-014", "literal", stack(extra=db(DB_USER.format(pw="hunter2", host="localhost"))),
     "written literally", stack(extra=db(DB_GOOD))),
    ("TD-DATA-015", "open", stack(extra=db(db_backup(pw="open.pass"))), "other users can read",
     stack(extra=db(DB_GOOD))),
    ("TD-ASG-002", "ec2", stack(extra=fleet()), "health checks",
     stack(extra=fleet(group="min_size: 2\n    max_size: 4\n    health_check_type: elb\n"))),
    ("TD-ASG-003", "one", stack(extra=fleet(group="min_size: 1\n    max_size: 4\n")),
     "min_size 1", stack(extra=fleet())),
    ("TD-ASG-006", "env", stack(extra=fleet("env: { DB_PASSWORD: hunter2 }")),
     "env.DB_PASSWORD holds a literal secret",
     stack(extra=fleet("env: { DB_PASSWORD: \"${env:DB_PASSWORD}\", APP_ENV: production }"))),
    ("TD-ASG-006", "key", stack(extra=fleet("env: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE }")),
     "access key", stack(extra=fleet("env: { AWS_REGION: eu-west-1 }"))),
    ("TD-ASG-006", "argument",
     stack(extra=fleet().replace("\"1000\"]", "\"1000\", --password, hunter2]")),
     "command argument 3 carries a literal secret", stack(extra=fleet())),
    ("TD-ASG-007", "argument",
     stack(extra=fleet().replace("\"1000\"]", "\"1000\", --host, 0.0.0.0]")),
     "binds a wildcard",
     stack(extra=fleet().replace("\"1000\"]", "\"1000\", --host, 127.0.0.1]"))),
    ("TD-ASG-007", "env", stack(extra=fleet("env: { HOST: \"::\" }")), "env.HOST=::",
     stack(extra=fleet("env: { HOST: 127.0.0.1 }"))),
    ("TD-ASG-011", "zero",
     stack(extra=fleet(group="min_size: 2\n    max_size: 4\n"
                             "    instance_refresh: { min_healthy_percentage: 0 }\n")),
     "keeps no instance",
     stack(extra=fleet(group="min_size: 2\n    max_size: 4\n"
                             "    instance_refresh: { min_healthy_percentage: 50 }\n"))),
    ("TD-ASG-011", "rounds-to-zero",
     stack(extra=fleet(group="min_size: 1\n    max_size: 4\n"
                             "    instance_refresh: { min_healthy_percentage: 50 }\n")),
     "50% of min_size 1",
     stack(extra=fleet(group="min_size: 1\n    max_size: 4\n"
                             "    instance_refresh: { min_healthy_percentage: 100 }\n"))),
    ("TD-ASG-012", "short",
     stack(extra=fleet(group="min_size: 2\n    max_size: 4\n    health_check_type: elb\n"
                             "    health_check_grace_period: 5s\n")),
     "shorter than one health-check interval (30s)",
     stack(extra=fleet(group="min_size: 2\n    max_size: 4\n    health_check_type: elb\n"
                             "    health_check_grace_period: 60s\n"))),
    ("TD-ASG-012", "absent",       # the loader's default is 0s, not AWS's console 300s
     stack(extra=fleet(group="min_size: 2\n    max_size: 4\n    health_check_type: elb\n")),
     "health_check_grace_period (0) is shorter",
     stack(extra=fleet(group="min_size: 2\n    max_size: 4\n    health_check_type: elb\n"
                             "    health_check_grace_period: 30s\n"))),
    ("TD-ASG-013", "absent", stack(extra=fleet()), "no instance_refresh",
     stack(extra=fleet(group="min_size: 2\n    max_size: 4\n"
                             "    instance_refresh: { auto_rollback: true }\n"))),
    ("TD-ASG-013", "false",
     stack(extra=fleet(group="min_size: 2\n    max_size: 4\n"
                             "    instance_refresh: { auto_rollback: false }\n")),
     "auto_rollback is not true",
     stack(extra=fleet(group="min_size: 2\n    max_size: 4\n"
                             "    instance_refresh: { auto_rollback: true }\n"))),
    ("TD-ASG-014", "absent", stack(extra=fleet()), "sets no user",
     stack(extra=fleet(f"user: {unprivileged_user()}"))),
    ("TD-ASG-014", "root", stack(extra=fleet("user: root")), "as root",
     stack(extra=fleet(f"user: {unprivileged_user()}"))),
    ("TD-ASG-015", "no-memory", stack(extra=fleet("instance_type: { cpu: 1 }")),
     "no memory limit", stack(extra=fleet("instance_type: { cpu: 1, memory: 256m }"))),
    ("TD-EDGE-001", "wildcard", stack(address=PUBLIC), "plain HTTP on the public address",
     stack()),
    ("TD-EDGE-001", "ipv6", stack(address="[::]:18080"), "[::]:18080",
     stack(address="[::1]:18080")),
    ("TD-EDGE-001", "redirect-only", stack(address=PUBLIC, rules="[{ redirect: { host: b } }]"),
     "plain HTTP", stack(address=PUBLIC, rules="[{ redirect: { scheme: https } }]")),
    ("TD-EDGE-001", "tls", stack(address="0.0.0.0:443"), "plain HTTP", tls()),
    ("TD-EDGE-002", "cbc", tls(more="      ciphers: ECDHE-ECDSA-AES128-SHA\n"),
     "weak cipher suite ECDHE-ECDSA-AES128-SHA", tls()),
    ("TD-EDGE-002", "static-rsa", tls(more="      ciphers: \"AES128-GCM-SHA256\"\n"),
     "AES128-GCM-SHA256", tls(more="      ciphers: ECDHE-ECDSA-AES128-GCM-SHA256\n")),
    ("TD-EDGE-016", "absent", tls(redirect=False), "no public listener on port 80", tls()),
    ("TD-EDGE-017", "absent", tls(more=""), "no Strict-Transport-Security", tls()),
    ("TD-EDGE-017", "zero", tls(more="      hsts: { max_age: 0s }\n"), "below one day", tls()),
    ("TD-EDGE-018", "world-readable", tls(key="open.key"), "has mode 0644", tls()),
    ("TD-EDGE-005", "absent", stack(), "no access log",
     stack(extra="access_log: { path: access.log, format: json }\n")),
    ("TD-EDGE-005", "off", stack(extra="access_log: { path: \"off\" }\n"), "no access log",
     stack(extra="access_log: { path: access.log, format: json }\n")),
    ("TD-EDGE-007", "absent", stack(address=PUBLIC), "no shield section",
     stack(address=PUBLIC, extra="shield: { mode: block }\n")),
    ("TD-EDGE-008", "count", stack(address=PUBLIC, extra="shield: { mode: count }\n"),
     "count mode", stack(address=PUBLIC, extra="shield: { mode: block }\n")),
    ("TD-EDGE-009", "disabled", stack(extra="shield:\n  scanners: { enabled: false }\n"),
     "scanner detection is off", stack(extra="shield:\n  scanners: { enabled: true, ban: 1h }\n")),
    ("TD-EDGE-011", "empty", stack(address=PUBLIC, extra="shield: { mode: block }\n"),
     "login_paths is empty", stack(address=PUBLIC, extra="shield: { login_paths: [/login] }\n")),
    ("TD-EDGE-011", "uncovered",
     stack(address=PUBLIC, rules=LOGIN_RULES, extra="shield: { login_paths: [/signin] }\n"),
     "/login/, which shield.login_paths does not cover",
     stack(address=PUBLIC, rules=LOGIN_RULES, extra="shield: { login_paths: [/login] }\n")),
    ("TD-EDGE-012", "open", stack(extra="shield: { trusted_proxies: [0.0.0.0/0] }\n"),
     "any client can name its own address",
     stack(extra="shield: { trusted_proxies: [10.0.0.0/8] }\n")),
    ("TD-EDGE-012", "ipv6", stack(extra="shield: { trusted_proxies: [\"2000::/8\"] }\n"),
     "2000::/8", stack(extra="shield: { trusted_proxies: [\"2001:db8::/32\"] }\n")),
    ("TD-EDGE-012", "forwarded-ip",
     stack(extra="shield: { rate_limit: { limit: 100, key: forwarded_ip } }\n"),
     "trusted_proxies is empty",
     stack(extra="shield:\n  trusted_proxies: [10.0.0.0/8]\n"
                 "  rate_limit: { limit: 100, key: forwarded_ip }\n")),
    ("TD-EDGE-013", "everyone", stack(extra="shield: { allow: [\"::/0\"] }\n"),
     "nobody is ever limited", stack(extra="shield: { allow: [10.0.0.0/8, 203.0.113.0/24] }\n")),
    ("TD-EDGE-013", "wide", stack(extra="shield: { allow: [8.0.0.0/8] }\n"), "wide public range",
     stack(extra="shield: { allow: [8.8.8.0/24] }\n")),
    ("TD-EDGE-015", "client-header", stack(extra="edge: { timeouts: { client_header: 5m } }\n"),
     "client_header is 5m", stack(extra="edge: { timeouts: { client_header: 10s } }\n")),
    ("TD-EDGE-015", "client-body", stack(extra="edge: { timeouts: { client_body: 61s } }\n"),
     "client_body is 61s", stack(extra="edge: { timeouts: { client_body: 60s } }\n")),
    ("TD-EDGE-015", "keepalive", stack(extra="edge: { timeouts: { keepalive: 1h } }\n"),
     "keepalive is 1h", stack(extra="edge: { timeouts: { keepalive: 75s } }\n")),
    ("TD-EDGE-015", "tunnel", stack(extra="edge: { timeouts: { tunnel: 2d } }\n"),
     "tunnel is 2d", stack(extra="edge: { timeouts: { tunnel: 1h } }\n")),
    ("TD-EDGE-015", "header-bytes", stack(extra="edge: { limits: { header_bytes: 1m } }\n"),
     "header_bytes is 1m", stack(extra="edge: { limits: { header_bytes: 64k } }\n")),
    ("TD-NET-010", "wildcard",
     stack(extra="control: { address: \"0.0.0.0:19999\", token_env: TIERD_TOKEN }\n"),
     "non-loopback address 0.0.0.0:19999",
     stack(extra="control: { address: \"127.0.0.1:19999\", token_env: TIERD_TOKEN }\n")),
    ("TD-NET-011", "literal",
     stack(extra="control: { address: \"127.0.0.1:19999\", token: s3cr3t-t0ken }\n"),
     "control.token is written literally",
     stack(extra="control: { address: \"127.0.0.1:19999\", token: \"${env:TIERD_TOKEN}\" }\n")),
    ("TD-OBS-001", "none", stack(extra=ALARM.replace("cpu_utilization", "request_count")
                                 .replace("dimensions: { auto_scaling_group: web }",
                                          "dimensions: { target_group: web }")),
     "has no alarm_actions",
     stack(extra=ALARM.replace("cpu_utilization", "request_count")
           .replace("dimensions: { auto_scaling_group: web }", "dimensions: { target_group: web }")
           + "    alarm_actions: [ops]\n" + TOPIC)),
    ("TD-OBS-002", "webhook", stack(extra=hook(url="http://hooks.example.com/tierd")),
     "over plain HTTP", stack(extra=hook())),
    ("TD-OBS-002", "smtp",
     stack(extra=EMAIL + "smtp: { url: \"smtp://mail.example.com:25\", from: t@example.com }\n"),
     "plain smtp://", stack(extra=smtp())),
    ("TD-OBS-003", "unsigned", stack(extra=hook(secret="")), "without a secret",
     stack(extra=hook())),
    ("TD-OBS-004", "no-alarm", stack(extra=fleet()), "no alarm watches cpu_utilization",
     stack(extra=fleet() + ALARM + "    alarm_actions: [ops]\n" + TOPIC)),
    ("TD-OBS-005", "short",
     stack(extra="access_log: { path: access.log, format: json, retention: 30d }\n"),
     "keeps lines 30 days",
     stack(extra="access_log: { path: access.log, format: json, retention: 400d }\n")),
    ("TD-OBS-006", "empty", stack(extra="topics:\n  ops: {}\n"), "has no subscriptions",
     stack(extra=TOPIC)),
    ("TD-OBS-007", "webhook-secret", stack(extra=hook(secret="        secret: s3cret\n")),
     "secret is written literally", stack(extra=hook())),
    ("TD-OBS-007", "webhook-query",
     stack(extra=hook(url="https://hooks.example.com/tierd?token=abc")), "carries credentials",
     stack(extra=hook(url="https://hooks.example.com/tierd?page=1"))),
    ("TD-OBS-007", "smtp-url",
     stack(extra=EMAIL + "smtp: { url: \"smtps://bot:hunter2@mail.example.com\", "
                         "from: t@example.com }\n"),
     "smtp.url holds a literal password",
     stack(extra=EMAIL + "smtp: { url: \"smtps://bot:${env:SMTP_PASSWORD}@mail.example.com\", "
                         "from: t@example.com }\n")),
    ("TD-OBS-007", "smtp-password",
     stack(extra=smtp("  username: bot\n  password: hunter2\n")),
     "smtp.password is written literally",
     stack(extra=smtp("  username: bot\n  password: \"${env:SMTP_PASSWORD}\"\n"))),
    ("TD-STORE-001", "cwd", stack(rules="[{ static: { root: . } }]"), "static root",
     stack(rules="[{ static: { root: public } }]")),
    ("TD-STORE-001", "system", stack(rules="[{ static: { root: /etc } }]"),
     "inside a system directory", stack(rules="[{ static: { root: public } }]")),
    ("TD-STORE-001", "access-log",
     stack(rules="[{ static: { root: public } }]", extra="access_log: { path: public/a.log }\n"),
     "holding the access log",
     stack(rules="[{ static: { root: public } }]", extra="access_log: { path: a.log }\n")),
    ("TD-TG-001", "absent", stack(tg="    targets: [127.0.0.1:19001]\n"), "has no health_check",
     stack()),
    ("TD-TG-001", "disabled",
     stack(tg="    health_check: { enabled: false, path: /health }\n"), "enabled: false",
     stack()),
    ("TD-TG-002", "interval", stack(tg="    health_check: { path: /health, interval: 2m }\n"),
     "probes only every 120s",
     stack(tg="    health_check: { path: /health, interval: 10s, timeout: 2s }\n")),
    ("TD-TG-002", "unhealthy",
     stack(tg="    health_check: { path: /health, unhealthy_threshold: 9 }\n"),
     "needs 9 failed probes",
     stack(tg="    health_check: { path: /health, unhealthy_threshold: 5 }\n")),
    ("TD-TG-003", "private", stack(tg="    targets: [10.0.0.5:8080]\n" + HC),
     "forwards plain HTTP to 10.0.0.5:8080", stack()),
    ("TD-TG-003", "https", stack(tg="    targets: [10.0.0.5:8443]\n    protocol: https\n"
                                    "    tls: { verify: false }\n" + HC),
     "without checking its certificate",
     stack(tg="    targets: [10.0.0.5:8443]\n    protocol: https\n"
              "    tls: { sni: api.internal }\n" + HC)),
    ("TD-TG-004", "zero", stack(tg=TG + "    deregistration_delay: 0s\n"),
     "deregistration_delay 0", stack(tg=TG + "    deregistration_delay: 30s\n")),
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("rules")
    (d / "public").mkdir()
    for name, mode in (("open.pass", 0o644), ("closed.pass", 0o600)):   # TD-DATA-015
        (d / name).write_text("pw\n")
        os.chmod(d / name, mode)
    certs = os.path.join(ROOT, "tests", "lib", "tls")
    for src, dst, mode in (("shop.ec.pem", "c.pem", 0o644), ("shop.ec.key", "c.key", 0o600),
                           ("shop.ec.key", "open.key", 0o644)):
        with open(os.path.join(certs, src), "rb") as f:
            (d / dst).write_bytes(f.read())
        os.chmod(d / dst, mode)
    return d


def check(workdir, name, text, *args):
    path = workdir / name
    path.write_text(text)
    p = subprocess.run([TIERD, "check", str(path), *args], capture_output=True, text=True,
                       cwd=workdir, env={**os.environ, **ENV}, timeout=30)
    return p


def check_json(workdir, name, text):
    p = check(workdir, name, text, "-o", "json")
    assert p.returncode != 2, f"{name} does not load:\n{p.stderr}\n--- file ---\n{text}"
    return json.loads(p.stdout)["results"]


def records(results, kind, rule):
    return [r for r in results.get(kind, []) if r["check_id"] == rule]


@pytest.mark.parametrize("rule,variant,failing,message,passing", CASES,
                         ids=[f"{c[0]}/{c[1]}" for c in CASES])
def test_rule_fails_and_passes_on_a_file_that_loads(workdir, rule, variant, failing, message,
                                                    passing):
    stem = f"{rule}-{variant}"
    res = check_json(workdir, f"{stem}-fail.yaml", failing)
    failed = records(res, "failed_checks", rule)
    assert failed, f"{rule} does not fail on:\n{failing}\nresults: {json.dumps(res)[:2000]}"
    assert any(message in r["message"] for r in failed), \
        f"{rule}: no failure says {message!r}: {[r['message'] for r in failed]}"
    res = check_json(workdir, f"{stem}-pass.yaml", passing)
    failed = records(res, "failed_checks", rule) + records(res, "info_checks", rule)
    assert not failed, f"{rule} fails on the passing file:\n{passing}\n{failed}"
    assert records(res, "passed_checks", rule), \
        f"{rule} reports no passed resource on:\n{passing}"


def test_every_active_rule_has_both_ways_cases(workdir):
    p = check(workdir, "rules.yaml", stack(), "-o", "sarif")
    assert p.returncode != 2, p.stderr
    active = {r["id"] for r in json.loads(p.stdout)["runs"][0]["tool"]["driver"]["rules"]}
    covered = {case[0] for case in CASES}
    assert active - covered == set(), "rules without a both-ways case"
    assert covered - active == set(), "cases for rules that are not active"


DEFERRED = set()                # TD-EDGE-002 came back with listeners[].tls
RETIRED_NOW = {"TD-ASG-010"}     # retired because validation refuses what it judged


def test_docs_describe_active_deferred_and_retired_rules(workdir):
    with open(os.path.join(ROOT, "docs", "checks.md")) as f:
        doc = f.read()
    p = check(workdir, "rules.yaml", stack(), "-o", "sarif")
    active = {r["id"] for r in json.loads(p.stdout)["runs"][0]["tool"]["driver"]["rules"]}
    sections = set(re.findall(r"^### (TD-[A-Z]+-\d+)$", doc, re.M))
    assert sections == active, "every active rule, and only those, has a ### section"
    deferred = doc[doc.index("## Deferred rules"):doc.index("## Retired rules")]
    retired = doc[doc.index("## Retired rules"):doc.index("## Limits of the checks")]
    for rule in DEFERRED:
        assert rule not in active and f"| {rule} |" in deferred
    for rule in RETIRED_NOW:
        assert rule not in active and f"| {rule} |" in retired
    assert "max_size (2) is below min_size (3)" in retired


@pytest.mark.parametrize("rule,note", [
    ("TD-ASG-010", "retired rule \"TD-ASG-010\" (validation refuses"),
    ("TD-NOPE-001", "unknown rule \"TD-NOPE-001\""),
])
def test_skip_naming_a_deferred_or_retired_rule_is_noted(workdir, rule, note):
    p = check(workdir, f"skip-{rule}.yaml", f"# tierd:skip={rule} old reason\n" + stack(),
              "-o", "json")
    assert p.returncode != 2, p.stderr
    doc = json.loads(p.stdout)
    assert any(note in n for n in doc["notes"]), doc["notes"]
    assert all(r["check_id"] != rule for k in doc["results"].values() if isinstance(k, list)
               for r in k)


# What the dropped rules and clauses judged, and validation now refuses (exit 2), with the
# validator's words. If one of these starts to load, its rule or clause must come back.
REFUSED = [
    ("TD-ASG-010 max below min", stack(extra=fleet(group="min_size: 3\n    max_size: 2\n")),
     "max_size (2) is below min_size (3)"),
    ("TD-ASG-010 desired above max",
     stack(extra=fleet(group="min_size: 2\n    max_size: 4\n    desired_capacity: 5\n")),
     "desired_capacity (5) must be between min_size (2) and max_size (4)"),
    ("TD-ASG-010 desired below min",
     stack(extra=fleet(group="min_size: 2\n    max_size: 4\n    desired_capacity: 1\n")),
     "desired_capacity (1) must be between min_size (2) and max_size (4)"),
    ("TD-TG-002 timeout at interval",
     stack(tg="    health_check: { path: /health, interval: 5s, timeout: 5s }\n"),
     "timeout (5s) must be shorter than interval (5s)"),
    ("TD-TG-002 matcher 5xx",
     stack(tg="    health_check: { path: /health, matcher: \"200,500-599\" }\n"),
     "use codes from 200 to 499"),
    # TLS below 1.2 cannot be asked for: TD-EDGE-002 judges only the ciphers of a file
    # that loads.
    ("TD-EDGE-002 tls 1.1", tls(more="      min_version: \"1.1\"\n"),
     "min_version: unknown value \"1.1\""),
    ("TD-EDGE-002 tls 1.0", tls(more="      min_version: \"1.0\"\n"),
     "min_version: unknown value \"1.0\""),
    ("TD-EDGE-007 shield mode off", stack(address=PUBLIC, extra="shield: { mode: \"off\" }\n"),
     "shield.mode"),
    ("TD-EDGE-009 ban 0s", stack(extra="shield:\n  scanners: { ban: 0s }\n"),
     "shield.scanners.ban"),
    ("TD-EDGE-012 trusted_proxies *", stack(extra="shield: { trusted_proxies: [\"*\"] }\n"),
     "not a valid address or CIDR"),
    ("TD-EDGE-015 client_header 0", stack(extra="edge: { timeouts: { client_header: 0s } }\n"),
     "must be more than 0"),
    ("TD-EDGE-015 headers 5000", stack(extra="edge: { limits: { headers: 5000 } }\n"),
     "edge.limits.headers"),
    ("TD-OBS-001 actions_enabled",
     stack(extra=ALARM.replace("cpu_utilization", "request_count")
           .replace("dimensions: { auto_scaling_group: web }", "dimensions: { target_group: web }")
           + "    alarm_actions: [ops]\n    actions_enabled: false\n" + TOPIC),
     "actions_enabled"),
    ("TD-TG-003 tls without https", stack(tg="    targets: [10.0.0.5:8443]\n    tls: {}\n" + HC),
     "applies only to protocol: https"),
]


@pytest.mark.parametrize("what,text,message", REFUSED, ids=[r[0] for r in REFUSED])
def test_validation_refuses_what_dropped_rules_judged(workdir, what, text, message):
    p = check(workdir, "refused-" + what.replace(" ", "-").replace("*", "star") + ".yaml", text)
    assert p.returncode == 2, f"{what}: now loads, so its rule can fire again:\n{p.stdout}"
    assert message in p.stderr, p.stderr
