/*
 * daemon/routes_fleet.c: the fleet's control routes: auto scaling groups, their
 * instances, desired capacity (SetDesiredCapacity), and instance refresh (start, status,
 * cancel). Starting a refresh returns
 * once the fleet has recorded it durably (fleet.h).
 */
#include "daemon/routes.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "fleet/fleet.h"

static void
add_group(void *ctx, const struct fleet_group_info *g)
{
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:i, s:b, s:i, s:i, s:i, s:i, s:i, "
                                         "s:i, s:s}",
                                         "name", g->name, "target_group", g->target_group,
                                         "launch_template", g->launch_template,
                                         "version", (int)g->version,
                                         "follows_latest", g->follows_latest,
                                         "min_size", (int)g->min, "max_size", (int)g->max,
                                         "desired_capacity", (int)g->desired,
                                         "pending", (int)g->pending,
                                         "in_service", (int)g->in_service,
                                         "terminating", (int)g->terminating,
                                         "refresh_status", g->refresh_status));
}

static void
groups_get(struct ctl_req *req, void *ctx)
{
    json_t *list = json_array();

    fleet_visit_groups(ctx, add_group, list);
    ctl_req_reply(req, 200, json_pack("{s:o}", "auto_scaling_groups", list));
}

static void
add_instance(void *ctx, const struct fleet_instance_info *i)
{
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:o, s:I, s:b, "
                                         "s:s}",
                                         "id", i->id, "group", i->group, "state", i->state,
                                         "health", i->health, "version", (int)i->version,
                                         "port", (int)i->port, "pid", i->pid, "cpu_pct",
                                         isnan(i->cpu_pct) ? json_null()
                                                           : json_real(i->cpu_pct),
                                         "uptime_ms", (json_int_t)i->uptime_ms,
                                         "warming", i->warming,
                                         "limits", i->limits ? i->limits : ""));
}

static void
instances_get(struct ctl_req *req, void *ctx)
{
    const char *group = ctl_req_param(req, "name");
    json_t *list = json_array();

    if (fleet_visit_instances(ctx, group, add_instance, list) == -ENOENT) {
        json_decref(list);
        ctl_req_error(req, 404, "not_found", "name", "no auto scaling group named \"%s\"",
                      group);
        return;
    }
    ctl_req_reply(req, 200, json_pack("{s:o}", "instances", list));
}

static json_t *
refresh_json(const char *group, const struct fleet_refresh_info *r)
{
    return json_pack("{s:s, s:I, s:s, s:i, s:i, s:i, s:i, s:I, s:I, s:s}", "group", group,
                     "id", (json_int_t)r->id, "status", r->status,
                     "from_version", (int)r->from_version, "to_version", (int)r->to_version,
                     "percent_complete", (int)r->percent_complete,
                     "instances_to_update", (int)r->instances_to_update,
                     "started", (json_int_t)(r->started_wall_ms / 1000),
                     "ended", (json_int_t)(r->ended_wall_ms / 1000), "reason", r->reason);
}

static void
refresh_error(struct ctl_req *req, const char *group, int rc)
{
    if (rc == -ENOENT)
        ctl_req_error(req, 404, "not_found", "name", "no auto scaling group named \"%s\"",
                      group);
    else if (rc == -ENODATA)
        ctl_req_error(req, 404, "not_found", NULL, "group \"%s\" has no instance refresh "
                                                   "running; start one with tierd refresh start "
                                                   "%s", group, group);
    else if (rc == -EBUSY || rc == -EALREADY)
        ctl_req_error(req, 409, "conflict", NULL, "group \"%s\": a refresh is already running; "
                                                  "cancel it first", group);
    else
        ctl_req_error(req, 503, "unavailable", NULL, "group \"%s\": %s", group, strerror(-rc));
}

static void
refresh_post(struct ctl_req *req, void *ctx)
{
    const char *group = ctl_req_param(req, "name");
    struct fleet_refresh_info info;
    int rc = fleet_refresh_start(ctx, group, &info);

    if (rc < 0) {
        refresh_error(req, group, rc);
        return;
    }
    log_info("ctl", "api refresh start group=%s id=%llu", group, (unsigned long long)info.id);
    ctl_req_reply(req, 202, refresh_json(group, &info));
}

static void
refresh_get(struct ctl_req *req, void *ctx)
{
    const char *group = ctl_req_param(req, "name");
    struct fleet_refresh_info info;
    int rc = fleet_refresh_status(ctx, group, &info);

    if (rc < 0) {
        refresh_error(req, group, rc);
        return;
    }
    ctl_req_reply(req, 200, refresh_json(group, &info));
}

static void
refresh_delete(struct ctl_req *req, void *ctx)
{
    const char *group = ctl_req_param(req, "name");
    int rc = fleet_refresh_cancel(ctx, group);

    if (rc < 0) {
        refresh_error(req, group, rc);
        return;
    }
    log_info("ctl", "api refresh cancel group=%s", group);
    ctl_req_reply(req, 202, json_pack("{s:s, s:s}", "group", group, "status", "Cancelling"));
}

/* PUT .../desired-capacity {"desired": N}: AWS's SetDesiredCapacity. */
static void
desired_put(struct ctl_req *req, void *ctx)
{
    const char *group = ctl_req_param(req, "name");
    json_t *body = ctl_req_body(req), *d = body ? json_object_get(body, "desired") : NULL;
    unsigned old = 0, min = 0, max = 0;
    char by[128];

    if (!json_is_integer(d) || json_integer_value(d) < 0 || json_integer_value(d) > 100000) {
        ctl_req_error(req, 422, "invalid", "desired", "desired: %s; send {\"desired\": N} with "
                      "N between the group's min_size and max_size",
                      !d ? "missing" : "expected a whole number of instances");
        return;
    }
    unsigned want = (unsigned)json_integer_value(d);
    ctl_req_actor(req, by, sizeof(by));
    int rc = fleet_set_desired(ctx, group, want, by, &old, &min, &max);
    if (rc == -ENOENT) {
        ctl_req_error(req, 404, "not_found", "name", "no auto scaling group named \"%s\"",
                      group);
        return;
    }
    if (rc == -ERANGE) {
        ctl_req_error(req, 422, "validation_error", "desired", "desired: %u is %s %s %u of "
                      "group \"%s\"; give a value from %u to %u, or change min_size and "
                      "max_size in the stack file", want, want < min ? "below" : "above",
                      want < min ? "min_size" : "max_size", want < min ? min : max, group, min,
                      max);
        return;
    }
    if (rc < 0) {
        ctl_req_error(req, 503, "unavailable", NULL, "group \"%s\": %s", group, strerror(-rc));
        return;
    }
    log_info("ctl", "api scale group=%s desired=%u->%u %s", group, old, want, by);
    ctl_req_reply(req, 200, json_pack("{s:s, s:i, s:i, s:i, s:i}", "group", group,
                                      "desired_capacity", (int)want, "previous", (int)old,
                                      "min_size", (int)min, "max_size", (int)max));
}

void
routes_fleet_add(struct ctl *ctl, struct fleet *f)
{
    BUG_ON(ctl_route(ctl, "GET", "/v1/auto-scaling-groups", groups_get, f) < 0);
    BUG_ON(ctl_route(ctl, "GET", "/v1/auto-scaling-groups/{name}/instances", instances_get,
                     f) < 0);
    BUG_ON(ctl_route(ctl, "GET", "/v1/instances", instances_get, f) < 0);
    BUG_ON(ctl_route(ctl, "POST", "/v1/auto-scaling-groups/{name}/refresh", refresh_post, f) < 0);
    BUG_ON(ctl_route(ctl, "GET", "/v1/auto-scaling-groups/{name}/refresh", refresh_get, f) < 0);
    BUG_ON(ctl_route(ctl, "PUT", "/v1/auto-scaling-groups/{name}/desired-capacity", desired_put,
                     f) < 0);
    /* The short spelling the console issue named; the same route. */
    BUG_ON(ctl_route(ctl, "PUT", "/v1/groups/{name}/desired-capacity", desired_put, f) < 0);
    BUG_ON(ctl_route(ctl, "DELETE", "/v1/auto-scaling-groups/{name}/refresh", refresh_delete,
                     f) < 0);
}
