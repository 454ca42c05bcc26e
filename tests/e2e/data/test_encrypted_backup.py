"""An encrypted database's backups restore from the repository alone: its key file is
stored in the restic repository with every base backup (encrypted there by restic), so a
verify and a point-in-time restore need only the repository and its password. The test
moves the live key file away before verifying and restoring: the running server has its
keys in memory, and the scratch and restored servers must take theirs from the
repository."""
import json
import os
import stat

from harness import Tierd, control_request, need
from datakit import app_password_env, backup_section, cli, db_stack, pick_port, repo_password_file, \
    sock_path, sql, wait_running

REPO_PASSWORD = "repo-pw-enc-51ab"


def test_encrypted_backup_verifies_and_restores_from_the_repository_alone(tmp_path):
    need("mariadb")
    key = tmp_path / "keys" / "db-main.key"
    pw = repo_password_file(tmp_path / "restic.pass", REPO_PASSWORD)
    port = pick_port()
    extra = (f"    storage_encryption: {{ key_file: {key} }}\n"
             + backup_section(f"{tmp_path}/repo", pw))
    with app_password_env():
        with Tierd(db_stack(port, extra_db=extra)) as t:
            wait_running(t, timeout=90)
            sql(port, "CREATE TABLE orders (id INT PRIMARY KEY, v VARCHAR(32))")
            sql(port, "INSERT INTO orders VALUES (1, 'before-backup')")
            r = cli(t, "db", "backup", "main")
            assert r.returncode == 0, r.stderr
            sql(port, "INSERT INTO orders VALUES (2, 'after-backup')")
            key_bytes = key.read_bytes()
            os.rename(key, str(key) + ".away")   # only the repository has it now
            r = cli(t, "db", "verify", "main")
            assert r.returncode == 0, r.stderr
            status, _, body = control_request(sock_path(t), "GET", "/v1/db/main/backups")
            assert json.loads(body)["backups"][0]["verify"] == "ok"
            r = cli(t, "db", "restore", "main", "--latest", "--as", "copy")
            assert r.returncode == 0, r.stderr
            copy = wait_running(t, "copy", timeout=90)
            cport = int(copy["address"].rsplit(":", 1)[1])
            assert sql(cport, "SELECT id, v FROM orders ORDER BY id") == [["1", "before-backup"], ["2", "after-backup"]]
            assert sql(cport, "SELECT @@innodb_encrypt_tables") == [["FORCE"]]
            # The restored server's key is the source's, from the repository, 0600.
            ckey = copy.get("key_file")
            assert ckey and open(ckey, "rb").read() == key_bytes
            assert stat.S_IMODE(os.stat(ckey).st_mode) == 0o600
            secret = key_bytes.split(b";")[1].strip()
            assert secret not in body and secret not in r.stdout.encode()
