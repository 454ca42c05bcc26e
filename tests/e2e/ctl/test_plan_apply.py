"""tierd plan and tierd apply: plan exit codes as terraform plan -detailed-exitcode (0 no
changes, 2 changes, 1 error), an invalid file changes nothing (422 with every error), apply
without a terminal and without --auto-approve is refused, and every apply and SIGHUP reload
is recorded with who asked (GET /v1/applies)."""
import json
import os
import subprocess

from harness import TIERD, Tierd, wait_for
from ctlkit import api, cli, ctl_stack, sock_path

CHANGED_RULES = ("      - match: { path_prefix: /new/ }\n"
                 "        forward: web\n"
                 "      - forward: web\n")


def write(t, name, text):
    path = os.path.join(t.dir, name)
    with open(path, "w") as f:
        f.write(t.render(text))
    return path


def test_plan_exit_codes_and_output():
    text = ctl_stack()
    with Tierd(text) as t:
        same = write(t, "same.yaml", text)
        p = cli(t, "plan", same)
        assert p.returncode == 0, p
        assert "No changes." in p.stdout

        changed = write(t, "changed.yaml", ctl_stack(rules=CHANGED_RULES))
        p = cli(t, "plan", changed)
        assert p.returncode == 2, p
        assert '~ listener "public" {' in p.stdout, p.stdout
        assert 'rules[0].match.path_prefix: "/new/"' in p.stdout, p.stdout
        assert "Plan: 0 to add, 1 to change, 0 to destroy." in p.stdout, p.stdout
        assert "\033[" not in p.stdout             # no colors without a terminal

        p = cli(t, "plan", changed, "--json")
        assert p.returncode == 2, p
        plan = json.loads(p.stdout)
        assert plan["changes"] is True and plan["summary"] == {"add": 0, "change": 1,
                                                               "destroy": 0}
        assert plan["resources"][0]["address"] == "listener.public"

        bad = write(t, "bad.yaml", text.replace("forward: web", "forward: nosuchgroup"))
        p = cli(t, "plan", bad)
        assert p.returncode == 1, p
        assert "bad.yaml:" in p.stderr and "nosuchgroup" in p.stderr, p.stderr

        p = cli(t, "plan", os.path.join(t.dir, "missing.yaml"))
        assert p.returncode == 1 and "cannot read" in p.stderr, p

        # Planning changed nothing.
        assert api(t, "GET", "/v1/config").json["text"] == t.text

    p = cli(None, "plan", same, socket_path=sock_path(t))
    assert p.returncode == 1, p
    assert "cannot reach the daemon" in p.stderr, p.stderr


def test_apply_without_a_terminal_is_refused_without_auto_approve():
    text = ctl_stack()
    with Tierd(text) as t:
        changed = write(t, "changed.yaml", ctl_stack(rules=CHANGED_RULES))
        p = subprocess.run([TIERD, "apply", changed, "--socket", sock_path(t)],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL,
                           timeout=30)
        assert p.returncode == 1, p
        assert "--auto-approve" in p.stderr, p.stderr
        assert "Plan: 0 to add, 1 to change, 0 to destroy." in p.stdout  # it showed the plan
        assert api(t, "GET", "/v1/config").json["text"] == t.text
        assert api(t, "GET", "/v1/applies").json["applies"] == []


def test_invalid_apply_changes_nothing():
    text = ctl_stack()
    with Tierd(text) as t:
        gen = api(t, "GET", "/v1/config").json["generation"]
        bad = t.render(text).replace("forward: web", "forward: nosuchgroup")
        bad += "target_groups_typo: {}\n"
        r = api(t, "POST", "/v1/apply", {"text": bad, "path": "x.yaml"})
        assert r.status == 422, r
        errors = r.json["errors"]
        assert len(errors) == 2, errors
        assert all(e.startswith("x.yaml:") for e in errors), errors
        assert any("nosuchgroup" in e for e in errors) and any("target_groups_typo" in e
                                                               for e in errors), errors
        c = api(t, "GET", "/v1/config").json
        assert c["text"] == t.text and c["generation"] == gen
        r = api(t, "POST", "/v1/plan", {"text": "listeners: [", "path": "y.yaml"})
        assert r.status == 422 and r.json["errors"][0].startswith("y.yaml:2:1:"), r
        # The refusal is on record too.
        applies = api(t, "GET", "/v1/applies").json["applies"]
        assert len(applies) == 1 and applies[0]["result"].startswith("2 errors"), applies


def test_apply_is_live_and_recorded_with_who():
    text = ctl_stack()
    with Tierd(text) as t:
        changed = write(t, "changed.yaml", ctl_stack(rules=CHANGED_RULES))
        p = cli(t, "apply", changed, "--auto-approve")
        assert p.returncode == 0, p
        assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." in p.stdout, p
        assert api(t, "GET", "/v1/config").json["text"] == t.render(ctl_stack(rules=CHANGED_RULES))
        assert cli(t, "plan", changed).returncode == 0      # nothing left to do
        p = cli(t, "apply", changed, "--auto-approve")
        assert p.returncode == 0 and "No changes." in p.stdout, p

        # A plan made before another change is refused at apply time.
        plan = api(t, "POST", "/v1/plan", {"text": t.text, "path": "stack.yaml"}).json
        assert api(t, "POST", "/v1/apply", {"text": t.text, "path": "stack.yaml",
                                            "base": plan["base"]}).status == 200
        r = api(t, "POST", "/v1/apply", {"text": t.text, "path": "stack.yaml",
                                         "base": plan["base"]})
        assert r.status == 409 and r.error["code"] == "conflict", r

        # SIGHUP re-reads the file tierd was started with, and is recorded as such.
        t.reload(ctl_stack(rules=CHANGED_RULES))
        wait_for(lambda: len(api(t, "GET", "/v1/applies").json["applies"]) == 3, 10,
                 what="the reload to be recorded")
        applies = api(t, "GET", "/v1/applies").json["applies"]
        assert applies[0]["who"] == "SIGHUP" and applies[0]["result"] == "applied", applies
        assert applies[0]["summary"] == "Plan: 0 to add, 1 to change, 0 to destroy.", applies
        assert applies[1]["who"].startswith(f"uid={os.getuid()} pid="), applies
        assert applies[2]["path"] == changed and applies[2]["result"] == "applied", applies
        assert applies[2]["summary"] == "Plan: 0 to add, 1 to change, 0 to destroy."
        assert api(t, "GET", "/v1/applies?limit=1").json["applies"] == applies[:1]
