"""Backups that are proven by restoring them, against a real mariadbd, mariadb-backup and
restic: a base backup taken under a steady write load, binlogs shipped every second, a
point-in-time restore to a moment between two known writes into a new database (every row
compared, the source untouched), a verify that restores the newest backup from the
repository into a scratch server, and the failures a backup must not hide: a wrong
repository password, a damaged repository, a missing one, each raising the LastVerifyOk
alarm. One tierd and one mariadbd serve every test here, in order (the damage comes
last)."""
import datetime
import glob
import json
import os
import subprocess
import threading
import time

import pytest

from harness import Tierd, control_request, need, wait_for
from datakit import APP_PASSWORD, cli, db_stack, db_status, pick_port, sock_path, sql, \
    wait_running

REPO_PASSWORD = "repo-pw-3c1d"

# An alarm on the data tier's own metric: ALARM once the newest verify failed.
VERIFY_ALARM = ("alarms:\n"
                "  verify-failed:\n"
                "    metric: last_verify_ok\n"
                "    dimensions: { database: main }\n"
                "    statistic: minimum\n"
                "    period: 10s\n"
                "    comparison: less_than_threshold\n"
                "    threshold: 1\n"
                "    treat_missing_data: not_breaching\n")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    need("mariadb")
    tmp = tmp_path_factory.mktemp("backup")
    pw = tmp / "restic.pass"
    pw.write_text(REPO_PASSWORD + "\n")
    os.chmod(pw, 0o600)
    port = pick_port()
    backup = ("    backup:\n"
              f"      repository: {tmp}/repo\n"
              f"      password_file: {pw}\n"
              "      window: \"00:00-00:30\"\n"
              "      retention: 7d\n"
              "      binlog_interval: 1s\n"
              "      verify: false\n"
              "    maintenance_window: \"sun:04:00-sun:04:30\"\n")
    os.environ["DB_APP_PASSWORD"] = APP_PASSWORD
    try:
        with Tierd(db_stack(port, extra_db=backup, extra=VERIFY_ALARM)) as t:
            t.db_port = port
            t.repo = f"{tmp}/repo"
            t.pw = pw
            wait_running(t, timeout=90)
            yield t
    finally:
        del os.environ["DB_APP_PASSWORD"]


def backups(t):
    status, _, body = control_request(sock_path(t), "GET", "/v1/db/main/backups")
    assert status == 200, body
    return json.loads(body)


class Writer:
    """A steady write load: one mariadb session, an autocommitted INSERT every 5 ms."""

    def __init__(self, port):
        env = dict(os.environ, MYSQL_PWD=APP_PASSWORD)
        self.p = subprocess.Popen(["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P",
                                   str(port), "-u", "app", "shop"], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        self.stop_flag = threading.Event()
        self.n = 0
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def run(self):
        while not self.stop_flag.is_set():
            self.p.stdin.write(f"INSERT INTO load_rows (v) VALUES ('w{self.n}');\n".encode())
            self.p.stdin.flush()
            self.n += 1
            time.sleep(0.005)

    def stop(self):
        self.stop_flag.set()
        self.th.join(10)
        self.p.stdin.close()
        assert self.p.wait(30) == 0, self.p.stderr.read()


def test_backup_under_load_then_restore_between_two_writes(db):
    sql(db.db_port, "CREATE TABLE load_rows (id INT AUTO_INCREMENT PRIMARY KEY, "
                    "v VARCHAR(40), at DATETIME(3) DEFAULT NOW(3))")
    w = Writer(db.db_port)
    try:
        time.sleep(0.5)
        r = cli(db, "db", "backup", "main")
        assert r.returncode == 0, r.stderr
        time.sleep(0.5)
    finally:
        w.stop()
    assert w.n > 100                    # the backup really ran under writes
    b = backups(db)["backups"][0]
    assert b["status"] == "ok" and b["snapshot"] and b["size_bytes"] > 0
    assert b["binlog_file"].startswith("binlog.") and b["binlog_pos"] > 0 and b["gtid"]
    assert b["verify"] is None          # never verified yet, and shown as such
    assert "never verified" in cli(db, "db", "backups", "main").stdout
    # Two known writes with a restore point between them, on whole seconds.
    sql(db.db_port, "INSERT INTO load_rows (v) VALUES ('before')")
    time.sleep(1.2)
    t = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + \
        datetime.timedelta(seconds=1)
    time.sleep(max(0.0, t.timestamp() - time.time()) + 1.2)
    sql(db.db_port, "INSERT INTO load_rows (v) VALUES ('after')")
    after_ms = time.time() * 1000
    wait_for(lambda: backups(db)["latest_restorable_ms"] > after_ms, 30,
             what="the binlog with the second write archived")
    source = sql(db.db_port, "SELECT id, v, at FROM load_rows ORDER BY id")
    r = cli(db, "db", "restore", "main", "--to-time", t.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "--as", "main_restored")
    assert r.returncode == 0, r.stderr
    new = db_status(db, "main_restored")
    assert new["state"] == "running" and new["port"] != db.db_port
    restored = sql(new["port"], "SELECT id, v, at FROM load_rows ORDER BY id", user="root",
                   password="", check=False)
    # Root has no password and no TCP login: read the copy over its socket.
    out = subprocess.run(["mariadb", "--no-defaults", "-S", new["socket"], "-u", "root",
                          "--batch", "--skip-column-names", "shop", "-e",
                          "SELECT id, v, at FROM load_rows ORDER BY id"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    restored = [line.split("\t") for line in out.stdout.splitlines()]
    cut = [row[1] for row in source].index("after")
    assert [row[1] for row in source][cut - 1] == "before"
    assert restored == source[:cut]     # every row up to the first write, none after
    # The source is untouched and still takes writes.
    assert sql(db.db_port, "SELECT COUNT(*) FROM load_rows") == [[str(len(source))]]
    # A restore never overwrites: the same name again is refused.
    r = cli(db, "db", "restore", "main", "--latest", "--as", "main_restored")
    assert r.returncode != 0 and "never overwrites" in r.stderr


def alarm_state(t, name):
    status, _, body = control_request(sock_path(t), "GET", "/v1/alarms")
    assert status == 200, body
    return {a["name"]: a for a in json.loads(body)["alarms"]}[name]["state"]


def db_metric(t, series):
    """The value of series{database="main"} in GET /metrics, or None."""
    status, _, body = control_request(sock_path(t), "GET", "/metrics")
    assert status == 200
    for line in body.decode().splitlines():
        if line.startswith(series + '{database="main"}'):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_verify_restores_from_the_repository_and_compares(db):
    r = cli(db, "db", "verify", "main")
    assert r.returncode == 0, r.stderr
    b = backups(db)["backups"][0]
    assert b["verify"] == "ok" and b["verify_ms"] > 0
    assert "shop.load_rows" in b["verify_detail"]
    assert not glob.glob(os.path.join(db.dir, "state", "db", "main-verify*", "data"))
    # The RDS-style figures reach watch: a verified backup, its restore time, the RPO.
    wait_for(lambda: db_metric(db, "tierd_db_last_verify_ok") == 1, 30,
             what="LastVerifyOk = 1")
    assert db_metric(db, "tierd_db_restore_duration_seconds") > 0
    assert 0 <= db_metric(db, "tierd_db_backup_age_seconds") < 600
    assert 0 <= db_metric(db, "tierd_db_binlog_archive_lag_seconds") < 30
    assert db_metric(db, "tierd_db_connections") >= 1
    assert db_metric(db, "tierd_db_free_storage_bytes") > 0
    assert alarm_state(db, "verify-failed") == "OK"


def test_tierd_state_is_in_the_repository_too(db, tmp_path):
    """After a backup the repository also holds tierd's own state, consistent SQLite copies:
    restored from the repository alone, the catalog lists the backups."""
    out = tmp_path / "state-restore"
    p = subprocess.run(["restic", "-r", db.repo, "--password-file", str(db.pw), "restore",
                        "latest", "--tag", "kind:state", "--target", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    found = [os.path.join(r, f) for r, _, fs in os.walk(out) for f in fs if f == "data.db"]
    assert found, list(os.walk(out))
    import sqlite3
    con = sqlite3.connect(found[0])
    n = con.execute("SELECT COUNT(*) FROM backups WHERE status = 'ok'").fetchone()[0]
    con.close()
    assert n >= 1


def test_wrong_repository_password_is_a_clear_error(db):
    db.pw.write_text("not-the-password\n")
    try:
        r = cli(db, "db", "backup", "main")
        assert r.returncode == 1
        assert "wrong password" in r.stderr and str(db.pw) in r.stderr
        assert REPO_PASSWORD not in r.stderr
    finally:
        db.pw.write_text(REPO_PASSWORD + "\n")


def test_damaged_or_missing_backup_is_caught_by_verify(db):
    packs = glob.glob(os.path.join(db.repo, "data", "*", "*"))
    assert packs
    for p in packs:                     # flip bytes in the middle of every pack
        with open(p, "r+b") as f:
            f.seek(os.path.getsize(p) // 2)
            chunk = f.read(64)
            f.seek(os.path.getsize(p) // 2)
            f.write(bytes(b ^ 0xFF for b in chunk))
    r = cli(db, "db", "verify", "main")
    assert r.returncode == 1, r.stdout
    assert "failed verify" in r.stderr
    assert backups(db)["backups"][0]["verify"] == "failed"
    # The failed verify raises the alarm (sampled within 5 s, evaluated every 10 s).
    wait_for(lambda: alarm_state(db, "verify-failed") == "ALARM", 60,
             what="the verify-failed alarm in ALARM")
    for p in packs:
        os.unlink(p)
    r = cli(db, "db", "verify", "main")
    assert r.returncode == 1 and "failed verify" in r.stderr
