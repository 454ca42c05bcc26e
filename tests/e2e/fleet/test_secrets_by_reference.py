"""Secrets by reference: a launch template passes a database password to its app as
${env:DB_PASSWORD} and an API key through a private env_file, so neither is written in the
stack file. `tierd check` judges the file without the variable (a warning), `tierd run`
refuses to start without it, and with it the instance sees the value under the template's
name while plan, instances --json, events --json, GET /v1/config and the daemon's log never
show it. The instance's environment, as exec gave it (/proc/PID/environ), is exactly the
minimal base (PATH, LANG, LC_ALL, TZ, HOME, as far as tierd has them), what inherit_env
names, env_file, env, PORT and INSTANCE_ID: nothing else of tierd's. An env_file readable by
others is refused, naming its path. The app is a small Python HTTP server that reports its
own environment, not build/app."""
import json
import os
import subprocess
import sys
import textwrap

from harness import TIERD, Tierd, control_request, get, wait_for
from fleetkit import cli, instances, sock_path

DB_SECRET = "db-marker-5b0c71e2"
KEY_SECRET = "key-marker-8d2f14aa"
LITERAL_SECRET = "literal-marker-3e91"
OTHER_SECRET = "tierd-only-marker-77aa"     # in tierd's environment, for nobody else
REGION = "eu-test-1"                        # passed through by inherit_env
BASE_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "HOME")

ENV_APP = textwrap.dedent("""\
    import http.server, json, os
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(dict(os.environ) if self.path == "/env" else {"ok": 1}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Instance", os.environ.get("INSTANCE_ID", ""))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *a):
            pass
    http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
    """)


def stack(app, env_file, extra_env=""):
    # $$ is the harness's escape for a literal $ (string.Template).
    return ("listeners:\n  - name: public\n    address: ${listen}\n    rules:\n"
            "      - forward: web\n"
            "target_groups:\n  web:\n"
            "    health_check: { path: /health, interval: 5s, timeout: 2s, "
            "healthy_threshold: 2 }\n"
            "    deregistration_delay: 1s\n"
            "launch_templates:\n  app:\n"
            f"    command: [{sys.executable}, {app}]\n"
            "    env:\n"
            "      APP_DB_PASSWORD: \"$${env:DB_PASSWORD}\"\n"
            "      APP_DSN: \"mysql://app:$${env:DB_PASSWORD}@127.0.0.1/shop\"\n"
            f"{extra_env}"
            f"    env_file: {env_file}\n"
            "    inherit_env: [APP_REGION]\n"
            "    stop_timeout: 3s\n"
            "auto_scaling_groups:\n  web:\n    launch_template: app\n    target_group: web\n"
            "    min_size: 1\n    max_size: 1\n"
            "    health_check_type: elb\n    health_check_grace_period: 10s\n"
            "state_dir: ${dir}/state\ncontrol: { socket: ${dir}/tierd.sock }\n")


def write_files(tmp_path, mode=0o600):
    app = tmp_path / "envapp.py"
    app.write_text(ENV_APP)
    env_file = tmp_path / "app.env"
    env_file.write_text(f"# secrets of the app\nAPP_API_KEY={KEY_SECRET}\n")
    os.chmod(env_file, mode)
    return str(app), str(env_file)


def run_tierd(*args, env):
    return subprocess.run([TIERD, *args], capture_output=True, text=True, timeout=30, env=env)


def test_check_without_the_variable_warns_and_run_refuses(tmp_path):
    app, env_file = write_files(tmp_path)
    path = tmp_path / "stack.yaml"
    path.write_text(stack(app, env_file).replace("$$", "$").replace("${listen}", "127.0.0.1:0")
                    .replace("${dir}", str(tmp_path)))
    env = {k: v for k, v in os.environ.items() if k != "DB_PASSWORD"}
    p = run_tierd("check", str(path), env=env)
    assert p.returncode != 2, p.stderr               # it loads (1 would be a policy finding)
    assert "warning" in p.stderr and "DB_PASSWORD" in p.stderr, p.stderr
    r = run_tierd("run", str(path), env=env)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "DB_PASSWORD is not set" in r.stderr, r.stderr


def test_env_file_open_to_others_is_refused_with_its_path(tmp_path):
    app, env_file = write_files(tmp_path, mode=0o644)
    path = tmp_path / "stack.yaml"
    path.write_text(stack(app, env_file).replace("$$", "$").replace("${listen}", "127.0.0.1:0")
                    .replace("${dir}", str(tmp_path)))
    p = run_tierd("check", str(path), env=dict(os.environ, DB_PASSWORD=DB_SECRET))
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert env_file in p.stderr and "0644" in p.stderr, p.stderr
    assert KEY_SECRET not in p.stderr + p.stdout


def test_instance_sees_the_secret_and_no_output_shows_it(tmp_path, monkeypatch):
    app, env_file = write_files(tmp_path)
    monkeypatch.setenv("DB_PASSWORD", DB_SECRET)
    monkeypatch.setenv("TIERD_OTHER_SECRET", OTHER_SECRET)
    monkeypatch.setenv("APP_REGION", REGION)
    monkeypatch.setenv("TZ", "UTC")             # so that at least one base variable is set
    text = stack(app, env_file)
    with Tierd(text) as t:
        def serving():
            ok = [i for i in instances(t) if i["state"] == "InService"
                  and i["health"] == "Healthy"]
            return ok if ok and get(t.url("/")).status == 200 else None
        wait_for(serving, 40, interval=0.2, what="the instance serving")
        seen = json.loads(get(t.url("/env")).body)
        assert seen["APP_DB_PASSWORD"] == DB_SECRET
        assert seen["APP_DSN"] == f"mysql://app:{DB_SECRET}@127.0.0.1/shop"
        assert seen["APP_API_KEY"] == KEY_SECRET
        # A minimal environment: neither the referenced variable under its own name nor
        # anything else of tierd's. Compared whole, as the instance got it from exec (the
        # app's own view may hold what its runtime adds, such as Python's LC_CTYPE).
        inst = next(i for i in instances(t) if i["state"] == "InService")
        with open(f"/proc/{inst['pid']}/environ", "rb") as f:
            given = dict(kv.decode().split("=", 1) for kv in f.read().split(b"\0") if kv)
        expected = {k: os.environ[k] for k in BASE_ENV if k in os.environ}
        expected.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        expected.update(APP_REGION=REGION, APP_DB_PASSWORD=DB_SECRET, APP_API_KEY=KEY_SECRET,
                        APP_DSN=f"mysql://app:{DB_SECRET}@127.0.0.1/shop",
                        PORT=str(inst["port"]), INSTANCE_ID=inst["id"])
        assert given == expected, (sorted(set(given) ^ set(expected)), sorted(given))
        assert "DB_PASSWORD" not in seen and "TIERD_OTHER_SECRET" not in seen, sorted(seen)
        assert seen["APP_REGION"] == REGION and seen["INSTANCE_ID"] == inst["id"]

        # A plan towards a file with a literal secret shows it as (sensitive).
        changed = os.path.join(t.dir, "changed.yaml")
        with open(changed, "w") as f:
            f.write(t.render(stack(app, env_file, extra_env=f"      APP_TOKEN: {LITERAL_SECRET}\n")))
        outputs = []
        for args in (("plan", changed), ("plan", changed, "--json"), ("instances", "--json"),
                     ("events", "--json"), ("status", "--json"), ("groups", "--json")):
            p = cli(t, *args)
            # plan exits 2 when there are changes (terraform -detailed-exitcode); the rest 0.
            assert p.returncode == (2 if args[0] == "plan" else 0), (args, p.stderr)
            outputs.append(p.stdout + p.stderr)
        assert "(sensitive)" in outputs[0], outputs[0]
        st, _, body = control_request(sock_path(t), "GET", "/v1/config")
        assert st == 200
        outputs.append(body.decode())
        assert "${env:DB_PASSWORD}" in json.loads(body)["text"]     # the reference is shown
        logs = t.stderr()
        for root, _, files in os.walk(os.path.join(t.dir, "state")):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    logs += f.read().decode(errors="replace")
        for out in outputs + [logs]:
            for secret in (DB_SECRET, KEY_SECRET, LITERAL_SECRET, OTHER_SECRET):
                assert secret not in out, (secret, out[:2000])
