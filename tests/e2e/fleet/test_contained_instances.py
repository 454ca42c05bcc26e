"""Contained instances (cgroup v2). An app forks a worker that forks again, moves to a
session of its own and ignores SIGTERM (a daemon that escaped the process group), and leaves
a short-lived child it never waits for: once the group scales in, and once tierd stops, no
process of the instance is left and tierd, the subreaper, keeps no zombie child. A launch
template whose instance_type cannot be applied (tierd runs in a cgroup whose parent does
not delegate the cpu and memory controllers) shows the reason in `tierd instances --json`
and in the table, logs it once for the group whatever the number of instances, and with
instance_type.required: true the instance does not launch (the app never runs) and the
failed launch says why."""
import json
import os
import sys
import textwrap
import time

from harness import APP, Tierd, need, probe, skip_probe, wait_for
from fleetkit import api, cli, instances, reload_rendered

# The app of the first test: a worker that double-forks into a session of its own and
# ignores SIGTERM (it records its pid), a child that exits at once and is never waited
# for, then build/app itself.
ESCAPING_APP = textwrap.dedent("""\
    import os, signal, sys, time
    d, app = sys.argv[1], sys.argv[2]
    iid, port = os.environ["INSTANCE_ID"], os.environ["PORT"]
    if os.fork() == 0:
        if os.fork() == 0:
            os.setsid()
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            with open(os.path.join(d, iid + ".escaped.tmp"), "w") as f:
                f.write(str(os.getpid()))
            os.rename(os.path.join(d, iid + ".escaped.tmp"), os.path.join(d, iid + ".escaped"))
            os.execvp("sleep", ["sleep", "1000"])
        os._exit(0)
    os.wait()
    if os.fork() == 0:
        os._exit(0)                 # never waited for: a zombie until its parent goes
    os.execv(app, [app, "--listen", "127.0.0.1:" + port, "--name", iid])
    """)


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.startswith("cgroup2 "):
                return left.split()[4]
    return None


@probe("cgroup2")
def _probe_cgroup2():
    mnt = cgroup2_mount()
    if not mnt:
        return False, "no cgroup2 hierarchy is mounted (/proc/self/mountinfo)"
    if os.geteuid() != 0:
        return False, f"needs root to create cgroups under {mnt}"
    return True, f"cgroup2 at {mnt}"


def proc_stat(pid):
    """(state, ppid) of pid, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rpartition(")")[2].split()
    except OSError:
        return None
    return rest[0], int(rest[1])


def zombies_of(parent):
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st and st[0] == "Z" and st[1] == parent:
                out.append(int(name))
    return out


def escaped_pid(t, iid):
    with open(os.path.join(t.dir, iid + ".escaped")) as f:
        return int(f.read())


STACK = ("listeners:\n  - name: public\n    address: ${listen}\n    rules:\n"
         "      - forward: web\n"
         "target_groups:\n  web: { deregistration_delay: 1s }\n"
         "launch_templates:\n  app:\n"
         f"    command: [{sys.executable}, ${{dir}}/escape.py, ${{dir}}, {APP}]\n"
         "    stop_timeout: 3s\n"
         "auto_scaling_groups:\n  web:\n    launch_template: app\n    target_group: web\n"
         "    min_size: 2\n    max_size: 2\n"
         "state_dir: ${dir}/state\ncontrol: { socket: ${dir}/tierd.sock }\n")


def test_escaped_children_end_with_their_instance_and_leave_no_zombie():
    need("cgroup2")
    t = Tierd(STACK)
    with open(os.path.join(t.dir, "escape.py"), "w") as f:
        f.write(ESCAPING_APP)
    with t:
        def two_escaped():
            ids = [i["id"] for i in instances(t) if i["state"] == "InService"]
            ok = len(ids) == 2 and all(os.path.exists(os.path.join(t.dir, i + ".escaped"))
                                       for i in ids)
            return ids if ok else None
        ids = wait_for(two_escaped, 20, interval=0.1, what="2 instances and their escapees")
        strays = {i: escaped_pid(t, i) for i in ids}
        for i, pid in strays.items():
            st = proc_stat(pid)
            # Reparented to tierd, in a session of its own: out of reach of the process group.
            assert st and st[0] != "Z" and st[1] == t.pid, (i, st)
            assert os.getsid(pid) == pid

        # Scale in to one: the terminated instance takes its escaped worker with it.
        reload_rendered(t, t.text.replace("min_size: 2\n    max_size: 2",
                                          "min_size: 1\n    max_size: 1"))
        gone = wait_for(lambda: [i["id"] for i in instances(t) if i["state"] == "Terminated"],
                        20, interval=0.1, what="an instance Terminated by scale-in")[0]
        kept = next(i for i in ids if i != gone)
        wait_for(lambda: proc_stat(strays[gone]) is None, 5, interval=0.1,
                 what=f"the escaped worker of {gone} gone (state now "
                      f"{proc_stat(strays[gone])})")
        # The early child left as a zombie and the killed worker: both reaped by tierd.
        wait_for(lambda: not zombies_of(t.pid), 3, interval=0.1,
                 what=f"no zombie child of tierd (now {zombies_of(t.pid)})")
        assert proc_stat(strays[kept])[0] != "Z"      # the other instance's is untouched

        assert t.stop() == 0
    # At shutdown the last instance's escaped worker ends with it too (killed, not left to
    # init; a zombie would now belong to init, no longer to tierd).
    wait_for(lambda: proc_stat(strays[kept]) is None or proc_stat(strays[kept])[0] == "Z",
             5, interval=0.1, what=f"the escaped worker of {kept} gone after tierd stopped")


LIMITED = ("listeners:\n  - name: public\n    address: ${listen}\n    rules:\n"
           "      - forward: web\n"
           "target_groups:\n  web: { deregistration_delay: 1s }\n  strict: {}\n"
           "launch_templates:\n"
           "  app:\n"
           f"    command: [{APP}, --listen, \"127.0.0.1:$${{PORT}}\"]\n"
           "    instance_type: { cpu: 0.5, memory: 64m }\n"
           "  strict:\n"
           f"    command: [/bin/sh, -c, \"touch ${{dir}}/strict-ran; exec {APP}\"]\n"
           "    instance_type: { cpu: 0.5, memory: 64m, required: true }\n"
           "auto_scaling_groups:\n"
           "  web: { launch_template: app, target_group: web, min_size: 3, max_size: 3 }\n"
           "  strict: { launch_template: strict, target_group: strict, min_size: 1,\n"
           "            max_size: 1 }\n"
           "state_dir: ${dir}/state\ncontrol: { socket: ${dir}/tierd.sock }\n")


class InCgroup:
    """Runs the with-block (and every process it starts) in cgroup `path`, then moves this
    process back where it was; the children stay."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        with open("/proc/self/cgroup") as f:
            self.home = next(line[3:].strip() for line in f if line.startswith("0::"))
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        return self

    def __exit__(self, *exc):
        with open(os.path.join(cgroup2_mount() + self.home, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        return False


def rmdir_tree(path):
    """Removes an emptied cgroup tree, children first (processes may take a moment)."""
    for _ in range(50):
        for root, dirs, _files in os.walk(path, topdown=False):
            for d in dirs:
                try:
                    os.rmdir(os.path.join(root, d))
                except OSError:
                    pass
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)


def test_limits_that_cannot_be_applied_are_shown_once_and_required_stops_the_launch():
    need("cgroup2")
    mnt = cgroup2_mount()
    # A cgroup whose cgroup.subtree_control gives its child nothing: tierd's cgroup below
    # it is delegated (writable) but offers no cpu or memory controller.
    parent = os.path.join(mnt, f"tierd-e2e-nolimits-{os.getpid()}")
    os.mkdir(parent)
    try:
        with open(os.path.join(parent, "cgroup.subtree_control")) as f:
            if f.read().strip():
                skip_probe("cgroup2", f"{parent} enabled controllers for its children")
        os.mkdir(os.path.join(parent, "tierd"))
        t = Tierd(LIMITED)
        with InCgroup(os.path.join(parent, "tierd")):
            t.__enter__()
        try:
            run_limited(t, os.path.join(parent, "tierd"))
        finally:
            t.stop()
    finally:
        rmdir_tree(parent)


def run_limited(t, cgroup):
    web = wait_for(lambda: len([i for i in instances(t) if i["state"] == "InService"]) == 3
                   and instances(t), 20, interval=0.1, what="3 instances of web InService")
    for i in web:
        assert i["limits"].startswith("not enforced: "), i
        assert "cpu controller is not available in " + cgroup in i["limits"], i
    table = cli(t, "instances", "web")
    assert table.returncode == 0, table.stderr
    assert table.stdout.count("NOT ENFORCED") == 3, table.stdout
    assert web[0]["limits"][len("not enforced: "):] in table.stdout, table.stdout

    def launch_failures():
        st, doc = api(t, "GET", "/v1/events?limit=1000")
        assert st == 200, doc
        return [e for e in doc["events"] if "group=strict" in e["message"]
                and "Launching a new instance" in e["message"]
                and "status Failed" in e["message"]]
    failed = wait_for(launch_failures, 10, interval=0.2, what="strict's failed launch")
    assert "instance_type.required" in failed[0]["message"], failed
    assert "cpu controller is not available in " + cgroup in failed[0]["message"], failed

    st, doc = api(t, "GET", "/v1/events?limit=1000")
    notes = [e for e in doc["events"] if "not enforced" in e["message"]
             and "group=web" in e["message"]]
    assert len(notes) == 1, notes                   # one for the group, not one per instance
    assert "cpu controller is not available in " + cgroup in notes[0]["message"], notes
    assert instances(t, "strict") == []
    assert not os.path.exists(os.path.join(t.dir, "strict-ran"))          # it never ran
    p = cli(t, "instances", "strict", "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["instances"] == [], p.stdout
