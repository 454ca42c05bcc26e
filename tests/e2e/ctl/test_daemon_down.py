"""With no daemon listening, the CLI says where it looked and exits 3; the socket comes
from --socket, else $TIERD_SOCKET, else control.socket of ./tierd.yaml."""
import os
import tempfile

from harness import Tierd
from ctlkit import cli, ctl_stack, sock_path


def test_cli_exit_3_when_daemon_down():
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ)
        env.pop("TIERD_SOCKET", None)
        # No tierd.yaml here: the default socket, relative to the current directory.
        p = cli(None, "status", cwd=d, env=env)
        assert p.returncode == 3
        assert p.stderr.strip() == ('tierd: cannot reach the daemon at run/tierd.sock: no such '
                                    'file or directory (is "tierd run" running?)')

        with Tierd(ctl_stack()) as t:
            path = sock_path(t)
            with open(os.path.join(d, "tierd.yaml"), "w") as f:
                f.write(f"control:\n  socket: {path}\n")
            assert cli(None, "status", cwd=d, env=env).returncode == 0      # from tierd.yaml
            env2 = dict(env, TIERD_SOCKET=path)
            assert cli(None, "targets", env=env2).returncode == 0           # from the env
            t.stop()

        # A socket file whose daemon is gone refuses connections.
        sock = os.path.join(d, "stale.sock")
        import socket
        s = socket.socket(socket.AF_UNIX)
        s.bind(sock)
        s.close()
        p = cli(None, "targets", socket_path=sock)
        assert p.returncode == 3
        assert p.stderr.strip() == (f'tierd: cannot reach the daemon at {sock}: connection '
                                    f'refused (is "tierd run" running?)')
        # After a clean stop the daemon removed its socket.
        assert not os.path.exists(path)
        p = cli(None, "events", socket_path=path)
        assert p.returncode == 3 and "no such file or directory" in p.stderr
