/*
 * daemon/routes_apply.c: the plan-and-apply routes of the control API: POST /v1/plan
 * (what a stack file would change), POST /v1/apply (validate, apply like a reload, record)
 * and GET /v1/applies (the history). Validation and the swap are the daemon's (the apply
 * callback); this file owns the wire shapes, the caller's identity and the plan against
 * the running text. Borrows the routes, the fleet and the apply log.
 */
#include "daemon/routes.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "daemon/applylog.h"
#include "daemon/plan.h"
#include "fleet/fleet.h"

#define APPLIES_LIMIT_DEFAULT 20
#define APPLIES_LIMIT_MAX 1000

struct routes_apply {
    struct routes *routes;
    struct fleet *fleet;
    struct applylog *log;
    routes_apply_fn apply;
    void *ctx;
};

/* ------------------------------------------------------------------ the plan */

struct groups {
    unsigned n;
    struct plan_group_state g[256];
};

static void
add_group_state(void *ctx, const struct fleet_group_info *g)
{
    struct groups *gs = ctx;

    if (gs->n == sizeof(gs->g) / sizeof(gs->g[0]))
        return;
    gs->g[gs->n++] = (struct plan_group_state){
        .group = mem_strdup_or_exit(g->name),
        .template_name = mem_strdup_or_exit(g->launch_template),
        .version = g->version,
        .follows_latest = g->follows_latest,
    };
}

struct plan *
routes_apply_plan(struct routes *r, struct fleet *f, const char *name, const char *text,
                  size_t len)
{
    size_t old_len = 0;
    const char *old = routes_config_text(r, &old_len);
    struct groups *gs = mem_alloc_or_exit(sizeof(*gs));
    struct diag d;

    diag_init(&d);
    /* Both texts were valid stack files: they parse (a failure would plan from empty). */
    struct conf_doc *od = old ? conf_doc_load_mem("running", old, old_len, &d) : NULL;
    struct conf_doc *nd = conf_doc_load_mem(name, text, len, &d);
    diag_fini(&d);
    if (f)
        fleet_visit_groups(f, add_group_state, gs);
    struct plan *p = plan_diff(od ? od->root : NULL, nd ? nd->root : NULL, gs->g, gs->n);
    for (unsigned i = 0; i < gs->n; i++) {
        free((char *)gs->g[i].group);
        free((char *)gs->g[i].template_name);
    }
    free(gs);
    conf_doc_free(od);
    conf_doc_free(nd);
    return p;
}

/* FNV-1a 64 of the running text, in hex: a plan's "base", which an apply may require. */
static void
running_base(struct routes *r, char out[17])
{
    size_t len = 0;
    const char *t = routes_config_text(r, &len);
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; t && i < len; i++) {
        h ^= (unsigned char)t[i];
        h *= 0x100000001b3ull;
    }
    snprintf(out, 17, "%016" PRIx64, h);
}

/* ------------------------------------------------------------------ handlers */

/* Reads {"text", "path", "base"}; on failure answers and returns -EINVAL. */
static int
read_body(struct ctl_req *req, const char **text, size_t *len, const char **path,
          const char **base)
{
    json_t *body = ctl_req_body(req), *t, *p, *b;
    const char *k;
    json_t *v;

    if (!json_is_object(body)) {
        ctl_req_error(req, 400, "bad_request", NULL, "the body must be a JSON object like "
                      "{\"text\": \"<the stack file>\", \"path\": \"tierd.yaml\"}");
        return -EINVAL;
    }
    json_object_foreach(body, k, v) {
        if (strcmp(k, "text") != 0 && strcmp(k, "path") != 0 && strcmp(k, "base") != 0) {
            ctl_req_error(req, 422, "invalid", k, "unknown field \"%s\"; expected text, path "
                          "and base", k);
            return -EINVAL;
        }
    }
    t = json_object_get(body, "text");
    if (!json_is_string(t)) {
        ctl_req_error(req, 422, "invalid", "text", "text: %s; send the stack file's content",
                      t ? "expected a string" : "missing");
        return -EINVAL;
    }
    p = json_object_get(body, "path");
    if (p && !json_is_null(p) && (!json_is_string(p) || !*json_string_value(p))) {
        ctl_req_error(req, 422, "invalid", "path", "path: expected a file name");
        return -EINVAL;
    }
    b = json_object_get(body, "base");
    if (b && !json_is_null(b) && !json_is_string(b)) {
        ctl_req_error(req, 422, "invalid", "base", "base: expected the \"base\" of a plan");
        return -EINVAL;
    }
    *text = json_string_value(t);
    *len = json_string_length(t);
    *path = json_is_string(p) ? json_string_value(p) : "stack.yaml";
    *base = json_is_string(b) ? json_string_value(b) : NULL;
    return 0;
}

/* 422 with every problem, each "file:line:col: message". */
static void
reply_invalid(struct ctl_req *req, const char *path, const struct diag *d)
{
    json_t *errors = json_array();

    for (unsigned i = 0; i < d->n; i++) {
        json_t *s = json_string(d->msgs[i]);
        json_array_append_new(errors, s ? s : json_string("(message not valid UTF-8)"));
    }
    char msg[512];
    snprintf(msg, sizeof(msg), "%s has %u error%s; nothing was changed", path, d->n,
             d->n == 1 ? "" : "s");
    ctl_req_reply(req, 422, json_pack("{s:{s:s, s:s, s:n}, s:o}", "error", "code", "invalid",
                                      "message", msg, "field", "errors", errors));
}

static void
plan_post(struct ctl_req *req, void *ctx)
{
    struct routes_apply *ra = ctx;
    const char *text, *path, *base;
    size_t len;
    struct diag d;
    char b[17];

    if (read_body(req, &text, &len, &path, &base) < 0)
        return;
    diag_init(&d);
    struct stack *s = stack_load_mem(path, text, len, &d);
    if (!s) {
        reply_invalid(req, path, &d);
        diag_fini(&d);
        return;
    }
    diag_fini(&d);
    struct plan *p = routes_apply_plan(ra->routes, ra->fleet, path, s->text, s->text_len);
    stack_free(s);
    json_t *o = plan_json(p);
    running_base(ra->routes, b);
    json_object_set_new(o, "base", json_string(b));
    json_object_set_new(o, "path", json_string(path));
    plan_free(p);
    ctl_req_reply(req, 200, o);
}

static void
apply_post(struct ctl_req *req, void *ctx)
{
    struct routes_apply *ra = ctx;
    const char *text, *path, *base;
    size_t len;
    struct diag d;
    struct plan *p = NULL;
    char by[96], err[512], b[17];

    if (read_body(req, &text, &len, &path, &base) < 0)
        return;
    running_base(ra->routes, b);
    if (base && strcmp(base, b) != 0) {
        ctl_req_error(req, 409, "conflict", "base", "the running configuration changed since "
                      "this plan was made; run tierd plan again");
        return;
    }
    ctl_req_actor(req, by, sizeof(by));
    diag_init(&d);
    int rc = ra->apply(ra->ctx, path, text, len, by, &d, &p, err, sizeof(err));
    if (rc == -EINVAL && d.n > 0) {
        reply_invalid(req, path, &d);
    } else if (rc < 0) {
        ctl_req_error(req, rc == -EIO ? 500 : 409, rc == -EIO ? "internal" : "refused", NULL,
                      "%s", err);
    } else {
        json_t *pj = plan_json(p);
        running_base(ra->routes, b);
        ctl_req_reply(req, 200, json_pack("{s:b, s:s, s:s, s:s, s:o}", "applied", 1, "who", by,
                                          "path", path, "base", b, "plan", pj));
    }
    plan_free(p);
    diag_fini(&d);
}

static void
applies_get(struct ctl_req *req, void *ctx)
{
    struct routes_apply *ra = ctx;
    const char *q = ctl_req_query(req, "limit");
    long limit = APPLIES_LIMIT_DEFAULT;

    if (q) {
        char *end;
        errno = 0;
        limit = strtol(q, &end, 10);
        if (!*q || *end || errno || limit < 1 || limit > APPLIES_LIMIT_MAX) {
            ctl_req_error(req, 422, "invalid", "limit", "limit: \"%s\" is not a number from 1 "
                          "to %d", q, APPLIES_LIMIT_MAX);
            return;
        }
    }
    ctl_req_reply(req, 200, json_pack("{s:o}", "applies",
                                      applylog_list(ra->log, (unsigned)limit)));
}

/* ------------------------------------------------------------------ registration */

struct routes_apply *
routes_apply_add(struct ctl *ctl, struct routes *r, struct fleet *f, struct applylog *log,
                 routes_apply_fn apply, void *ctx)
{
    struct routes_apply *ra = mem_alloc_or_exit(sizeof(*ra));

    *ra = (struct routes_apply){ r, f, log, apply, ctx };
    int rc = ctl_route(ctl, "POST", "/v1/plan", plan_post, ra);
    BUG_ON(rc < 0);
    rc = ctl_route(ctl, "POST", "/v1/apply", apply_post, ra);
    BUG_ON(rc < 0);
    rc = ctl_route(ctl, "GET", "/v1/applies", applies_get, ra);
    BUG_ON(rc < 0);
    return ra;
}

void
routes_apply_free(struct routes_apply *ra)
{
    free(ra);
}
