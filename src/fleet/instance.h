/*
 * fleet/instance.h: one app process and its process group. Spawns with fork+exec into a
 * new session (its own process group), with a parent-death signal so that it dies with
 * tierd, a minimal environment (PATH, LANG, LC_ALL, TZ, HOME, inherit_env, then the
 * template's env and env_file, PORT and INSTANCE_ID), its working directory and (when
 * tierd runs as root) the template's user; stdout and stderr go to one pipe that the
 * fleet loop drains into the instance's log. Stops by signalling the whole group. As the
 * subreaper's helper it also reaps the orphans instances leave to tierd.
 * Knows nothing of groups, health or scaling (asg.c decides those), nor of cgroups
 * (cgroup.c makes them; the child only writes itself into the one it is given).
 */
#ifndef FLEET_INSTANCE_H
#define FLEET_INSTANCE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/template.h"

struct instance;

struct instance_spec {
    const struct template *t;
    const char *id;             /* INSTANCE_ID */
    unsigned port;              /* PORT */
    int cgroup_procs_fd;        /* the instance cgroup's cgroup.procs, or -1 */
    bool cgroup_required;       /* not joining the cgroup fails the spawn */
    int *cgroup_errno;          /* out (may be NULL): 0 joined, else the errno of joining */
    char *err;                  /* out: why the environment could not be built */
    size_t err_len;
};

/* Starts the process. Returns 0 and a new instance in *out, or a negative errno (fork,
 * pipe, unknown user; -ENOKEY when a ${env:} reference or the env_file cannot be resolved,
 * with the reason in spec->err; -EPERM when cgroup_required and the child could not join
 * its cgroup, which it then leaves without exec; a failed exec shows as exit status 127
 * with the reason in the log). With a cgroup, returns once the child has tried to join
 * it (before its exec), so *cgroup_errno is known. */
int instance_spawn(const struct instance_spec *spec, struct instance **out);
int instance_pid(const struct instance *p);
/* A pidfd that becomes readable when the process exits, or -1 (kernels before 5.3). */
int instance_pidfd(const struct instance *p);
/* The read end of the stdout/stderr pipe (non-blocking), or -1 once it hit EOF. */
int instance_output_fd(const struct instance *p);
/* Reads what is available into buf: bytes read, 0 at EOF (the fd is closed then), or
 * -EAGAIN when nothing is ready. */
long instance_output_read(struct instance *p, char *buf, unsigned len);
/* Signals the whole process group. */
void instance_signal(struct instance *p, int signo);
/* Reaps what exited in the process group (the leader and any orphan the subreaper took
 * in). Returns true with *status when the leader has exited, then kills what is left of
 * the group. */
bool instance_reap(struct instance *p, int *status);
bool instance_is_running(const struct instance *p);
/* Kills the group if still running (SIGKILL, then reaps), closes fds and frees. */
void instance_free(struct instance *p);

/* True when 127.0.0.1:port can be bound now (a free port). */
bool instance_port_is_free(unsigned port);
/* True when 127.0.0.1:port accepts a TCP connection within timeout_ms. */
bool instance_port_accepts(unsigned port, unsigned timeout_ms);
/* Makes tierd the reaper of its descendants' orphans (PR_SET_CHILD_SUBREAPER). */
int instance_become_subreaper(void);
/* Says whether pid is an instance leader the caller tracks; when it is, the callback
 * reaps it itself (instance_reap) so that its status reaches its instance. */
typedef bool (*instance_tracked_fn)(void *ctx, int pid);
/* Reaps the exited processes tierd adopted as a subreaper: the orphans of instances (an
 * app's workers, a daemon that forked twice). A child that is neither tracked nor adopted
 * is left to whoever spawned it (a notification command of watch/): it is told apart by
 * its session and process group, which are tierd's own, while an instance and everything
 * it forks live in the instance's session. Stops at the first such child. Never blocks.
 * Returns how many it reaped. */
unsigned instance_reap_adopted(instance_tracked_fn tracked, void *ctx);

#endif
