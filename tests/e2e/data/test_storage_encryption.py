"""Encryption at rest: with storage_encryption, tierd creates the file_key_management key
file (mode 0600) and the server encrypts tables, redo log and binlogs, so a marker string
written into a table appears in none of the datadir's files; the same marker in a database
without storage_encryption, in the same run, is found in its files (the search works)."""
import os
import stat

from harness import Tierd, need
from datakit import APP_PASSWORD, db_stack, pick_port, sql, wait_running

MARKER = "tierd-marker-enc-9b2e41d7"


def datadir_has(path, needle):
    found = []
    for root, _, files in os.walk(path):
        for f in files:
            p = os.path.join(root, f)
            try:
                with open(p, "rb") as fh:
                    if needle in fh.read():
                        found.append(p)
            except OSError:
                pass
    return found


def test_marker_is_absent_from_an_encrypted_datadir(tmp_path):
    need("mariadb")
    key = tmp_path / "keys" / "db-enc.key"
    enc_port, plain_port = pick_port(), pick_port()
    text = db_stack(enc_port, extra_db=f"    storage_encryption: {{ key_file: {key} }}\n")
    plain = ("  plain:\n"
             f"    address: 127.0.0.1:{plain_port}\n"
             "    schemas: [shop]\n"
             "    users:\n"
             "      app: { password: \"$${env:DB_APP_PASSWORD}\", "
             "grants: [\"ALL PRIVILEGES ON shop.*\"] }\n")
    text = text.replace("state_dir:", plain + "state_dir:")
    os.environ["DB_APP_PASSWORD"] = APP_PASSWORD
    try:
        with Tierd(text) as t:
            wait_running(t, "main", timeout=90)
            wait_running(t, "plain", timeout=90)
            st = os.stat(key)
            assert stat.S_IMODE(st.st_mode) == 0o600
            for port in (enc_port, plain_port):
                sql(port, "CREATE TABLE secrets (id INT PRIMARY KEY, v VARCHAR(64))")
                sql(port, f"INSERT INTO secrets VALUES (1, '{MARKER}')")
                assert sql(port, "SELECT v FROM secrets") == [[MARKER]]
            assert sql(enc_port, "SELECT @@innodb_encrypt_tables, @@encrypt_binlog, "
                                 "@@innodb_encrypt_log") == [["FORCE", "1", "1"]]
            assert t.stop() == 0            # a clean shutdown writes every page to disk
    finally:
        del os.environ["DB_APP_PASSWORD"]
    base = os.path.join(t.dir, "state", "db")
    assert datadir_has(os.path.join(base, "plain", "data"), MARKER.encode())
    assert datadir_has(os.path.join(base, "main", "data"), MARKER.encode()) == []
