/*
 * fleet/instance.c: spawning, signalling and reaping one app process group (see
 * instance.h). Owns the child's pidfd and output pipe; the caller owns the log file and
 * the loop watches.
 */
#include "fleet/instance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "conf/ref.h"
#include "core/mem.h"
#include "fleet/envfile.h"


struct instance {
    int pid;                    /* also the process group id (setsid) */
    int pidfd;
    int out_fd;
    bool running;
};

static int
instance_pidfd_open(int pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

/* What an instance gets from tierd's own environment without asking: enough to find
 * programs and format text, nothing that could hold a secret (the control token, a
 * database password referred to by another template). More only through inherit_env. */
static const char *const instance_base_env[] = { "PATH", "LANG", "LC_ALL", "TZ", "HOME", NULL };
#define INSTANCE_DEFAULT_PATH "PATH=/usr/local/bin:/usr/bin:/bin"

struct instance_env {
    char **v;
    unsigned n, cap;
};

/* Sets "KEY=value" (taken), replacing an earlier value of KEY. */
static void
instance_env_put(struct instance_env *e, char *kv)
{
    size_t klen = strcspn(kv, "=");

    for (unsigned i = 0; i < e->n; i++)
        if (strncmp(e->v[i], kv, klen + 1) == 0) {
            memset(e->v[i], 0, strlen(e->v[i]));
            free(e->v[i]);
            e->v[i] = kv;
            return;
        }
    if (e->n + 2 > e->cap) {
        e->cap = e->cap ? e->cap * 2 : 32;
        e->v = mem_realloc_or_exit(e->v, e->cap * sizeof(char *));
    }
    e->v[e->n++] = kv;
    e->v[e->n] = NULL;
}

static void
instance_env_inherit(struct instance_env *e, const char *name)
{
    const char *v = getenv(name);

    if (!v)
        return;
    size_t len = strlen(name) + strlen(v) + 2;
    char *kv = mem_alloc_or_exit(len);
    snprintf(kv, len, "%s=%s", name, v);
    instance_env_put(e, kv);
}

/* Builds envp: a minimal base (PATH, LANG, LC_ALL, TZ, HOME: the user's home when the
 * instance runs as another user), inherit_env, env_file (read now, so a rotated secret
 * reaches the next instance), the template's env with ${env:NAME} expanded, then PORT and
 * INSTANCE_ID. As with systemd, env_file overrides env. Runs before fork (allocation is
 * not safe after). Returns NULL with a reason naming the variable or file (never a
 * value) in err. */
static char **
instance_envp(const struct instance_spec *s, const struct passwd *pw, char *err, size_t errlen)
{
    struct instance_env e = { 0 };
    char missing[160];

    for (const char *const *k = instance_base_env; *k; k++)
        instance_env_inherit(&e, *k);
    if (!getenv("PATH"))
        instance_env_put(&e, mem_strdup_or_exit(INSTANCE_DEFAULT_PATH));
    if (pw && pw->pw_dir) {
        size_t len = strlen(pw->pw_dir) + 6;
        char *kv = mem_alloc_or_exit(len);
        snprintf(kv, len, "HOME=%s", pw->pw_dir);
        instance_env_put(&e, kv);
    }
    for (unsigned i = 0; i < s->t->ninherit; i++)
        instance_env_inherit(&e, s->t->inherit[i]);
    for (unsigned i = 0; i < s->t->nenv; i++) {
        char *kv = template_expand(s->t->env[i], s->port, s->id);
        char *full = conf_ref_expand(kv, missing, sizeof(missing));
        memset(kv, 0, strlen(kv));
        free(kv);
        if (!full) {
            snprintf(err, errlen, "env.%.*s: environment variable %s is not set in tierd's "
                     "environment", (int)strcspn(s->t->env[i], "="), s->t->env[i],
                     errno == ENOENT ? missing : "(malformed reference)");
            goto fail;
        }
        instance_env_put(&e, full);
    }
    if (s->t->env_file) {
        struct envfile ef;
        if (envfile_load(s->t->env_file, &ef, err, errlen) < 0)
            goto fail;
        for (unsigned i = 0; i < ef.n; i++) {
            instance_env_put(&e, ef.vars[i]);
            ef.vars[i] = NULL;
        }
        ef.n = 0;
        envfile_fini(&ef);
    }
    size_t len = strlen(s->id) + 16;
    char *kv = mem_alloc_or_exit(16);
    snprintf(kv, 16, "PORT=%u", s->port);
    instance_env_put(&e, kv);
    kv = mem_alloc_or_exit(len);
    snprintf(kv, len, "INSTANCE_ID=%s", s->id);
    instance_env_put(&e, kv);
    return e.v;
fail:
    for (unsigned i = 0; i < e.n; i++) {
        memset(e.v[i], 0, strlen(e.v[i]));
        free(e.v[i]);
    }
    free(e.v);
    return NULL;
}

static void
instance_strv_free(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

/* In the child, after fork: only async-signal-safe calls until exec. */
static void __attribute__((noreturn))
instance_child(const struct instance_spec *s, int out_w, int report_w, char **argv,
               char **envp, const struct passwd *pw, int parent)
{
    sigset_t none;
    const char *why = "exec";

    setsid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)            /* tierd died before prctl */
        _exit(1);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);     /* tierd's threads block everything */
    signal(SIGPIPE, SIG_DFL);
    /* Join before anything can fork, so that every descendant is in the cgroup; tell the
     * parent how it went (it waits for this one int). */
    if (s->cgroup_procs_fd >= 0) {
        int e = write(s->cgroup_procs_fd, "0", 1) < 0 ? errno : 0;
        if (write(report_w, &e, sizeof(e)) != (ssize_t)sizeof(e) || (e && s->cgroup_required))
            _exit(1);
    }
    dup2(out_w, 1);
    dup2(out_w, 2);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    if (s->t->working_dir && chdir(s->t->working_dir) < 0) {
        why = "chdir to working_dir";
        goto fail;
    }
    if (pw) {
        if (setgroups(0, NULL) < 0 && errno != EPERM)
            goto fail_id;
        if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
            setuid(pw->pw_uid) < 0)
            goto fail_id;
    }
    /* tierd.service hands tierd its capabilities as ambient ones, which execve() would
     * pass on: the app gets none of them (no file capabilities, not root: nothing left). */
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    execvpe(argv[0], argv, envp);
    goto fail;
fail_id:
    why = "dropping privileges";
fail: {
        int e = errno;
        /* One line on stdout (the instance log); dprintf is not async-signal-safe in
         * theory but glibc's is fine for a fixed format on a fresh process. */
        dprintf(1, "tierd: cannot start %s: %s: %s\n", argv[0], why, strerror(e));
        _exit(127);
    }
}

int
instance_spawn(const struct instance_spec *s, struct instance **out)
{
    struct passwd pwbuf, *pw = NULL;
    char pwmem[4096];
    int pipefd[2], rc;

    if (s->t->user && geteuid() == 0) {
        if (getpwnam_r(s->t->user, &pwbuf, pwmem, sizeof(pwmem), &pw) != 0 || !pw)
            return -ESRCH;
    }
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    char **envp = instance_envp(s, pw, s->err, s->err_len);
    if (!envp) {
        close(pipefd[0]);
        close(pipefd[1]);
        return -ENOKEY;
    }
    char **argv = mem_alloc_or_exit((s->t->argc + 1) * sizeof(char *));
    for (unsigned i = 0; i < s->t->argc; i++) {
        char *a = template_expand(s->t->argv[i], s->port, s->id), missing[160] = "?";
        /* ${db:NAME.FIELD} (the only references a command may hold, conf says). */
        argv[i] = conf_ref_has(a) ? conf_ref_expand(a, missing, sizeof(missing)) : a;
        if (argv[i] != a)
            free(a);
        if (!argv[i]) {
            snprintf(s->err, s->err_len, "command[%u]: %s has no value (is the database "
                     "declared and its user listed?)", i, missing);
            instance_strv_free(argv);
            instance_strv_free(envp);
            close(pipefd[0]);
            close(pipefd[1]);
            return -ENOKEY;
        }
    }
    int report[2] = { -1, -1 }, joined = -1;
    if (s->cgroup_procs_fd >= 0 && pipe2(report, O_CLOEXEC) < 0) {
        rc = -errno;
        instance_strv_free(argv);
        instance_strv_free(envp);
        close(pipefd[0]);
        close(pipefd[1]);
        return rc;
    }
    int parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        instance_child(s, pipefd[1], report[1], argv, envp, pw, parent);
    rc = pid < 0 ? -errno : 0;
    instance_strv_free(argv);
    instance_strv_free(envp);
    close(pipefd[1]);
    if (report[1] >= 0)
        close(report[1]);
    if (rc == 0 && report[0] >= 0) {
        ssize_t n;
        while ((n = read(report[0], &joined, sizeof(joined))) < 0 && errno == EINTR)
            ;
        if (n != (ssize_t)sizeof(joined))
            joined = ECHILD;            /* it died before it could say */
        if (s->cgroup_errno)
            *s->cgroup_errno = joined;
        if (joined && s->cgroup_required) {
            int status;
            kill(pid, SIGKILL);         /* it exits by itself; this only makes sure */
            waitpid(pid, &status, 0);
            if (s->err)
                snprintf(s->err, s->err_len, "cannot join its cgroup: %s", strerror(joined));
            rc = -EPERM;
        }
    }
    if (report[0] >= 0)
        close(report[0]);
    if (rc < 0) {
        close(pipefd[0]);
        return rc;
    }
    fcntl(pipefd[0], F_SETFL, fcntl(pipefd[0], F_GETFL) | O_NONBLOCK);
    struct instance *p = mem_alloc_or_exit(sizeof(*p));
    p->pid = pid;
    p->pidfd = instance_pidfd_open(pid);
    p->out_fd = pipefd[0];
    p->running = true;
    if (p->pidfd >= 0)
        fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
    *out = p;
    return 0;
}

int instance_pid(const struct instance *p) { return p->pid; }
int instance_pidfd(const struct instance *p) { return p->pidfd; }
int instance_output_fd(const struct instance *p) { return p->out_fd; }
bool instance_is_running(const struct instance *p) { return p->running; }

long
instance_output_read(struct instance *p, char *buf, unsigned len)
{
    if (p->out_fd < 0)
        return 0;
    for (;;) {
        ssize_t r = read(p->out_fd, buf, len);
        if (r > 0)
            return r;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            return -EAGAIN;
        close(p->out_fd);       /* EOF, or an error we cannot do anything about */
        p->out_fd = -1;
        return 0;
    }
}

void
instance_signal(struct instance *p, int signo)
{
    kill(-p->pid, signo);
}

bool
instance_reap(struct instance *p, int *status)
{
    bool leader = false;

    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        if (waitid(P_PGID, (id_t)p->pid, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
            break;
        if (si.si_pid == p->pid && p->running) {
            leader = true;
            p->running = false;
            *status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0)
                                               : W_EXITCODE(0, si.si_status);
        }
    }
    if (leader)
        kill(-p->pid, SIGKILL);     /* no orphan outlives its instance */
    return leader;
}

void
instance_free(struct instance *p)
{
    int status;

    if (!p)
        return;
    if (p->running) {
        kill(-p->pid, SIGKILL);
        waitpid(p->pid, &status, 0);
        p->running = false;
    }
    instance_reap(p, &status);
    if (p->pidfd >= 0)
        close(p->pidfd);
    if (p->out_fd >= 0)
        close(p->out_fd);
    free(p);
}

bool
instance_port_is_free(unsigned port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok;

    if (fd < 0)
        return false;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

bool
instance_port_accepts(unsigned port, unsigned timeout_ms)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), err = 0;
    socklen_t len = sizeof(err);
    bool ok = false;

    if (fd < 0)
        return false;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
        ok = true;
    } else if (errno == EINPROGRESS) {
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        if (poll(&pfd, 1, (int)timeout_ms) == 1 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
            ok = true;
    }
    close(fd);
    return ok;
}

int
instance_become_subreaper(void)
{
    return prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 ? -errno : 0;
}

/* Reads the state, parent, process group and session of pid from /proc/<pid>/stat. */
static bool
instance_stat(int pid, char *state, int *ppid, int *pgrp, int *sid)
{
    char path[64], buf[1024];
    int fd;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return false;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    /* "pid (comm) S ppid pgrp session ...": comm may hold spaces and parentheses. */
    const char *p = strrchr(buf, ')');
    return p && sscanf(p + 1, " %c %d %d %d", state, ppid, pgrp, sid) == 4;
}

/* An orphan tierd took in: its session or process group is not tierd's (see header). */
static bool
instance_is_adopted(int pid)
{
    char state;
    int ppid, pgrp, sid;

    return instance_stat(pid, &state, &ppid, &pgrp, &sid) &&
           (sid != getsid(0) || pgrp != getpgrp());
}

/* The slow way, when a child of someone else waits first in line: every zombie child of
 * tierd in /proc, reaped one by one if adopted. */
static unsigned
instance_reap_adopted_scan(instance_tracked_fn tracked, void *ctx)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    unsigned n = 0;
    int me = getpid();

    if (!d)
        return 0;
    while ((e = readdir(d))) {
        char state, *end;
        int ppid, pgrp, sid, status;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0 || !instance_stat((int)pid, &state, &ppid, &pgrp, &sid) ||
            ppid != me || state != 'Z' || tracked(ctx, (int)pid))
            continue;
        if ((sid != getsid(0) || pgrp != getpgrp()) &&
            waitpid((pid_t)pid, &status, WNOHANG) == (pid_t)pid)
            n++;
    }
    closedir(d);
    return n;
}

unsigned
instance_reap_adopted(instance_tracked_fn tracked, void *ctx)
{
    unsigned n = 0;

    /* WNOWAIT looks without reaping, so a status that belongs elsewhere stays there. */
    for (unsigned guard = 0; guard < 4096; guard++) {
        siginfo_t si;
        int status;
        memset(&si, 0, sizeof(si));
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
            return n;
        if (tracked(ctx, si.si_pid))
            continue;
        if (!instance_is_adopted(si.si_pid))
            return n + instance_reap_adopted_scan(tracked, ctx);
        if (waitpid(si.si_pid, &status, WNOHANG) == si.si_pid)
            n++;
    }
    return n;
}
