"""A managed database: tierd initialises a datadir with mariadb-install-db, writes the
server's config, starts mariadbd on a loopback port, creates the declared schema and the
user whose password comes from ${env:DB_APP_PASSWORD} (never shown anywhere), restarts the
server after kill -9 with every committed row still there, hands the endpoint and the
password to an app instance through ${db:main.*}, and shuts the server down when tierd
stops. One tierd and one mariadbd serve every test here (the budget of make check)."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from harness import TIERD, Tierd, control_request, get, need, wait_for
from datakit import APP_PASSWORD, cli, db_stack, db_status, pick_port, sock_path, sql, \
    wait_running

ENV_APP = textwrap.dedent("""\
    import http.server, json, os
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            keys = ("DB_HOST", "DB_PORT", "DB_SOCKET", "DB_PASSWORD")
            body = json.dumps({k: os.environ.get(k) for k in keys}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *a):
            pass
    http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
    """)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    need("mariadb")
    tmp = tmp_path_factory.mktemp("data")
    app = tmp / "envapp.py"
    app.write_text(ENV_APP)
    port = pick_port()
    fleet = ("launch_templates:\n  app:\n"
             f"    command: [{sys.executable}, {app}, \"--db-port=$${{db:main.port}}\"]\n"
             "    env:\n"
             "      DB_HOST: \"$${db:main.host}\"\n"
             "      DB_PORT: \"$${db:main.port}\"\n"
             "      DB_SOCKET: \"$${db:main.socket}\"\n"
             "      DB_PASSWORD: \"$${db:main.users.app.password}\"\n"
             "    stop_timeout: 3s\n"
             "auto_scaling_groups:\n  web:\n    launch_template: app\n    target_group: web\n"
             "    min_size: 1\n    max_size: 1\n")
    text = db_stack(port, extra=fleet).replace("  web: { targets: [127.0.0.1:9] }\n",
                                               "  web: { deregistration_delay: 1s }\n")
    os.environ["DB_APP_PASSWORD"] = APP_PASSWORD
    try:
        with Tierd(text) as t:
            t.db_port = port
            wait_running(t, timeout=90)
            yield t
    finally:
        del os.environ["DB_APP_PASSWORD"]


def test_declared_schema_and_user_exist_and_password_never_shows(db):
    rows = sql(db.db_port, "SELECT CURRENT_USER(); SHOW DATABASES")
    assert ["app@localhost"] in rows
    assert ["shop"] in rows
    sql(db.db_port, "CREATE TABLE IF NOT EXISTS probe (id INT PRIMARY KEY); "
                    "INSERT INTO probe VALUES (1)")
    # The grant is what was declared: nothing outside shop.
    p = sql(db.db_port, "CREATE DATABASE other", check=False)
    assert p.returncode != 0
    # A wrong password is refused (the password really is the environment's).
    p = sql(db.db_port, "SELECT 1", password="wrong", check=False)
    assert p.returncode != 0
    # Only loopback: the server reports the address it was told to bind.
    assert sql(db.db_port, "SELECT @@bind_address, @@sync_binlog, "
                           "@@innodb_flush_log_at_trx_commit, @@log_bin") == \
        [["127.0.0.1", "1", "1", "1"]]
    assert sql(db.db_port, "SELECT @@max_connections") == [["40"]]
    _, _, conf = control_request(sock_path(db), "GET", "/v1/config")
    status = cli(db, "db", "status", "--json").stdout
    for text in (db.stderr(), conf.decode(), status, cli(db, "db", "status").stdout):
        assert APP_PASSWORD not in text
    assert "running" in cli(db, "db", "status").stdout


def test_app_instance_reaches_the_database_through_references(db):
    def served():
        try:
            r = get(db.url("/"))
            return r.status == 200 and r.body
        except OSError:
            return False
    wait_for(served, 30, what="the app instance serving")
    env = json.loads(get(db.url("/")).body)
    d = db_status(db)
    assert env == {"DB_HOST": "127.0.0.1", "DB_PORT": str(db.db_port),
                   "DB_SOCKET": d["socket"], "DB_PASSWORD": APP_PASSWORD}
    # The command's reference was expanded too (its argv, as exec gave it).
    pids = subprocess.run(["pgrep", "-f", "envapp.py"], capture_output=True, text=True).stdout
    argv = [open(f"/proc/{p}/cmdline", "rb").read().split(b"\0") for p in pids.split()]
    assert any(f"--db-port={db.db_port}".encode() in a for a in argv)


def test_kill9_restarts_the_server_with_every_committed_row(db):
    sql(db.db_port, "CREATE TABLE IF NOT EXISTS k9 (id INT PRIMARY KEY, v VARCHAR(40))")
    # 200 statements in autocommit mode: each row is its own committed transaction.
    sql(db.db_port, "".join(f"INSERT INTO k9 VALUES ({i}, 'row-{i}');" for i in range(200)))
    before = db_status(db)
    os.kill(before["pid"], signal.SIGKILL)
    after = wait_running(db, timeout=60, not_pid=before["pid"])
    assert after["restarts"] == before["restarts"] + 1
    assert sql(db.db_port, "SELECT COUNT(*), SUM(id) FROM k9") == [["200", str(199 * 200 // 2)]]


def test_server_outlives_a_killed_tierd_and_the_next_one_adopts_it(db):
    """tierd killed with SIGKILL (a crash): the database keeps serving its clients, and the
    next tierd on the same state adopts that server instead of starting a second one on the
    same datadir."""
    sql(db.db_port, "CREATE TABLE IF NOT EXISTS adopt (id INT PRIMARY KEY)")
    sql(db.db_port, "INSERT INTO adopt VALUES (1)")
    pid = db_status(db)["pid"]
    db.proc.kill()
    db.proc.wait(10)
    time.sleep(1)
    assert os.path.exists(f"/proc/{pid}")          # still running, no tierd around
    sql(db.db_port, "INSERT INTO adopt VALUES (2)")
    db.__enter__()                                  # the same stack and state again
    d = wait_running(db, timeout=60)
    assert d["pid"] == pid and d["adopted"] is True and d["restarts"] == 0
    assert sql(db.db_port, "SELECT id FROM adopt ORDER BY id") == [["1"], ["2"]]


def test_stop_shuts_the_server_down_and_leaves_no_process(db):
    pid = db_status(db)["pid"]
    assert db.stop() == 0
    assert not os.path.exists(f"/proc/{pid}") or \
        open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_check_reports_database_errors_at_their_position(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("listeners:\n  - name: public\n    address: 127.0.0.1:1\n    rules:\n"
                 "      - forward: web\n"
                 "target_groups:\n  web: { targets: [127.0.0.1:9] }\n"
                 "databases:\n  main:\n    backup: { repository: /r, password_file: /p,\n"
                 "              window: \"03:00-03:10\" }\n"
                 "    parameters: { sync_binlog: 0 }\n"
                 "launch_templates:\n  app:\n    command: [/bin/true]\n"
                 "    env: { X: \"${db:other.port}\" }\n")
    p = subprocess.run([TIERD, "check", str(f)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert f"{f}:11:23:" in p.stderr and "30 minutes" in p.stderr
    assert f"{f}:12:19:" in p.stderr and "sync_binlog" in p.stderr
    assert f"{f}:16:15:" in p.stderr and "no database \"other\"" in p.stderr
