/*
 * daemon/routes_shield.c: the shield's control routes: bans (list, add, remove) and the
 * shield's counters. Adding a ban returns only once it is stored durably (shield.h).
 */
#include "daemon/routes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "shield/shield.h"

#define BAN_DEFAULT_S 3600
#define BAN_MAX_S (365LL * 86400)

static void
add_ban(void *ctx, const struct shield_ban_info *b)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:b}", "address", b->addr, "reason",
                          b->reason, "evidence", b->evidence, "start", (json_int_t)b->start_s,
                          "expiry", (json_int_t)b->expiry_s, "count_only", b->counted_only);

    if (b->country[0])
        json_object_set_new(o, "country", json_string(b->country));
    json_array_append_new(ctx, o);
}

static void
bans_get(struct ctl_req *req, void *ctx)
{
    json_t *list = json_array();

    shield_bans_visit(ctx, add_ban, list);
    ctl_req_reply(req, 200, json_pack("{s:o}", "bans", list));
}

static void
bans_post(struct ctl_req *req, void *ctx)
{
    json_t *body = ctl_req_body(req), *a, *d, *r;
    json_int_t duration = BAN_DEFAULT_S;
    const char *reason = "manual";
    const struct ctl_peer *peer = ctl_req_peer(req);

    if (!json_is_object(body)) {
        ctl_req_error(req, 400, "invalid", NULL, "expected a JSON object like "
                                                 "{\"address\": \"203.0.113.7\", \"duration\": 3600}");
        return;
    }
    a = json_object_get(body, "address");
    if (!json_is_string(a)) {
        ctl_req_error(req, 422, "invalid", "address", "address: %s",
                      a ? "expected a string" : "missing");
        return;
    }
    if ((d = json_object_get(body, "duration")) && !json_is_null(d)) {
        if (!json_is_integer(d) || json_integer_value(d) < 1 ||
            json_integer_value(d) > BAN_MAX_S) {
            ctl_req_error(req, 422, "invalid", "duration", "duration: expected seconds from 1 "
                                                           "to %lld", BAN_MAX_S);
            return;
        }
        duration = json_integer_value(d);
    }
    if ((r = json_object_get(body, "reason")) && !json_is_null(r)) {
        if (!json_is_string(r)) {
            ctl_req_error(req, 422, "invalid", "reason", "reason: expected a string");
            return;
        }
        reason = json_string_value(r);
    }
    int rc = shield_ban_add(ctx, json_string_value(a), (int64_t)duration, reason);
    if (rc == -EINVAL) {
        ctl_req_error(req, 422, "invalid", "address", "address: \"%s\" is not an IP address "
                                                      "or CIDR", json_string_value(a));
        return;
    }
    if (rc < 0) {
        ctl_req_error(req, 503, "unavailable", NULL, "cannot store the ban: %s", strerror(-rc));
        return;
    }
    log_info("ctl", "api ban address=%s duration_s=%lld reason=\"%s\" uid=%d pid=%d",
             json_string_value(a), (long long)duration, reason, peer ? (int)peer->uid : -1,
             peer ? (int)peer->pid : -1);
    ctl_req_reply(req, 201, json_pack("{s:s, s:I, s:s}", "address", json_string_value(a),
                                      "duration", duration, "reason", reason));
}

static void
bans_delete(struct ctl_req *req, void *ctx)
{
    const char *addr = ctl_req_param(req, "address");
    int rc = shield_ban_remove(ctx, addr);

    if (rc == -ENOENT) {
        ctl_req_error(req, 404, "not_found", "address", "no ban for %s", addr);
        return;
    }
    if (rc < 0) {
        ctl_req_error(req, rc == -EINVAL ? 422 : 503, rc == -EINVAL ? "invalid" : "unavailable",
                      "address", "cannot remove the ban for %s: %s", addr, strerror(-rc));
        return;
    }
    log_info("ctl", "api unban address=%s", addr);
    ctl_req_reply(req, 200, json_pack("{s:s}", "removed", addr));
}

static void
add_counter(void *ctx, const char *name, uint64_t value)
{
    json_object_set_new(ctx, name, json_integer((json_int_t)value));
}

static void
shield_get(struct ctl_req *req, void *ctx)
{
    json_t *counters = json_object();

    shield_counters_visit(ctx, add_counter, counters);
    ctl_req_reply(req, 200, json_pack("{s:b, s:o}", "enabled", shield_enabled(ctx), "counters",
                                      counters));
}

static void
add_offender(void *ctx, const struct shield_offender_info *o)
{
    json_array_append_new(ctx, json_pack("{s:s, s:I, s:I, s:I, s:b, s:I}", "address", o->addr,
                                         "probes", (json_int_t)o->probes, "requests",
                                         (json_int_t)o->requests, "good", (json_int_t)o->good,
                                         "refused", o->refused, "last_seen",
                                         (json_int_t)o->last_s));
}

/* GET /v1/shield/offenders?limit=10: the remembered clients that probed or were refused,
 * most probes first (at most 100). */
static void
offenders_get(struct ctl_req *req, void *ctx)
{
    const char *lim = ctl_req_query(req, "limit");
    unsigned long limit = lim ? strtoul(lim, NULL, 10) : 10;
    json_t *list = json_array();

    shield_offenders_visit(ctx, limit > SHIELD_OFFENDERS_MAX ? SHIELD_OFFENDERS_MAX
                                : (unsigned)limit, add_offender, list);
    ctl_req_reply(req, 200, json_pack("{s:o}", "offenders", list));
}

void
routes_shield_add(struct ctl *ctl, struct shield *s)
{
    BUG_ON(ctl_route(ctl, "GET", "/v1/bans", bans_get, s) < 0);
    BUG_ON(ctl_route(ctl, "POST", "/v1/bans", bans_post, s) < 0);
    BUG_ON(ctl_route(ctl, "DELETE", "/v1/bans/{address}", bans_delete, s) < 0);
    BUG_ON(ctl_route(ctl, "GET", "/v1/shield", shield_get, s) < 0);
    BUG_ON(ctl_route(ctl, "GET", "/v1/shield/offenders", offenders_get, s) < 0);
}
