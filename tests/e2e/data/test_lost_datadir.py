"""Losing the datadir, and getting every row back with one command: the datadir of an
encrypted database is deleted (and its key file with it, as on a lost host) while tierd
is down. At the next start tierd does not initialise an empty server over it (its backups
would bury the good ones): the database is "lost" and the error names the command.
`tierd db restore main --latest --as main` restores the newest base and replays every
archived binlog into place; every committed row up to the last binlog ship is back, and
backups go on (new binlogs are archived under new names)."""
import json
import os
import shutil
import time

from harness import control_request, need, wait_for
from harness import Tierd
from datakit import APP_PASSWORD, backup_section, cli, db_stack, db_status, pick_port, \
    repo_password_file, sock_path, sql, wait_running


def test_lost_datadir_is_restored_into_place_with_every_row(tmp_path):
    need("mariadb")
    pw = repo_password_file(tmp_path / "restic.pass", "repo-pw-lost-2d9e")
    key = tmp_path / "keys" / "main.key"
    port = pick_port()
    extra = f"    storage_encryption: {{ key_file: {key} }}\n" + \
        backup_section(f"{tmp_path}/repo", pw)
    os.environ["DB_APP_PASSWORD"] = APP_PASSWORD
    try:
        t = Tierd(db_stack(port, extra_db=extra))
        with t:
            wait_running(t, timeout=90)
            sql(port, "CREATE TABLE orders (id INT PRIMARY KEY)")
            sql(port, "".join(f"INSERT INTO orders VALUES ({i});" for i in range(50)))
            assert cli(t, "db", "backup", "main").returncode == 0
            sql(port, "".join(f"INSERT INTO orders VALUES ({i});" for i in range(50, 120)))
            written = time.time()
            wait_for(lambda: json.loads(control_request(sock_path(t), "GET",
                                                        "/v1/db/main/backups")[2])
                     ["latest_restorable_ms"] / 1000 > written + 0.5, 30,
                     what="the last rows' binlog shipped")
            datadir = db_status(t)["datadir"]
            assert t.stop() == 0
        shutil.rmtree(datadir)
        os.unlink(key)
        with t:
            wait_for(lambda: db_status(t)["state"] == "lost", 30, what="state lost")
            d = db_status(t)
            assert "tierd db restore main --latest --as main" in d["error"]
            assert not os.path.exists(datadir) and not os.path.exists(key)
            r = cli(t, "db", "restore", "main", "--latest", "--as", "main")
            assert r.returncode == 0, r.stderr
            wait_running(t, timeout=90)
            assert sql(port, "SELECT COUNT(*), SUM(id) FROM orders") == \
                [["120", str(119 * 120 // 2)]]
            # Backups go on: a new row is archived in a binlog of a new name.
            before = json.loads(control_request(sock_path(t), "GET",
                                                "/v1/db/main/backups")[2])["binlogs_archived"]
            sql(port, "INSERT INTO orders VALUES (500)")
            wait_for(lambda: json.loads(control_request(sock_path(t), "GET",
                                                        "/v1/db/main/backups")[2])
                     ["binlogs_archived"] > before, 30, what="a new binlog archived")
            assert cli(t, "db", "backup", "main").returncode == 0
    finally:
        del os.environ["DB_APP_PASSWORD"]
