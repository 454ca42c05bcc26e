"""An external database (a server tierd does not run): tierd connects as its first declared
user, through a 0600 option file that holds the password, every few seconds; that is its
health check (`reachable`, with the server's error when not) and its metrics. Here the
"external" server is a managed one of the same stack, reached over TCP, and a second
external entry points at a port where nothing listens."""
import os
import stat

from harness import Tierd, control_request, free_port, need, wait_for
from datakit import APP_PASSWORD, app_password_env, db_stack, db_status, pick_port, sock_path, wait_running


def test_external_database_health_and_metrics(tmp_path):
    need("mariadb")
    port, dead = pick_port(), free_port()
    user = ("    users:\n      app: { password: \"$${env:DB_APP_PASSWORD}\", "
            "grants: [\"ALL PRIVILEGES ON shop.*\"] }\n")
    ext = ("  ext:\n    mode: external\n"
           f"    address: 127.0.0.1:{port}\n{user}"
           "  gone:\n    mode: external\n"
           f"    address: 127.0.0.1:{dead}\n{user}")
    text = db_stack(port).replace("state_dir:", ext + "state_dir:")
    with app_password_env():
        with Tierd(text) as t:
            wait_running(t, timeout=90)
            wait_for(lambda: db_status(t, "ext").get("reachable") is True, 30,
                     what="the external database reachable")
            wait_for(lambda: db_status(t, "gone").get("error"), 30,
                     what="the unreachable one's error")
            gone = db_status(t, "gone")
            assert gone["reachable"] is False and gone["state"] == "external"
            assert str(dead) in gone["error"] or "connect" in gone["error"].lower()
            wait_for(lambda: b'tierd_db_connections{database="ext"}' in
                     control_request(sock_path(t), "GET", "/metrics")[2], 10,
                     what="the external database's connections metric")
            assert b'database="gone"' not in control_request(sock_path(t), "GET", "/metrics")[2]
            cnf = os.path.join(t.dir, "state", "db", "ext.client.cnf")
            assert stat.S_IMODE(os.stat(cnf).st_mode) == 0o600
            _, _, listing = control_request(sock_path(t), "GET", "/v1/db")
            assert APP_PASSWORD.encode() not in listing
        assert APP_PASSWORD not in t.stderr()
