/*
 * fleet/asg.h: one auto scaling group's controller, ticked once a second on the fleet
 * thread. It decides; the runtime behind struct asg_ops does (processes, ports), and the
 * target group is reached through struct fleet_hooks. Both are injected, and the clock
 * is passed in, so the whole controller runs in unit tests with fakes.
 *
 * Instance life (ASG words): Pending -> InService -> Terminating -> Terminated, with a
 * health status Healthy | Unhealthy beside it.
 *   Pending: launched and registered in the target group; goes InService when its check
 *     passes (ec2: process alive and its port accepts a connection; elb: the target group
 *     says "healthy").
 *   Unhealthy: the process exited (at once, as EC2 status checks ignore the grace period),
 *     the target group says "unhealthy" once the instance was InService or after its
 *     grace period (elb; at most 10 % of desired marked at once), or it stayed Pending
 *     past the grace period and ASG_PENDING_TIMEOUT_MS. Unhealthy instances are replaced:
 *     terminated, then a new one launches (at most 10 % of desired at a time, one if
 *     fewer than 10; exited ones at once).
 *   Terminating: deregistered (the edge drains it for deregistration_delay); once the
 *     target group no longer knows it (or calls it "unused") the process gets stop_signal.
 *   Terminated: the process is gone; the record stays a minute for the operator.
 */
#ifndef FLEET_ASG_H
#define FLEET_ASG_H
#include <stdbool.h>
#include <stdint.h>

#include "core/sock.h"
#include "fleet/backoff.h"
#include "fleet/fleet.h"
#include "fleet/fleet_conf.h"
#include "fleet/scaler.h"

#define ASG_PENDING_TIMEOUT_MS 60000       /* a Pending instance gets at least this long */
#define ASG_KEEP_TERMINATED_MS 60000
#define ASG_REFRESH_MAX_EXITS 3             /* new-version exits that fail a refresh */

enum asg_state { ASG_PENDING = 0, ASG_IN_SERVICE, ASG_TERMINATING, ASG_TERMINATED };
enum asg_health { ASG_HEALTHY = 0, ASG_UNHEALTHY };
enum asg_refresh_status {
    ASG_REFRESH_NONE = 0,
    ASG_REFRESH_PENDING,
    ASG_REFRESH_IN_PROGRESS,
    ASG_REFRESH_SUCCESSFUL,
    ASG_REFRESH_FAILED,
    ASG_REFRESH_CANCELLED,
    ASG_REFRESH_ROLLBACK_IN_PROGRESS,
    ASG_REFRESH_ROLLBACK_SUCCESSFUL,
    ASG_REFRESH_ROLLBACK_FAILED,
};

struct asg_inst {
    char id[32];
    unsigned version;           /* launch template version */
    uint64_t seq;               /* launch order in the group, from 1 */
    enum asg_state state;
    enum asg_health health;
    unsigned port;
    struct sock_addr addr;      /* 127.0.0.1:port */
    int pid;                    /* 0 when no process */
    bool alive;
    bool registered;            /* in the target group (until deregistered) */
    bool stop_sent;
    uint64_t launched_ms, in_service_ms, terminating_ms, ended_ms;
    const char *reason;         /* why it is terminating (static text) */
    int exit_status;            /* wait status, -1 while running */
    double cpu_pct;             /* set by the runtime each second; NAN when unknown */
    double rps;                 /* requests per second from the target group; NAN */
    uint64_t requests;          /* the last count seen */
    bool requests_seen;
    void *proc;                 /* the runtime's handle; the controller never looks in */
};

struct asg;

struct asg_refresh {
    uint64_t id;                /* set by ops->refresh_changed when recorded */
    enum asg_refresh_status status;
    unsigned from_version, to_version;
    uint64_t start_seq;         /* instances launched before this are old; 0 in rollback */
    unsigned min_healthy_pct;
    uint64_t warmup_ms;
    bool auto_rollback;
    unsigned total;             /* instances to replace when it started */
    unsigned new_exits;
    unsigned percent;           /* last computed progress */
    unsigned to_update;
    uint64_t started_ms, ended_ms;
    char reason[160];
};

/* The runtime. All called on the fleet thread from within asg_* calls. */
struct asg_ops {
    void *ctx;
    /* Starts inst's process from template t: sets port, addr, pid, proc; 0 or -errno
     * (nothing started then). */
    int (*launch)(void *ctx, struct asg *g, struct asg_inst *inst, const struct template *t);
    /* Sends stop_signal to the instance's process group and SIGKILL after stop_timeout;
     * the runtime calls asg_inst_exited() when the process is gone. */
    void (*stop)(void *ctx, struct asg *g, struct asg_inst *inst);
    /* The ec2 check: the instance's port accepts a TCP connection. */
    bool (*port_open)(void *ctx, const struct asg_inst *inst);
    /* The template of a version; NULL when unknown. Borrowed until the next apply. */
    const struct template *(*template_get)(void *ctx, const char *name, unsigned version);
    /* A refresh started or changed status: record it (may set r->id). */
    void (*refresh_changed)(void *ctx, struct asg *g, struct asg_refresh *r);
    /* A scaling activity, as an AWS-style sentence (may be NULL). */
    void (*activity)(void *ctx, struct asg *g, const char *text);
    /* Writes a new instance id (unique in the fleet) into buf; NULL: the group's own. */
    void (*next_id)(void *ctx, char *buf, unsigned len);
    /* The record is going away: release inst->proc (the process is already gone). */
    void (*release)(void *ctx, struct asg *g, struct asg_inst *inst);
};

/* Returns a new group controller. conf is borrowed (until asg_update); `version` is the
 * resolved template version it launches; id_base makes instance ids unique across
 * restarts (seconds since the epoch, say). hooks and ops are borrowed. */
struct asg *asg_new(const struct fleet_group_conf *conf, unsigned version,
                    const struct fleet_hooks *hooks, const struct asg_ops *ops,
                    uint32_t id_base);
/* Frees the controller and its records (call after every process is gone). */
void asg_free(struct asg *g);
/* A reload: takes the new conf (borrowed) and resolved version. A desired_capacity that
 * changed in the file is applied; the current one is clamped into [min, max]. Returns
 * true when the version changed for a group that follows the latest (the caller then
 * starts a refresh). */
bool asg_update(struct asg *g, const struct fleet_group_conf *conf, unsigned version,
                uint64_t now_ms);
/* SetDesiredCapacity: the group keeps `desired` instances from its next tick (launching
 * or terminating the oldest), until a scaling policy, a reload that changes
 * desired_capacity, or another call says otherwise. -ERANGE outside [min, max]. `who` is
 * recorded in the scaling activity. */
int asg_set_desired(struct asg *g, unsigned desired, const char *who);
/* The second's work: health, replacement, refresh batches, metrics, scaling, capacity. */
void asg_tick(struct asg *g, uint64_t now_ms);
/* The runtime's report that inst's process is gone (status as from waitpid). */
void asg_inst_exited(struct asg *g, struct asg_inst *inst, int status, uint64_t now_ms);
/* Begins a refresh to `to_version`, replacing every instance launched before now.
 * Cancels a running one when `replace_running`; otherwise -EBUSY. */
int asg_refresh_start(struct asg *g, unsigned to_version, bool replace_running,
                      uint64_t now_ms);
/* -ENOENT when no refresh is in progress. */
int asg_refresh_cancel(struct asg *g, uint64_t now_ms);
const struct asg_refresh *asg_refresh_get(const struct asg *g);
const char *asg_refresh_status_name(enum asg_refresh_status s);
bool asg_refresh_is_running(const struct asg *g);
/* Stops every instance (shutdown): deregisters and sends stop_signal without draining. */
void asg_stop_all(struct asg *g, uint64_t now_ms);
/* True when no instance has a process. */
bool asg_is_idle(const struct asg *g);

/* Read access for the facade and the tests. */
const char *asg_name(const struct asg *g);
const struct fleet_group_conf *asg_conf(const struct asg *g);
unsigned asg_desired(const struct asg *g);
unsigned asg_launch_version(const struct asg *g);
unsigned asg_count(const struct asg *g);
struct asg_inst *asg_inst_at(const struct asg *g, unsigned i);
/* True while an InService instance is inside its warm-up. */
bool asg_inst_is_warming(const struct asg *g, const struct asg_inst *inst, uint64_t now_ms);
const char *asg_state_name(enum asg_state s);
const char *asg_health_name(enum asg_health h);

#endif
