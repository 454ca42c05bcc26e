/* tests/unit/fleet/asg_test.c: the group controller with a fake runtime, fake target
 * group and an injected clock (one tick = one second). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "fleet/asg.h"
#include "fleet/termination.h"

#define FAKE_MAX 64

struct fake {
    bool port_ok;               /* ec2 check result */
    bool fail_launch;
    const char *state[FAKE_MAX];   /* target state by seq; NULL = default_state */
    const char *default_state;
    bool registered[FAKE_MAX], draining[FAKE_MAX], stopped[FAKE_MAX];
    unsigned launches, refresh_changes;
    struct template t[3];       /* versions 1, 2 */
};

static struct fake fk;

static unsigned
seq_of(const struct sock_addr *a)
{
    return (unsigned)sock_addr_port(a) - 20000;
}

static int
fake_launch(void *ctx, struct asg *g, struct asg_inst *inst, const struct template *t)
{
    char text[32];
    const char *why;

    if (fk.fail_launch)
        return -EAGAIN;
    inst->port = 20000 + (unsigned)inst->seq;
    snprintf(text, sizeof(text), "127.0.0.1:%u", inst->port);
    sock_addr_parse(text, &inst->addr, &why);
    inst->pid = 1000 + (int)inst->seq;
    fk.launches++;
    return 0;
}

static void
fake_stop(void *ctx, struct asg *g, struct asg_inst *inst)
{
    fk.stopped[inst->seq] = true;
}

static bool
fake_port_open(void *ctx, const struct asg_inst *inst)
{
    return fk.port_ok;
}

static const struct template *
fake_template(void *ctx, const char *name, unsigned version)
{
    return version >= 1 && version <= 2 ? &fk.t[version] : NULL;
}

static void
fake_refresh_changed(void *ctx, struct asg *g, struct asg_refresh *r)
{
    fk.refresh_changes++;
    if (!r->id)
        r->id = 42;
}

static int
fake_register(void *ctx, const char *group, const struct sock_addr *a)
{
    fk.registered[seq_of(a)] = true;
    fk.draining[seq_of(a)] = false;
    return 0;
}

static int
fake_deregister(void *ctx, const char *group, const struct sock_addr *a)
{
    fk.draining[seq_of(a)] = true;
    return 0;
}

static int
fake_lookup(void *ctx, const char *group, const struct sock_addr *a,
            struct fleet_target_status *out)
{
    unsigned s = seq_of(a);

    if (!fk.registered[s])
        return -ENOENT;
    out->state = fk.draining[s] ? "draining" : fk.state[s] ? fk.state[s] : fk.default_state;
    out->requests = 0;
    return 0;
}

static const struct fleet_hooks hooks = {
    .register_target = fake_register, .deregister_target = fake_deregister,
    .lookup = fake_lookup,
};
static const struct asg_ops ops = {
    .launch = fake_launch, .stop = fake_stop, .port_open = fake_port_open,
    .template_get = fake_template, .refresh_changed = fake_refresh_changed,
};

static struct fleet_group_conf
group_conf(unsigned min, unsigned max, unsigned desired)
{
    struct fleet_group_conf c = {
        .name = "web", .template_name = "app", .target_group = "web", .min = min, .max = max,
        .desired = desired, .refresh = { .min_healthy_pct = 50 },
    };
    return c;
}

static void
fake_reset(void)
{
    memset(&fk, 0, sizeof(fk));
    fk.port_ok = true;
    fk.default_state = "healthy";
}

static unsigned
count(struct asg *g, enum asg_state s, int version)
{
    unsigned n = 0;

    for (unsigned i = 0; i < asg_count(g); i++) {
        struct asg_inst *inst = asg_inst_at(g, i);
        n += inst->state == s && (version < 0 || inst->version == (unsigned)version);
    }
    return n;
}

/* The fake runtime: stopped processes exit at once. */
static void
exit_stopped(struct asg *g, uint64_t now)
{
    for (unsigned i = 0; i < asg_count(g); i++) {
        struct asg_inst *inst = asg_inst_at(g, i);
        if (fk.stopped[inst->seq] && inst->alive)
            asg_inst_exited(g, inst, W_EXITCODE(0, SIGTERM), now);
    }
}

static void run(struct asg *g, uint64_t *t, int seconds, unsigned *min_in_service);

/* Drained targets leave the group (the edge's deregistration_delay passed). */
static void
drain_all(void)
{
    for (unsigned i = 0; i < FAKE_MAX; i++)
        if (fk.draining[i])
            fk.registered[i] = false;
}

TEST(asg_launches_to_desired_then_in_service_on_ec2_checks)
{
    fake_reset();
    struct fleet_group_conf c = group_conf(1, 4, 2);
    struct asg *g = asg_new(&c, 1, &hooks, &ops, 7);

    fk.port_ok = false;
    asg_tick(g, 1000);
    EXPECT_EQ(count(g, ASG_PENDING, 1), 2);
    EXPECT_TRUE(fk.registered[1] && fk.registered[2]);
    asg_tick(g, 2000);
    EXPECT_EQ(count(g, ASG_PENDING, -1), 2);           /* port closed: still Pending */
    fk.port_ok = true;
    asg_tick(g, 3000);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, -1), 2);
    EXPECT_EQ(fk.launches, 2);
    EXPECT_STREQ(asg_inst_at(g, 0)->id, "i-00000007000001");
    asg_free(g);
}

TEST(asg_replaces_an_exited_instance_and_backs_off_a_crash_loop)
{
    fake_reset();
    struct fleet_group_conf c = group_conf(1, 4, 1);
    struct asg *g = asg_new(&c, 1, &hooks, &ops, 7);

    asg_tick(g, 1000);
    asg_tick(g, 2000);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, -1), 1);
    asg_inst_exited(g, asg_inst_at(g, 0), W_EXITCODE(1, 0), 2500);    /* 1.5 s: fast */
    EXPECT_EQ(count(g, ASG_TERMINATED, -1), 1);
    EXPECT_EQ(asg_inst_at(g, 0)->health, ASG_UNHEALTHY);
    asg_tick(g, 3000);
    EXPECT_EQ(fk.launches, 1);                          /* back-off: 1 s after the exit */
    asg_tick(g, 3600);
    EXPECT_EQ(fk.launches, 2);
    asg_inst_exited(g, asg_inst_at(g, 1), W_EXITCODE(1, 0), 4000);
    asg_tick(g, 5000);
    asg_tick(g, 5900);
    EXPECT_EQ(fk.launches, 2);                          /* now 2 s */
    asg_tick(g, 6000);
    EXPECT_EQ(fk.launches, 3);
    /* A record of a terminated instance stays a minute, then goes. */
    asg_tick(g, 63000);
    EXPECT_EQ(count(g, ASG_TERMINATED, -1), 1);
    asg_tick(g, 70000);
    EXPECT_EQ(count(g, ASG_TERMINATED, -1), 0);
    asg_free(g);
}

TEST(asg_elb_unhealthy_after_grace_drains_then_stops_then_replaces)
{
    fake_reset();
    struct fleet_group_conf c = group_conf(1, 4, 1);
    c.health_type = FLEET_HEALTH_ELB;
    c.grace_ms = 10000;
    struct asg *g = asg_new(&c, 1, &hooks, &ops, 7);

    fk.default_state = "initial";
    asg_tick(g, 0);
    asg_tick(g, 1000);
    EXPECT_EQ(count(g, ASG_PENDING, -1), 1);           /* elb: waits for "healthy" */
    /* A slow starter: its first probes failed. Inside the grace period, and never
     * InService, it is left alone. */
    fk.default_state = "unhealthy";
    for (uint64_t ms = 2000; ms < 10000; ms += 1000)
        asg_tick(g, ms);
    EXPECT_EQ(asg_inst_at(g, 0)->health, ASG_HEALTHY);
    EXPECT_EQ(asg_inst_at(g, 0)->state, ASG_PENDING);
    fk.default_state = "healthy";
    asg_tick(g, 9500);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, -1), 1);
    EXPECT_EQ(fk.launches, 1);
    /* Once it has served, failing the checks counts at once, grace or not. */
    fk.default_state = "unhealthy";
    asg_tick(g, 9800);
    struct asg_inst *old = asg_inst_at(g, 0);
    EXPECT_EQ(old->health, ASG_UNHEALTHY);
    EXPECT_EQ(old->state, ASG_TERMINATING);
    EXPECT_TRUE(fk.draining[1]);
    EXPECT_EQ(fk.launches, 2);                          /* terminate, then launch */
    asg_tick(g, 11000);
    EXPECT_FALSE(fk.stopped[1]);                        /* still draining */
    drain_all();
    asg_tick(g, 12000);
    EXPECT_TRUE(fk.stopped[1]);
    exit_stopped(g, 12100);
    EXPECT_EQ(old->state, ASG_TERMINATED);
    /* The replacement never passes: it is marked when its grace period ends. */
    asg_tick(g, 19700);
    EXPECT_EQ(asg_inst_at(g, 1)->health, ASG_HEALTHY);
    asg_tick(g, 19800);
    EXPECT_EQ(asg_inst_at(g, 1)->health, ASG_UNHEALTHY);
    asg_free(g);
}

/* A target group that calls every target unhealthy marks at most 10 % of desired (one
 * below ten) at a time: the next only once the last one's process is gone. */
TEST(asg_elb_marks_at_most_ten_percent_unhealthy_at_once)
{
    fake_reset();
    struct fleet_group_conf c = group_conf(1, 40, 20);
    c.health_type = FLEET_HEALTH_ELB;
    c.grace_ms = 5000;
    struct asg *g = asg_new(&c, 1, &hooks, &ops, 7);
    uint64_t t = 0;

    run(g, &t, 2, NULL);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, 1), 20);
    fk.default_state = "unhealthy";
    for (int i = 0; i < 30; i++) {
        asg_tick(g, t += 1000);
        unsigned marked = 0;
        for (unsigned k = 0; k < asg_count(g); k++) {
            struct asg_inst *inst = asg_inst_at(g, k);
            marked += inst->alive && inst->health == ASG_UNHEALTHY;
        }
        EXPECT_TRUE(marked <= 2);                       /* 10 % of 20 */
        if (i % 3 == 2) {                               /* a drain takes a few seconds */
            drain_all();
            exit_stopped(g, t);
        }
    }
    EXPECT_TRUE(count(g, ASG_TERMINATED, 1) >= 4);     /* it did go on, two at a time */
    asg_free(g);
}

TEST(asg_scales_out_on_cpu_and_in_by_the_termination_policy)
{
    fake_reset();
    struct fleet_group_conf c = group_conf(2, 8, 2);
    struct fleet_policy_conf p = { .name = "cpu-50", .metric = FLEET_METRIC_CPU, .target = 50 };
    c.policies = &p;
    c.npolicies = 1;
    c.warmup_ms = 5000;
    struct asg *g = asg_new(&c, 1, &hooks, &ops, 7);
    uint64_t t = 0;

    asg_tick(g, t += 1000);
    asg_tick(g, t += 1000);                             /* InService at 2 s */
    for (int i = 0; i < 8; i++) {
        for (unsigned k = 0; k < asg_count(g); k++)
            asg_inst_at(g, k)->cpu_pct = 95;
        asg_tick(g, t += 1000);
    }
    /* Warming until 7 s, then 3 samples above target: ceil(2 * 95 / 50) = 4. */
    EXPECT_EQ(asg_desired(g), 4);
    EXPECT_EQ(fk.launches, 4);
    /* A minute below 90 % of target after warm-up: back to min, oldest first. */
    for (int i = 0; i < 80; i++) {
        for (unsigned k = 0; k < asg_count(g); k++)
            asg_inst_at(g, k)->cpu_pct = 10;
        asg_tick(g, t += 1000);
    }
    EXPECT_EQ(asg_desired(g), 2);
    EXPECT_EQ(asg_inst_at(g, 0)->state, ASG_TERMINATING);
    EXPECT_EQ(asg_inst_at(g, 1)->state, ASG_TERMINATING);
    EXPECT_EQ(asg_inst_at(g, 2)->state, ASG_IN_SERVICE);
    EXPECT_EQ(asg_inst_at(g, 3)->state, ASG_IN_SERVICE);
    asg_free(g);
}

TEST(asg_termination_order_is_oldest_version_then_oldest_instance)
{
    struct termination_key k[] = { { 2, 1 }, { 1, 5 }, { 2, 0 }, { 1, 3 }, { 3, 2 } };
    unsigned idx[] = { 0, 1, 2, 3, 4 };

    termination_sort(k, idx, 5);
    EXPECT_EQ(idx[0], 3);
    EXPECT_EQ(idx[1], 1);
    EXPECT_EQ(idx[2], 2);
    EXPECT_EQ(idx[3], 0);
    EXPECT_EQ(idx[4], 4);
}

/* Ticks the fake world: stopped instances exit, drained targets leave. */
static void
run(struct asg *g, uint64_t *t, int seconds, unsigned *min_in_service)
{
    for (int i = 0; i < seconds; i++) {
        asg_tick(g, *t += 1000);
        drain_all();
        exit_stopped(g, *t);
        unsigned n = 0;
        for (unsigned k = 0; k < asg_count(g); k++) {
            struct asg_inst *inst = asg_inst_at(g, k);
            n += inst->state == ASG_IN_SERVICE && inst->health == ASG_HEALTHY;
        }
        if (min_in_service && n < *min_in_service)
            *min_in_service = n;
    }
}

TEST(asg_refresh_replaces_in_batches_keeping_healthy_capacity)
{
    fake_reset();
    struct fleet_group_conf c = group_conf(1, 8, 4);
    c.refresh.warmup_ms = 2000;
    struct asg *g = asg_new(&c, 1, &hooks, &ops, 7);
    uint64_t t = 0;
    unsigned low = 99;

    run(g, &t, 3, NULL);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, 1), 4);
    EXPECT_EQ(asg_refresh_start(g, 2, false, t), 0);
    EXPECT_EQ(asg_refresh_start(g, 2, false, t), -EBUSY);
    EXPECT_EQ(asg_refresh_get(g)->total, 4);
    run(g, &t, 1, &low);
    EXPECT_EQ(asg_refresh_get(g)->status, ASG_REFRESH_IN_PROGRESS);
    EXPECT_EQ(count(g, ASG_PENDING, 2), 2);             /* batch = 4 - ceil(4*50%) = 2 */
    run(g, &t, 20, &low);
    EXPECT_EQ(asg_refresh_get(g)->status, ASG_REFRESH_SUCCESSFUL);
    EXPECT_EQ(asg_refresh_get(g)->percent, 100);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, 2), 4);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, 1), 0);
    EXPECT_TRUE(low >= 4);                              /* launch before terminate */
    EXPECT_EQ(asg_launch_version(g), 2);
    asg_free(g);
}

TEST(asg_refresh_rolls_back_when_new_instances_fail_health_checks)
{
    fake_reset();
    struct fleet_group_conf c = group_conf(1, 8, 2);
    c.health_type = FLEET_HEALTH_ELB;
    c.grace_ms = 3000;
    c.refresh.auto_rollback = true;
    struct asg *g = asg_new(&c, 1, &hooks, &ops, 7);
    uint64_t t = 0;

    run(g, &t, 3, NULL);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, 1), 2);
    asg_refresh_start(g, 2, false, t);
    for (unsigned s = 3; s < 8; s++)
        fk.state[s] = "unhealthy";                      /* version 2 never passes */
    run(g, &t, 4, NULL);
    /* The old instances were never stopped (launch before terminate), so the rollback
     * only has to remove the failed new one. */
    EXPECT_EQ(asg_refresh_get(g)->status, ASG_REFRESH_ROLLBACK_SUCCESSFUL);
    EXPECT_EQ(asg_refresh_get(g)->from_version, 2);
    EXPECT_EQ(asg_refresh_get(g)->to_version, 1);
    EXPECT_STREQ(asg_refresh_get(g)->reason, "failed the target group's health checks");
    EXPECT_EQ(asg_launch_version(g), 1);
    run(g, &t, 10, NULL);
    EXPECT_EQ(asg_refresh_get(g)->status, ASG_REFRESH_ROLLBACK_SUCCESSFUL);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, 1), 2);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, 2) + count(g, ASG_PENDING, 2), 0);
    asg_free(g);
}

/* The new version passes its first batch and fails its checks in the second: the
 * refresh fails and rolls back what was already replaced, back to the old version at full
 * capacity, and the healthy capacity never drops below desired on the way. */
TEST(asg_refresh_rolls_back_after_part_of_the_group_was_replaced)
{
    fake_reset();
    struct fleet_group_conf c = group_conf(1, 8, 4);
    c.health_type = FLEET_HEALTH_ELB;
    c.grace_ms = 3000;
    c.refresh.auto_rollback = true;
    c.refresh.warmup_ms = 1000;
    struct asg *g = asg_new(&c, 1, &hooks, &ops, 7);
    uint64_t t = 0;
    unsigned low = 99;

    run(g, &t, 3, NULL);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, 1), 4);
    EXPECT_EQ(asg_refresh_start(g, 2, false, t), 0);
    bool half = false;
    for (int i = 0; i < 60 && asg_refresh_is_running(g); i++) {
        /* Version 2's first two instances (5, 6) pass, later ones fail. */
        for (unsigned k = 0; k < asg_count(g); k++) {
            struct asg_inst *inst = asg_inst_at(g, k);
            if (inst->version == 2 && inst->seq >= 7)
                fk.state[inst->seq] = "unhealthy";
        }
        run(g, &t, 1, &low);
        half |= count(g, ASG_IN_SERVICE, 2) == 2 && count(g, ASG_IN_SERVICE, 1) == 2;
    }
    EXPECT_TRUE(half);                                  /* the first batch did replace two */
    EXPECT_EQ(asg_refresh_get(g)->status, ASG_REFRESH_ROLLBACK_SUCCESSFUL);
    EXPECT_EQ(asg_refresh_get(g)->from_version, 2);
    EXPECT_EQ(asg_refresh_get(g)->to_version, 1);
    EXPECT_EQ(asg_launch_version(g), 1);
    run(g, &t, 10, &low);
    EXPECT_EQ(asg_refresh_get(g)->status, ASG_REFRESH_ROLLBACK_SUCCESSFUL);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, 1), 4);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, 2) + count(g, ASG_PENDING, 2) +
              count(g, ASG_PENDING, 1), 0);
    /* Launch before terminate held throughout, the rollback included: the failing new
     * instance that never served was stopped, not a serving one in its place. */
    EXPECT_TRUE(low >= 4);
    asg_free(g);
}

TEST(asg_refresh_cancel_stops_where_it_is)
{
    fake_reset();
    struct fleet_group_conf c = group_conf(1, 8, 4);
    c.refresh.min_healthy_pct = 75;                     /* one at a time */
    struct asg *g = asg_new(&c, 1, &hooks, &ops, 7);
    uint64_t t = 0;

    run(g, &t, 3, NULL);
    EXPECT_EQ(asg_refresh_cancel(g, t), -ENODATA);
    asg_refresh_start(g, 2, false, t);
    run(g, &t, 2, NULL);
    unsigned v2 = count(g, ASG_IN_SERVICE, 2);
    EXPECT_TRUE(v2 >= 1 && v2 < 4);
    unsigned in_flight = count(g, ASG_PENDING, 2);
    EXPECT_EQ(asg_refresh_cancel(g, t), 0);
    EXPECT_EQ(asg_refresh_get(g)->status, ASG_REFRESH_CANCELLED);
    unsigned before = fk.launches;
    run(g, &t, 10, NULL);
    /* The launch in flight completes (and the oldest goes, by the termination policy);
     * nothing further is replaced. */
    EXPECT_EQ(count(g, ASG_IN_SERVICE, 2), v2 + in_flight);
    EXPECT_TRUE(count(g, ASG_IN_SERVICE, 1) >= 1);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, -1), 4);
    EXPECT_EQ(fk.launches, before);
    asg_free(g);
}

TEST(asg_update_to_a_new_latest_version_refreshes_from_the_old_one)
{
    fake_reset();
    struct fleet_group_conf c = group_conf(1, 8, 2), c2;
    struct asg *g = asg_new(&c, 1, &hooks, &ops, 7);
    uint64_t t = 0;

    run(g, &t, 3, NULL);
    c2 = c;
    c2.desired = 3;
    EXPECT_TRUE(asg_update(g, &c2, 2, t));
    EXPECT_EQ(asg_desired(g), 3);                       /* changed in the file: applied */
    EXPECT_EQ(asg_refresh_start(g, 2, true, t), 0);
    EXPECT_EQ(asg_refresh_get(g)->from_version, 1);
    EXPECT_EQ(asg_refresh_get(g)->to_version, 2);
    run(g, &t, 20, NULL);
    EXPECT_EQ(asg_refresh_get(g)->status, ASG_REFRESH_SUCCESSFUL);
    EXPECT_EQ(count(g, ASG_IN_SERVICE, 2), 3);
    /* Pinned: no refresh, new launches use it. */
    c.template_version = 1;
    c.desired = 3;
    EXPECT_FALSE(asg_update(g, &c, 1, t));
    EXPECT_EQ(asg_launch_version(g), 1);
    asg_free(g);
}
