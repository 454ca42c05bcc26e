/*
 * daemon/routes.c: the /v1 routes of the control API and their JSON shapes (documented
 * in docs/api.md). Handlers run on the daemon's main loop and only call thread-safe
 * subsystem entry points (edge_visit_*, edge_target_register/deregister). Owns a copy of
 * what the edge does not expose (the loaded stack text, group algorithms); does not own
 * the server or the subsystems.
 */
#include "daemon/routes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "conf/node.h"
#include "core/mem.h"
#include "daemon/keytabs.h"
#include "edge/edge.h"

#ifndef TIERD_VERSION
#define TIERD_VERSION "0.1.0"   /* as in cli/cli.c; the build may define it */
#endif

#define EVENTS_LIMIT_DEFAULT 100

struct routes_group {
    char *name;
    const char *algorithm;      /* static string */
};

struct routes_view {
    char *text;
    size_t text_len;
    unsigned ngroups;
    struct routes_group *groups;
};

struct routes {
    struct ctl *ctl;
    struct edge *edge;
    const char *path;
    uint64_t started_mono_ms;
    struct routes_view *view;
};

static const char *const algorithm_names[] = {
    [EDGE_ALG_ROUND_ROBIN] = "round_robin",
    [EDGE_ALG_LEAST_OUTSTANDING] = "least_outstanding_requests",
    [EDGE_ALG_WEIGHTED_RANDOM] = "weighted_random",
};

struct routes_view *
routes_view_new(const struct stack *s)
{
    struct routes_view *v = mem_alloc_or_exit(sizeof(*v));

    if (s->text) {
        v->text = mem_alloc_or_exit(s->text_len + 1);
        memcpy(v->text, s->text, s->text_len);
        v->text_len = s->text_len;
    }
    v->ngroups = s->edge->ntgs;
    v->groups = mem_alloc_or_exit(sizeof(*v->groups) * (v->ngroups ? v->ngroups : 1));
    for (unsigned i = 0; i < v->ngroups; i++) {
        unsigned a = (unsigned)s->edge->tgs[i].algorithm;
        v->groups[i].name = mem_strdup_or_exit(s->edge->tgs[i].name);
        v->groups[i].algorithm =
            a < sizeof(algorithm_names) / sizeof(algorithm_names[0]) ? algorithm_names[a] : "?";
    }
    return v;
}

void
routes_view_free(struct routes_view *v)
{
    if (!v)
        return;
    for (unsigned i = 0; i < v->ngroups; i++)
        free(v->groups[i].name);
    free(v->groups);
    free(v->text);
    free(v);
}

void
routes_view_set(struct routes *r, struct routes_view *v)
{
    routes_view_free(r->view);
    r->view = v;
}

const char *
routes_config_text(const struct routes *r, size_t *len)
{
    *len = r->view ? r->view->text_len : 0;
    return r->view ? r->view->text : NULL;
}

/* ------------------------------------------------------------------ handlers */

static void
count_listener(void *ctx, const struct edge_listener_info *l)
{
    (void)l;
    (*(unsigned *)ctx)++;
}

static void
status_get(struct ctl_req *req, void *ctx)
{
    struct routes *r = ctx;
    struct edge_stats st;
    struct ctl_stats cs;
    unsigned nlisteners = 0;

    edge_get_stats(r->edge, &st);
    edge_visit_listeners(r->edge, count_listener, &nlisteners);
    ctl_get_stats(r->ctl, &cs);
    ctl_req_reply(req, 200, json_pack("{s:s, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, "
                                      "s:{s:I, s:{s:I, s:I, s:I, s:I}}}",
        "version", TIERD_VERSION,
        "pid", (json_int_t)getpid(),
        "uptime_s", (json_int_t)((clock_mono_ms() - r->started_mono_ms) / 1000),
        "stack_file", r->path,
        "generation", (json_int_t)st.generation,
        "workers", (json_int_t)st.workers,
        "connections", (json_int_t)st.connections,
        "listeners", (json_int_t)nlisteners,
        "target_groups", (json_int_t)(r->view ? r->view->ngroups : 0),
        "control", "tcp_requests", (json_int_t)cs.tcp_requests, "refused",
        "unauthorized", (json_int_t)cs.refused_token,
        "origin_not_allowed", (json_int_t)cs.refused_origin,
        "unsupported_media_type", (json_int_t)cs.refused_type,
        "misdirected_request", (json_int_t)cs.refused_host));
}

static void
add_listener(void *ctx, const struct edge_listener_info *l)
{
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:I}", "name", l->name, "address",
                                         l->address, "rules", (json_int_t)l->rules));
}

static void
listeners_get(struct ctl_req *req, void *ctx)
{
    struct routes *r = ctx;
    json_t *list = json_array();

    edge_visit_listeners(r->edge, add_listener, list);
    ctl_req_reply(req, 200, json_pack("{s:o}", "listeners", list));
}

static json_t *
target_json(const struct edge_target_info *t)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:I, s:I, s:I, s:f}",
                          "group", t->group, "address", t->address, "state", t->state,
                          "reason", t->reason, "weight", (json_int_t)t->weight,
                          "dynamic", t->dynamic, "in_flight", (json_int_t)t->in_flight,
                          "requests", (json_int_t)t->requests, "errors", (json_int_t)t->errors,
                          "latency_avg_ms", t->latency_avg_ms);
    if (o && t->last_health_status)
        json_object_set_new(o, "last_health_status", json_integer(t->last_health_status));
    if (o && strcmp(t->state, "draining") == 0)    /* whole seconds left, rounded up */
        json_object_set_new(o, "drain_remaining_s",
                            json_integer((json_int_t)((t->drain_remaining_ms + 999) / 1000)));
    if (o && t->description[0])
        json_object_set_new(o, "description", json_string(t->description));
    return o;
}

static void
add_target(void *ctx, const struct edge_target_info *t)
{
    json_array_append_new(ctx, target_json(t));
}

struct group_counts {
    unsigned targets, healthy;
};

static void
count_target(void *ctx, const struct edge_target_info *t)
{
    struct group_counts *gc = ctx;

    gc->targets++;
    if (strcmp(t->state, "healthy") == 0)
        gc->healthy++;
}

static void
groups_get(struct ctl_req *req, void *ctx)
{
    struct routes *r = ctx;
    json_t *list = json_array();

    for (unsigned i = 0; r->view && i < r->view->ngroups; i++) {
        struct group_counts gc = { 0 };
        edge_visit_targets(r->edge, r->view->groups[i].name, count_target, &gc);
        json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:I}",
                                              "name", r->view->groups[i].name,
                                              "algorithm", r->view->groups[i].algorithm,
                                              "targets", (json_int_t)gc.targets,
                                              "healthy", (json_int_t)gc.healthy));
    }
    ctl_req_reply(req, 200, json_pack("{s:o}", "target_groups", list));
}

static void
targets_get(struct ctl_req *req, void *ctx)
{
    struct routes *r = ctx;
    const char *group = ctl_req_param(req, "name");     /* NULL on /v1/targets */
    json_t *list = json_array();

    if (edge_visit_targets(r->edge, group, add_target, list) < 0) {
        json_decref(list);
        ctl_req_error(req, 404, "not_found", "name", "no target group named \"%s\"", group);
        return;
    }
    if (group)
        ctl_req_reply(req, 200, json_pack("{s:s, s:o}", "group", group, "targets", list));
    else
        ctl_req_reply(req, 200, json_pack("{s:o}", "targets", list));
}

/* The first key of obj not in allowed (NULL-terminated), or NULL. */
static const char *
unknown_key(json_t *obj, const char *const *allowed)
{
    const char *k;
    json_t *v;

    json_object_foreach(obj, k, v) {
        const char *const *a = allowed;
        while (*a && strcmp(*a, k) != 0)
            a++;
        if (!*a)
            return k;
    }
    return NULL;
}

static void
target_post(struct ctl_req *req, void *ctx)
{
    struct routes *r = ctx;
    const char *group = ctl_req_param(req, "name");
    json_t *body = ctl_req_body(req), *a, *w;
    struct sock_addr addr;
    const char *why;
    json_int_t weight = 1;
    char by[96], norm[64];
    int rc;

    if (!json_is_object(body)) {
        ctl_req_error(req, 400, "bad_request", NULL, "the body must be a JSON object like "
                                                     "{\"address\": \"127.0.0.1:9001\", \"weight\": 1}");
        return;
    }
    a = json_object_get(body, "address");
    if (!json_is_string(a)) {
        ctl_req_error(req, 422, "invalid", "address", "address: %s; write it as \"ip:port\"",
                      a ? "expected a string" : "missing");
        return;
    }
    if (sock_addr_parse(json_string_value(a), &addr, &why) < 0) {
        ctl_req_error(req, 422, "invalid", "address", "address: \"%s\": %s",
                      json_string_value(a), why);
        return;
    }
    w = json_object_get(body, "weight");
    if (w && !json_is_null(w)) {
        if (!json_is_integer(w) || json_integer_value(w) < 1 || json_integer_value(w) > 999) {
            ctl_req_error(req, 422, "invalid", "weight", "weight: expected an integer from 1 "
                                                         "to 999");
            return;
        }
        weight = json_integer_value(w);
    }
    const char *unknown = unknown_key(body, (const char *const[]){ "address", "weight", NULL });
    if (unknown) {
        ctl_req_error(req, 422, "invalid", unknown, "unknown field \"%s\"; expected address "
                                                    "and weight", unknown);
        return;
    }
    rc = edge_target_register(r->edge, group, &addr, (unsigned)weight);
    if (rc == -ENOENT) {
        ctl_req_error(req, 404, "not_found", "name", "no target group named \"%s\"", group);
        return;
    }
    if (rc < 0) {
        ctl_req_error(req, 503, "unavailable", NULL, "cannot register: %s", strerror(-rc));
        return;
    }
    ctl_req_actor(req, by, sizeof(by));
    sock_addr_format(&addr, norm, sizeof(norm));
    log_info("ctl", "api register group=%s target=%s weight=%lld %s", group, norm,
             (long long)weight, by);
    ctl_req_reply(req, 201, json_pack("{s:s, s:s, s:I}", "group", group, "address", norm,
                                      "weight", weight));
}

static void
target_delete(struct ctl_req *req, void *ctx)
{
    struct routes *r = ctx;
    const char *group = ctl_req_param(req, "name");
    const char *text = ctl_req_param(req, "address");
    struct sock_addr addr;
    const char *why;
    char by[96], norm[64];
    int rc;

    if (sock_addr_parse(text, &addr, &why) < 0) {
        ctl_req_error(req, 422, "invalid", "address", "address: \"%s\": %s", text, why);
        return;
    }
    sock_addr_format(&addr, norm, sizeof(norm));
    rc = edge_target_deregister(r->edge, group, &addr);
    if (rc == -ENOENT) {
        if (edge_visit_targets(r->edge, group, count_target, &(struct group_counts){ 0 }) < 0)
            ctl_req_error(req, 404, "not_found", "name", "no target group named \"%s\"", group);
        else
            ctl_req_error(req, 404, "not_found", "address", "no target %s in group \"%s\"",
                          norm, group);
        return;
    }
    if (rc < 0) {
        ctl_req_error(req, 503, "unavailable", NULL, "cannot deregister: %s", strerror(-rc));
        return;
    }
    ctl_req_actor(req, by, sizeof(by));
    log_info("ctl", "api deregister group=%s target=%s %s", group, norm, by);
    ctl_req_reply(req, 202, json_pack("{s:s, s:s, s:s}", "group", group, "address", norm,
                                      "state", "draining"));
}

static const char *const level_names[] = { "debug", "info", "warn", "error" };

static void
add_event(void *ctx, const struct log_recent *e)
{
    time_t sec = (time_t)(e->wall_ms / 1000);
    char ts[40];
    struct tm tm;

    gmtime_r(&sec, &tm);
    size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - n, ".%03uZ", (unsigned)(e->wall_ms % 1000));
    /* Messages are ASCII in practice; json_string refuses invalid UTF-8, so fall back. */
    json_t *msg = json_string(e->message);
    if (!msg)
        msg = json_string("(message not valid UTF-8)");
    json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:o}", "seq", (json_int_t)e->seq,
                                         "time", ts, "level", level_names[e->level & 3],
                                         "subsystem", e->subsystem, "message", msg));
}

static void
events_get(struct ctl_req *req, void *ctx)
{
    const char *q = ctl_req_query(req, "limit");
    long limit = EVENTS_LIMIT_DEFAULT;
    json_t *list;

    (void)ctx;
    if (q) {
        char *end;
        errno = 0;
        limit = strtol(q, &end, 10);
        if (!*q || *end || errno || limit < 1 || limit > LOG_RECENT_MAX) {
            ctl_req_error(req, 422, "invalid", "limit", "limit: \"%s\" is not a number from 1 "
                                                        "to %d", q, LOG_RECENT_MAX);
            return;
        }
    }
    /* Built outside the log's lock would need a copy; the visit does not log. */
    list = json_array();
    log_recent_visit((unsigned)limit, add_event, list);
    ctl_req_reply(req, 200, json_pack("{s:o}", "events", list));
}

/* The file as loaded, with literal secrets shown as "(sensitive)" (a reference such as
 * ${env:NAME} stays: it names a variable). The text parsed when it was loaded, so it
 * parses again; should it not, nothing of it is served. */
static json_t *
config_text_redacted(const struct routes_view *v)
{
    struct diag d;
    size_t len;
    json_t *out = NULL;

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("config", v->text, v->text_len, &d);
    if (doc) {
        char *red = keytabs_redact(v->text, v->text_len, doc->root, &len);
        out = json_stringn(red, len);
        free(red);
        conf_doc_free(doc);
    }
    diag_fini(&d);
    return out;
}

static void
config_get(struct ctl_req *req, void *ctx)
{
    struct routes *r = ctx;
    struct edge_stats st;
    json_t *text;

    edge_get_stats(r->edge, &st);
    text = r->view && r->view->text ? config_text_redacted(r->view) : NULL;
    if (r->view && r->view->text && !text) {
        ctl_req_error(req, 500, "internal", NULL, "the stack file cannot be shown: it is not "
                      "valid UTF-8 YAML any more");
        return;
    }
    ctl_req_reply(req, 200, json_pack("{s:s, s:I, s:o}", "path", r->path, "generation",
                                      (json_int_t)st.generation, "text",
                                      text ? text : json_null()));
}

/* ------------------------------------------------------------------ registration */

struct routes *
routes_new(struct ctl *ctl, struct edge *edge, const char *path)
{
    struct routes *r = mem_alloc_or_exit(sizeof(*r));
    static const struct {
        const char *method, *pattern;
        ctl_handler_fn fn;
    } table[] = {
        { "GET", "/v1/status", status_get },
        { "GET", "/v1/listeners", listeners_get },
        { "GET", "/v1/target-groups", groups_get },
        { "GET", "/v1/target-groups/{name}/targets", targets_get },
        { "POST", "/v1/target-groups/{name}/targets", target_post },
        { "DELETE", "/v1/target-groups/{name}/targets/{address}", target_delete },
        { "GET", "/v1/targets", targets_get },
        { "GET", "/v1/events", events_get },
        { "GET", "/v1/config", config_get },
        /*
         * Later routes register here, each handler calling its subsystem's facade (see
         * "Routes to come" in docs/api.md):
         *   shield: GET/POST /v1/bans, DELETE /v1/bans/{ip}
         *   fleet:  GET /v1/auto-scaling-groups, GET /v1/auto-scaling-groups/{name}/instances,
         *           POST /v1/auto-scaling-groups/{name}/refresh
         *   watch:  GET /v1/alarms, GET /v1/metrics
         *   daemon: POST /v1/plan, POST /v1/apply (with the peer's uid/pid as "who")
         */
    };

    r->ctl = ctl;
    r->edge = edge;
    r->path = path;
    r->started_mono_ms = clock_mono_ms();
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        int rc = ctl_route(ctl, table[i].method, table[i].pattern, table[i].fn, r);
        BUG_ON(rc < 0);
    }
    return r;
}

void
routes_free(struct routes *r)
{
    if (!r)
        return;
    routes_view_free(r->view);
    free(r);
}
