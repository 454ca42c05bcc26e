/*
 * fleet/instance.h: one app process and its process group. Spawns with fork+exec into a
 * new session (its own process group), with a parent-death signal so that it dies with
 * tierd, the template's environment plus PORT and INSTANCE_ID, its working directory and
 * (when tierd runs as root) the template's user; stdout and stderr go to one pipe that
 * the fleet loop drains into the instance's log. Stops by signalling the whole group.
 * Knows nothing of groups, health or scaling (asg.c decides those).
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
    char *err;                  /* out: why the environment could not be built */
    size_t err_len;
};

/* Starts the process. Returns 0 and a new instance in *out, or a negative errno (fork,
 * pipe, unknown user; -ENOKEY when a ${env:} reference or the env_file cannot be resolved,
 * with the reason in spec->err; a failed exec shows as exit status 127 with the reason in
 * the log). */
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

#endif
