"""Retention against a real restic repository: with backup.retention of 6 s, a backup
taken once the first two have aged out of the window forgets the oldest base (and the
binlogs only it needed) in restic itself, keeps the newest base before the window (points
just inside it are restored from that one), and the newest point stays restorable: a
restore --latest after the prune has every row."""
import json
import subprocess
import time

from harness import Tierd, control_request, need
from datakit import app_password_env, backup_section, cli, db_stack, pick_port, repo_password_file, \
    sock_path, sql, wait_running

REPO_PASSWORD = "repo-pw-ret-77c0"
RETENTION_S = 6


def backups(t):
    status, _, body = control_request(sock_path(t), "GET", "/v1/db/main/backups")
    assert status == 200, body
    return json.loads(body)


def restic_snapshots(repo, pw):
    p = subprocess.run(["restic", "-r", repo, "--password-file", str(pw), "snapshots",
                        "--json"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return {s["short_id"]: s for s in json.loads(p.stdout)}


def test_retention_forgets_what_aged_out_and_keeps_what_the_window_needs(tmp_path):
    need("mariadb")
    pw = repo_password_file(tmp_path / "restic.pass", REPO_PASSWORD)
    repo = f"{tmp_path}/repo"
    port = pick_port()
    extra = backup_section(repo, pw, retention=f"{RETENTION_S}s")
    with app_password_env():
        with Tierd(db_stack(port, extra_db=extra)) as t:
            wait_running(t, timeout=90)
            sql(port, "CREATE TABLE rows_ (id INT PRIMARY KEY)")
            ids = []
            for i in range(2):
                sql(port, f"INSERT INTO rows_ VALUES ({i})")
                r = cli(t, "db", "backup", "main")
                assert r.returncode == 0, r.stderr
                ids.append(backups(t)["backups"][0])
                sql(port, f"INSERT INTO rows_ VALUES ({i + 10})")
                time.sleep(1.5)         # a binlog ship between the two bases
            snaps = restic_snapshots(repo, pw)
            assert ids[0]["snapshot"] in snaps and ids[1]["snapshot"] in snaps
            # Both bases leave the window; the next backup applies retention.
            time.sleep(max(0.0, RETENTION_S + 1 - (time.time() - ids[1]["ended_ms"] / 1000)))
            sql(port, "INSERT INTO rows_ VALUES (99)")
            r = cli(t, "db", "backup", "main")
            assert r.returncode == 0, r.stderr
            listing = backups(t)
            kept = [b["id"] for b in listing["backups"] if b["status"] == "ok"]
            assert ids[0]["id"] not in kept and ids[1]["id"] in kept and len(kept) == 2
            assert listing["earliest_restorable_ms"] == ids[1]["ended_ms"]
            snaps = restic_snapshots(repo, pw)
            assert ids[0]["snapshot"] not in snaps      # forgotten in restic itself
            assert ids[1]["snapshot"] in snaps
            kinds = sorted(tag for s in snaps.values() for tag in s["tags"]
                           if tag.startswith("kind:"))
            assert kinds.count("kind:base") == 2
            # tierd's own state is kept too (restic's --keep-within counts whole hours, so
            # a 6 s window keeps them all here).
            assert kinds.count("kind:state") == 3
            # The binlogs the oldest kept base needs are still there: the chain is whole.
            r = cli(t, "db", "restore", "main", "--latest", "--as", "after_prune")
            assert r.returncode == 0, r.stderr
            copy = wait_running(t, "after_prune", timeout=90)
            cport = int(copy["address"].rsplit(":", 1)[1])
            assert sql(cport, "SELECT id FROM rows_ ORDER BY id") == \
                [["0"], ["1"], ["10"], ["11"], ["99"]]
