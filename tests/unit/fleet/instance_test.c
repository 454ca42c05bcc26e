/* tests/unit/fleet/instance_test.c: real processes. The fleet launches /bin/sh instances,
 * logs their output, stops them with stop_signal and SIGKILLs those that ignore it after
 * stop_timeout; an instance dies with its parent (PR_SET_PDEATHSIG). Under a second each. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "conf/node.h"
#include "core/clock.h"
#include "fleet/fleet.h"
#include "fleet/instance.h"

static int
ok_register(void *ctx, const char *group, const struct sock_addr *a)
{
    return 0;
}

static int
ok_lookup(void *ctx, const char *group, const struct sock_addr *a,
          struct fleet_target_status *out)
{
    out->state = "healthy";
    out->requests = 0;
    return 0;
}

/* A process is gone when /proc has no entry or only a zombie. */
static bool
proc_is_gone(int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return true;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return true;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return p && p[2] == 'Z';
}

struct seen {
    int pids[8];
    unsigned n;
};

static void
collect(void *ctx, const struct fleet_instance_info *i)
{
    struct seen *s = ctx;
    if (i->pid > 0 && s->n < 8)
        s->pids[s->n++] = i->pid;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

TEST(instance_fleet_stops_with_stop_signal_then_kills_after_stop_timeout)
{
    char dir[] = "/tmp/tierd-fleet-XXXXXX", err[256], path[512], buf[256];
    static const char *const tgs[] = { "web", "stubborn", NULL };
    static const char yaml[] =
        "launch_templates:\n"
        "  polite:\n"
        "    command: [/bin/sh, -c, \"echo hello $INSTANCE_ID ${PORT}; exec sleep 30\"]\n"
        "    stop_timeout: 5s\n"
        "  stubborn:\n"
        "    command: [/bin/sh, -c, \"trap '' TERM; exec sleep 30\"]\n"
        "    stop_timeout: 300ms\n"
        "auto_scaling_groups:\n"
        "  web: { launch_template: polite, target_group: web, min_size: 1, max_size: 2,\n"
        "         health_check_type: elb }\n"
        "  stubborn: { launch_template: stubborn, target_group: stubborn, min_size: 1,\n"
        "              max_size: 1, health_check_type: elb }\n";
    struct fleet_hooks hooks = { .register_target = ok_register,
                                 .deregister_target = ok_register, .lookup = ok_lookup };
    struct diag d;
    struct seen s = { .n = 0 };

    EXPECT_TRUE(mkdtemp(dir) != NULL);
    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("t.yaml", yaml, strlen(yaml), &d);
    struct fleet_conf *c = NULL;
    fleet_conf_build(doc->root, &(struct conf_ctx){ .d = &d, .target_groups = tgs }, &c);
    diag_print(&d, stderr);
    EXPECT_TRUE(c != NULL);
    struct fleet *f = fleet_new(dir, &hooks, err, sizeof(err));
    EXPECT_TRUE(f != NULL);
    EXPECT_EQ(fleet_apply(f, c, err, sizeof(err)), 0);
    EXPECT_EQ(fleet_start(f), 0);
    for (int i = 0; i < 40 && s.n < 2; i++) {
        sleep_ms(50);
        s.n = 0;
        fleet_visit_instances(f, NULL, collect, &s);
    }
    EXPECT_EQ(s.n, 2);
    sleep_ms(200);              /* let the shells set their traps and write their line */
    uint64_t t0 = clock_mono_ms();
    fleet_stop(f);
    uint64_t took = clock_mono_ms() - t0;
    EXPECT_TRUE(took >= 250);   /* the stubborn one waited for its stop_timeout */
    EXPECT_TRUE(took < 2500);   /* and the polite one did not hold anything up */
    for (unsigned i = 0; i < s.n; i++)
        EXPECT_TRUE(proc_is_gone(s.pids[i]));
    fleet_free(f);
    /* The polite instance's output is in its log. */
    snprintf(path, sizeof(path), "find %s/logs/web -name '*.log' | xargs cat", dir);
    FILE *p = popen(path, "r");
    EXPECT_TRUE(fgets(buf, sizeof(buf), p) != NULL);
    pclose(p);
    EXPECT_TRUE(strncmp(buf, "hello i-", 8) == 0);
    EXPECT_TRUE(strstr(buf, " 2") != NULL);             /* ${PORT} in 20000-29999 */
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    EXPECT_EQ(system(path), 0);
    conf_doc_free(doc);
    diag_fini(&d);
}

TEST(instance_dies_with_its_parent)
{
    int fds[2], pid = 0, status;
    struct template t = { .argc = 2 };
    char *argv[] = { "/bin/sleep", "30", NULL };

    t.argv = argv;
    EXPECT_EQ(pipe(fds), 0);
    pid_t tierd = fork();
    if (tierd == 0) {           /* a tierd-like parent: starts an instance, then waits */
        struct instance_spec spec = { .t = &t, .id = "i-test", .port = 1,
                                      .cgroup_procs_fd = -1 };
        struct instance *p;
        if (instance_spawn(&spec, &p) < 0)
            _exit(1);
        int child = instance_pid(p);
        if (write(fds[1], &child, sizeof(child)) != sizeof(child))
            _exit(1);
        pause();
        _exit(0);
    }
    EXPECT_EQ(read(fds[0], &pid, sizeof(pid)), sizeof(pid));
    EXPECT_TRUE(pid > 0);
    EXPECT_FALSE(proc_is_gone(pid));
    kill(tierd, SIGKILL);
    waitpid(tierd, &status, 0);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; i++) {
        gone = proc_is_gone(pid);
        if (!gone)
            sleep_ms(10);
    }
    EXPECT_TRUE(gone);
    close(fds[0]);
    close(fds[1]);
}

TEST(instance_reports_an_exec_failure_as_status_127)
{
    struct template t = { .argc = 1 };
    char *argv[] = { "/nonexistent/app", NULL };
    struct instance_spec spec = { .t = &t, .id = "i-x", .port = 1, .cgroup_procs_fd = -1 };
    struct instance *p;
    int status = 0;
    char buf[256];

    t.argv = argv;
    EXPECT_EQ(instance_spawn(&spec, &p), 0);
    for (int i = 0; i < 100 && !instance_reap(p, &status); i++)
        sleep_ms(10);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 127);
    long n = instance_output_read(p, buf, sizeof(buf) - 1);
    EXPECT_TRUE(n > 0);
    buf[n > 0 ? n : 0] = '\0';
    EXPECT_TRUE(strstr(buf, "cannot start /nonexistent/app") != NULL);
    instance_free(p);
}

/* The child says whether it joined its cgroup before it runs anything; with
 * cgroup_required a failed join keeps the program from ever running. (An fd open for
 * reading stands in for a cgroup.procs that refuses the write.) */
TEST(instance_reports_a_failed_cgroup_join_and_required_keeps_the_app_from_running)
{
    char dir[] = "/tmp/tierd-join-XXXXXX", script[192], marker[64], err[256] = "";
    struct template t = { .argc = 3 };
    char *argv[] = { "/bin/sh", "-c", script, NULL };
    struct instance *p = NULL;
    int joined = -1, status = 0;

    EXPECT_TRUE(mkdtemp(dir) != NULL);
    snprintf(marker, sizeof(marker), "%s/ran", dir);
    snprintf(script, sizeof(script), "touch %s", marker);
    t.argv = argv;
    int bad = open("/dev/null", O_RDONLY);
    struct instance_spec spec = { .t = &t, .id = "i-j", .port = 1, .cgroup_procs_fd = bad,
                                  .cgroup_required = true, .cgroup_errno = &joined,
                                  .err = err, .err_len = sizeof(err) };
    EXPECT_EQ(instance_spawn(&spec, &p), -EPERM);
    EXPECT_EQ(joined, EBADF);
    EXPECT_TRUE(strstr(err, "cannot join its cgroup") != NULL);
    sleep_ms(100);
    EXPECT_TRUE(access(marker, F_OK) != 0);     /* the program never ran */

    /* Not required: it runs, and the caller learns it is not in its cgroup. */
    spec.cgroup_required = false;
    joined = -1;
    EXPECT_EQ(instance_spawn(&spec, &p), 0);
    EXPECT_EQ(joined, EBADF);
    for (int i = 0; i < 200 && !instance_reap(p, &status); i++)
        sleep_ms(10);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_TRUE(access(marker, F_OK) == 0);
    instance_free(p);
    close(bad);
    snprintf(script, sizeof(script), "rm -rf %s", dir);
    EXPECT_EQ(system(script), 0);
}

static unsigned
zombies_of_me(void)
{
    char cmd[128], line[64];
    unsigned n = 0;

    snprintf(cmd, sizeof(cmd), "ps -o stat= --ppid %d", getpid());
    FILE *f = popen(cmd, "r");
    while (f && fgets(line, sizeof(line), f))
        n += line[0] == 'Z';
    if (f)
        pclose(f);
    return n;
}

struct leader {
    struct instance *p;
    unsigned asked;
};

static bool
tracked_leader(void *ctx, int pid)
{
    struct leader *l = ctx;
    int status;

    l->asked++;
    if (pid != instance_pid(l->p))
        return false;
    instance_reap(l->p, &status);
    return true;
}

/* As a subreaper a tierd-like process takes in what an instance's subshells leave (one in a
 * session of its own, one in the instance's process group); once they exit, both are
 * reaped. A child it forked itself the way watch/ spawns commands (same session and
 * process group) keeps its exit status for its own waitpid. Runs in a child process: this
 * one may hold zombies of earlier tests. */
TEST(instance_reaps_adopted_orphans_but_not_another_owner_s_child)
{
    struct { unsigned before, reaped, after, again; int own_status; bool leader_alive; } r;
    int fds[2], status;

    memset(&r, 0, sizeof(r));
    EXPECT_EQ(pipe(fds), 0);
    pid_t tierd = fork();
    if (tierd == 0) {
        struct template t = { .argc = 3 };
        char *argv[] = { "/bin/sh", "-c",
                         "(setsid sleep 0.1 &); (sleep 0.1 &); exec sleep 30", NULL };
        struct instance_spec spec = { .t = &t, .id = "i-o", .port = 1,
                                      .cgroup_procs_fd = -1 };
        struct leader l = { 0 };
        if (instance_become_subreaper() < 0)
            _exit(1);
        pid_t own = fork();
        if (own == 0)
            _exit(7);
        t.argv = argv;
        if (instance_spawn(&spec, &l.p) < 0)
            _exit(1);
        for (int i = 0; i < 100 && zombies_of_me() < 3; i++)
            sleep_ms(20);
        r.before = zombies_of_me();             /* own, and the two orphans */
        r.reaped = instance_reap_adopted(tracked_leader, &l);
        r.after = zombies_of_me();
        r.leader_alive = instance_is_running(l.p);
        if (waitpid(own, &r.own_status, 0) != own)
            r.own_status = -1;
        r.again = instance_reap_adopted(tracked_leader, &l);
        instance_free(l.p);
        _exit(write(fds[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
    }
    EXPECT_EQ(read(fds[0], &r, sizeof(r)), sizeof(r));
    EXPECT_EQ(waitpid(tierd, &status, 0), tierd);
    EXPECT_EQ(r.before, 3);
    EXPECT_EQ(r.reaped, 2);
    EXPECT_EQ(r.after, 1);                      /* only own's */
    EXPECT_TRUE(r.leader_alive);                /* the leader was left alone */
    EXPECT_TRUE(WIFEXITED(r.own_status) && WEXITSTATUS(r.own_status) == 7);
    EXPECT_EQ(r.again, 0);
    close(fds[0]);
    close(fds[1]);
}
