"""Backups offsite over SFTP: a real OpenSSH server (Debian openssh-server) started by the
test on a loopback port with its own host key and one authorized key, and a restic
repository on it (backup.repository: sftp:..., backup.options: { sftp.command: ... } so
ssh uses the test's key and known-hosts file). A backup lands there, a verify restores
from there, and a restore has every row. (s3: and rest: need services this machine does
not run: docs/data.md says so.)"""
import os
import shutil
import subprocess
import time

import pytest

from harness import Tierd, can_connect, free_port, need
from datakit import app_password_env, backup_section, cli, db_stack, pick_port, \
    repo_password_file, sql, wait_running

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


@pytest.fixture
def sshd(tmp_path):
    need("sshd")
    d = tmp_path / "ssh"
    d.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "host")],
                   check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "client")],
                   check=True)
    shutil.copy(d / "client.pub", d / "authorized_keys")
    os.chmod(d / "authorized_keys", 0o600)
    os.makedirs("/run/sshd", exist_ok=True)
    port = free_port()
    cfg = d / "sshd_config"
    cfg.write_text(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host\n"
                   f"AuthorizedKeysFile {d}/authorized_keys\nPasswordAuthentication no\n"
                   "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
                   "StrictModes no\nUsePAM no\nSubsystem sftp internal-sftp\n"
                   f"PidFile {d}/sshd.pid\n")
    p = subprocess.Popen([SSHD, "-D", "-e", "-f", str(cfg)], stdout=subprocess.DEVNULL,
                         stderr=open(d / "sshd.log", "wb"))
    deadline = time.monotonic() + 10
    while not can_connect("127.0.0.1", port, timeout=0.2):
        assert p.poll() is None and time.monotonic() < deadline, (d / "sshd.log").read_text()
        time.sleep(0.05)
    user = os.environ.get("USER") or "root"
    command = (f"ssh -i {d}/client -p {port} -o BatchMode=yes -o IdentitiesOnly=yes "
               f"-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={d}/known_hosts "
               f"{user}@127.0.0.1 -s sftp")
    yield {"command": command, "dir": tmp_path / "remote-repo"}
    p.terminate()
    p.wait(10)


def test_backup_verify_and_restore_through_an_sftp_repository(tmp_path, sshd):
    need("mariadb")
    pw = repo_password_file(tmp_path / "restic.pass", "repo-pw-sftp-81f2")
    port = pick_port()
    section = backup_section(f"sftp:127.0.0.1:{sshd['dir']}", pw)
    section += f"      options: {{ sftp.command: \"{sshd['command']}\" }}\n"
    with app_password_env():
        with Tierd(db_stack(port, extra_db=section)) as t:
            wait_running(t, timeout=90)
            sql(port, "CREATE TABLE t (id INT PRIMARY KEY)")
            sql(port, "INSERT INTO t VALUES (1), (2), (3)")
            r = cli(t, "db", "backup", "main")
            assert r.returncode == 0, r.stderr
            assert (sshd["dir"] / "config").exists()          # the repository is remote
            assert os.listdir(sshd["dir"] / "snapshots")
            r = cli(t, "db", "verify", "main")
            assert r.returncode == 0, r.stderr
            r = cli(t, "db", "restore", "main", "--latest", "--as", "from_sftp")
            assert r.returncode == 0, r.stderr
            d = wait_running(t, "from_sftp", timeout=90)
            cport = int(d["address"].rsplit(":", 1)[1])
            assert sql(cport, "SELECT id FROM t ORDER BY id") == [["1"], ["2"], ["3"]]
