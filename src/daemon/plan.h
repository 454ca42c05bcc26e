/*
 * daemon/plan.h: what applying a stack file would change, as Terraform shows it. A pure
 * differ over two parsed stack files (conf node trees): resource by resource, the
 * attributes that differ with old and new values, whether the change is in place, needs
 * a replacement, or takes effect only on restart, and its side effects. It neither loads
 * files nor applies anything; the fleet's template versions come in as plain values.
 */
#ifndef DAEMON_PLAN_H
#define DAEMON_PLAN_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/node.h"

enum plan_action {
    PLAN_NOOP = 0,
    PLAN_CREATE,        /* "+" */
    PLAN_UPDATE,        /* "~" in place */
    PLAN_REPLACE,       /* "-/+" destroyed, then created */
    PLAN_DELETE,        /* "-" */
};

/* One attribute that differs. Values are rendered ("\"5s\"", "3", "[a, b]"); NULL is
 * absent on that side (the attribute is added or removed). */
struct plan_attr {
    char *path;                 /* relative to the resource: "health_check.interval" */
    char *old_value, *new_value;
    bool forces_replacement;
    bool requires_restart;
};

struct plan_resource {
    char *kind;                 /* "listener", "target_group", ..., or the section name */
    char *name;                 /* the resource's name; the section name for singletons */
    char *address;              /* "listener.public", "shield" */
    enum plan_action action;
    bool requires_restart;      /* some change takes effect only when tierd restarts */
    unsigned nattrs;
    struct plan_attr *attrs;
    unsigned nnotes;
    char **notes;               /* side effects, one sentence each */
};

struct plan {
    unsigned n;
    struct plan_resource *res;  /* only resources with an action, in a stable order */
    unsigned add, change, destroy;  /* a replacement counts once in add and in destroy */
};

/* What the fleet runs for one group (GET /v1/auto-scaling-groups), for side effects. */
struct plan_group_state {
    const char *group;
    const char *template_name;
    unsigned version;           /* launch template version the group runs */
    bool follows_latest;
};

/* Compares the running stack (old_root) with the new one (new_root); either may be NULL
 * (an empty document). groups may be NULL when ngroups is 0. Returns a new plan (exits on
 * allocation failure, like start-up: a plan is a few kilobytes). Borrows its inputs. */
struct plan *plan_diff(const struct conf_node *old_root, const struct conf_node *new_root,
                       const struct plan_group_state *groups, unsigned ngroups);
void plan_free(struct plan *p);

static inline bool
plan_has_changes(const struct plan *p)
{
    return p->n > 0;
}

/* "Plan: 1 to add, 2 to change, 0 to destroy." or "No changes." */
void plan_summary(const struct plan *p, char *out, size_t n);
/* The plan as docs/api.md describes it ("changes", "summary", "resources"); new ref. */
json_t *plan_json(const struct plan *p);
/* "+", "~", "-/+", "-" (or "" for PLAN_NOOP), and "create", "update", ... */
const char *plan_action_symbol(enum plan_action a);
const char *plan_action_name(enum plan_action a);

#endif
