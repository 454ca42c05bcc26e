"""tierd.service gives tierd capabilities instead of root (AmbientCapabilities=): they must
stay tierd's. An instance, which is the app and runs whatever it runs, starts with no
capability at all, ambient or effective. The test starts tierd the way systemd does, as an
unprivileged user holding the unit's five capabilities as ambient ones (setpriv)."""
import os
import shutil
import tempfile

import harness
from harness import APP, Tierd, get, need, wait_for

CAPS = "+net_bind_service,+net_admin,+kill,+setuid,+setgid"


def stack(app):
    return ("listeners:\n  - name: public\n    address: ${listen}\n    rules:\n"
             "      - forward: web\n"
             "target_groups:\n  web: { deregistration_delay: 1s }\n"
             "launch_templates:\n  app:\n"
             "    command: [/bin/sh, -c, \"grep ^Cap /proc/self/status > ${dir}/caps; "
            f"exec {app} --listen 127.0.0.1:$${{PORT}}\"]\n"
             "auto_scaling_groups:\n"
             "  web: { launch_template: app, target_group: web, min_size: 1, max_size: 1 }\n"
             "state_dir: ${dir}/state\ncontrol: { socket: ${dir}/tierd.sock }\n")


def caps_of(text):
    return {k: int(v, 16) for k, v in (line.split(":\t") for line in text.splitlines())}


def test_instances_get_none_of_tierds_capabilities(monkeypatch, tmp_path):
    need("root")        # to start tierd as another user with capabilities, like systemd
    # nobody must reach both binaries: a build dir under a 0700 one (a clone in mktemp -d)
    # is not, so run copies from a directory everyone can enter, as /usr/bin is.
    bindir = tempfile.mkdtemp(prefix="tierd-caps-")
    os.chmod(bindir, 0o755)
    tierd_copy, app_copy = (shutil.copy(b, bindir) for b in (harness.TIERD, APP))
    wrapper = tmp_path / "tierd-as-service"
    wrapper.write_text("#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups "
                       f"--inh-caps={CAPS} --ambient-caps={CAPS} {tierd_copy} \"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setattr(harness, "TIERD", str(wrapper))
    try:
        run_as_service(stack(app_copy))
    finally:
        shutil.rmtree(bindir, ignore_errors=True)


def run_as_service(text):
    t = Tierd(text)
    os.chmod(t.dir, 0o777)      # tierd runs as nobody: its state and socket live here
    with t:
        with open(f"/proc/{t.pid}/status") as f:
            own = caps_of("".join(line for line in f if line.startswith("Cap")))
        assert own["CapAmb"] != 0 and own["CapEff"] != 0, own      # the setup is real
        wait_for(lambda: get(t.url("/health")).status == 200, 20, what="the instance serving")
        inst = caps_of(open(os.path.join(t.dir, "caps")).read())
        assert inst["CapAmb"] == 0 and inst["CapEff"] == 0 and inst["CapPrm"] == 0, inst
