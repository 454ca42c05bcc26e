/*
 * fleet/fleet.c: the facade (see fleet.h). Owns the fleet thread and its loop, the group
 * controllers (asg.c), the process runtime behind them (instance.c, instlog.c, cpustat.c),
 * the template version cache and the state db. One mutex guards all of it: the loop holds
 * it in every callback, visitors hold it while they read. Calls that change state from
 * other threads (apply, refresh) run on the fleet thread through fleet_call(), so that
 * the db is written there and before the caller gets its answer.
 */
#include "fleet/fleet.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mem.h"
#include "fleet/asg.h"
#include "fleet/cgroup.h"
#include "fleet/cpustat.h"
#include "fleet/fleet_db.h"
#include "fleet/instance.h"
#include "fleet/instlog.h"

#define FLEET_TICK_MS 1000
#define FLEET_STOP_TICK_MS 100

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

static uint64_t
fleet_now(const struct fleet *f)
{
    return f->loop ? loop_now_ms(f->loop) : clock_mono_ms();
}

static uint64_t
fleet_wall_of(uint64_t mono_ms)
{
    return mono_ms ? clock_wall_ms() - (clock_mono_ms() - mono_ms) : 0;
}

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

/* ---- process runtime (struct asg_ops) ---- */

static bool
fleet_port_in_use(struct fleet *f, unsigned port)
{
    struct asg **lists[2] = { f->groups, f->retired };
    unsigned counts[2] = { f->ngroups, f->nretired };

    for (unsigned l = 0; l < 2; l++)
        for (unsigned i = 0; i < counts[l]; i++)
            for (unsigned j = 0; j < asg_count(lists[l][i]); j++) {
                struct asg_inst *inst = asg_inst_at(lists[l][i], j);
                if (inst->port == port && inst->state != ASG_TERMINATED)
                    return true;
            }
    return false;
}

static int
fleet_port_pick(struct fleet *f, unsigned *out)
{
    unsigned lo = f->conf->port_min, hi = f->conf->port_max, span = hi - lo + 1;

    for (unsigned k = 0; k < span; k++) {
        unsigned port = lo + (f->port_next + k) % span;
        if (!fleet_port_in_use(f, port) && instance_port_is_free(port)) {
            f->port_next = port - lo + 1;
            *out = port;
            return 0;
        }
    }
    return -EADDRINUSE;
}

static void
fleet_drain_output(struct fleet_proc *fp)
{
    char buf[16384];
    long n;

    while ((n = instance_output_read(fp->p, buf, sizeof(buf))) > 0)
        if (fp->log)
            instlog_write(fp->log, buf, (size_t)n);
    if (n == 0 && fp->out_watched) {
        loop_io_remove(fp->f->loop, &fp->out_io);
        fp->out_watched = false;
    }
}

static void
fleet_proc_exited(struct fleet_proc *fp, int status)
{
    if (fp->pid_watched) {
        loop_io_remove(fp->f->loop, &fp->pid_io);
        fp->pid_watched = false;
    }
    if (fp->f->loop)
        loop_timer_stop(fp->f->loop, &fp->kill_timer);
    fleet_drain_output(fp);
    asg_inst_exited(fp->g, fp->inst, status, fleet_now(fp->f));
}

/* What the leader left in its cgroup (workers, a daemon that forked twice into another
 * session) dies with it, as with systemd's KillMode=mixed; the directory goes once empty,
 * here or on a later tick. */
static void
fleet_proc_cgroup_end(struct fleet_proc *fp)
{
    if (!fp->cg_dir)
        return;
    cgroup_instance_kill(&fp->f->cg, fp->inst->id);
    if (cgroup_instance_remove(&fp->f->cg, fp->inst->id) == 0)
        fp->cg_dir = false;
}

static void
fleet_proc_reap(struct fleet_proc *fp)
{
    int status;

    if (fp->p && instance_reap(fp->p, &status)) {
        fleet_proc_cgroup_end(fp);
        fleet_proc_exited(fp, status);
    } else if (fp->p && !instance_is_running(fp->p)) {
        fleet_proc_cgroup_end(fp);      /* a retry: processes were still dying */
    }
}

static void
fleet_on_pidfd(struct loop *l, struct loop_io *io, unsigned events)
{
    struct fleet_proc *fp = container_of(io, struct fleet_proc, pid_io);

    pthread_mutex_lock(&fp->f->mu);
    fleet_proc_reap(fp);
    pthread_mutex_unlock(&fp->f->mu);
}

static void
fleet_on_output(struct loop *l, struct loop_io *io, unsigned events)
{
    struct fleet_proc *fp = container_of(io, struct fleet_proc, out_io);

    pthread_mutex_lock(&fp->f->mu);
    fleet_drain_output(fp);
    pthread_mutex_unlock(&fp->f->mu);
}

static void
fleet_on_kill_timer(struct loop *l, struct loop_timer *t)
{
    struct fleet_proc *fp = container_of(t, struct fleet_proc, kill_timer);

    pthread_mutex_lock(&fp->f->mu);
    if (fp->p && instance_is_running(fp->p)) {
        log_warn("fleet", "instance did not stop group=%s inst=%s stop_timeout_ms=%llu: "
                 "SIGKILL", asg_name(fp->g), fp->inst->id,
                 (unsigned long long)fp->stop_timeout_ms);
        instance_signal(fp->p, SIGKILL);
        if (fp->cg_dir)
            cgroup_instance_kill(&fp->f->cg, fp->inst->id);
    }
    pthread_mutex_unlock(&fp->f->mu);
}

/* Logs that a group's instances run without their limits: once per group and reason, so
 * a group of 20 makes one event; a group that gets its limits again is forgotten. */
static void
fleet_limits_note(struct fleet *f, struct asg *g, const struct template *t, const char *why)
{
    unsigned i = 0;

    while (i < f->nnotes && strcmp(f->notes[i].group, asg_name(g)) != 0)
        i++;
    if (!why[0]) {
        if (i < f->nnotes)
            f->notes[i] = f->notes[--f->nnotes];
        return;
    }
    if (i < f->nnotes && strcmp(f->notes[i].why, why) == 0)
        return;
    if (i == f->nnotes) {
        f->notes = mem_realloc_or_exit(f->notes, (f->nnotes + 1) * sizeof(*f->notes));
        snprintf(f->notes[f->nnotes++].group, sizeof(f->notes[0].group), "%s", asg_name(g));
    }
    snprintf(f->notes[i].why, sizeof(f->notes[i].why), "%s", why);
    log_warn("fleet", "instance_type limits not enforced group=%s template=%s reason=%s "
             "(instance_type.required: true makes this stop the launch)", asg_name(g),
             t->name, why);
}

static void fleet_activity(void *ctx, struct asg *g, const char *text);

/* instance_type.required and the limits cannot be had: the launch fails, and says why as
 * a scaling activity (AWS: "Launching a new EC2 instance", status Failed); asg.c logs the
 * failure and backs off. */
static void
fleet_launch_refused(struct fleet *f, struct asg *g, const struct asg_inst *inst,
                     const struct template *t, const char *why)
{
    char text[640];

    snprintf(text, sizeof(text), "Launching a new instance %s failed, status Failed: "
             "instance_type.required is true and the limits cannot be enforced: %.400s",
             inst->id, why);
    fleet_activity(f, g, text);
}

static int
fleet_launch(void *ctx, struct asg *g, struct asg_inst *inst, const struct template *t)
{
    struct fleet *f = ctx;
    struct fleet_proc *fp;
    unsigned port;
    const char *why;
    char err[512] = "", cg_why[CGROUP_WHY_MAX];
    bool limited = t->cpu_milli || t->memory_bytes;
    int rc, joined = 0;

    if ((rc = fleet_port_pick(f, &port)) < 0)
        return rc;
    struct instance_spec spec = {
        .t = t, .id = inst->id, .port = port, .err = err, .err_len = sizeof(err),
        .cgroup_procs_fd = cgroup_instance_create(&f->cg, inst->id, t->cpu_milli,
                                                  t->memory_bytes, cg_why, sizeof(cg_why)),
        .cgroup_required = limited && t->limits_required, .cgroup_errno = &joined,
    };
    if (spec.cgroup_required && cg_why[0]) {
        /* Decided before anything runs: nothing to undo but the directory. */
        if (spec.cgroup_procs_fd >= 0) {
            close(spec.cgroup_procs_fd);
            cgroup_instance_remove(&f->cg, inst->id);
        }
        fleet_launch_refused(f, g, inst, t, cg_why);
        return -EPERM;
    }
    fp = mem_alloc_or_exit(sizeof(*fp));
    fp->f = f;
    fp->g = g;
    fp->inst = inst;
    fp->stop_signal = t->stop_signal;
    fp->stop_timeout_ms = t->stop_timeout_ms;
    fp->cpu_milli = t->cpu_milli;
    if (f->state_dir) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/logs/%s/%s.log", f->state_dir, asg_name(g), inst->id);
        fp->log = instlog_open(path, INSTLOG_MAX_BYTES, INSTLOG_KEEP);
        if (!fp->log)
            log_warn("fleet", "instance log %s: %s; output is dropped", path, err_str(errno));
    }
    rc = instance_spawn(&spec, &fp->p);
    if (spec.cgroup_procs_fd >= 0)
        close(spec.cgroup_procs_fd);    /* the child joined (or failed and said so) */
    if (rc == 0 && spec.cgroup_procs_fd >= 0 && joined)
        snprintf(cg_why, sizeof(cg_why), "cannot join cgroup %.160s/%s: %s", f->cg.base,
                 inst->id, strerror(joined));
    if (rc < 0) {
        if (rc == -ENOKEY)
            log_warn("fleet", "launch failed group=%s inst=%s template=%s: %s", asg_name(g),
                     inst->id, t->name, err);
        if (rc == -EPERM)
            fleet_launch_refused(f, g, inst, t, err);
        cgroup_instance_remove(&f->cg, inst->id);
        instlog_close(fp->log);
        free(fp);
        return rc;
    }
    inst->proc = fp;
    inst->port = port;
    inst->pid = instance_pid(fp->p);
    fp->cg_dir = spec.cgroup_procs_fd >= 0;
    if (!limited)
        snprintf(fp->limits, sizeof(fp->limits), "none");
    else if (cg_why[0])
        snprintf(fp->limits, sizeof(fp->limits), "not enforced: %s", cg_why);
    else
        snprintf(fp->limits, sizeof(fp->limits), "enforced");
    if (limited)
        fleet_limits_note(f, g, t, cg_why);
    char text[32];
    snprintf(text, sizeof(text), "127.0.0.1:%u", port);
    sock_addr_parse(text, &inst->addr, &why);
    if (f->loop) {
        if (instance_pidfd(fp->p) >= 0 &&
            loop_io_add_read(f->loop, &fp->pid_io, instance_pidfd(fp->p), fleet_on_pidfd) == 0)
            fp->pid_watched = true;
        if (loop_io_add_read(f->loop, &fp->out_io, instance_output_fd(fp->p),
                             fleet_on_output) == 0)
            fp->out_watched = true;
    }
    return 0;
}

static void
fleet_stop_proc(void *ctx, struct asg *g, struct asg_inst *inst)
{
    struct fleet *f = ctx;
    struct fleet_proc *fp = inst->proc;

    if (!fp || !fp->p || !instance_is_running(fp->p))
        return;
    log_info("fleet", "instance stopping group=%s inst=%s signal=%s timeout_ms=%llu",
             asg_name(g), inst->id, template_signal_name(fp->stop_signal),
             (unsigned long long)fp->stop_timeout_ms);
    instance_signal(fp->p, fp->stop_signal);
    if (f->loop)
        loop_timer_start(f->loop, &fp->kill_timer, fp->stop_timeout_ms, fleet_on_kill_timer);
}

static bool
fleet_port_open(void *ctx, const struct asg_inst *inst)
{
    return instance_port_accepts(inst->port, 100);
}

static void
fleet_release(void *ctx, struct asg *g, struct asg_inst *inst)
{
    struct fleet *f = ctx;
    struct fleet_proc *fp = inst->proc;

    if (!fp)
        return;
    if (f->loop) {
        if (fp->pid_watched)
            loop_io_remove(f->loop, &fp->pid_io);
        if (fp->out_watched)
            loop_io_remove(f->loop, &fp->out_io);
        loop_timer_stop(f->loop, &fp->kill_timer);
    }
    instance_free(fp->p);
    /* Usually long empty; at shutdown its last processes may take a moment to die. */
    for (int i = 0; fp->cg_dir && i < 50; i++) {
        fleet_proc_cgroup_end(fp);
        if (fp->cg_dir)
            nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
    }
    instlog_close(fp->log);
    free(fp);
    inst->proc = NULL;
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

/* CPU of every running instance: cgroup accounting is not wired yet, so the /proc scan
 * of each process group, once for all instances. */
static void
fleet_sample_cpu(struct fleet *f, uint64_t now_ms)
{
    struct cpustat_pgrp *pg = NULL;
    struct fleet_proc **fps = NULL;
    unsigned n = 0;

    for (unsigned i = 0; i < f->ngroups; i++)
        for (unsigned j = 0; j < asg_count(f->groups[i]); j++) {
            struct asg_inst *inst = asg_inst_at(f->groups[i], j);
            struct fleet_proc *fp = inst->proc;
            if (!fp || !inst->alive)
                continue;
            pg = mem_realloc_or_exit(pg, (n + 1) * sizeof(*pg));
            fps = mem_realloc_or_exit(fps, (n + 1) * sizeof(*fps));
            pg[n].pgid = inst->pid;
            fps[n++] = fp;
        }
    if (n && cpustat_scan_proc(pg, n) == 0) {
        for (unsigned i = 0; i < n; i++) {
            struct fleet_proc *fp = fps[i];
            if (fp->cpu_seen && now_ms > fp->cpu_ms)
                fp->inst->cpu_pct = cpustat_pct(pg[i].usec > fp->cpu_usec
                                                    ? pg[i].usec - fp->cpu_usec : 0,
                                                (now_ms - fp->cpu_ms) * 1000, fp->cpu_milli);
            fp->cpu_usec = pg[i].usec;
            fp->cpu_ms = now_ms;
            fp->cpu_seen = true;
        }
    }
    free(pg);
    free(fps);
}

static void
fleet_reap_all(struct asg **groups, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < asg_count(groups[i]); j++) {
            struct fleet_proc *fp = asg_inst_at(groups[i], j)->proc;
            if (fp)
                fleet_proc_reap(fp);
        }
}

/* instance_tracked_fn: an instance leader of any group, reaped through its instance. */
static bool
fleet_reap_tracked(void *ctx, int pid)
{
    struct fleet *f = ctx;
    struct asg **lists[2] = { f->groups, f->retired };
    unsigned counts[2] = { f->ngroups, f->nretired };

    for (unsigned l = 0; l < 2; l++)
        for (unsigned i = 0; i < counts[l]; i++)
            for (unsigned j = 0; j < asg_count(lists[l][i]); j++) {
                struct fleet_proc *fp = asg_inst_at(lists[l][i], j)->proc;
                if (fp && fp->p && instance_is_running(fp->p) && instance_pid(fp->p) == pid) {
                    fleet_proc_reap(fp);
                    return true;
                }
            }
    return false;
}

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

/* Runs fn(f, arg) under the fleet lock on the fleet thread (or here, before start). */
static void
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
        .ctx = f, .launch = fleet_launch, .stop = fleet_stop_proc, .port_open = fleet_port_open,
        .template_get = fleet_tmpl_get, .refresh_changed = fleet_refresh_changed,
        .activity = fleet_activity, .next_id = fleet_next_id, .release = fleet_release,
    };
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

static struct asg *
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

/* ---- views and refresh commands ---- */

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
