/*
 * daemon/routes_data.c: the data tier's control routes (data/data.h):
 *   GET  /v1/db                      every database and its server
 *   GET  /v1/db/{name}/backups       the catalog: backups, newest restorable point
 *   POST /v1/db/{name}/backups       a base backup now (202, a job)
 *   POST /v1/db/{name}/verify        verify the newest backup (202, a job)
 *   POST /v1/db/{name}/restore       {"as": NEW, "to_time": ISO-8601 | "latest": true} (202)
 *   GET  /v1/db-jobs/{id}            a job's state
 *   GET  /v1/db/{name}/logs?kind=slow|error   the server's log, last 256 KiB as text
 */
#include "daemon/routes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "data/data.h"

#define ROUTES_DATA_LOG_MAX (256u * 1024)

static void
db_get(struct ctl_req *req, void *ctx)
{
    ctl_req_reply(req, 200, data_status_json(ctx));
}

static void
backups_get(struct ctl_req *req, void *ctx)
{
    const char *name = ctl_req_param(req, "name");
    json_t *o = data_backups_json(ctx, name);

    if (!o) {
        ctl_req_error(req, 404, "not_found", "name", "no database \"%s\"", name);
        return;
    }
    ctl_req_reply(req, 200, o);
}

static void
job_reply(struct ctl_req *req, struct data *dt, int64_t id, const char *why)
{
    if (id == -ENOENT) {
        ctl_req_error(req, 404, "not_found", "name", "%s", why);
        return;
    }
    if (id < 0) {
        ctl_req_error(req, id == -EEXIST ? 409 : 400, id == -EEXIST ? "conflict" : "invalid",
                      "as", "%s", why);
        return;
    }
    ctl_req_reply(req, 202, data_job_json(dt, id));
}

static void
submit(struct ctl_req *req, void *ctx, const char *kind)
{
    char why[256];

    job_reply(req, ctx, data_job_submit(ctx, kind, ctl_req_param(req, "name"), 0, NULL, why,
                                        sizeof(why)), why);
}

static void
backups_post(struct ctl_req *req, void *ctx)
{
    submit(req, ctx, "backup");
}

static void
verify_post(struct ctl_req *req, void *ctx)
{
    submit(req, ctx, "verify");
}

static void
restore_post(struct ctl_req *req, void *ctx)
{
    json_t *b = ctl_req_body(req);
    const char *as = json_string_value(json_object_get(b, "as"));
    const char *to = json_string_value(json_object_get(b, "to_time"));
    bool latest = json_is_true(json_object_get(b, "latest"));
    int64_t ms = 0;
    char why[256];

    if (!as) {
        ctl_req_error(req, 400, "invalid", "as", "as: name the new database; a restore never "
                                                 "overwrites");
        return;
    }
    if (!!to == latest) {
        ctl_req_error(req, 400, "invalid", "to_time", "give exactly one of to_time (UTC, "
                      "2026-12-07T23:45:00Z) and latest: true");
        return;
    }
    if (to && data_parse_time(to, &ms) < 0) {
        ctl_req_error(req, 400, "invalid", "to_time", "to_time \"%.60s\": write a UTC time "
                      "like 2026-12-07T23:45:00Z", to);
        return;
    }
    job_reply(req, ctx, data_job_submit(ctx, "restore", ctl_req_param(req, "name"), ms, as, why,
                                        sizeof(why)), why);
}

static void
job_get(struct ctl_req *req, void *ctx)
{
    const char *id = ctl_req_param(req, "id");
    json_t *o = data_job_json(ctx, strtoll(id, NULL, 10));

    if (!o) {
        ctl_req_error(req, 404, "not_found", "id", "no job %s", id);
        return;
    }
    ctl_req_reply(req, 200, o);
}

static void
logs_get(struct ctl_req *req, void *ctx)
{
    const char *name = ctl_req_param(req, "name"), *kind = ctl_req_query(req, "kind");
    size_t len;

    if (kind && strcmp(kind, "slow") != 0 && strcmp(kind, "error") != 0) {
        ctl_req_error(req, 400, "invalid", "kind", "kind: slow or error");
        return;
    }
    char *text = data_log_tail(ctx, name, kind ? kind : "slow", ROUTES_DATA_LOG_MAX, &len);
    if (!text) {
        ctl_req_error(req, 404, "not_found", "name", "no database \"%s\"", name);
        return;
    }
    ctl_req_reply_text(req, 200, "text/plain; charset=utf-8", text, len);
    free(text);
}

void
routes_data_add(struct ctl *ctl, struct data *dt)
{
    BUG_ON(ctl_route(ctl, "GET", "/v1/db", db_get, dt) < 0);
    BUG_ON(ctl_route(ctl, "GET", "/v1/db/{name}/backups", backups_get, dt) < 0);
    BUG_ON(ctl_route(ctl, "POST", "/v1/db/{name}/backups", backups_post, dt) < 0);
    BUG_ON(ctl_route(ctl, "POST", "/v1/db/{name}/verify", verify_post, dt) < 0);
    BUG_ON(ctl_route(ctl, "POST", "/v1/db/{name}/restore", restore_post, dt) < 0);
    BUG_ON(ctl_route(ctl, "GET", "/v1/db-jobs/{id}", job_get, dt) < 0);
    BUG_ON(ctl_route(ctl, "GET", "/v1/db/{name}/logs", logs_get, dt) < 0);
}
