/*
 * fleet/fleet_int.h: the fleet's state, shared by the files of the facade: fleet.c (the
 * thread, its tick, cross-thread calls, apply and lifecycle), fleet_runtime.c (the process
 * runtime behind the group controllers) and fleet_views.c (views and refresh commands).
 * Nothing outside fleet/ includes it. Everything here is guarded by fleet.mu.
 */
#ifndef FLEET_FLEET_INT_H
#define FLEET_FLEET_INT_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/loop.h"
#include "fleet/asg.h"
#include "fleet/cgroup.h"
#include "fleet/fleet.h"
#include "fleet/fleet_db.h"
#include "fleet/instance.h"
#include "fleet/instlog.h"
#include "fleet/template.h"

/* The runtime side of one instance. */
struct fleet_proc {
    struct fleet *f;
    struct asg *g;
    struct asg_inst *inst;
    struct instance *p;
    struct instlog *log;
    struct loop_io pid_io, out_io;
    bool pid_watched, out_watched;
    struct loop_timer kill_timer;
    int stop_signal;
    uint64_t stop_timeout_ms;
    unsigned cpu_milli;
    uint64_t cpu_usec, cpu_ms;
    bool cpu_seen;
    bool cg_dir;                /* its cgroup exists: cgroup.kill ends it, then rmdir */
    char limits[CGROUP_WHY_MAX + 16];  /* "enforced", "none" or "not enforced: why" */
};

/* The last "limits not enforced" reason logged for a group: an event once per group and
 * reason, not one per instance. */
struct fleet_limits_note {
    char group[64];
    char why[CGROUP_WHY_MAX];
};

struct fleet_tmpl {
    unsigned version;
    struct template t;
};

struct fleet {
    pthread_mutex_t mu;
    char *state_dir;
    struct cgroup_tree cg;      /* instance cgroups, when cgroup v2 is delegated */
    struct fleet_limits_note *notes;
    unsigned nnotes;
    struct fleet_hooks hooks;
    struct asg_ops ops;
    struct fleet_db *db;
    struct fleet_conf *conf;
    struct fleet_conf **old_confs;     /* kept while retired groups still use them */
    unsigned nold_confs;
    struct asg **groups;
    unsigned ngroups;
    struct asg **retired;              /* removed by a reload, stopping */
    unsigned nretired;
    struct fleet_tmpl *tmpls;
    unsigned ntmpls;
    unsigned port_next;
    uint32_t id_base;
    uint64_t id_next;

    struct loop *loop;
    pthread_t thread;
    bool started, stopping;
    uint64_t stop_deadline_ms;
    struct loop_timer tick;

    pthread_mutex_t call_serial;       /* one cross-thread call at a time */
    pthread_mutex_t call_mu;
    pthread_cond_t call_cv;
    void (*call_fn)(struct fleet *f, void *arg);
    void *call_arg;
    bool call_done;
};

static inline uint64_t
fleet_now(const struct fleet *f)
{
    return f->loop ? loop_now_ms(f->loop) : clock_mono_ms();
}

/* A monotonic time as wall-clock milliseconds; 0 stays 0. */
static inline uint64_t
fleet_wall_of(uint64_t mono_ms)
{
    return mono_ms ? clock_wall_ms() - (clock_mono_ms() - mono_ms) : 0;
}

/* ---- fleet_runtime.c ---- */

/* Fills the process half of ops (launch, stop, port_open, release). */
void fleet_runtime_ops(struct asg_ops *ops);
/* Reaps what exited among the instances of groups[0..n). */
void fleet_reap_all(struct asg **groups, unsigned n);
/* instance_tracked_fn: an instance leader of any group, reaped through its instance. */
bool fleet_reap_tracked(void *ctx, int pid);
/* Samples the CPU use of every running instance. */
void fleet_sample_cpu(struct fleet *f, uint64_t now_ms);

/* ---- fleet.c ---- */

/* Runs fn(f, arg) under the fleet lock on the fleet thread (or here, before start). */
void fleet_call(struct fleet *f, void (*fn)(struct fleet *f, void *arg), void *arg);
struct asg *fleet_group_find(struct fleet *f, const char *name);

#endif
