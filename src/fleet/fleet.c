/*
 * fleet/fleet.c: the facade (see fleet.h). Owns the fleet thread and its loop, the group
 * controllers (asg.c), the template version cache and the state db; the process runtime
 * behind the controllers is fleet_runtime.c, views and refresh commands fleet_views.c.
 * One mutex guards all of it: the loop holds it in every callback, visitors hold it while
 * they read. Calls that change state from other threads (apply, refresh) run on the fleet
 * thread through fleet_call(), so that the db is written there and before the caller gets
 * its answer.
 */
#include "fleet/fleet_int.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mem.h"
#include "fleet/asg.h"
#include "fleet/cgroup.h"
#include "fleet/fleet_db.h"
#include "fleet/instance.h"

#define FLEET_TICK_MS 1000
#define FLEET_STOP_TICK_MS 100

/* ---- template versions ---- */

static const struct template *
fleet_tmpl_find(struct fleet *f, const char *name, unsigned version)
{
    for (unsigned i = 0; i < f->ntmpls; i++)
        if (f->tmpls[i].version == version && strcmp(f->tmpls[i].t.name, name) == 0)
            return &f->tmpls[i].t;
    return NULL;
}

static const struct template *
fleet_tmpl_add(struct fleet *f, const struct template *t, unsigned version)
{
    f->tmpls = mem_realloc_or_exit(f->tmpls, (f->ntmpls + 1) * sizeof(*f->tmpls));
    f->tmpls[f->ntmpls].version = version;
    template_copy(&f->tmpls[f->ntmpls].t, t);
    return &f->tmpls[f->ntmpls++].t;
}

static const struct template *
fleet_tmpl_get(void *ctx, const char *name, unsigned version)
{
    struct fleet *f = ctx;
    const struct template *t = fleet_tmpl_find(f, name, version);
    struct template loaded;

    if (t)
        return t;
    char *json = fleet_db_template_json(f->db, name, version);
    if (!json || template_from_json(name, json, &loaded) < 0) {
        free(json);
        return NULL;
    }
    free(json);
    t = fleet_tmpl_add(f, &loaded, version);
    template_fini(&loaded);
    return t;
}

static void
fleet_refresh_changed(void *ctx, struct asg *g, struct asg_refresh *r)
{
    struct fleet *f = ctx;
    const char *status = asg_refresh_status_name(r->status);
    uint64_t wall = clock_wall_ms();

    if (!r->id)
        fleet_db_refresh_insert(f->db, asg_name(g), r->from_version, r->to_version, status,
                                wall, &r->id);
    else
        fleet_db_refresh_update(f->db, r->id, status, r->reason, r->percent,
                                !asg_refresh_is_running(g), wall);
}

/* "i-" and 14 hex digits: the start time in seconds, then a counter, so ids stay unique
 * across groups and restarts (as EC2's never repeat). */
static void
fleet_next_id(void *ctx, char *buf, unsigned len)
{
    struct fleet *f = ctx;

    snprintf(buf, len, "i-%08x%06llx", f->id_base, (unsigned long long)(++f->id_next & 0xffffff));
}

static void
fleet_activity(void *ctx, struct asg *g, const char *text)
{
    struct fleet *f = ctx;

    log_info("fleet", "activity group=%s %s", asg_name(g), text);
    fleet_db_activity_add(f->db, asg_name(g), clock_wall_ms(), text);
}

/* ---- the tick ---- */
static void
fleet_on_tick(struct loop *l, struct loop_timer *t)
{
    struct fleet *f = container_of(t, struct fleet, tick);
    uint64_t now = loop_now_ms(l);

    pthread_mutex_lock(&f->mu);
    /* Without pidfds, exits are found here; with them, this catches orphans. */
    fleet_reap_all(f->groups, f->ngroups);
    fleet_reap_all(f->retired, f->nretired);
    /* As a subreaper tierd inherits what instances leave behind; no zombies. */
    instance_reap_adopted(fleet_reap_tracked, f);
    if (!f->stopping)
        fleet_sample_cpu(f, now);
    for (unsigned i = 0; i < f->ngroups; i++)
        asg_tick(f->groups[i], now);
    for (unsigned i = 0; i < f->nretired;) {
        asg_tick(f->retired[i], now);
        if (asg_is_idle(f->retired[i])) {
            asg_free(f->retired[i]);
            f->retired[i] = f->retired[--f->nretired];
        } else {
            i++;
        }
    }
    if (f->nretired == 0) {
        for (unsigned i = 0; i < f->nold_confs; i++)
            fleet_conf_free(f->old_confs[i]);
        f->nold_confs = 0;
    }
    if (f->stopping) {
        bool idle = true;
        for (unsigned i = 0; i < f->ngroups; i++)
            idle &= asg_is_idle(f->groups[i]);
        if (idle || now >= f->stop_deadline_ms)
            loop_stop(l);
    }
    loop_timer_start(l, &f->tick, f->stopping ? FLEET_STOP_TICK_MS : FLEET_TICK_MS,
                     fleet_on_tick);
    pthread_mutex_unlock(&f->mu);
}

/* ---- cross-thread calls ---- */

static void
fleet_on_wake(struct loop *l, void *ctx)
{
    struct fleet *f = ctx;

    pthread_mutex_lock(&f->call_mu);
    if (f->call_fn && !f->call_done) {
        loop_update_time(l);
        pthread_mutex_lock(&f->mu);
        f->call_fn(f, f->call_arg);
        pthread_mutex_unlock(&f->mu);
        f->call_done = true;
        pthread_cond_broadcast(&f->call_cv);
    }
    pthread_mutex_unlock(&f->call_mu);
}

void
fleet_call(struct fleet *f, void (*fn)(struct fleet *f, void *arg), void *arg)
{
    if (!f->started) {
        pthread_mutex_lock(&f->mu);
        fn(f, arg);
        pthread_mutex_unlock(&f->mu);
        return;
    }
    pthread_mutex_lock(&f->call_serial);
    pthread_mutex_lock(&f->call_mu);
    f->call_fn = fn;
    f->call_arg = arg;
    f->call_done = false;
    loop_wake(f->loop);
    while (!f->call_done)
        pthread_cond_wait(&f->call_cv, &f->call_mu);
    f->call_fn = NULL;
    pthread_mutex_unlock(&f->call_mu);
    pthread_mutex_unlock(&f->call_serial);
}

/* ---- lifecycle ---- */

struct fleet *
fleet_new(const char *state_dir, const struct fleet_hooks *hooks, char *errbuf, size_t errlen)
{
    struct fleet *f = mem_alloc_or_exit(sizeof(*f));
    char path[1024];

    pthread_mutex_init(&f->mu, NULL);
    pthread_mutex_init(&f->call_serial, NULL);
    pthread_mutex_init(&f->call_mu, NULL);
    pthread_cond_init(&f->call_cv, NULL);
    f->hooks = *hooks;
    f->ops = (struct asg_ops){
        .ctx = f, .template_get = fleet_tmpl_get, .refresh_changed = fleet_refresh_changed,
        .activity = fleet_activity, .next_id = fleet_next_id,
    };
    fleet_runtime_ops(&f->ops);
    f->id_base = (uint32_t)(clock_wall_ms() / 1000);
    f->conf = mem_alloc_or_exit(sizeof(*f->conf));     /* empty until the first apply */
    f->conf->port_min = FLEET_CONF_PORT_MIN;
    f->conf->port_max = FLEET_CONF_PORT_MAX;
    if (state_dir) {
        f->state_dir = mem_strdup_or_exit(state_dir);
        mkdir(state_dir, 0750);
        snprintf(path, sizeof(path), "%s/fleet.db", state_dir);
    } else {
        snprintf(path, sizeof(path), ":memory:");
    }
    f->db = fleet_db_open(path, errbuf, (unsigned)errlen);
    if (!f->db) {
        fleet_free(f);
        return NULL;
    }
    return f;
}

struct fleet_apply_call {
    struct fleet_conf *conf;
    char *errbuf;
    size_t errlen;
    int rc;
};

struct asg *
fleet_group_find(struct fleet *f, const char *name)
{
    for (unsigned i = 0; i < f->ngroups; i++)
        if (strcmp(asg_name(f->groups[i]), name) == 0)
            return f->groups[i];
    return NULL;
}

static void
fleet_retire(struct fleet *f, struct asg *g, uint64_t now)
{
    log_info("fleet", "group removed group=%s: stopping its instances", asg_name(g));
    for (unsigned i = 0; i < f->nnotes; i++)
        if (strcmp(f->notes[i].group, asg_name(g)) == 0)
            f->notes[i--] = f->notes[--f->nnotes];
    asg_stop_all(g, now);
    f->retired = mem_realloc_or_exit(f->retired, (f->nretired + 1) * sizeof(*f->retired));
    f->retired[f->nretired++] = g;
}

static void
fleet_do_apply(struct fleet *f, void *arg)
{
    struct fleet_apply_call *a = arg;
    struct fleet_conf *c = a->conf;
    unsigned *latest = mem_alloc_or_exit((c->ntemplates + 1) * sizeof(unsigned));
    unsigned *gver = mem_alloc_or_exit((c->ngroups + 1) * sizeof(unsigned));
    uint64_t now = fleet_now(f), wall = clock_wall_ms();

    a->rc = 0;
    for (unsigned i = 0; i < c->ntemplates; i++) {
        const struct template *t = &c->templates[i];
        char *json = template_to_json(t);
        bool created;
        if (fleet_db_template_version(f->db, t->name, t->hash, json, wall, &latest[i],
                                      &created) < 0) {
            snprintf(a->errbuf, a->errlen, "state db: cannot record launch template \"%s\"",
                     t->name);
            free(json);
            a->rc = -EIO;
            goto out;
        }
        free(json);
        if (created)
            log_info("fleet", "template version created template=%s version=%u hash=%s",
                     t->name, latest[i], t->hash);
        if (!fleet_tmpl_find(f, t->name, latest[i]))
            fleet_tmpl_add(f, t, latest[i]);
    }
    for (unsigned i = 0; i < c->ngroups; i++) {
        const struct fleet_group_conf *gc = &c->groups[i];
        unsigned k = 0;
        while (k < c->ntemplates && strcmp(c->templates[k].name, gc->template_name) != 0)
            k++;
        BUG_ON(k == c->ntemplates);     /* fleet_conf_build checked it */
        gver[i] = gc->template_version ? gc->template_version : latest[k];
        if (gc->template_version && !fleet_tmpl_get(f, gc->template_name, gver[i])) {
            snprintf(a->errbuf, a->errlen, "auto scaling group \"%s\": launch template \"%s\" "
                     "has no version %u (latest is %u)", gc->name, gc->template_name, gver[i],
                     latest[k]);
            a->rc = -EINVAL;
            goto out;
        }
    }
    /* Validated: from here on nothing fails. */
    for (unsigned i = 0; i < f->ngroups;) {
        struct asg *g = f->groups[i];
        const struct fleet_group_conf *gc = fleet_conf_group(c, asg_name(g));
        if (!gc || strcmp(gc->template_name, asg_conf(g)->template_name) != 0 ||
            strcmp(gc->target_group, asg_conf(g)->target_group) != 0) {
            fleet_retire(f, g, now);
            f->groups[i] = f->groups[--f->ngroups];
        } else {
            i++;
        }
    }
    for (unsigned i = 0; i < c->ngroups; i++) {
        const struct fleet_group_conf *gc = &c->groups[i];
        struct asg *g = fleet_group_find(f, gc->name);
        if (!g) {
            g = asg_new(gc, gver[i], &f->hooks, &f->ops, f->id_base);
            f->groups = mem_realloc_or_exit(f->groups, (f->ngroups + 1) * sizeof(*f->groups));
            f->groups[f->ngroups++] = g;
            log_info("fleet", "group added group=%s template=%s version=%u desired=%u",
                     gc->name, gc->template_name, gver[i], gc->desired);
            continue;
        }
        unsigned before = asg_launch_version(g);
        if (asg_update(g, gc, gver[i], now) && before != gver[i])
            asg_refresh_start(g, gver[i], true, now);
    }
    if (f->nretired) {
        f->old_confs = mem_realloc_or_exit(f->old_confs,
                                           (f->nold_confs + 1) * sizeof(*f->old_confs));
        f->old_confs[f->nold_confs++] = f->conf;
    } else {
        fleet_conf_free(f->conf);
    }
    f->conf = c;
out:
    free(latest);
    free(gver);
}

int
fleet_apply(struct fleet *f, struct fleet_conf *conf, char *errbuf, size_t errlen)
{
    struct fleet_apply_call a = { .conf = conf, .errbuf = errbuf, .errlen = errlen };

    fleet_call(f, fleet_do_apply, &a);
    return a.rc;
}

static void *
fleet_thread(void *arg)
{
    struct fleet *f = arg;

    loop_run(f->loop);
    return NULL;
}

int
fleet_start(struct fleet *f)
{
    int rc;

    if (f->started)
        return -EALREADY;
    if ((rc = instance_become_subreaper()) < 0)
        log_warn("fleet", "cannot become a subreaper (%s): orphans of instances go to init",
                 err_str(rc));
    cgroup_probe(&f->cg, NULL, NULL, true);
    f->loop = loop_new();
    if (!f->loop)
        return -errno;
    loop_on_wake(f->loop, fleet_on_wake, f);
    loop_timer_start(f->loop, &f->tick, 0, fleet_on_tick);
    if ((rc = pthread_create(&f->thread, NULL, fleet_thread, f)) != 0) {
        loop_free(f->loop);
        f->loop = NULL;
        return -rc;
    }
    f->started = true;
    return 0;
}

static void
fleet_do_stop(struct fleet *f, void *arg)
{
    uint64_t now = fleet_now(f), longest = 0;

    f->stopping = true;
    for (unsigned i = 0; i < f->ngroups; i++) {
        struct asg *g = f->groups[i];
        for (unsigned j = 0; j < asg_count(g); j++) {
            struct fleet_proc *fp = asg_inst_at(g, j)->proc;
            if (fp && fp->stop_timeout_ms > longest)
                longest = fp->stop_timeout_ms;
        }
        asg_stop_all(g, now);
    }
    for (unsigned i = 0; i < f->nretired; i++)
        asg_stop_all(f->retired[i], now);
    f->stop_deadline_ms = now + longest + 2000;
    loop_timer_start(f->loop, &f->tick, FLEET_STOP_TICK_MS, fleet_on_tick);
}

void
fleet_stop(struct fleet *f)
{
    if (!f->started)
        return;
    fleet_call(f, fleet_do_stop, NULL);
    pthread_join(f->thread, NULL);
    f->started = false;
}

void
fleet_free(struct fleet *f)
{
    if (!f)
        return;
    fleet_stop(f);
    for (unsigned i = 0; i < f->ngroups; i++)
        asg_free(f->groups[i]);         /* kills what did not stop in time */
    for (unsigned i = 0; i < f->nretired; i++)
        asg_free(f->retired[i]);
    f->ngroups = f->nretired = 0;
    instance_reap_adopted(fleet_reap_tracked, f);      /* what the last cgroup.kill left */
    for (unsigned i = 0; i < f->nold_confs; i++)
        fleet_conf_free(f->old_confs[i]);
    for (unsigned i = 0; i < f->ntmpls; i++)
        template_fini(&f->tmpls[i].t);
    free(f->tmpls);
    free(f->groups);
    free(f->retired);
    free(f->old_confs);
    fleet_conf_free(f->conf);
    cgroup_tree_fini(&f->cg);
    free(f->notes);
    fleet_db_close(f->db);
    if (f->loop)
        loop_free(f->loop);
    free(f->state_dir);
    pthread_mutex_destroy(&f->mu);
    pthread_mutex_destroy(&f->call_serial);
    pthread_mutex_destroy(&f->call_mu);
    pthread_cond_destroy(&f->call_cv);
    free(f);
}
