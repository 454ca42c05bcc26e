/*
 * fleet/fleet_views.c: what the facade shows (groups, instances, refresh status) and the
 * commands (refresh, desired capacity), which run on the fleet thread through fleet_call().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fleet/fleet_int.h"

int
fleet_visit_groups(struct fleet *f, fleet_group_fn fn, void *ctx)
{
    int n = 0;

    pthread_mutex_lock(&f->mu);
    for (unsigned i = 0; i < f->ngroups; i++, n++) {
        struct asg *g = f->groups[i];
        const struct fleet_group_conf *gc = asg_conf(g);
        struct fleet_group_info gi = {
            .name = asg_name(g), .target_group = gc->target_group,
            .launch_template = gc->template_name, .version = asg_launch_version(g),
            .follows_latest = gc->template_version == 0, .min = gc->min, .max = gc->max,
            .desired = asg_desired(g),
            .refresh_status = asg_refresh_status_name(asg_refresh_get(g)->status),
        };
        for (unsigned j = 0; j < asg_count(g); j++) {
            enum asg_state s = asg_inst_at(g, j)->state;
            gi.pending += s == ASG_PENDING;
            gi.in_service += s == ASG_IN_SERVICE;
            gi.terminating += s == ASG_TERMINATING;
        }
        fn(ctx, &gi);
    }
    pthread_mutex_unlock(&f->mu);
    return n;
}

int
fleet_visit_instances(struct fleet *f, const char *group, fleet_instance_fn fn, void *ctx)
{
    uint64_t now = clock_mono_ms();
    int n = 0;
    bool found = !group;

    pthread_mutex_lock(&f->mu);
    for (unsigned i = 0; i < f->ngroups; i++) {
        struct asg *g = f->groups[i];
        if (group && strcmp(group, asg_name(g)) != 0)
            continue;
        found = true;
        for (unsigned j = 0; j < asg_count(g); j++, n++) {
            const struct asg_inst *inst = asg_inst_at(g, j);
            uint64_t end = inst->state == ASG_TERMINATED ? inst->ended_ms : now;
            struct fleet_instance_info ii = {
                .id = inst->id, .group = asg_name(g), .state = asg_state_name(inst->state),
                .health = asg_health_name(inst->health), .version = inst->version,
                .port = inst->port, .pid = inst->pid, .cpu_pct = inst->cpu_pct,
                .uptime_ms = end > inst->launched_ms ? end - inst->launched_ms : 0,
                .warming = asg_inst_is_warming(g, inst, now),
                .limits = inst->proc ? ((struct fleet_proc *)inst->proc)->limits : "",
            };
            fn(ctx, &ii);
        }
    }
    pthread_mutex_unlock(&f->mu);
    return found ? n : -ENOENT;
}

static void
fleet_refresh_info(struct asg *g, struct fleet_refresh_info *out)
{
    const struct asg_refresh *r = asg_refresh_get(g);

    memset(out, 0, sizeof(*out));
    out->id = r->id;
    out->status = asg_refresh_status_name(r->status);
    out->from_version = r->from_version;
    out->to_version = r->to_version;
    out->percent_complete = r->percent;
    out->instances_to_update = r->to_update;
    out->started_wall_ms = fleet_wall_of(r->started_ms);
    out->ended_wall_ms = fleet_wall_of(r->ended_ms);
    snprintf(out->reason, sizeof(out->reason), "%s", r->reason);
}

struct fleet_refresh_call {
    const char *group;
    bool cancel;
    struct fleet_refresh_info *out;
    int rc;
};

static void
fleet_do_refresh(struct fleet *f, void *arg)
{
    struct fleet_refresh_call *a = arg;
    struct asg *g = fleet_group_find(f, a->group);
    uint64_t now = fleet_now(f);

    if (!g) {
        a->rc = -ENOENT;
        return;
    }
    if (a->cancel) {
        a->rc = asg_refresh_cancel(g, now);
        return;
    }
    const struct fleet_group_conf *gc = asg_conf(g);
    unsigned to = gc->template_version;
    if (!to)
        to = fleet_db_template_latest(f->db, gc->template_name);
    a->rc = asg_refresh_start(g, to, false, now);
    if (a->rc == 0 && a->out)
        fleet_refresh_info(g, a->out);
}

int
fleet_refresh_start(struct fleet *f, const char *group, struct fleet_refresh_info *out)
{
    struct fleet_refresh_call a = { .group = group, .out = out };

    fleet_call(f, fleet_do_refresh, &a);
    return a.rc;
}

int
fleet_refresh_cancel(struct fleet *f, const char *group)
{
    struct fleet_refresh_call a = { .group = group, .cancel = true };

    fleet_call(f, fleet_do_refresh, &a);
    return a.rc;
}

int
fleet_refresh_status(struct fleet *f, const char *group, struct fleet_refresh_info *out)
{
    int rc = -ENOENT;

    pthread_mutex_lock(&f->mu);
    struct asg *g = fleet_group_find(f, group);
    if (g && asg_refresh_get(g)->status == ASG_REFRESH_NONE)
        rc = -ENODATA;          /* the group exists; no refresh ever ran */
    else if (g) {
        fleet_refresh_info(g, out);
        rc = 0;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

struct fleet_desired_call {
    const char *group, *who;
    unsigned desired, old, min, max;
    int rc;
};

static void
fleet_do_set_desired(struct fleet *f, void *arg)
{
    struct fleet_desired_call *a = arg;
    struct asg *g = fleet_group_find(f, a->group);

    if (!g) {
        a->rc = -ENOENT;
        return;
    }
    a->old = asg_desired(g);
    a->min = asg_conf(g)->min;
    a->max = asg_conf(g)->max;
    a->rc = asg_set_desired(g, a->desired, a->who);
}

int
fleet_set_desired(struct fleet *f, const char *group, unsigned desired, const char *who,
                  unsigned *old_desired, unsigned *min, unsigned *max)
{
    struct fleet_desired_call a = { .group = group, .who = who, .desired = desired };

    fleet_call(f, fleet_do_set_desired, &a);
    if (old_desired)
        *old_desired = a.old;
    if (min)
        *min = a.min;
    if (max)
        *max = a.max;
    return a.rc;
}
