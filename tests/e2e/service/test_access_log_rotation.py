"""Access-log rotation by tierd itself (access_log.max_size, .retention) for hosts without
logrotate, and shipping each line to a syslog socket (access_log.syslog)."""
import os
import re
import socket
import subprocess
import time

from harness import App, Tierd, get, stack, wait_for

ROTATED = re.compile(r"^access\.log\.(\d{8}T\d{6}Z)(\.\d+)?$")


def rotated(d):
    return sorted(n for n in os.listdir(d) if ROTATED.match(n))


def lines_in(d, names):
    out = []
    for n in names:
        with open(os.path.join(d, n), "rb") as f:
            out += f.read().splitlines()
    return out


def test_rotates_by_size_and_loses_no_line():
    with App(name="a") as a, Tierd(stack(groups={"web": [a.addr]}, extra=(
            "access_log: { path: ${dir}/access.log, format: json, max_size: 4k }\n"))) as t:
        sent = 0
        # The edge writes its buffered lines once a second (or per 32 KiB), and the roller
        # looks four times a second: four bursts a flush apart give four rotations.
        for burst in range(4):
            for i in range(40):
                assert get(t.url(f"/bytes?n=10&i={sent}")).status == 200
                sent += 1
            time.sleep(1.3)
        wait_for(lambda: len(rotated(t.dir)) >= 3, 10, what="three rotated files")
        # Every line is somewhere, once: in a rotated file or the live one.
        def all_lines():
            got = lines_in(t.dir, rotated(t.dir) + ["access.log"])
            return got if len(got) >= sent else None
        got = wait_for(all_lines, 10, what=f"{sent} access log lines")
        ids = [re.search(rb"i=(\d+)", line).group(1) for line in got]
        assert len(ids) == sent and len(set(ids)) == sent
        # A rotated file went past max_size, by at most what the workers flushed at once.
        for n in rotated(t.dir):
            size = os.path.getsize(os.path.join(t.dir, n))
            assert 4096 <= size < 64 * 1024, (n, size)


def test_retention_deletes_old_rotated_files_at_start():
    with App(name="a") as a:
        t = Tierd(stack(groups={"web": [a.addr]}, extra=(
            "access_log: { path: ${dir}/access.log, retention: 30d }\n")))
        now = time.gmtime()
        recent = time.strftime("access.log.%Y%m%dT%H%M%SZ", now)
        names = ["access.log.20200101T000000Z", "access.log.20200101T000000Z.1", recent,
                 "access.log.20200101T000000Z.gz", "access.log.old", "other.log.20200101T000000Z"]
        for n in names:
            with open(os.path.join(t.dir, n), "w") as f:
                f.write("x\n")
        with t:
            wait_for(lambda: not os.path.exists(os.path.join(t.dir, names[0])), 10,
                     what="the 2020 rotated file to go")
            assert get(t.url("/")).status == 200
            left = set(os.listdir(t.dir))
            assert names[1] not in left
            # Younger than 30 days, or not a file tierd rotated: kept.
            for n in names[2:]:
                assert n in left, n


def test_ships_each_line_to_a_syslog_socket():
    with App(name="a") as a:
        t = Tierd(stack(groups={"web": [a.addr]}, extra=(
            "access_log:\n  path: ${dir}/access.log\n  format: json\n"
            "  syslog: { socket: ${dir}/syslog.sock, facility: local3, tag: web-access }\n")))
        rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        rx.bind(os.path.join(t.dir, "syslog.sock"))
        rx.settimeout(10)
        try:
            with t:
                for i in range(20):
                    assert get(t.url(f"/bytes?n=5&i={i}")).status == 200
                got = [rx.recv(65536) for _ in range(20)]
                # local3 (19) * 8 + info (6) = 158, then the tag, then the line as written.
                for g in got:
                    assert g.startswith(b"<158>web-access: {"), g
                file_lines = wait_for(lambda: (lambda ls: ls if len(ls) >= 20 else None)(
                    t.access_log_lines()), 10, what="20 lines in the file")
                assert [g.split(b": ", 1)[1].decode() for g in got] == file_lines
        finally:
            rx.close()


RSYSLOG_CONF = """global(workDirectory="{d}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{d}/log.sock")
template(name="line" type="string"
         string="%syslogfacility-text%.%syslogseverity-text% %programname% %msg%\\n")
*.* action(type="omfile" file="{d}/received.log" template="line")
"""


def test_rsyslog_receives_the_lines():
    # A real syslog daemon (rsyslog's imuxsock, the module behind /dev/log) on its own socket.
    with App(name="a") as a:
        t = Tierd(stack(groups={"web": [a.addr]}, extra=(
            "access_log:\n  path: ${dir}/access.log\n"
            "  syslog: { socket: ${dir}/log.sock, facility: local5, tag: shop }\n")))
        conf = os.path.join(t.dir, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write(RSYSLOG_CONF.format(d=t.dir))
        rs = subprocess.Popen(["rsyslogd", "-n", "-f", conf, "-i", os.path.join(t.dir, "rs.pid")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: os.path.exists(os.path.join(t.dir, "log.sock")), 10,
                     what="rsyslogd's socket")
            with t:
                for i in range(10):
                    assert get(t.url(f"/bytes?n=3&r={i}")).status == 200
                out = os.path.join(t.dir, "received.log")

                def received():
                    if not os.path.exists(out):
                        return None
                    with open(out) as f:
                        got = [line for line in f.read().splitlines() if "shop" in line]
                    return got if len(got) >= 10 else None
                got = wait_for(received, 15, what="ten lines in rsyslog's file")
                file_lines = t.access_log_lines()
                assert len(got) == 10 and len(file_lines) == 10
                for g, line in zip(got, file_lines):
                    head, _, msg = g.partition(" shop ")
                    assert head == "local5.info", g
                    assert msg.strip() == line.strip()
        finally:
            rs.terminate()
            rs.wait(timeout=10)
