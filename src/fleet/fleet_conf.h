/*
 * fleet/fleet_conf.h: the fleet's part of the stack file (launch_templates,
 * auto_scaling_groups), turned from conf nodes into plain structs and validated. The
 * struct is immutable once built; a reload builds a new one. It does not know template
 * version numbers: those come from the state db when fleet_apply() resolves them.
 */
#ifndef FLEET_FLEET_CONF_H
#define FLEET_FLEET_CONF_H
#include <stdbool.h>
#include <stdint.h>

#include "conf/ctx.h"
#include "conf/node.h"
#include "fleet/template.h"

#define FLEET_CONF_PORT_MIN 20000
#define FLEET_CONF_PORT_MAX 29999

enum fleet_health_type { FLEET_HEALTH_EC2 = 0, FLEET_HEALTH_ELB };
enum fleet_metric { FLEET_METRIC_CPU = 0, FLEET_METRIC_REQUESTS };

struct fleet_policy_conf {
    char *name;
    enum fleet_metric metric;   /* cpu_utilization | request_count_per_target */
    double target;              /* target_value > 0: percent, or requests/s per target */
    bool disable_scale_in;
};

/* instance_refresh preferences. */
struct fleet_refresh_conf {
    unsigned min_healthy_pct;   /* 0..100; default 90 (AWS) */
    uint64_t warmup_ms;         /* default: default_instance_warmup, else the grace period */
    bool auto_rollback;         /* default false */
};

struct fleet_group_conf {
    char *name;
    char *template_name;
    unsigned template_version;  /* pinned version, 0 = follow the latest */
    char *target_group;
    unsigned min, max, desired;
    enum fleet_health_type health_type;     /* default ec2 */
    uint64_t grace_ms;                      /* health_check_grace_period, default 0 */
    uint64_t warmup_ms;                     /* default_instance_warmup, default 0 */
    unsigned npolicies;
    struct fleet_policy_conf *policies;
    struct fleet_refresh_conf refresh;
    const char *file;                       /* position of the group for messages */
    unsigned line, col;
};

struct fleet_conf {
    unsigned ntemplates;
    struct template *templates;
    unsigned ngroups;
    struct fleet_group_conf *groups;
    unsigned port_min, port_max;            /* instance ports; 20000-29999 */
};


/* Reads both sections from the document root (NULL: an empty document). `tg_names` are
 * the edge's target group names, which target_group must name. Returns a new conf (empty
 * when both sections are absent), or NULL after adding every problem to d. */
int fleet_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                     struct fleet_conf **out);
void fleet_conf_free(struct fleet_conf *c);
/* Borrowed lookups; NULL when absent. */
const struct template *fleet_conf_template(const struct fleet_conf *c, const char *name);
const struct fleet_group_conf *fleet_conf_group(const struct fleet_conf *c, const char *name);

#endif
