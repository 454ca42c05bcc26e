"""
tests/e2e/data/datakit.py: helpers for the data tier's scenarios: a stack with one managed
MariaDB database, the data tier's control route, and SQL through Debian's mariadb client
(the password goes through MYSQL_PWD, never on a command line).
"""
import contextlib
import json
import os
import subprocess

from harness import TIERD, control_request, free_port, wait_for

APP_PASSWORD = "app-pw-'quote\\back-7f3a9c"     # a quote and a backslash: escaping is tested


def db_stack(port, extra_db="", extra=""):
    # $$ is the harness's escape for a literal $ (string.Template).
    return ("listeners:\n  - name: public\n    address: ${listen}\n    rules:\n"
            "      - forward: web\n"
            "target_groups:\n  web: { targets: [127.0.0.1:9] }\n"
            "databases:\n  main:\n"
            f"    address: 127.0.0.1:{port}\n"
            "    schemas: [shop]\n"
            "    users:\n"
            "      app: { password: \"$${env:DB_APP_PASSWORD}\", host: localhost, "
            "grants: [\"ALL PRIVILEGES ON shop.*\"] }\n"
            "    parameters: { max_connections: 40, innodb_buffer_pool_size: 16M }\n"
            f"{extra_db}"
            f"{extra}"
            "state_dir: ${dir}/state\ncontrol: { socket: ${dir}/tierd.sock }\n")


@contextlib.contextmanager
def app_password_env():
    """DB_APP_PASSWORD in tierd's environment (the stacks' ${env:...}) for the block."""
    os.environ["DB_APP_PASSWORD"] = APP_PASSWORD
    try:
        yield
    finally:
        del os.environ["DB_APP_PASSWORD"]


def backup_section(repo, password_file, retention="7d", verify=False):
    """A backup: section (binlogs shipped every second) for db_stack's extra_db."""
    return ("    backup:\n"
            f"      repository: {repo}\n"
            f"      password_file: {password_file}\n"
            "      window: \"00:00-00:30\"\n"
            f"      retention: {retention}\n"
            "      binlog_interval: 1s\n"
            f"      verify: {'true' if verify else 'false'}\n")


def repo_password_file(path, password):
    path.write_text(password + "\n")
    os.chmod(path, 0o600)
    return path


def sock_path(t):
    return os.path.join(t.dir, "tierd.sock")


def db_status(t, name="main"):
    status, _, body = control_request(sock_path(t), "GET", "/v1/db")
    assert status == 200, body
    return {d["name"]: d for d in json.loads(body)["databases"]}[name]


def wait_running(t, name="main", timeout=60, not_pid=None):
    def ok():
        d = db_status(t, name)
        return d["state"] == "running" and d["pid"] and d["pid"] != not_pid
    wait_for(ok, timeout, interval=0.1, what=f"database {name} running")
    return db_status(t, name)


def sql(port, query, user="app", password=APP_PASSWORD, check=True, db="shop"):
    """Runs query over TCP as user; returns rows as lists of strings."""
    env = dict(os.environ, MYSQL_PWD=password)
    p = subprocess.run(["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", str(port),
                        "-u", user, "--batch", "--skip-column-names", db, "-e", query],
                       capture_output=True, text=True, timeout=60, env=env)
    if check:
        assert p.returncode == 0, p.stderr
    return [line.split("\t") for line in p.stdout.splitlines()] if check else p


def cli(t, *args):
    return subprocess.run([TIERD, *args, "--socket", sock_path(t)], capture_output=True,
                          text=True, timeout=60)


def pick_port():
    return free_port()
