"""tierd analyze over a generated log: the known attackers are found, the heavy but
legitimate users (a NAT'd office, a crawler, health checkers) are not; rotated gzip'd files
read in order give the same answer; unreadable input exits 2."""
import gzip
import json
import os
import subprocess
import sys

import pytest

from harness import ROOT, TIERD, temp_paths

GENLOG = os.path.join(ROOT, "bench", "genlog.py")
# What the detectors cannot see by design: one probe every one to two minutes.
UNDETECTABLE = {"62.210.5.9"}


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    d = tmp_path_factory.mktemp("analyze")
    out = str(d / "access.log")
    subprocess.run([sys.executable, GENLOG, "--lines", "80000", "--hours", "2", "--seed", "7",
                    "--format", "combined_host", "--format", "combined", "--out", out],
                   check=True, timeout=120)
    with open(out + ".truth.json") as f:
        truth = json.load(f)
    return out, truth


def analyze(*args):
    p = subprocess.run([TIERD, "analyze", *args], capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def offenders(doc):
    return {o["address"]: o for o in doc["offenders"]}


def test_finds_the_attackers_and_spares_the_heavy_legitimate_users(log):
    path, truth = log
    rc, out, err = analyze(path + ".combined_host", "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["skipped"] == 0 and doc["lines"] == truth["lines"]
    found = offenders(doc)
    for ip in truth["attackers"]:
        if ip not in UNDETECTABLE:
            assert ip in found, f"{ip} ({truth['attackers'][ip]}) not reported"
    for ip, kind in truth["legit_heavy"].items():
        assert ip not in found, f"{ip} ({kind}) reported: {found.get(ip)}"
    assert set(found) <= set(truth["attackers"]), "background visitors reported"
    assert "vhost_fuzzing" in found["185.220.101.5"]["attacks"]
    assert "login_bruteforce" in found["103.145.13.88"]["attacks"]
    assert found["198.18.7.77"]["attacks"] == ["flood"]
    o = found["89.248.165.73"]
    assert o["requests"] > 0 and o["sample_paths"] and o["first_seen"] <= o["last_seen"]
    # Three offenders of 141.98.11.0/24 collapse into one entry.
    deny = {e["entry"]: e for e in doc["deny"]}
    assert "141.98.11.0/24" in deny and len(deny["141.98.11.0/24"]["offenders"]) == 3
    assert '"141.98.11.0/24"' in doc["stack_file"]
    assert sum(doc["timeline"]["requests"]) == doc["requests"]


def test_rotated_gzip_files_in_order_and_the_text_report(log):
    path, truth = log
    with open(path + ".combined", "rb") as f:
        lines = f.read().splitlines(keepends=True)
    half = len(lines) // 2
    older, newer = path + ".1.gz", path + ".0"
    with gzip.open(older, "wb") as f:
        f.writelines(lines[:half])
    with open(newer, "wb") as f:
        f.writelines(lines[half:])
    temp_paths.extend([older, newer])
    rc, out, err = analyze(older, newer, "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert [f["gzip"] for f in doc["files"]] == [True, False]
    assert doc["lines"] == len(lines)
    rc, whole, err = analyze(path + ".combined", "--json")
    assert set(offenders(doc)) == set(offenders(json.loads(whole)))

    rc, text, err = analyze(older, newer)
    assert rc == 0, err
    assert "Offenders:" in text and "Request rate" in text
    assert "shield:\n  deny: [" in text


def test_malformed_lines_are_counted_with_file_and_line(tmp_path):
    p = tmp_path / "bad.log"
    good = '10.0.0.1 - - [24/Nov/2026:21:59:58 +0000] "GET / HTTP/1.1" 200 1 "-" "ua"\n'
    p.write_text(good +
                 'not a log line\n'
                 '10.0.0.1 - - [24/Nov/2026:21:59:59 +0000] "GET / HTTP/1.1" 2x0 1 "-" "ua"\n' +
                 good + good)
    rc, out, err = analyze(str(p), "--json", "--format", "combined")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["parsed"] == 3 and doc["skipped"] == 2
    assert [(s["line"], s["reason"]) for s in doc["skipped_samples"]] == [
        (2, "client address is not an IP address"), (3, "status is not three digits")]


def test_bad_arguments_and_unreadable_input_exit_2(tmp_path):
    rc, out, err = analyze(str(tmp_path / "missing.log"))
    assert rc == 2 and "cannot read" in err and "missing.log" in err
    rc, out, err = analyze()
    assert rc == 2 and "no access log given" in err
    rc, out, err = analyze(str(tmp_path), "--format", "xml")
    assert rc == 2 and "--format" in err
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"garbage that is not deflate" * 50)
    rc, out, err = analyze(str(bad))
    assert rc == 2 and "bad.gz" in err
