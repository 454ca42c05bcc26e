"""A reload reaches a running database as RDS's ModifyDBInstance does: a dynamic
parameter (max_connections) is set live, with the same server process; a static one
(back_log) is pending a restart, listed by `tierd db status`, and the server keeps
running; with apply_immediately the server restarts at once and runs with it; a schema
and a grant added by the reload take effect too."""

from harness import Tierd, need
from datakit import app_password_env, db_stack, db_status, pick_port, sql, wait_running
from harness import wait_for


def stack(port, params, extra=""):
    text = db_stack(port, extra_db=extra)
    return text.replace("    parameters: { max_connections: 40, innodb_buffer_pool_size: 16M }\n",
                        f"    parameters: {{ {params} }}\n")


def test_reload_sets_dynamic_parameters_live_and_restarts_for_static_ones(tmp_path):
    need("mariadb")
    port = pick_port()
    with app_password_env():
        with Tierd(stack(port, "max_connections: 40, innodb_buffer_pool_size: 16M")) as t:
            pid = wait_running(t, timeout=90)["pid"]
            assert sql(port, "SELECT @@max_connections") == [["40"]]

            t.reload(stack(port, "max_connections: 55, innodb_buffer_pool_size: 16M"))
            wait_for(lambda: sql(port, "SELECT @@max_connections") == [["55"]], 30,
                     what="max_connections set live")
            assert db_status(t)["pid"] == pid and db_status(t)["pending_restart"] == ""

            # back_log is read-only: pending until the maintenance window (not now).
            t.reload(stack(port, "max_connections: 55, innodb_buffer_pool_size: 16M, "
                                 "back_log: 77"))
            wait_for(lambda: db_status(t)["pending_restart"] == "back_log", 30,
                     what="back_log pending a restart")
            assert db_status(t)["pid"] == pid
            assert sql(port, "SELECT @@back_log") != [["77"]]

            # apply_immediately: restarted at once, with the new value; a new schema too.
            text = stack(port, "max_connections: 55, innodb_buffer_pool_size: 16M, "
                               "back_log: 77", extra="    apply_immediately: true\n")
            text = text.replace("schemas: [shop]", "schemas: [shop, reports]")
            t.reload(text.replace('grants: ["ALL PRIVILEGES ON shop.*"]',
                                  'grants: ["ALL PRIVILEGES ON shop.*", '
                                  '"ALL PRIVILEGES ON reports.*"]'))
            d = wait_running(t, timeout=90, not_pid=pid)
            assert d["pending_restart"] == ""
            assert sql(port, "SELECT @@back_log, @@max_connections") == [["77", "55"]]
            assert ["reports"] in sql(port, "SHOW DATABASES", db="shop")
