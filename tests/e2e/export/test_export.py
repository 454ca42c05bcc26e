"""`tierd export terraform|kubernetes`: the demo, every example stack and full.yaml export
without error, and what they write passes HashiCorp's HCL parser, the AWS provider's schema
(npm @cdktf/provider-aws) and the Kubernetes API's schemas (npm kubernetes-models), run by
scripts/validate-export.js. A change in the stack file changes exactly the resources it
should; a broken output is refused by the same checks (so they can fail); an invalid stack
exports nothing; a secret's value never reaches the output."""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from harness import TIERD

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
VALIDATE = os.path.join(REPO, "scripts", "validate-export.js")
FULL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "full.yaml")
STACKS = sorted(glob.glob(os.path.join(REPO, "examples", "*.yaml"))) + [FULL]
TARGETS = ("terraform", "kubernetes")


@pytest.fixture(scope="module", autouse=True)
def demo_cert():
    # The demo's HTTPS listener reads the certificate `make examples` makes (relative paths:
    # the exports run in the repository, as `make examples` does).
    subprocess.run([os.path.join(REPO, "scripts", "demo-cert.sh"), "state/demo-tls"], cwd=REPO,
                   check=True, capture_output=True, timeout=60)
    if not os.path.isdir(os.path.join(REPO, "node_modules", "@cdktf", "provider-aws")):
        pytest.fail("node_modules lacks the validators; run scripts/deps.sh check (npm ci)")


def export(target, stack, out, env=None):
    return subprocess.run([TIERD, "export", target, stack, "-o", out], cwd=REPO,
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, **(env or {})))


def validate(target, *dirs, expect_ok=True):
    p = subprocess.run(["node", VALIDATE, target, *dirs], capture_output=True, text=True,
                       timeout=120)
    if expect_ok:
        assert p.returncode == 0, p.stderr
    return json.loads(p.stdout) if p.stdout else {}, p


@pytest.fixture(scope="module")
def exported():
    """Every stack exported to both targets and validated in one run per target."""
    root = tempfile.mkdtemp(prefix="tierd-export-")
    dirs = {}
    for target in TARGETS:
        for stack in STACKS:
            out = os.path.join(root, target, os.path.basename(stack))
            p = export(target, stack, out)
            assert p.returncode == 0, f"{stack}: {p.stderr}"
            assert f"tierd export {target}: wrote" in p.stderr
            dirs[(target, stack)] = (out, p.stderr)
    summaries = {}
    for target in TARGETS:
        outs = [dirs[(target, s)][0] for s in STACKS]
        res, _ = validate(target, *outs)
        for s in STACKS:
            summaries[(target, s)] = res[dirs[(target, s)][0]]
    yield dirs, summaries
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("stack", STACKS, ids=os.path.basename)
def test_every_stack_exports_and_validates(exported, stack):
    dirs, summaries = exported
    tf = summaries[("terraform", stack)]
    k8s = summaries[("kubernetes", stack)]
    assert tf["ok"] and k8s["ok"]
    assert tf["provider"] == "hashicorp/aws 6.25.0"
    assert "aws_lb.main" in tf["resources"]
    assert any(r.startswith("aws_lb_listener.") for r in tf["resources"])
    assert any(r.startswith("Ingress/") for r in k8s["resources"])
    # What did not map is on stderr with its position, and in the output.
    _, err = dirs[("terraform", stack)]
    notes = [l for l in err.splitlines() if l.startswith(stack) and ": warning:" not in l]
    main_tf = open(os.path.join(dirs[("terraform", stack)][0], "main.tf")).read()
    assert f"# Not mapped ({len(notes)})" in main_tf
    for n in notes:
        assert re.match(re.escape(stack) + r":\d+:\d+: \S", n), n     # file:line:col: what
        assert n in main_tf


def test_demo_maps_what_the_stack_says(exported):
    _, summaries = exported
    demo = os.path.join(REPO, "examples", "demo.yaml")
    b = summaries[("terraform", demo)]["bodies"]
    assert b["aws_lb.main"][0]["access_logs"][0]["bucket"] == "${aws_s3_bucket.logs.id}"
    assert "aws_s3_bucket_policy.logs" in b
    tg = b["aws_lb_target_group.web"][0]
    assert tg["load_balancing_algorithm_type"] == "least_outstanding_requests"
    assert tg["deregistration_delay"] == 5
    hc = tg["health_check"][0]
    assert (hc["path"], hc["interval"], hc["timeout"], hc["matcher"]) == ("/health", 5, 2,
                                                                          "200-399")
    asg = b["aws_autoscaling_group.web"][0]
    assert (asg["min_size"], asg["max_size"], asg["desired_capacity"]) == (2, 4, 2)
    assert asg["health_check_type"] == "ELB"
    pref = asg["instance_refresh"][0]["preferences"][0]
    assert pref["min_healthy_percentage"] == 50 and pref["auto_rollback"] is True
    pol = b["aws_autoscaling_policy.web_cpu-40"][0]["target_tracking_configuration"][0]
    assert pol["target_value"] == 40
    https = b["aws_lb_listener.https"][0]
    assert https["protocol"] == "HTTPS" and https["certificate_arn"] == "${var.certificate_arn_https}"
    assert https["routing_http_response_strict_transport_security_header_value"] == "max-age=86400"
    rate = b["aws_wafv2_web_acl.shield"][0]["rule"][-1]["statement"][0]["rate_based_statement"][0]
    assert rate["limit"] == 1200 and rate["evaluation_window_sec"] == 60
    alarm = b["aws_cloudwatch_metric_alarm.high-cpu"][0]
    assert (alarm["metric_name"], alarm["namespace"], alarm["datapoints_to_alarm"]) == (
        "CPUUtilization", "AWS/EC2", 2)
    k = summaries[("kubernetes", demo)]["bodies"]
    dep = k["Deployment/web"]["spec"]
    assert dep["replicas"] == 2
    assert dep["strategy"]["rollingUpdate"] == {"maxUnavailable": "50%", "maxSurge": 0}
    pod = dep["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 15          # stop_timeout 10s + drain 5s
    c = pod["containers"][0]
    assert c["resources"]["limits"] == {"cpu": "1", "memory": "256Mi"}
    assert c["readinessProbe"]["httpGet"]["path"] == "/health"
    assert c["command"][2] == "0.0.0.0:$(PORT)"
    hpa = k["HorizontalPodAutoscaler/web"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 4)
    assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 40
    assert k["PodDisruptionBudget/web"]["spec"]["minAvailable"] == "50%"


def test_full_stack_maps_tls_redirects_data_and_shield(exported):
    _, summaries = exported
    b = summaries[("terraform", FULL)]["bodies"]
    plain = b["aws_lb_listener.plain"][0]["default_action"][0]
    assert plain["type"] == "redirect"
    assert plain["redirect"][0]["protocol"] == "HTTPS"
    assert plain["redirect"][0]["status_code"] == "HTTP_301"
    site = b["aws_lb_listener.site"][0]
    assert site["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-3-2021-06"
    # acme: an ACM certificate for the same domains, which the listener waits for.
    assert site["certificate_arn"] == "${aws_acm_certificate_validation.site.certificate_arn}"
    acm = b["aws_acm_certificate.site"][0]
    assert (acm["domain_name"], acm["subject_alternative_names"], acm["validation_method"]) == (
        "shop.example.com", ["admin.example.com"], "DNS")
    rules = sorted(r for r in b if r.startswith("aws_lb_listener_rule."))
    assert rules == ["aws_lb_listener_rule.site_2", "aws_lb_listener_rule.site_3",
                     "aws_lb_listener_rule.site_4", "aws_lb_listener_rule.site_5"]
    conds = b["aws_lb_listener_rule.site_2"][0]["condition"]
    assert {"path_pattern": [{"values": ["/admin/*"]}]} in conds
    assert {"host_header": [{"values": ["admin.example.com"]}]} in conds
    tg = b["aws_lb_target_group.api"][0]
    assert tg["protocol"] == "HTTP" and tg["health_check"][0]["protocol"] == "HTTP"
    admin = b["aws_lb_target_group.admin"][0]
    assert admin["protocol"] == "HTTPS" and admin["health_check"][0]["protocol"] == "HTTPS"
    assert tg["slow_start"] == 30
    assert tg["stickiness"][0]["cookie_duration"] == 7200
    db = b["aws_db_instance.main"][0]
    assert db["backup_retention_period"] == 14
    assert db["backup_window"] == "02:00-02:30"
    assert db["maintenance_window"] == "sat:05:00-sat:05:30"
    assert db["storage_encrypted"] is True and db["kms_key_id"] == "${aws_kms_key.db_main.arn}"
    assert db["deletion_protection"] is True
    rate = b["aws_wafv2_web_acl.shield"][0]["rule"][-1]
    assert rate["action"][0]["block"][0]["custom_response"][0]["response_code"] == 429
    assert rate["statement"][0]["rate_based_statement"][0]["aggregate_key_type"] == "FORWARDED_IP"
    assert b["aws_wafv2_ip_set.allow_v6"][0]["addresses"] == ["2001:db8::/48"]
    assert b["aws_wafv2_ip_set.deny_v4"][0]["addresses"] == ["198.51.100.0/24"]
    hook = b["aws_sns_topic_subscription.ops_1"][0]
    assert hook["endpoint"] == "${var.webhook_ops_1}"          # the URL carries a token
    p99 = b["aws_cloudwatch_metric_alarm.api-latency"][0]
    assert p99["extended_statistic"] == "p99" and "statistic" not in p99
    assert p99["dimensions"]["TargetGroup"] == "${aws_lb_target_group.api.arn_suffix}"
    rps = b["aws_autoscaling_policy.api_rps"][0]["target_tracking_configuration"][0]
    assert rps["predefined_metric_specification"][0]["predefined_metric_type"] == \
        "ALBRequestCountPerTarget"
    k = summaries[("kubernetes", FULL)]["bodies"]
    ing = k["Ingress/site"]["spec"]
    assert ing["tls"][0]["hosts"] == ["shop.example.com", "admin.example.com"]
    assert ing["defaultBackend"]["service"]["name"] == "api"
    hosts = {r.get("host"): [p["path"] for p in r["http"]["paths"]] for r in ing["rules"]}
    # The POST and X-Canary rules are not written: an Ingress cannot match on them.
    assert hosts == {"admin.example.com": ["/admin/"]}
    cron = k["CronJob/main"]["spec"]
    assert cron["schedule"] == "0 2 * * *"
    assert "-mtime +14" in cron["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][0]
    hpa = k["HorizontalPodAutoscaler/api"]["spec"]
    assert hpa["behavior"]["scaleDown"]["selectPolicy"] == "Disabled"
    env = {e["name"]: e for e in k["Deployment/api"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["API_KEY"]["value"] == "$(SHOP_API_KEY)"
    assert env["SHOP_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "api-env",
                                                                 "key": "SHOP_API_KEY"}
    assert env["DB_HOST"]["value"] == "main"
    assert k["Service/api"]["spec"]["sessionAffinity"] == "ClientIP"


def changed(target, before_text, after_text):
    """Exports two versions of a stack; returns (added, removed, changed) resource names."""
    with tempfile.TemporaryDirectory() as d:
        outs = []
        for i, text in enumerate((before_text, after_text)):
            os.mkdir(os.path.join(d, f"v{i}"))
            path = os.path.join(d, f"v{i}", "stack.yaml")     # one name: one stack
            with open(path, "w") as f:
                f.write(text)
            out = os.path.join(d, f"out{i}")
            p = export(target, path, out)
            assert p.returncode == 0, p.stderr
            outs.append(out)
        res, _ = validate(target, *outs)
        a, b = res[outs[0]]["bodies"], res[outs[1]]["bodies"]
        return (sorted(set(b) - set(a)), sorted(set(a) - set(b)),
                sorted(r for r in set(a) & set(b) if a[r] != b[r]))


DEMO = open(os.path.join(REPO, "examples", "demo.yaml")).read()


def test_a_change_changes_exactly_the_expected_resources():
    # A new alarm: one new alarm, nothing else touched.
    alarm = ("  low-capacity:\n    metric: healthy_host_count\n"
             "    dimensions: { target_group: web }\n    comparison: less_than_threshold\n"
             "    threshold: 2\n    alarm_actions: [ops]\n")
    after = DEMO.replace("\ntopics:\n", "\n" + alarm + "\ntopics:\n")
    assert after != DEMO
    assert changed("terraform", DEMO, after) == (["aws_cloudwatch_metric_alarm.low-capacity"],
                                                 [], [])
    # A longer drain: the target group on AWS; on Kubernetes the Deployment's grace and
    # preStop, nothing else.
    after = DEMO.replace("deregistration_delay: 5s", "deregistration_delay: 30s")
    assert after != DEMO
    assert changed("terraform", DEMO, after) == ([], [], ["aws_lb_target_group.web"])
    assert changed("kubernetes", DEMO, after) == ([], [], ["Deployment/web"])
    # No shield: the web ACL and its association go, nothing else changes.
    start = DEMO.index("\nshield:\n")
    end = DEMO.index("\nstate_dir:")
    after = DEMO[:start] + "\n" + DEMO[end:]
    assert changed("terraform", DEMO, after) == (
        [], ["aws_wafv2_web_acl.shield", "aws_wafv2_web_acl_association.shield"], [])


def test_broken_output_is_refused_by_the_schemas(exported):
    dirs, _ = exported
    with tempfile.TemporaryDirectory() as d:
        tf = os.path.join(d, "tf")
        shutil.copytree(dirs[("terraform", os.path.join(REPO, "examples", "demo.yaml"))][0], tf)
        edge = os.path.join(tf, "edge.tf")
        text = open(edge).read()
        text = text.replace("deregistration_delay ", "deregistration_dely ", 1)
        text = text.replace("  health_check {", "  health_check = {", 1)
        text = text.replace("subnets                    = var.public_subnet_ids",
                            "subnets = var.public_subnets")
        open(edge, "w").write(text)
        k8s = os.path.join(d, "k8s")
        shutil.copytree(dirs[("kubernetes", os.path.join(REPO, "examples", "demo.yaml"))][0], k8s)
        y = os.path.join(k8s, "stack.yaml")
        text = open(y).read().replace("minReadySeconds", "minReadySecond")
        text = text.replace("pathType: Prefix", "pathType: StartsWith")
        open(y, "w").write(text)
        _, p = validate("terraform", tf, expect_ok=False)
        assert p.returncode == 1
        assert 'no argument "deregistration_dely"' in p.stderr
        assert 'health_check: a block ("health_check { ... }")' in p.stderr
        assert "var.public_subnets is not declared" in p.stderr
        _, p = validate("kubernetes", k8s, expect_ok=False)
        assert p.returncode == 1
        assert 'unknown field "minReadySecond"' in p.stderr
        assert "pathType must be equal to one of the allowed values" in p.stderr


def test_invalid_stack_exports_nothing():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bad.yaml")
        with open(path, "w") as f:
            f.write("listeners:\n  - name: public\n    address: 127.0.0.1:8080\n"
                    "    rules: [{ forward: nowhere }]\n")
        out = os.path.join(d, "out")
        p = export("terraform", path, out)
        assert p.returncode == 2
        assert f"{path}:4:" in p.stderr and "nothing exported" in p.stderr
        assert not os.path.exists(out)
        p = subprocess.run([TIERD, "export", "cloudformation", path], capture_output=True,
                           text=True, timeout=30)
        assert p.returncode == 2 and "terraform or kubernetes" in p.stderr


def test_secret_values_never_reach_the_output():
    secret = "s3cret-value-never-shown-91"
    with tempfile.TemporaryDirectory() as d:
        for target in TARGETS:
            out = os.path.join(d, target)
            p = export(target, os.path.join(REPO, "examples", "secrets.yaml"), out,
                       env={"SHOP_DB_PASSWORD": secret, "TIERD_TOKEN": secret})
            assert p.returncode == 0, p.stderr
            assert secret not in p.stdout + p.stderr
            for f in os.listdir(out):
                assert secret not in open(os.path.join(out, f)).read(), f
        variables = open(os.path.join(d, "terraform", "variables.tf")).read()
        assert 'variable "env_SHOP_DB_PASSWORD"' in variables
        assert "sensitive   = true" in variables
