"""docs/stack-file.md and the key tables (`tierd keys --json`) say the same thing: every
key the loader accepts is documented once, in the table for its parent (marked
`<!-- keys: PARENT -->`), every documented key exists, and a documented default is the
default the loader applies. The tables are the source; the reference must follow them."""
import json
import os
import re
import subprocess

from harness import TIERD

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
DOC = os.path.join(ROOT, "docs", "stack-file.md")


def keys():
    p = subprocess.run([TIERD, "keys", "--json"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def parent_of(path):
    head, _, _ = path.rpartition(".")
    return head[:-2] if head.endswith("[]") else head


def doc_tables():
    """{parent: {key: {column: cell}}} for every marked table."""
    tables, marker, header = {}, None, None
    with open(DOC) as f:
        lines = f.read().splitlines()
    for line in lines:
        m = re.match(r"<!-- keys: (\S*) -->", line.strip())
        if m:
            marker, header = m.group(1), None
            assert marker not in tables, f"two tables marked {marker}"
            tables[marker] = {}
            continue
        if marker is None:
            continue
        if not line.startswith("|"):
            if header is not None:
                marker = None               # the table ended
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if set(cells[0]) <= set("-: "):
            continue
        km = re.fullmatch(r"`([^`]+)`", cells[0])
        assert km, f"{marker}: first cell {cells[0]!r} is not a key in backticks"
        tables[marker][km.group(1)] = dict(zip(header, cells))
    return tables


def test_every_key_is_documented_once_under_its_parent():
    tables = doc_tables()
    missing = []
    for k in keys():
        path = k["path"]
        leaf = path.rpartition(".")[2]
        if "." not in path or leaf == "*":
            continue                        # sections have headings; "*" is a user's name
        parent = parent_of(path)
        if leaf not in tables.get(parent, {}):
            missing.append(f"{path} (table <!-- keys: {parent} -->)")
    assert not missing, "undocumented keys:\n  " + "\n  ".join(missing)


def test_every_documented_key_exists():
    known = {(parent_of(k["path"]), k["path"].rpartition(".")[2]) for k in keys()}
    extra = [f"{parent}: {key}" for parent, rows in doc_tables().items() for key in rows
             if (parent, key) not in known]
    assert not extra, "documented keys the loader does not accept:\n  " + "\n  ".join(extra)


def test_documented_defaults_are_the_loaders():
    tables = doc_tables()
    wrong = []
    for k in keys():
        row = tables.get(parent_of(k["path"]), {}).get(k["path"].rpartition(".")[2])
        if not row or k["default"] is None or "default" not in row:
            continue
        if f"`{k['default']}`" not in row["default"] and \
                f"`\"{k['default']}\"`" not in row["default"]:
            wrong.append(f"{k['path']}: table says {k['default']!r}, doc says {row['default']!r}")
    assert not wrong, "\n".join(wrong)

