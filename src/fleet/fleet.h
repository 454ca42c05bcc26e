/*
 * fleet/fleet.h: the fleet facade for daemon/ and ctl/. The fleet runs the app instances
 * of every auto scaling group on its own thread and event loop: it launches them from
 * launch templates, registers them in their target group through hooks, replaces the
 * unhealthy, scales by target tracking and rolls out new template versions.
 *
 * The fleet never calls the edge: the daemon passes hooks that it wires to
 * edge_target_register(), edge_target_deregister() and edge_target_lookup().
 * Every function here is thread-safe unless it says otherwise.
 */
#ifndef FLEET_FLEET_H
#define FLEET_FLEET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sock.h"
#include "fleet/fleet_conf.h"

/* What the fleet needs to know about one of its targets. */
struct fleet_target_status {
    const char *state;          /* "initial", "healthy", "unhealthy", "draining", "unused" */
    uint64_t requests;          /* requests forwarded to it so far */
};

/* Called on the fleet thread. Each returns 0 or a negative errno; lookup returns -ENOENT
 * when the target is not (or no longer) in the group. */
struct fleet_hooks {
    void *ctx;
    int (*register_target)(void *ctx, const char *group, const struct sock_addr *a);
    int (*deregister_target)(void *ctx, const char *group, const struct sock_addr *a);
    int (*lookup)(void *ctx, const char *group, const struct sock_addr *a,
                  struct fleet_target_status *out);
};

struct fleet;

/* Returns a new fleet keeping its state in state_dir (fleet.db, logs/<group>/); NULL
 * state_dir keeps versions in memory and logs nowhere. Hooks are copied. Returns NULL
 * with a message in errbuf when the state db cannot be opened. */
struct fleet *fleet_new(const char *state_dir, const struct fleet_hooks *hooks, char *errbuf,
                        size_t errlen);
/* Applies a configuration (first start or reload). Takes ownership of conf on success.
 * Resolves template versions against the state db (a changed template becomes version
 * N+1), keeps running instances, adds and removes groups, and starts an instance refresh
 * for each group that follows the latest version of a template that changed. Returns 0,
 * or a negative errno with the reason in errbuf (the running configuration stays). */
int fleet_apply(struct fleet *f, struct fleet_conf *conf, char *errbuf, size_t errlen);
/* Starts the fleet thread; instances launch on its first tick. 0 or a negative errno. */
int fleet_start(struct fleet *f);
/* Stops every instance at once (stop_signal, SIGKILL after stop_timeout), waits for them
 * and joins the thread. */
void fleet_stop(struct fleet *f);
void fleet_free(struct fleet *f);

/* A group as the operator sees it (a copy). */
struct fleet_group_info {
    const char *name;           /* valid during the callback */
    const char *target_group;
    const char *launch_template;
    unsigned version;           /* the version new instances launch with */
    bool follows_latest;
    unsigned min, max, desired;
    unsigned pending, in_service, terminating;
    const char *refresh_status; /* "" when no refresh ever ran */
};
struct fleet_instance_info {
    const char *id;             /* valid during the callback */
    const char *group;
    const char *state;          /* "Pending", "InService", "Terminating", "Terminated" */
    const char *health;         /* "Healthy", "Unhealthy" */
    unsigned version;
    unsigned port;
    int pid;                    /* 0 once the process is gone */
    double cpu_pct;             /* last sample; NAN when none yet */
    uint64_t uptime_ms;
    bool warming;               /* in service but still warming up */
    const char *limits;         /* instance_type: "enforced", "none", "not enforced: why" */
};
typedef void (*fleet_group_fn)(void *ctx, const struct fleet_group_info *g);
typedef void (*fleet_instance_fn)(void *ctx, const struct fleet_instance_info *i);
/* Visit every group, or every instance (of one group when group is not NULL). Returns
 * the number visited, or -ENOENT for an unknown group. fn runs under the fleet's lock:
 * it must not call back into the fleet. */
int fleet_visit_groups(struct fleet *f, fleet_group_fn fn, void *ctx);
int fleet_visit_instances(struct fleet *f, const char *group, fleet_instance_fn fn, void *ctx);

/* Instance refresh (rolling deploy) of one group. */
struct fleet_refresh_info {
    uint64_t id;                /* the deploy's id in the state db */
    const char *status;         /* Pending, InProgress, Successful, Failed, Cancelled,
                                   RollbackInProgress, RollbackSuccessful, RollbackFailed */
    unsigned from_version, to_version;
    unsigned percent_complete;  /* replaced and warmed up, of desired */
    unsigned instances_to_update;
    uint64_t started_wall_ms, ended_wall_ms;    /* 0 while running */
    char reason[160];
};
/* Starts a refresh to the group's configured version, replacing every instance. Returns 0
 * once the deploy is recorded in the state db; -ENOENT unknown group; -EBUSY a refresh is
 * in progress. */
int fleet_refresh_start(struct fleet *f, const char *group, struct fleet_refresh_info *out);
/* Stops a refresh where it is. -ENOENT unknown group or no refresh in progress. */
/* -ENOENT: no such group; -ENODATA: no refresh running (cancel) or ever run (status). */
int fleet_refresh_cancel(struct fleet *f, const char *group);
/* The last refresh of a group. -ENOENT unknown group or none ever ran. */
int fleet_refresh_status(struct fleet *f, const char *group, struct fleet_refresh_info *out);

/* SetDesiredCapacity on the fleet thread. Returns 0 (also when it is already `desired`);
 * -ENOENT unknown group; -ERANGE outside [min, max]. *old_desired, *min, *max (any may be
 * NULL) get the group's values before the change, for messages. */
int fleet_set_desired(struct fleet *f, const char *group, unsigned desired, const char *who,
                      unsigned *old_desired, unsigned *min, unsigned *max);

#endif
