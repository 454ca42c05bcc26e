"""The console's "Databases and certificates" page with a real database: a managed MariaDB
(Debian's mariadbd, mariadb-backup and restic, as tests/e2e/data runs them) with backups,
one backup taken through the CLI; the page then shows the database running, its last
backup (ok), "never" for a verified restore (a verify restores into a scratch server: over
a minute here, beyond the console tests' budget; tests/e2e/data verifies) and an RPO in
seconds, from
GET /v1/db and /v1/db/main/backups as the console reads them (cookie, CSRF, Origin)."""
import os
import sys
import time

import pytest

from browser import chromium
from harness import Tierd, free_port, need, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "data"))
from datakit import APP_PASSWORD, backup_section, cli, db_stack, pick_port, \
    repo_password_file, wait_running  # noqa: E402

TOKEN = "e2e-console-db-token-2b8e"
SHOTS = os.path.join(os.path.dirname(os.path.abspath(os.environ.get("TIERD", "build/tierd"))),
                     "console-screenshots")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    need("mariadb")
    tmp = tmp_path_factory.mktemp("console-db")
    pw = repo_password_file(tmp / "restic.pass", "repo-pw-console-9d")
    api_port = free_port()
    backup = backup_section(f"{tmp}/repo", pw)
    text = db_stack(pick_port(), extra_db=backup).replace(
        "control: { socket: ${dir}/tierd.sock }\n",
        "control:\n  socket: ${dir}/tierd.sock\n"
        f"  address: 127.0.0.1:{api_port}\n"
        "  tokens: { dba: \"$${env:TIERD_E2E_CONSOLE_DB_TOKEN}\" }\n  console: true\n")
    os.environ["DB_APP_PASSWORD"] = APP_PASSWORD
    os.environ["TIERD_E2E_CONSOLE_DB_TOKEN"] = TOKEN
    driver = None
    try:
        with Tierd(text) as t:
            wait_running(t, timeout=90)
            driver = chromium()
            yield {"t": t, "d": driver, "base": f"http://127.0.0.1:{api_port}"}
    finally:
        if driver is not None:
            driver.quit()
        del os.environ["DB_APP_PASSWORD"]
        del os.environ["TIERD_E2E_CONSOLE_DB_TOKEN"]


def _page_text(d):
    return d.execute_script("return document.getElementById('page').innerText")


def _row(d, first):
    return d.execute_script(
        "for (const tr of document.querySelectorAll('#page tr'))"
        "  if (tr.cells[0] && tr.cells[0].innerText === arguments[0])"
        "    return [...tr.cells].map(c => c.innerText);"
        "return null;", first)


def test_last_backup_and_rpo(env):
    from selenium.webdriver.common.by import By
    d, t = env["d"], env["t"]
    r = cli(t, "db", "backup", "main")
    assert r.returncode == 0, r.stderr
    d.get(env["base"] + "/console/index.html#data")
    wait_for(lambda: d.find_element(By.ID, "token").is_displayed(), 30, what="sign-in form")
    d.find_element(By.ID, "token").send_keys(TOKEN + "\n")
    wait_for(lambda: d.find_element(By.ID, "who").text == "signed in as dba", 15,
             what="signed in")
    row = wait_for(lambda: _row(d, "main"), 30, interval=0.3, what="the database's row")
    # database, state, mode, last backup, last verified restore, RPO
    assert row[1] == "running" and row[2] == "managed", row
    assert row[3].endswith("Z (ok)"), row
    assert row[4] == "never", row
    assert row[5].endswith(" s") and 0 <= int(row[5][:-2]) < 600, row
    assert "not configured (no automatic certificates)" in _page_text(d)
    os.makedirs(SHOTS, exist_ok=True)
    d.save_screenshot(os.path.join(SHOTS, "databases.png"))
    # The RPO follows the binlogs shipped every second: it stays small while the page is open.
    time.sleep(6)
    row = wait_for(lambda: _row(d, "main"), 10, what="the row again")
    assert int(row[5][:-2]) < 600, row
