#!/usr/bin/python3
"""`tierd analyze` speed and detection quality on a generated log.  See docs/analyze.md.

    /usr/bin/python3 bench/analyze_bench.py [--tierd build/tierd] [--lines 1000000]
        [--seed 1] [--runs 3] [--out build/analyze-bench] [--no-fail2ban]

1. bench/genlog.py writes the log (combined, and combined_host for the Host-aware row)
   with its ground truth, unless the files for this size and seed exist.
2. Speed: `tierd analyze LOG --json` on the combined log, --runs times; the median of
   lines / wall second and of lines / CPU second (user + system of the child; the machine
   may be shared, CPU time is what one core spent). Also one gzip'd and one json run.
3. Quality: precision and recall of the addresses analyze reports against the ground
   truth, next to fail2ban's nginx filters over the same combined log. fail2ban-regex only
   lists matching lines, so the jail logic is applied here: an address is flagged when it
   has >= maxretry (5) matches within findtime (10 min), the jail.conf defaults. When
   fail2ban-regex is missing and we are root, `apt-get install fail2ban` runs first (said
   on stderr); otherwise the fail2ban rows are left out.

Results: a table on stdout and <out>/results.json.
"""

import argparse
import collections
import gzip
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
F2B_FILTERS = ["nginx-botsearch", "nginx-http-auth", "nginx-limit-req", "nginx-bad-request"]
F2B_MAXRETRY = 5
F2B_FINDTIME_S = 600


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def ensure_log(out, lines, seed):
    base = os.path.join(out, f"access-{lines}-{seed}.log")
    paths = {f: f"{base}.{f}" for f in ("combined", "combined_host", "json")}
    truth = base + ".truth.json"
    if not all(os.path.exists(p) for p in paths.values()) or not os.path.exists(truth):
        log(f"generating {lines} lines (seed {seed}) into {base}.*")
        cmd = [sys.executable, os.path.join(HERE, "genlog.py"), "--lines", str(lines),
               "--seed", str(seed), "--out", base, "--truth", truth]
        for f in paths:
            cmd += ["--format", f]
        subprocess.run(cmd, check=True)
    gz = paths["combined"] + ".gz"
    if not os.path.exists(gz):
        with open(paths["combined"], "rb") as src, gzip.open(gz, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    paths["combined.gz"] = gz
    with open(truth) as f:
        return paths, json.load(f)


def run_analyze(tierd, path, extra=()):
    """One run; returns (wall_s, cpu_s, parsed JSON document)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([tierd, "analyze", path, "--json", *extra], capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"tierd analyze {path} failed ({p.returncode}): {p.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(p.stdout)


def speed(tierd, paths, runs, lines):
    res = {}
    for name, n in (("combined", runs), ("combined.gz", 1), ("json", 1)):
        walls, cpus = [], []
        for _ in range(n):
            wall, cpu, _ = run_analyze(tierd, paths[name])
            walls.append(wall)
            cpus.append(cpu)
        res[name] = {"runs": n, "wall_s": walls, "cpu_s": cpus,
                     "lines_per_s_wall": lines / statistics.median(walls),
                     "lines_per_s_cpu": lines / statistics.median(cpus)}
        log(f"speed {name}: {res[name]['lines_per_s_wall']:,.0f} lines/s wall, "
            f"{res[name]['lines_per_s_cpu']:,.0f} lines/s CPU")
    return res


def score(flagged, truth):
    attackers, legit = set(truth["attackers"]), set(truth["legit_heavy"])
    tp = flagged & attackers
    fp = flagged - attackers
    return {"flagged": len(flagged), "true_positives": len(tp), "false_positives": len(fp),
            "precision": len(tp) / len(flagged) if flagged else None,
            "recall": len(tp) / len(attackers),
            "missed": sorted(attackers - flagged),
            "legit_heavy_flagged": sorted(flagged & legit),
            "other_false_positives": sorted(fp - legit)[:20]}


def ensure_fail2ban():
    if shutil.which("fail2ban-regex"):
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log("fail2ban-regex is missing and we are not root: fail2ban rows left out")
        return False
    log("fail2ban-regex is missing; installing Debian's fail2ban with apt-get (root)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "fail2ban"],
                   env=env, check=False, stdout=subprocess.DEVNULL)
    return bool(shutil.which("fail2ban-regex"))


def fail2ban_flagged(log_path, filt):
    """Addresses a default jail would ban: >= maxretry matches within findtime."""
    conf = f"/etc/fail2ban/filter.d/{filt}.conf"
    t0 = time.perf_counter()
    p = subprocess.run(["fail2ban-regex", "-o", "row", log_path, conf], capture_output=True,
                       text=True)
    secs = time.perf_counter() - t0
    times = {}
    for line in p.stdout.splitlines():
        # ['203.0.113.7',\t1795508640,\t{...}],
        line = line.strip()
        if not line.startswith("['"):
            continue
        ip, _, rest = line[2:].partition("'")
        try:
            ts = int(rest.split(",")[1].strip())
        except (IndexError, ValueError):
            continue
        times.setdefault(ip, []).append(ts)
    flagged = set()
    for ip, ts in times.items():
        ts.sort()
        j = 0
        for i in range(len(ts)):
            while ts[i] - ts[j] >= F2B_FINDTIME_S:
                j += 1
            if i - j + 1 >= F2B_MAXRETRY:
                flagged.add(ip)
                break
    matches = sum(len(v) for v in times.values())
    log(f"fail2ban {filt}: {matches} matching lines, {len(flagged)} addresses over "
        f"{F2B_MAXRETRY} in {F2B_FINDTIME_S}s ({secs:.0f} s)")
    return flagged, matches, secs


def missed_kinds(missed, truth):
    kinds = collections.Counter(truth["attackers"][m].split(" ")[0] for m in missed)
    return ", ".join(k if n == 1 else f"{k} x{n}" for k, n in sorted(kinds.items())) or "-"


def fmt(v):
    return "-" if v is None else f"{v:.2f}"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tierd", default=os.path.join(ROOT, "build", "tierd"))
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "analyze-bench"))
    ap.add_argument("--no-fail2ban", action="store_true")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    paths, truth = ensure_log(a.out, a.lines, a.seed)
    results = {"lines": a.lines, "seed": a.seed, "speed": speed(a.tierd, paths, a.runs, a.lines),
               "quality": {}}

    rows = []
    for name in ("combined", "combined_host"):
        _, _, doc = run_analyze(a.tierd, paths[name])
        flagged = {o["address"] for o in doc["offenders"]}
        s = score(flagged, truth)
        results["quality"][f"tierd analyze ({name})"] = s
        rows.append((f"tierd analyze ({name})", s))
    if not a.no_fail2ban and ensure_fail2ban():
        union = set()
        for filt in F2B_FILTERS:
            flagged, matches, secs = fail2ban_flagged(paths["combined"], filt)
            s = score(flagged, truth)
            s.update({"matching_lines": matches, "seconds": secs})
            results["quality"][f"fail2ban {filt}"] = s
            rows.append((f"fail2ban {filt} (5 in 10m)", s))
            union |= flagged
        s = score(union, truth)
        results["quality"]["fail2ban (all four jails)"] = s
        rows.append(("fail2ban, all four jails", s))

    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    sp = results["speed"]
    print(f"\nanalyze speed, {a.lines:,} lines (median of {a.runs} for combined):")
    for name, r in sp.items():
        print(f"  {name:12s} {r['lines_per_s_wall']:>12,.0f} lines/s wall"
              f" {r['lines_per_s_cpu']:>12,.0f} lines/s CPU")
    n_att = len(truth["attackers"])
    print(f"\ndetection vs ground truth ({n_att} attackers, {len(truth['legit_heavy'])} heavy "
          f"legitimate users):")
    print(f"  {'who':38s} {'flagged':>7s} {'TP':>3s} {'FP':>3s} {'precision':>9s} "
          f"{'recall':>6s}  missed")
    for name, s in rows:
        print(f"  {name:38s} {s['flagged']:7d} {s['true_positives']:3d} {s['false_positives']:3d}"
              f" {fmt(s['precision']):>9s} {fmt(s['recall']):>6s}  "
              f"{missed_kinds(s['missed'], truth)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
