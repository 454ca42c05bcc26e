#!/usr/bin/python3
"""The data tier's figures (issue "Data tier"), side by side in one run on one database:

  * backup throughput (datadir bytes / wall time) and the p99 latency of a steady write load
    during the backup, for tierd's backup (mariadb-backup --stream | restic backup --stdin)
    against mariadb-backup to a plain directory and mariadb-dump | gzip to a file;
  * restore-to-time duration (tierd db restore --latest --as NEW, to the new server answering);
  * the measured RPO: the newest restorable point behind the newest commit, sampled while the
    write load runs (target: at most binlog_interval, here 1 s, plus one ship).

    /usr/bin/python3 bench/databench.py --tierd build/tierd [--size-mb 1024] [--runs 1]

The write load is one connection inserting a row every 5 ms (PyMySQL, Debian
python3-pymysql), timing each autocommitted INSERT. Only 127.0.0.1 and unix sockets are used;
everything runs in a temporary directory and is stopped at the end.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True

import pymysql  # noqa: E402  Debian python3-pymysql

APP_PW = "bench-app-pw"
REPO_PW = "bench-repo-pw"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def control(sock, method, path):
    import http.client

    class Conn(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.connect(sock)
    c = Conn("tierd", timeout=600)
    c.request(method, path)
    r = c.getresponse()
    return r.status, json.loads(r.read() or b"{}")


class Writer:
    """A steady write load with each statement timed."""

    def __init__(self, port):
        self.db = pymysql.connect(host="127.0.0.1", port=port, user="app", password=APP_PW,
                                  database="shop", autocommit=True)
        self.lat = []
        self.marks = []
        self.stop_flag = threading.Event()
        self.last_commit = 0.0
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def run(self):
        cur = self.db.cursor()
        while not self.stop_flag.is_set():
            t0 = time.monotonic()
            cur.execute("INSERT INTO load_rows (v) VALUES ('x')")
            self.lat.append(time.monotonic() - t0)
            self.last_commit = time.time()
            time.sleep(0.005)

    def window(self):
        """Latencies recorded from now until the matching close()."""
        self.marks.append(len(self.lat))

    def close(self):
        start = self.marks.pop()
        return self.lat[start:]

    def stop(self):
        self.stop_flag.set()
        self.th.join(10)
        self.db.close()


def p99(xs):
    xs = sorted(xs)
    return xs[int(0.99 * (len(xs) - 1))] * 1000 if xs else float("nan")


def du(path):
    """Bytes of the datadir a physical backup copies (binlogs are archived apart)."""
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            if f.startswith("binlog."):
                continue
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def fill(port, size_mb):
    db = pymysql.connect(host="127.0.0.1", port=port, user="app", password=APP_PW,
                         database="shop", autocommit=True)
    cur = db.cursor()
    cur.execute("CREATE TABLE load_rows (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(16))")
    cur.execute("CREATE TABLE bulk (id BIGINT AUTO_INCREMENT PRIMARY KEY, pad VARCHAR(1000))")
    cur.execute("INSERT INTO bulk (pad) SELECT REPEAT(MD5(RAND()), 30) FROM seq_1_to_1000")
    rows = 1000
    want = size_mb * 1024 * 1024 // 1000
    while rows < want:
        n = min(rows, want - rows)
        cur.execute(f"INSERT INTO bulk (pad) SELECT REPEAT(MD5(RAND()), 30) FROM bulk LIMIT {n}")
        rows += n
    db.close()
    return rows


def timed(cmd, **kw):
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {p.stderr.decode()[-500:]}")
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tierd", default="build/tierd")
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--out", default="bench/out")
    args = ap.parse_args()
    tierd = os.path.abspath(args.tierd)
    tmp = tempfile.mkdtemp(prefix="databench-")
    port = free_port()
    listen = free_port()
    pw = os.path.join(tmp, "restic.pass")
    with open(pw, "w") as f:
        f.write(REPO_PW + "\n")
    os.chmod(pw, 0o600)
    sock = os.path.join(tmp, "tierd.sock")
    stack = f"""listeners:
  - name: public
    address: 127.0.0.1:{listen}
    rules: [{{ forward: web }}]
target_groups:
  web: {{ targets: [127.0.0.1:9] }}
databases:
  main:
    address: 127.0.0.1:{port}
    schemas: [shop]
    users:
      app: {{ password: "${{env:DB_APP_PASSWORD}}", grants: ["ALL PRIVILEGES ON shop.*"] }}
    parameters: {{ innodb_buffer_pool_size: 256M }}
    backup:
      repository: {tmp}/repo
      password_file: {pw}
      window: "00:00-00:30"
      retention: 7d
      binlog_interval: 5s
      verify: false
state_dir: {tmp}/state
control: {{ socket: {sock} }}
"""
    path = os.path.join(tmp, "stack.yaml")
    with open(path, "w") as f:
        f.write(stack)
    env = dict(os.environ, DB_APP_PASSWORD=APP_PW)
    log = open(os.path.join(tmp, "tierd.log"), "wb")
    proc = subprocess.Popen([tierd, "run", path], stdout=log, stderr=subprocess.STDOUT,
                            env=env, cwd=tmp)
    results = {"size_mb": args.size_mb}
    try:
        deadline = time.time() + 120
        while True:
            try:
                st, body = control(sock, "GET", "/v1/db")
                if st == 200 and body["databases"][0]["state"] == "running":
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("the database did not start; see " + log.name)
            time.sleep(0.2)
        server = body["databases"][0]
        t0 = time.monotonic()
        rows = fill(port, args.size_mb)
        results["fill_s"] = round(time.monotonic() - t0, 1)
        datadir_bytes = du(server["datadir"])
        results["datadir_mb"] = round(datadir_bytes / 2**20)
        w = Writer(port)
        time.sleep(1)
        w.window()
        time.sleep(10)
        results["p99_ms_idle"] = round(p99(w.close()), 2)

        cli = [tierd]
        runs = {}
        w.window()
        s = timed(cli + ["db", "backup", "main", "--socket", sock], env=env)
        runs["tierd (mariadb-backup | restic)"] = (s, p99(w.close()))
        plain = os.path.join(tmp, "plain")
        w.window()
        s = timed(["mariadb-backup", "--backup", f"--socket={server['socket']}", "--user=root",
                   f"--target-dir={plain}"])
        runs["mariadb-backup to a directory"] = (s, p99(w.close()))
        dump = os.path.join(tmp, "dump.sql.gz")
        w.window()
        s = timed(["sh", "-c", f"mariadb-dump --single-transaction --socket={server['socket']} "
                   f"--user=root shop | gzip -1 > {dump}"])
        runs["mariadb-dump | gzip"] = (s, p99(w.close()))
        results["backup"] = {k: {"seconds": round(v[0], 1),
                                 "mb_per_s": round(datadir_bytes / 2**20 / v[0], 1),
                                 "p99_write_ms": round(v[1], 2)} for k, v in runs.items()}

        # RPO: how far the newest restorable point trails the newest commit.
        lags = []
        for _ in range(80):
            _, b = control(sock, "GET", "/v1/db/main/backups")
            point = b["latest_restorable_ms"] / 1000
            lags.append(max(0.0, w.last_commit - point))
            time.sleep(0.25)
        results["rpo_s"] = {"median": round(statistics.median(lags), 2),
                            "max": round(max(lags), 2), "binlog_interval_s": 5}
        w.stop()

        t0 = time.monotonic()
        timed(cli + ["db", "restore", "main", "--latest", "--as", "restored", "--socket", sock],
              env=env)
        while True:
            _, body = control(sock, "GET", "/v1/db")
            d = {x["name"]: x for x in body["databases"]}.get("restored")
            if d and d["state"] == "running":
                break
            time.sleep(0.2)
        results["restore_latest_s"] = round(time.monotonic() - t0, 1)
        results["rows"] = rows
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    print(json.dumps(results, indent=2))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "databench.json"), "w") as f:
        json.dump(results, f, indent=2)
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
