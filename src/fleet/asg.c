/*
 * fleet/asg.c: the auto scaling group controller (see asg.h for the state machine).
 * Owns the instance records of one group, its scaler history, crash-loop back-off and
 * refresh state. Decides only: processes are started and stopped through asg_ops, the
 * target group is reached through fleet_hooks, and the clock comes from the caller.
 */
#include "fleet/asg.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "fleet/refresh_plan.h"
#include "fleet/termination.h"

struct asg {
    const struct fleet_group_conf *conf;
    char *name;
    unsigned conf_version;      /* the version the stack file asks for */
    unsigned launch_version;    /* what new instances get (differs after a rollback) */
    unsigned desired;
    struct asg_inst **insts;
    unsigned ninsts, cap;
    uint64_t next_seq;
    uint32_t id_base;
    struct backoff backoff;
    struct scaler scaler;
    struct asg_refresh refresh;
    const struct fleet_hooks *hooks;
    const struct asg_ops *ops;
    uint64_t last_tick_ms;
    bool stopping;
};

/* One tick's view of an instance's target, read once. */
struct asg_look {
    int rc;                     /* 0 or -ENOENT */
    struct fleet_target_status st;
};

static const char *const state_names[] = { "Pending", "InService", "Terminating", "Terminated" };
static const char *const refresh_names[] = {
    "", "Pending", "InProgress", "Successful", "Failed", "Cancelled", "RollbackInProgress",
    "RollbackSuccessful", "RollbackFailed",
};

const char *
asg_state_name(enum asg_state s)
{
    return state_names[s];
}

const char *
asg_health_name(enum asg_health h)
{
    return h == ASG_HEALTHY ? "Healthy" : "Unhealthy";
}

const char *
asg_refresh_status_name(enum asg_refresh_status s)
{
    return refresh_names[s];
}

static void
asg_scaler_setup(struct asg *g)
{
    struct scaler_policy p[SCALER_POLICIES_MAX];

    for (unsigned i = 0; i < g->conf->npolicies; i++) {
        p[i].target = g->conf->policies[i].target;
        p[i].disable_scale_in = g->conf->policies[i].disable_scale_in;
    }
    scaler_init(&g->scaler, p, g->conf->npolicies);
}

struct asg *
asg_new(const struct fleet_group_conf *conf, unsigned version, const struct fleet_hooks *hooks,
        const struct asg_ops *ops, uint32_t id_base)
{
    struct asg *g = mem_alloc_or_exit(sizeof(*g));

    g->conf = conf;
    g->name = mem_strdup_or_exit(conf->name);
    g->conf_version = g->launch_version = version;
    g->desired = conf->desired;
    g->hooks = hooks;
    g->ops = ops;
    g->id_base = id_base;
    g->next_seq = 1;
    backoff_init(&g->backoff);
    asg_scaler_setup(g);
    return g;
}

void
asg_free(struct asg *g)
{
    if (!g)
        return;
    for (unsigned i = 0; i < g->ninsts; i++) {
        if (g->ops->release)
            g->ops->release(g->ops->ctx, g, g->insts[i]);
        free(g->insts[i]);
    }
    free(g->insts);
    free(g->name);
    free(g);
}

const char *asg_name(const struct asg *g) { return g->name; }
const struct fleet_group_conf *asg_conf(const struct asg *g) { return g->conf; }
unsigned asg_desired(const struct asg *g) { return g->desired; }
unsigned asg_launch_version(const struct asg *g) { return g->launch_version; }
unsigned asg_count(const struct asg *g) { return g->ninsts; }
struct asg_inst *asg_inst_at(const struct asg *g, unsigned i) { return g->insts[i]; }
const struct asg_refresh *asg_refresh_get(const struct asg *g) { return &g->refresh; }

bool
asg_refresh_is_running(const struct asg *g)
{
    return g->refresh.status == ASG_REFRESH_PENDING ||
           g->refresh.status == ASG_REFRESH_IN_PROGRESS ||
           g->refresh.status == ASG_REFRESH_ROLLBACK_IN_PROGRESS;
}

bool
asg_inst_is_warming(const struct asg *g, const struct asg_inst *inst, uint64_t now_ms)
{
    return inst->state == ASG_IN_SERVICE && now_ms - inst->in_service_ms < g->conf->warmup_ms;
}

/* Counts toward capacity: launched or serving, not yet told to go. */
static bool
asg_inst_is_live(const struct asg_inst *inst)
{
    return inst->state == ASG_PENDING || inst->state == ASG_IN_SERVICE;
}

static void
asg_activity(struct asg *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
asg_activity(struct asg *g, const char *fmt, ...)
{
    char text[320];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (g->ops->activity)
        g->ops->activity(g->ops->ctx, g, text);
}

bool
asg_update(struct asg *g, const struct fleet_group_conf *conf, unsigned version,
           uint64_t now_ms)
{
    const struct fleet_group_conf *old = g->conf;
    bool policies_changed = old->npolicies != conf->npolicies;
    bool follows = conf->template_version == 0;
    bool changed = version != g->conf_version;

    for (unsigned i = 0; !policies_changed && i < conf->npolicies; i++)
        policies_changed = old->policies[i].target != conf->policies[i].target ||
                           old->policies[i].metric != conf->policies[i].metric ||
                           old->policies[i].disable_scale_in != conf->policies[i].disable_scale_in;
    g->conf = conf;
    if (conf->desired != old->desired)
        g->desired = conf->desired;
    if (g->desired < conf->min)
        g->desired = conf->min;
    if (g->desired > conf->max)
        g->desired = conf->max;
    if (policies_changed)
        asg_scaler_setup(g);
    g->conf_version = version;
    /* A pinned version launches from now on; a new latest waits for the refresh the
     * caller starts (which needs the old launch version as its "from"). */
    if (changed && !follows && !asg_refresh_is_running(g))
        g->launch_version = version;
    return changed && follows;
}

static struct asg_inst *
asg_inst_add(struct asg *g, unsigned version, uint64_t now_ms)
{
    struct asg_inst *inst = mem_alloc_or_exit(sizeof(*inst));

    if (g->ninsts == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 8;
        g->insts = mem_realloc_or_exit(g->insts, g->cap * sizeof(*g->insts));
    }
    inst->seq = g->next_seq++;
    if (g->ops->next_id)
        g->ops->next_id(g->ops->ctx, inst->id, sizeof(inst->id));
    else
        snprintf(inst->id, sizeof(inst->id), "i-%08x%06llx", g->id_base,
                 (unsigned long long)(inst->seq & 0xffffff));
    inst->version = version;
    inst->state = ASG_PENDING;
    inst->health = ASG_HEALTHY;
    inst->launched_ms = now_ms;
    inst->exit_status = -1;
    inst->cpu_pct = NAN;
    inst->rps = NAN;
    g->insts[g->ninsts++] = inst;
    return inst;
}

static void
asg_inst_remove_at(struct asg *g, unsigned i)
{
    struct asg_inst *inst = g->insts[i];

    if (g->ops->release)
        g->ops->release(g->ops->ctx, g, inst);
    free(inst);
    memmove(&g->insts[i], &g->insts[i + 1], (g->ninsts - i - 1) * sizeof(g->insts[0]));
    g->ninsts--;
}

/* Launches one instance of `version`; false when it could not start (already logged). */
static bool
asg_launch(struct asg *g, unsigned version, const char *why, uint64_t now_ms)
{
    const struct template *t = g->ops->template_get(g->ops->ctx, g->conf->template_name,
                                                    version);
    struct asg_inst *inst;
    int rc;

    if (!t) {
        log_error("fleet", "launch failed group=%s template=%s version=%u: version unknown",
                  g->name, g->conf->template_name, version);
        backoff_exited(&g->backoff, now_ms, now_ms);
        return false;
    }
    inst = asg_inst_add(g, version, now_ms);
    rc = g->ops->launch(g->ops->ctx, g, inst, t);
    if (rc < 0) {
        uint64_t delay = backoff_exited(&g->backoff, now_ms, now_ms);
        log_warn("fleet", "launch failed group=%s inst=%s error=%s retry_in_ms=%llu", g->name,
                 inst->id, err_str(rc), (unsigned long long)delay);
        asg_inst_remove_at(g, g->ninsts - 1);
        return false;
    }
    inst->alive = true;
    log_info("fleet", "instance Pending group=%s inst=%s version=%u port=%u pid=%d reason=%s",
             g->name, inst->id, version, inst->port, inst->pid, why);
    if (g->hooks->register_target(g->hooks->ctx, g->conf->target_group, &inst->addr) == 0)
        inst->registered = true;
    else
        log_warn("fleet", "register failed group=%s inst=%s target_group=%s", g->name,
                 inst->id, g->conf->target_group);
    return true;
}

static void
asg_set_terminated(struct asg *g, struct asg_inst *inst, uint64_t now_ms)
{
    inst->state = ASG_TERMINATED;
    inst->ended_ms = now_ms;
    log_info("fleet", "instance Terminated group=%s inst=%s reason=%s", g->name, inst->id,
             inst->reason ? inst->reason : "");
}

/* Starts the way out: deregister (the edge drains), then stop once drained. */
static void
asg_terminate(struct asg *g, struct asg_inst *inst, const char *reason, uint64_t now_ms)
{
    if (!asg_inst_is_live(inst))
        return;
    inst->state = ASG_TERMINATING;
    inst->terminating_ms = now_ms;
    inst->reason = reason;
    log_info("fleet", "instance Terminating group=%s inst=%s health=%s reason=%s", g->name,
             inst->id, asg_health_name(inst->health), reason);
    if (inst->registered) {
        g->hooks->deregister_target(g->hooks->ctx, g->conf->target_group, &inst->addr);
        if (!inst->alive)       /* nothing left to drain */
            inst->registered = false;
    }
    if (!inst->alive)
        asg_set_terminated(g, inst, now_ms);
}

static bool
asg_is_new(const struct asg *g, const struct asg_inst *inst)
{
    const struct asg_refresh *r = &g->refresh;

    return inst->version == r->to_version && inst->seq >= r->start_seq;
}

static void
asg_refresh_set(struct asg *g, enum asg_refresh_status s, const char *reason, uint64_t now_ms)
{
    struct asg_refresh *r = &g->refresh;

    r->status = s;
    if (reason)
        snprintf(r->reason, sizeof(r->reason), "%s", reason);
    if (!asg_refresh_is_running(g))
        r->ended_ms = now_ms;
    log_info("fleet", "refresh %s group=%s from=%u to=%u%s%s", asg_refresh_status_name(s),
             g->name, r->from_version, r->to_version, reason ? " reason=" : "",
             reason ? reason : "");
    if (g->ops->refresh_changed)
        g->ops->refresh_changed(g->ops->ctx, g, r);
}

static unsigned
asg_count_old(const struct asg *g)
{
    unsigned n = 0;

    for (unsigned i = 0; i < g->ninsts; i++)
        if (asg_inst_is_live(g->insts[i]) && !asg_is_new(g, g->insts[i]))
            n++;
    return n;
}

static void
asg_refresh_begin(struct asg *g, unsigned from, unsigned to, uint64_t start_seq,
                  enum asg_refresh_status s, uint64_t now_ms)
{
    struct asg_refresh *r = &g->refresh;
    bool rollback = s == ASG_REFRESH_ROLLBACK_IN_PROGRESS;

    if (!rollback)
        memset(r, 0, sizeof(*r));
    r->from_version = from;
    r->to_version = to;
    r->start_seq = start_seq;
    r->min_healthy_pct = g->conf->refresh.min_healthy_pct;
    r->warmup_ms = g->conf->refresh.warmup_ms;
    r->auto_rollback = g->conf->refresh.auto_rollback;
    r->new_exits = 0;
    r->started_ms = rollback ? r->started_ms : now_ms;
    r->ended_ms = 0;
    r->total = asg_count_old(g);
    r->to_update = r->total;
    r->percent = 0;
    g->launch_version = to;
    asg_refresh_set(g, s, NULL, now_ms);
}

/* A new-version instance failed: fail the refresh, and roll back when asked to. */
static void
asg_refresh_fail(struct asg *g, const char *why, uint64_t now_ms)
{
    struct asg_refresh *r = &g->refresh;

    if (r->status == ASG_REFRESH_ROLLBACK_IN_PROGRESS) {
        asg_refresh_set(g, ASG_REFRESH_ROLLBACK_FAILED, why, now_ms);
        return;
    }
    asg_refresh_set(g, ASG_REFRESH_FAILED, why, now_ms);
    if (r->auto_rollback && r->from_version && r->from_version != r->to_version) {
        /* Replace what was updated (version != previous) with the previous version. */
        asg_refresh_begin(g, r->to_version, r->from_version, 0,
                          ASG_REFRESH_ROLLBACK_IN_PROGRESS, now_ms);
        asg_activity(g, "Rolling back instance refresh of %s from version %u to %u: %s",
                     g->name, r->from_version, r->to_version, why);
    }
}

static void
asg_mark_unhealthy(struct asg *g, struct asg_inst *inst, const char *why, uint64_t now_ms)
{
    if (inst->health == ASG_UNHEALTHY)
        return;
    inst->health = ASG_UNHEALTHY;
    inst->reason = why;
    log_info("fleet", "instance Unhealthy group=%s inst=%s state=%s reason=%s", g->name,
             inst->id, asg_state_name(inst->state), why);
    if (asg_refresh_is_running(g) && asg_is_new(g, inst) && inst->alive)
        asg_refresh_fail(g, why, now_ms);
}

void
asg_inst_exited(struct asg *g, struct asg_inst *inst, int status, uint64_t now_ms)
{
    char how[48];

    if (!inst->alive)
        return;
    inst->alive = false;
    inst->pid = 0;
    inst->exit_status = status;
    if (WIFSIGNALED(status))
        snprintf(how, sizeof(how), "signal=%d", WTERMSIG(status));
    else
        snprintf(how, sizeof(how), "status=%d", WEXITSTATUS(status));
    if (inst->state == ASG_TERMINATING) {
        log_info("fleet", "instance stopped group=%s inst=%s %s", g->name, inst->id, how);
        if (!inst->registered)
            asg_set_terminated(g, inst, now_ms);
        return;
    }
    if (inst->state == ASG_TERMINATED)
        return;
    uint64_t delay = backoff_exited(&g->backoff, inst->launched_ms, now_ms);
    log_warn("fleet", "instance exited group=%s inst=%s %s uptime_ms=%llu restart_in_ms=%llu",
             g->name, inst->id, how, (unsigned long long)(now_ms - inst->launched_ms),
             (unsigned long long)delay);
    if (asg_refresh_is_running(g) && asg_is_new(g, inst) &&
        ++g->refresh.new_exits >= ASG_REFRESH_MAX_EXITS)
        asg_refresh_fail(g, "new instances keep exiting", now_ms);
    inst->health = ASG_UNHEALTHY;
    asg_terminate(g, inst, "process exited", now_ms);
}

static struct asg_look
asg_lookup(struct asg *g, const struct asg_inst *inst)
{
    struct asg_look lk = { .rc = -ENOENT, .st = { "unused", 0 } };

    if (inst->registered)
        lk.rc = g->hooks->lookup(g->hooks->ctx, g->conf->target_group, &inst->addr, &lk.st);
    if (lk.rc < 0 || !lk.st.state)
        lk.st.state = "unused";
    return lk;
}

static bool
asg_state_is(const struct asg_look *lk, const char *s)
{
    return lk->rc == 0 && strcmp(lk->st.state, s) == 0;
}

/* AWS: replace at most 10 % of desired at a time (one when that is below one). */
static unsigned
asg_replace_budget(const struct asg *g)
{
    return g->desired / 10 ? g->desired / 10 : 1;
}

/* Instances marked Unhealthy whose process still runs: being replaced, or about to be. */
static unsigned
asg_count_unhealthy_alive(const struct asg *g)
{
    unsigned n = 0;

    for (unsigned i = 0; i < g->ninsts; i++)
        n += g->insts[i]->alive && g->insts[i]->health == ASG_UNHEALTHY &&
             g->insts[i]->state != ASG_TERMINATED;
    return n;
}

/* Whether the target group's "unhealthy" makes inst Unhealthy now. Only once the
 * instance has been InService (it passed its checks, then failed them) or its grace
 * period has ended (it never passed): a slow starter whose early probes failed is given
 * the whole grace period. And never more than the replacement budget at once, counting
 * those already being replaced, so a target group that fails every target (a health
 * check that is wrong) does not take the whole group down. */
static bool
asg_elb_may_mark(const struct asg *g, const struct asg_inst *inst, uint64_t now_ms)
{
    bool past_grace = now_ms - inst->launched_ms >= g->conf->grace_ms;

    if (inst->state != ASG_IN_SERVICE && !past_grace)
        return false;
    return asg_count_unhealthy_alive(g) < asg_replace_budget(g);
}

/* Health and rates of one Pending or InService instance. */
static void
asg_check(struct asg *g, struct asg_inst *inst, uint64_t now_ms, double dt_s)
{
    bool elb = g->conf->health_type == FLEET_HEALTH_ELB;
    struct asg_look lk = asg_lookup(g, inst);

    if (lk.rc == 0) {
        if (inst->requests_seen && dt_s > 0 && lk.st.requests >= inst->requests)
            inst->rps = (double)(lk.st.requests - inst->requests) / dt_s;
        inst->requests = lk.st.requests;
        inst->requests_seen = true;
    }
    if (!inst->alive || inst->health == ASG_UNHEALTHY)
        return;
    if (elb && asg_state_is(&lk, "unhealthy") && asg_elb_may_mark(g, inst, now_ms)) {
        asg_mark_unhealthy(g, inst, "failed the target group's health checks", now_ms);
        return;
    }
    if (inst->state == ASG_PENDING) {
        bool ok = elb ? asg_state_is(&lk, "healthy") : g->ops->port_open(g->ops->ctx, inst);
        uint64_t limit = g->conf->grace_ms > ASG_PENDING_TIMEOUT_MS ? g->conf->grace_ms
                                                                    : ASG_PENDING_TIMEOUT_MS;
        if (ok) {
            inst->state = ASG_IN_SERVICE;
            inst->in_service_ms = now_ms;
            log_info("fleet", "instance InService group=%s inst=%s version=%u port=%u "
                     "after_ms=%llu", g->name, inst->id, inst->version, inst->port,
                     (unsigned long long)(now_ms - inst->launched_ms));
        } else if (now_ms - inst->launched_ms >= limit) {
            asg_mark_unhealthy(g, inst, "did not pass health checks in time", now_ms);
        }
        return;
    }
    backoff_healthy(&g->backoff, inst->in_service_ms, now_ms);
}

/* Waits for the drain, then stops the process. */
static void
asg_advance_termination(struct asg *g, struct asg_inst *inst, uint64_t now_ms)
{
    if (inst->registered) {
        struct asg_look lk = asg_lookup(g, inst);
        if (lk.rc == -ENOENT || asg_state_is(&lk, "unused") || g->stopping)
            inst->registered = false;
    }
    if (inst->registered)
        return;
    if (!inst->alive) {
        asg_set_terminated(g, inst, now_ms);
        return;
    }
    if (!inst->stop_sent) {
        inst->stop_sent = true;
        g->ops->stop(g->ops->ctx, g, inst);
    }
}

/* Terminates up to n live instances by the default termination policy, among those for
 * which keep() is false. Returns how many. */
static unsigned
asg_terminate_oldest(struct asg *g, unsigned n, bool only_old, const char *reason,
                     uint64_t now_ms)
{
    struct termination_key *keys = mem_alloc_or_exit((g->ninsts + 1) * sizeof(*keys));
    unsigned *idx = mem_alloc_or_exit((g->ninsts + 1) * sizeof(*idx)), m = 0, done = 0;

    for (unsigned i = 0; i < g->ninsts; i++) {
        struct asg_inst *inst = g->insts[i];
        keys[i].version = inst->version;
        keys[i].seq = inst->seq;
        if (asg_inst_is_live(inst) && !(only_old && asg_is_new(g, inst)))
            idx[m++] = i;
    }
    termination_sort(keys, idx, m);
    for (unsigned i = 0; i < m && done < n; i++, done++)
        asg_terminate(g, g->insts[idx[i]], reason, now_ms);
    free(keys);
    free(idx);
    return done;
}

/* AWS: replace at most 10 % of desired at a time (one when that is below one). */
static void
asg_replace_unhealthy(struct asg *g, uint64_t now_ms)
{
    unsigned budget = asg_replace_budget(g), busy = 0;

    for (unsigned i = 0; i < g->ninsts; i++) {
        struct asg_inst *inst = g->insts[i];
        if (inst->state == ASG_TERMINATING && inst->health == ASG_UNHEALTHY && inst->alive)
            busy++;
    }
    for (unsigned i = 0; i < g->ninsts && busy < budget; i++) {
        struct asg_inst *inst = g->insts[i];
        if (asg_inst_is_live(inst) && inst->health == ASG_UNHEALTHY) {
            asg_terminate(g, inst, "unhealthy: replaced", now_ms);
            busy++;
        }
    }
}

static void
asg_refresh_step(struct asg *g, uint64_t now_ms)
{
    struct asg_refresh *r = &g->refresh;
    struct refresh_counts c = { .desired = g->desired, .min_healthy_pct = r->min_healthy_pct };

    if (r->status == ASG_REFRESH_PENDING)
        asg_refresh_set(g, ASG_REFRESH_IN_PROGRESS, NULL, now_ms);
    for (unsigned i = 0; i < g->ninsts; i++) {
        struct asg_inst *inst = g->insts[i];
        if (!asg_inst_is_live(inst))
            continue;
        if (!asg_is_new(g, inst) && inst->state == ASG_PENDING) {
            /* To be replaced and not serving yet (in a rollback: a new-version instance
             * still failing its checks): it holds no capacity, so it goes now. Counted as
             * old, the plan would stop a serving instance in its place. */
            asg_terminate(g, inst, "instance refresh", now_ms);
        } else if (!asg_is_new(g, inst)) {
            c.old_in_service++;
        } else if (inst->state == ASG_IN_SERVICE && inst->health == ASG_HEALTHY &&
                 now_ms - inst->in_service_ms >= r->warmup_ms)
            c.new_ready++;
        else if (inst->health == ASG_HEALTHY)
            c.new_pending++;
    }
    struct refresh_step s = refresh_plan_next(&c);
    r->to_update = c.old_in_service;
    r->percent = g->desired ? (c.new_ready >= g->desired ? 100 : c.new_ready * 100 / g->desired)
                            : 100;
    if (s.done) {
        r->percent = 100;
        g->launch_version = r->to_version;
        asg_refresh_set(g, r->status == ASG_REFRESH_ROLLBACK_IN_PROGRESS
                               ? ASG_REFRESH_ROLLBACK_SUCCESSFUL : ASG_REFRESH_SUCCESSFUL,
                        NULL, now_ms);
        return;
    }
    if (s.terminate)
        asg_terminate_oldest(g, s.terminate, true, "instance refresh", now_ms);
    for (unsigned i = 0; i < s.launch && backoff_may_launch(&g->backoff, now_ms); i++)
        if (!asg_launch(g, r->to_version, "instance refresh", now_ms))
            break;
}

/* The metric of one policy over InService instances past their warm-up; NAN if none. */
static double
asg_metric(const struct asg *g, enum fleet_metric m, uint64_t now_ms)
{
    double sum = 0;
    unsigned n = 0;

    for (unsigned i = 0; i < g->ninsts; i++) {
        const struct asg_inst *inst = g->insts[i];
        if (inst->state != ASG_IN_SERVICE || inst->health != ASG_HEALTHY ||
            asg_inst_is_warming(g, inst, now_ms))
            continue;
        double v = m == FLEET_METRIC_CPU ? inst->cpu_pct : inst->rps;
        if (isnan(v))
            continue;
        sum += v;
        n++;
    }
    return n ? sum / n : NAN;
}

static void
asg_scale(struct asg *g, unsigned live, uint64_t now_ms)
{
    double values[SCALER_POLICIES_MAX];
    bool warming = false;

    if (g->conf->npolicies == 0)
        return;
    for (unsigned i = 0; i < g->conf->npolicies; i++)
        values[i] = asg_metric(g, g->conf->policies[i].metric, now_ms);
    scaler_observe(&g->scaler, values);
    for (unsigned i = 0; i < g->ninsts; i++)
        warming |= g->insts[i]->state == ASG_PENDING ||
                   asg_inst_is_warming(g, g->insts[i], now_ms);
    unsigned current = live > g->desired ? live : g->desired;
    struct scaler_decision d = scaler_decide(&g->scaler, current, g->conf->min, g->conf->max,
                                             warming);
    if (d.policy < 0 || d.desired == g->desired)
        return;
    const struct fleet_policy_conf *p = &g->conf->policies[d.policy];
    log_info("fleet", "scaling group=%s desired=%u->%u policy=%s metric=%.1f target=%.1f",
             g->name, g->desired, d.desired, p->name, d.metric, p->target);
    asg_activity(g, "A target tracking policy %s of %s, metric %.1f against target %.1f, "
                 "changed the desired capacity from %u to %u.", p->name, g->name, d.metric,
                 p->target, g->desired, d.desired);
    g->desired = d.desired;
    scaler_reset(&g->scaler);
}

int
asg_set_desired(struct asg *g, unsigned desired, const char *who)
{
    if (desired < g->conf->min || desired > g->conf->max)
        return -ERANGE;
    if (desired == g->desired)
        return 0;
    log_info("fleet", "scaling group=%s desired=%u->%u by=%s", g->name, g->desired, desired,
             who);
    /* AWS's wording for SetDesiredCapacity, with who asked. */
    asg_activity(g, "A user request by %s explicitly set group desired capacity of %s, "
                 "changing the desired capacity from %u to %u.", who, g->name, g->desired,
                 desired);
    g->desired = desired;
    scaler_reset(&g->scaler);
    return 0;
}

static void
asg_keep_capacity(struct asg *g, unsigned live, uint64_t now_ms)
{
    if (live > g->desired) {
        asg_terminate_oldest(g, live - g->desired, false, "scale-in", now_ms);
        return;
    }
    for (unsigned i = live; i < g->desired && backoff_may_launch(&g->backoff, now_ms); i++)
        if (!asg_launch(g, g->launch_version, "capacity", now_ms))
            break;
}

static void
asg_forget_terminated(struct asg *g, uint64_t now_ms)
{
    for (unsigned i = 0; i < g->ninsts;) {
        struct asg_inst *inst = g->insts[i];
        if (inst->state == ASG_TERMINATED && now_ms - inst->ended_ms >= ASG_KEEP_TERMINATED_MS)
            asg_inst_remove_at(g, i);
        else
            i++;
    }
}

void
asg_tick(struct asg *g, uint64_t now_ms)
{
    double dt_s = g->last_tick_ms && now_ms > g->last_tick_ms
                      ? (double)(now_ms - g->last_tick_ms) / 1000.0 : 0;
    unsigned live = 0;

    g->last_tick_ms = now_ms;
    for (unsigned i = 0; i < g->ninsts; i++) {
        struct asg_inst *inst = g->insts[i];
        if (asg_inst_is_live(inst))
            asg_check(g, inst, now_ms, dt_s);
        else if (inst->state == ASG_TERMINATING)
            asg_advance_termination(g, inst, now_ms);
    }
    asg_forget_terminated(g, now_ms);
    if (g->stopping)
        return;
    asg_replace_unhealthy(g, now_ms);
    for (unsigned i = 0; i < g->ninsts; i++)
        live += asg_inst_is_live(g->insts[i]);
    asg_scale(g, live, now_ms);
    if (asg_refresh_is_running(g))
        asg_refresh_step(g, now_ms);
    else
        asg_keep_capacity(g, live, now_ms);
}

int
asg_refresh_start(struct asg *g, unsigned to_version, bool replace_running, uint64_t now_ms)
{
    unsigned from = g->launch_version;

    if (asg_refresh_is_running(g)) {
        if (!replace_running)
            return -EBUSY;
        from = g->refresh.status == ASG_REFRESH_ROLLBACK_IN_PROGRESS ? g->refresh.to_version
                                                                     : g->refresh.from_version;
        asg_refresh_set(g, ASG_REFRESH_CANCELLED, "superseded by a newer version", now_ms);
    }
    asg_refresh_begin(g, from, to_version, g->next_seq, ASG_REFRESH_PENDING, now_ms);
    asg_activity(g, "Started instance refresh of %s from version %u to %u, %u instances to "
                 "replace.", g->name, from, to_version, g->refresh.total);
    return 0;
}

int
asg_refresh_cancel(struct asg *g, uint64_t now_ms)
{
    if (!asg_refresh_is_running(g))
        return -ENODATA;        /* the group exists; no refresh is running */
    asg_refresh_set(g, ASG_REFRESH_CANCELLED, "cancelled by the operator", now_ms);
    g->launch_version = g->conf_version;
    return 0;
}

void
asg_stop_all(struct asg *g, uint64_t now_ms)
{
    g->stopping = true;
    for (unsigned i = 0; i < g->ninsts; i++) {
        struct asg_inst *inst = g->insts[i];
        asg_terminate(g, inst, "shutdown", now_ms);
        if (inst->state == ASG_TERMINATING) {
            inst->registered = false;
            asg_advance_termination(g, inst, now_ms);
        }
    }
}

bool
asg_is_idle(const struct asg *g)
{
    for (unsigned i = 0; i < g->ninsts; i++)
        if (g->insts[i]->alive)
            return false;
    return true;
}
