"""RDS's ReadLatency and WriteLatency: with performance_schema=ON (a parameter) the data tier
reports the mean InnoDB file read and write time of each sample period; without it the
series is absent, not zero (watch then sees missing data)."""

from harness import Tierd, control_request, need, wait_for
from datakit import app_password_env, db_stack, pick_port, sock_path, sql, wait_running


def metric(t, series):
    body = control_request(sock_path(t), "GET", "/metrics")[2].decode()
    for line in body.splitlines():
        if line.startswith(series + '{database="main"}'):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_io_latency_with_and_without_the_performance_schema():
    need("mariadb")
    with app_password_env():
        for ps in ("ON", "OFF"):
            port = pick_port()
            text = db_stack(port).replace("innodb_buffer_pool_size: 16M",
                                          f"innodb_buffer_pool_size: 16M, performance_schema: {ps}")
            with Tierd(text) as t:
                wait_running(t, timeout=90)
                sql(port, "CREATE TABLE w (id INT PRIMARY KEY AUTO_INCREMENT, v MEDIUMTEXT)")
                for _ in range(5):
                    sql(port, "INSERT INTO w (v) VALUES (REPEAT('x', 100000))")
                if ps == "ON":
                    wait_for(lambda: metric(t, "tierd_db_write_latency_seconds") is not None,
                             30, what="WriteLatency reported")
                    assert 0 <= metric(t, "tierd_db_write_latency_seconds") < 5
                    assert metric(t, "tierd_db_read_latency_seconds") is not None
                else:
                    wait_for(lambda: metric(t, "tierd_db_connections") is not None, 30,
                             what="the other metrics")
                    assert metric(t, "tierd_db_write_latency_seconds") is None
