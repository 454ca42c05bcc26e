/*
 * cli/shieldverbs.c: the shield's verbs. `bans` lists (GET /v1/bans), adds (POST /v1/bans)
 * and removes (DELETE /v1/bans/{address}, a CIDR's "/" sent as %2F) bans; `shield` prints
 * the counters of GET /v1/shield. Tables by default, the API's JSON with --json.
 */
#include "cli/shieldverbs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/ask.h"
#include "cli/table.h"

#define BAN_MAX_S (365LL * 86400)

long long
shieldverbs_duration_s(const char *s)
{
    static const struct { char unit; long long s; } units[] = {
        { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
    };
    long long total = 0;
    size_t next = 0;            /* units must come largest first, each at most once */

    if (!s || !*s)
        return -1;
    while (*s) {
        char *end;
        if (*s < '0' || *s > '9')
            return -1;
        long long n = strtoll(s, &end, 10);
        if (n < 0 || n > BAN_MAX_S)
            return -1;
        if (*end == '\0' && total == 0 && next == 0)
            return n;           /* a bare number: seconds */
        size_t u = next;
        while (u < sizeof(units) / sizeof(units[0]) && units[u].unit != *end)
            u++;
        if (u == sizeof(units) / sizeof(units[0]))
            return -1;
        total += n * units[u].s;
        if (total > BAN_MAX_S)
            return -1;
        next = u + 1;
        s = end + 1;
    }
    return total;
}

static int
bans_list(const struct ask_opts *o)
{
    static const char *const header[] = { "ADDRESS", "COUNTRY", "REASON", "MODE", "STARTED",
                                          "EXPIRES", "REMAINING", "EVIDENCE" };
    struct client_reply r;
    struct table t;
    long long now = (long long)time(NULL);
    size_t i;
    json_t *b;
    int rc = ask_call(o, "GET", "/v1/bans", NULL, &r);

    if (rc != 0 || o->json) {
        if (rc == 0)
            client_reply_fini(&r);
        return rc;
    }
    table_init(&t, 8, header);
    json_array_foreach(json_object_get(r.json, "bans"), i, b) {
        char start[32], expiry[32], left[32];
        long long exp_s = (long long)json_integer_value(json_object_get(b, "expiry"));
        const char *row[] = {
            ask_str(b, "address"), ask_str(b, "country"), ask_str(b, "reason"),
            json_is_true(json_object_get(b, "count_only")) ? "count-only" : "enforced",
            ask_time((long long)json_integer_value(json_object_get(b, "start")), start,
                     sizeof(start)),
            ask_time(exp_s, expiry, sizeof(expiry)),
            exp_s > now ? ask_span(exp_s - now, left, sizeof(left)) : "expired",
            ask_str(b, "evidence"),
        };
        table_add(&t, row);
    }
    if (t.nrows == 1)
        printf("no bans\n");
    else
        table_print(&t, stdout);
    table_fini(&t);
    client_reply_fini(&r);
    return 0;
}

static int
bans_add(const struct ask_opts *o)
{
    const char *duration = o->values[0], *reason = o->values[1];
    long long s = duration ? shieldverbs_duration_s(duration) : 3600;
    struct client_reply r;
    char span[32];

    if (s < 1)
        return ask_usage_error("--duration needs a duration from 1s to 365d (30s, 10m, 1h, "
                               "1d), not", duration);
    json_t *req = json_pack("{s:s, s:I}", "address", o->pos[1], "duration", (json_int_t)s);
    if (reason)
        json_object_set_new(req, "reason", json_string(reason));
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!body) {
        fprintf(stderr, "tierd: out of memory\n");
        return 1;
    }
    int rc = ask_call(o, "POST", "/v1/bans", body, &r);
    free(body);
    if (rc != 0)
        return rc;
    if (!o->json)
        printf("banned %s for %s (reason: %s)\n", ask_str(r.json, "address"),
               ask_span((long long)json_integer_value(json_object_get(r.json, "duration")),
                        span, sizeof(span)),
               ask_str(r.json, "reason"));
    client_reply_fini(&r);
    return 0;
}

static int
bans_remove(const struct ask_opts *o)
{
    struct client_reply r;
    char path[512], seg[384];

    ask_segment(o->pos[1], seg, sizeof(seg));
    snprintf(path, sizeof(path), "/v1/bans/%s", seg);
    int rc = ask_call(o, "DELETE", path, NULL, &r);
    if (rc != 0)
        return rc;
    if (!o->json)
        printf("removed the ban of %s\n", ask_str(r.json, "removed"));
    client_reply_fini(&r);
    return 0;
}

int
shieldverbs_bans(int argc, char **argv)
{
    static const char *const names[] = { "--duration", "--reason", NULL };
    struct ask_opts o;
    int rc = ask_parse(argc, argv, names, 2, &o);
    const char *sub = o.npos ? o.pos[0] : "list";

    if (rc >= 0)
        return rc;
    if (strcmp(sub, "add") != 0 && (o.values[0] || o.values[1]))
        return ask_usage_error("--duration and --reason go with \"bans add\", not", sub);
    if (strcmp(sub, "list") == 0 && o.npos <= 1)
        return bans_list(&o);
    if ((strcmp(sub, "add") == 0 || strcmp(sub, "remove") == 0) && o.npos != 2)
        return ask_usage_error("an address or CIDR must follow", sub);
    if (strcmp(sub, "add") == 0)
        return bans_add(&o);
    if (strcmp(sub, "remove") == 0)
        return bans_remove(&o);
    return ask_usage_error(strcmp(sub, "list") == 0 ? "unexpected argument"
                                                    : "bans takes list, add or remove, not",
                           o.npos > 1 ? o.pos[1] : sub);
}

int
shieldverbs_shield(int argc, char **argv)
{
    static const char *const header[] = { "COUNTER", "VALUE" };
    struct ask_opts o;
    struct client_reply r;
    struct table t;
    const char *key;
    json_t *v;
    int rc = ask_get_view(argc, argv, "/v1/shield", &o, &r);

    if (rc >= 0)
        return rc;
    printf("shield %s\n", json_is_true(json_object_get(r.json, "enabled")) ? "enabled"
                                                                             : "disabled");
    table_init(&t, 2, header);
    json_object_foreach(json_object_get(r.json, "counters"), key, v) {
        char n[32];
        snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
        const char *row[] = { key, n };
        table_add(&t, row);
    }
    if (t.nrows > 1)
        table_print(&t, stdout);
    table_fini(&t);
    client_reply_fini(&r);
    return 0;
}
