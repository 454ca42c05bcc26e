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
