/*
 * fleet/fleet_runtime.c: the process runtime behind the group controllers (the process
 * half of struct asg_ops): ports, launching an instance from its template into its
 * cgroup, its output into the instance log, stopping it with its signal and timeout,
 * reaping it and what it leaves behind, and sampling its CPU. Runs on the fleet thread
 * under fleet.mu.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "fleet/cpustat.h"
#include "fleet/fleet_int.h"

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
    f->ops.activity(f, g, text);
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


/* CPU of every running instance: cgroup accounting is not wired yet, so the /proc scan
 * of each process group, once for all instances. */
void
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

void
fleet_reap_all(struct asg **groups, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < asg_count(groups[i]); j++) {
            struct fleet_proc *fp = asg_inst_at(groups[i], j)->proc;
            if (fp)
                fleet_proc_reap(fp);
        }
}

bool
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

void
fleet_runtime_ops(struct asg_ops *ops)
{
    ops->launch = fleet_launch;
    ops->stop = fleet_stop_proc;
    ops->port_open = fleet_port_open;
    ops->release = fleet_release;
}
