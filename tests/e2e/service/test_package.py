"""The Debian package (packaging/mkdeb.sh, `make deb`): it builds from build/tierd with
Debian's tools, lintian finds no error, it installs into a scratch root with its real
maintainer scripts (dpkg --root with --force-script-chrootless: the scripts honour
DPKG_ROOT), and its files, owners and modes are the ones docs/service.md lists; systemd's
own analyzer accepts the unit and scores its exposure."""
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile

import pytest

from harness import ROOT, TIERD, need, temp_paths

MKDEB = os.path.join(ROOT, "packaging", "mkdeb.sh")

# path -> (mode, kind): every file the package ships (docs/service.md, "What is installed").
FILES = {
    "usr/bin/tierd": (0o755, "f"),
    "etc/tierd/tierd.yaml": (0o644, "f"),
    "etc/logrotate.d/tierd": (0o644, "f"),
    "lib/systemd/system/tierd.service": (0o644, "f"),
    "usr/lib/sysusers.d/tierd.conf": (0o644, "f"),
    "usr/lib/tmpfiles.d/tierd.conf": (0o644, "f"),
    "usr/share/man/man1/tierd.1.gz": (0o644, "f"),
    "usr/share/doc/tierd/copyright": (0o644, "f"),
    "usr/share/doc/tierd/changelog.gz": (0o644, "f"),
    "usr/share/doc/tierd/stack-file.md.gz": (0o644, "f"),
    "usr/share/doc/tierd/service.md.gz": (0o644, "f"),
}


@pytest.fixture(scope="module")
def deb():
    out = tempfile.mkdtemp(prefix="tierd-deb-")
    temp_paths.append(out)
    r = subprocess.run([MKDEB, TIERD, out], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    path = r.stdout.strip()
    version = subprocess.run([TIERD, "version"], capture_output=True, text=True).stdout.split()[1]
    assert os.path.basename(path) == f"tierd_{version}_amd64.deb"
    return path


def dpkg_field(deb, field):
    return subprocess.run(["dpkg-deb", "-f", deb, field], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_lintian_finds_no_error(deb):
    r = subprocess.run(["lintian", "--fail-on", "error", deb], capture_output=True, text=True,
                       timeout=300)
    errors = [line for line in r.stdout.splitlines() if line.startswith("E:")]
    assert r.returncode == 0 and not errors, r.stdout + r.stderr


def test_contents_and_control(deb):
    listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True,
                             check=True).stdout
    shipped = {}
    for line in listing.splitlines():
        perms, owner, _size, _date, _time, name = line.split(None, 5)
        shipped[name[2:].rstrip("/")] = (perms, owner)
    for path, (mode, kind) in FILES.items():
        assert path in shipped, f"{path} missing from the package"
        perms, owner = shipped[path]
        assert owner == "root/root", (path, owner)
        assert perms[0] == ("-" if kind == "f" else "d"), (path, perms)
        assert stat.filemode(mode | stat.S_IFREG) == perms, (path, perms)
    files = {p for p, (perms, _) in shipped.items() if perms[0] == "-"}
    assert files == set(FILES), files ^ set(FILES)
    deps = dpkg_field(deb, "Depends")
    for lib in ("libc6", "libsystemd0", "libsqlite3-0", "libnftables1"):
        assert lib in deps, deps
    assert dpkg_field(deb, "Architecture") == "amd64"


def scratch_root():
    r = tempfile.mkdtemp(prefix="tierd-root-")
    temp_paths.append(r)
    os.makedirs(os.path.join(r, "var/lib/dpkg/info"))
    os.makedirs(os.path.join(r, "var/lib/dpkg/updates"))
    open(os.path.join(r, "var/lib/dpkg/status"), "w").close()
    return r


def dpkg_root(r, *args):
    # Dependencies are the host's business (they are not in an empty root): forced.
    return subprocess.run(["dpkg", f"--root={r}", "--force-script-chrootless",
                           "--force-depends", "--log=/dev/null", *args],
                          capture_output=True, text=True, timeout=120)


def passwd_of(r, name):
    with open(os.path.join(r, "etc/passwd")) as f:
        for line in f:
            fields = line.rstrip("\n").split(":")
            if fields[0] == name:
                return fields
    return None


def test_installs_into_a_scratch_root(deb):
    need("root")        # the maintainer scripts chown state and logs to the tierd user
    r = scratch_root()
    res = dpkg_root(r, "-i", deb)
    assert res.returncode == 0, res.stdout + res.stderr
    st = subprocess.run(["dpkg", f"--root={r}", "-s", "tierd"], capture_output=True, text=True)
    assert "Status: install ok installed" in st.stdout
    conff = subprocess.run(["dpkg-query", f"--root={r}", "-W", "-f=${Conffiles}", "tierd"],
                           capture_output=True, text=True).stdout
    assert "/etc/tierd/tierd.yaml" in conff and "/etc/logrotate.d/tierd" in conff, conff

    # A system user (uid below 1000) that cannot log in, and its directories.
    user = passwd_of(r, "tierd")
    assert user, "postinst made no tierd user"
    uid, gid = int(user[2]), int(user[3])
    assert 0 < uid < 1000 and user[5] == "/var/lib/tierd" and user[6].endswith("nologin"), user
    for d in ("var/lib/tierd", "var/log/tierd"):
        s = os.stat(os.path.join(r, d))
        assert stat.S_ISDIR(s.st_mode) and stat.S_IMODE(s.st_mode) == 0o750, (d, oct(s.st_mode))
        assert (s.st_uid, s.st_gid) == (uid, gid), d
    for path, (mode, _) in FILES.items():
        s = os.stat(os.path.join(r, path))
        assert stat.S_IMODE(s.st_mode) == mode and s.st_uid == 0, path

    # The installed binary runs, and the shipped stack file is valid (policy findings are
    # advice: exit 1 is fine, 2 would be an invalid file).
    exe = os.path.join(r, "usr/bin/tierd")
    v = subprocess.run([exe, "version"], capture_output=True, text=True)
    assert v.returncode == 0 and v.stdout.startswith("tierd ")
    c = subprocess.run([exe, "check", os.path.join(r, "etc/tierd/tierd.yaml"), "--soft-fail"],
                       capture_output=True, text=True)
    assert c.returncode == 0, c.stdout + c.stderr

    # Purge takes state and logs; the files of the package go; the user stays (Debian's way).
    p = dpkg_root(r, "--purge", "tierd")
    assert p.returncode == 0, p.stdout + p.stderr
    for gone in ("var/lib/tierd", "var/log/tierd", "usr/bin/tierd", "etc/tierd/tierd.yaml"):
        assert not os.path.exists(os.path.join(r, gone)), gone


def unpacked(deb):
    r = tempfile.mkdtemp(prefix="tierd-unit-")
    temp_paths.append(r)
    subprocess.run(["dpkg-deb", "-x", deb, r], check=True)
    return r


def test_unit_passes_systemd_analyze(deb):
    r = unpacked(deb)
    # verify resolves the unit's dependencies, executables and man page inside --root: give
    # the scratch root the host's targets and kill(1).
    units = os.path.join(r, "lib/systemd/system")
    for name in os.listdir("/lib/systemd/system"):
        if name.endswith(".target"):
            shutil.copy(os.path.join("/lib/systemd/system", name), units)
    os.makedirs(os.path.join(r, "bin"), exist_ok=True)
    shutil.copy("/bin/kill", os.path.join(r, "bin/kill"))
    env = dict(os.environ, MANPATH=os.path.join(r, "usr/share/man"))
    v = subprocess.run(["systemd-analyze", "verify", f"--root={r}",
                        "/lib/systemd/system/tierd.service"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert v.returncode == 0 and v.stdout == "" and v.stderr == "", v.stdout + v.stderr

    # Exposure as systemd scores it (0 best, 10 worst; --threshold counts in tenths);
    # offline, so no running systemd is needed.
    s = subprocess.run(["systemd-analyze", "security", "--offline=true", "--threshold=40",
                        os.path.join(units, "tierd.service")],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for tierd.service: ([0-9.]+)", s.stdout)
    assert m and s.returncode == 0, s.stdout + s.stderr
    print(f"systemd-analyze security: {m.group(1)}")


def test_logrotate_accepts_the_rules(deb):
    r = unpacked(deb)
    state = os.path.join(r, "logrotate.state")
    d = subprocess.run(["logrotate", "-d", "-s", state, os.path.join(r, "etc/logrotate.d/tierd")],
                       capture_output=True, text=True, timeout=30)
    assert d.returncode == 0 and "error" not in d.stderr.lower(), d.stderr
