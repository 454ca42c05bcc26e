/*
 * data/proc.c: fork and exec for the data tier (data/proc.h). The child resets what tierd
 * set up for itself (signal mask, SIGPIPE ignored) and asks to be killed with its parent
 * thread, then execs; between fork and exec only async-signal-safe calls.
 */
#include "data/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum proc_tie { PROC_TIED = 0, PROC_OWN_GROUP, PROC_DETACHED };

static void __attribute__((noreturn))
proc_child(char *const argv[], int in_fd, int out_fd, int err_fd, int parent, enum proc_tie tie)
{
    sigset_t none;

    /* A server of its own process group does not get the terminal's ^C with tierd's:
     * tierd stops it, in order, after the apps that use it. A detached one has a session
     * of its own and outlives tierd: the next tierd adopts it. */
    if (tie == PROC_DETACHED) {
        setsid();
    } else {
        if (tie == PROC_OWN_GROUP)
            setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (in_fd >= 0)
        dup2(in_fd, 0);
    if (out_fd >= 0)
        dup2(out_fd, 1);
    if (err_fd >= 0)
        dup2(err_fd, 2);
    execvp(argv[0], argv);
    if (!strchr(argv[0], '/')) {        /* mariadbd lives in /usr/sbin, off users' PATH */
        char path[256] = "/usr/sbin/";
        strncat(path, argv[0], sizeof(path) - 11);
        execv(path, argv);
    }
    _exit(127);
}

static long long
proc_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
proc_run(char *const argv[], const char *in, char *out, size_t outlen, unsigned timeout_ms)
{
    int ip[2], op[2], status = 0, parent = getpid();
    size_t got = 0, inlen = in ? strlen(in) : 0, sent = 0;

    if (pipe2(ip, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(op, O_CLOEXEC) < 0) {
        int e = errno;
        close(ip[0]);
        close(ip[1]);
        return -e;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(ip[0]);
        close(ip[1]);
        close(op[0]);
        close(op[1]);
        return -e;
    }
    if (pid == 0)
        proc_child(argv, ip[0], op[1], op[1], parent, PROC_TIED);
    close(ip[0]);
    close(op[1]);
    fcntl(ip[1], F_SETFL, O_NONBLOCK);
    if (inlen == 0) {
        close(ip[1]);
        ip[1] = -1;
    }
    long long deadline = proc_now_ms() + timeout_ms;
    for (;;) {
        struct pollfd p[2] = { { .fd = op[0], .events = POLLIN },
                               { .fd = ip[1], .events = POLLOUT } };
        long long left = deadline - proc_now_ms();
        if (left <= 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            close(op[0]);
            if (ip[1] >= 0)
                close(ip[1]);
            if (out && outlen)
                out[got] = '\0';
            return -ETIMEDOUT;
        }
        if (poll(p, ip[1] >= 0 ? 2 : 1, (int)left) < 0 && errno != EINTR)
            break;
        if (ip[1] >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(ip[1], in + sent, inlen - sent);
            if (w > 0)
                sent += (size_t)w;
            if (w < 0 && errno != EAGAIN) {
                close(ip[1]);
                ip[1] = -1;
            } else if (sent == inlen) {
                close(ip[1]);
                ip[1] = -1;
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[4096];
            ssize_t r = read(op[0], buf, sizeof(buf));
            if (r <= 0)
                break;
            if (out && outlen > 1 && got < outlen - 1) {
                size_t n = (size_t)r < outlen - 1 - got ? (size_t)r : outlen - 1 - got;
                memcpy(out + got, buf, n);
                got += n;
            }
        }
    }
    close(op[0]);
    if (ip[1] >= 0)
        close(ip[1]);
    if (out && outlen)
        out[got] = '\0';
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return status;
}

pid_t
proc_spawn(char *const argv[], const char *log_path, bool detached)
{
    int parent = getpid();
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

    if (fd < 0 || devnull < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (devnull >= 0)
            close(devnull);
        return -e;
    }
    pid_t pid = fork();
    if (pid == 0)
        proc_child(argv, devnull, fd, fd, parent, detached ? PROC_DETACHED : PROC_OWN_GROUP);
    int e = errno;
    close(fd);
    close(devnull);
    return pid < 0 ? -e : pid;
}

const char *
proc_status_text(int status, char *buf, size_t len)
{
    if (status < 0)
        snprintf(buf, len, "status unknown");
    else if (WIFEXITED(status))
        snprintf(buf, len, "exit %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "signal %d", WTERMSIG(status));
    else
        snprintf(buf, len, "status %d", status);
    return buf;
}

/* Appends what fd has to out (bounded); false at end of file. */
static bool
proc_drain(int fd, char *out, size_t outlen, size_t *got)
{
    char buf[8192];
    ssize_t r = read(fd, buf, sizeof(buf));

    if (r <= 0)
        return r < 0 && errno == EINTR;
    /* Keeps the tail: the last lines say how a program ended (and where mariadb-backup's
     * binlog position is). */
    if (out && outlen > 1) {
        size_t n = (size_t)r, cap = outlen - 1;
        const char *src = buf;
        if (n > cap) {
            src += n - cap;
            n = cap;
        }
        if (*got + n > cap) {
            size_t drop = *got + n - cap;
            memmove(out, out + drop, *got - drop);
            *got -= drop;
        }
        memcpy(out + *got, src, n);
        *got += n;
        out[*got] = '\0';
    }
    return true;
}

int
proc_pipe(char *const prod[], char *const cons[], int in_fd, char *prod_err, size_t pel,
          char *cons_out, size_t col, unsigned timeout_ms, int *prod_status, int *cons_status)
{
    int mid[2], pe[2], co[2], parent = getpid();
    size_t pgot = 0, cgot = 0;

    if (prod_err && pel)
        prod_err[0] = '\0';
    if (cons_out && col)
        cons_out[0] = '\0';
    if (pipe2(mid, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(pe, O_CLOEXEC) < 0 || pipe2(co, O_CLOEXEC) < 0) {
        int e = errno;
        close(mid[0]);
        close(mid[1]);
        return -e;
    }
    int devnull = in_fd >= 0 ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t p1 = fork();
    if (p1 == 0)
        proc_child(prod, in_fd >= 0 ? in_fd : devnull, mid[1], pe[1], parent, PROC_TIED);
    pid_t p2 = p1 < 0 ? -1 : fork();
    if (p2 == 0)
        proc_child(cons, mid[0], co[1], co[1], parent, PROC_TIED);
    int e = errno;
    close(mid[0]);
    close(mid[1]);
    close(pe[1]);
    close(co[1]);
    if (devnull >= 0)
        close(devnull);
    if (p1 < 0 || p2 < 0) {
        if (p1 > 0) {
            kill(p1, SIGKILL);
            waitpid(p1, NULL, 0);
        }
        close(pe[0]);
        close(co[0]);
        return -e;
    }
    long long deadline = proc_now_ms() + timeout_ms;
    bool pe_open = true, co_open = true, timed_out = false;
    while (pe_open || co_open) {
        struct pollfd p[2] = { { .fd = pe_open ? pe[0] : -1, .events = POLLIN },
                               { .fd = co_open ? co[0] : -1, .events = POLLIN } };
        long long left = deadline - proc_now_ms();
        if (left <= 0) {
            timed_out = true;
            kill(p1, SIGKILL);
            kill(p2, SIGKILL);
            break;
        }
        if (poll(p, 2, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR)
            break;
        if (pe_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            pe_open = proc_drain(pe[0], prod_err, pel, &pgot);
        if (co_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
            co_open = proc_drain(co[0], cons_out, col, &cgot);
    }
    close(pe[0]);
    close(co[0]);
    while (waitpid(p1, prod_status, 0) < 0 && errno == EINTR)
        ;
    while (waitpid(p2, cons_status, 0) < 0 && errno == EINTR)
        ;
    return timed_out ? -ETIMEDOUT : 0;
}

bool
proc_runs_with(pid_t pid, const char *arg)
{
    char path[64], buf[8192], state = '?';

    if (pid <= 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')');
    if (rp && rp[1] == ' ')
        state = rp[2];
    if (state == 'Z' || state == 'X' || state == '?')
        return false;                   /* gone, or a zombie its parent has not reaped */
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    if (!(f = fopen(path, "r")))
        return false;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (size_t o = 0; o < n; o += strlen(buf + o) + 1)
        if (strcmp(buf + o, arg) == 0)
            return true;
    return false;
}
