/*
 * cli/verbs.c: status, targets and events: one GET each, printed as a table or, with
 * --json, as the daemon sent it. Error replies print the daemon's message; an unreachable
 * daemon gets one line that says where we looked and what to do.
 */
#include "cli/verbs.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli/ask.h"
#include "cli/client.h"
#include "cli/table.h"

/* GET path; the shared call in ask.c prints errors and --json output. */
static int
fetch(const struct verbs_opts *o, const char *path, struct client_reply *r)
{
    static struct ask_opts ao;

    snprintf(ao.socket, sizeof(ao.socket), "%s", o->socket);
    ao.json = o->json;
    return ask_call(&ao, "GET", path, NULL, r);
}

static const char *
str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && *s ? s : "-";
}

static const char *
num(json_t *o, const char *key, char *buf, size_t n)
{
    json_t *v = json_object_get(o, key);

    if (json_is_integer(v))
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, n, "%.1f", json_real_value(v));
    else
        snprintf(buf, n, "-");
    return buf;
}

static void
format_uptime(long long s, char *out, size_t n)
{
    if (s >= 86400)
        snprintf(out, n, "%lldd %lldh %lldm", s / 86400, s % 86400 / 3600, s % 3600 / 60);
    else if (s >= 3600)
        snprintf(out, n, "%lldh %lldm %llds", s / 3600, s % 3600 / 60, s % 60);
    else if (s >= 60)
        snprintf(out, n, "%lldm %llds", s / 60, s % 60);
    else
        snprintf(out, n, "%llds", s);
}

int
verbs_status(const struct verbs_opts *o)
{
    struct client_reply r;
    char a[32], b[32], c[32], d[32], e[32], f[32], up[48];
    int rc = fetch(o, "/v1/status", &r);

    if (rc != 0 || o->json) {
        if (rc == 0)
            client_reply_fini(&r);
        return rc;
    }
    format_uptime((long long)json_integer_value(json_object_get(r.json, "uptime_s")), up,
                  sizeof(up));
    const char *rows[][2] = {
        { "version", str(r.json, "version") },
        { "pid", num(r.json, "pid", a, sizeof(a)) },
        { "uptime", up },
        { "stack file", str(r.json, "stack_file") },
        { "generation", num(r.json, "generation", b, sizeof(b)) },
        { "workers", num(r.json, "workers", c, sizeof(c)) },
        { "connections", num(r.json, "connections", d, sizeof(d)) },
        { "listeners", num(r.json, "listeners", e, sizeof(e)) },
        { "target groups", num(r.json, "target_groups", f, sizeof(f)) },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        printf("%-14s %s\n", rows[i][0], rows[i][1]);
    client_reply_fini(&r);
    return 0;
}

/* Percent-encodes a path segment (group names are simple, but be safe). */
static void
encode_segment(const char *s, char *out, size_t n)
{
    size_t o = 0;

    for (; *s && o + 4 < n; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ':')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, n - o, "%%%02X", ch);
    }
    out[o] = '\0';
}

int
verbs_targets(const struct verbs_opts *o)
{
    static const char *const header[] = { "GROUP", "ADDRESS", "STATE", "REASON", "WEIGHT",
                                          "IN-FLIGHT", "REQUESTS", "ERRORS", "AVG-MS",
                                          "SOURCE" };
    struct client_reply r;
    struct table t;
    char path[512], seg[384];
    size_t i;
    json_t *tg;

    if (o->group) {
        encode_segment(o->group, seg, sizeof(seg));
        snprintf(path, sizeof(path), "/v1/target-groups/%s/targets", seg);
    } else {
        snprintf(path, sizeof(path), "/v1/targets");
    }
    int rc = fetch(o, path, &r);
    if (rc != 0 || o->json) {
        if (rc == 0)
            client_reply_fini(&r);
        return rc;
    }
    table_init(&t, 10, header);
    json_array_foreach(json_object_get(r.json, "targets"), i, tg) {
        char w[24], inf[24], req[24], err[24], lat[24], why[224];
        /* The code, and what failed beyond it (a TLS target's certificate). */
        const char *desc = json_string_value(json_object_get(tg, "description"));
        snprintf(why, sizeof(why), desc ? "%s (%s)" : "%s", str(tg, "reason"), desc);
        const char *row[] = {
            str(tg, "group"), str(tg, "address"), str(tg, "state"), why,
            num(tg, "weight", w, sizeof(w)), num(tg, "in_flight", inf, sizeof(inf)),
            num(tg, "requests", req, sizeof(req)), num(tg, "errors", err, sizeof(err)),
            num(tg, "latency_avg_ms", lat, sizeof(lat)),
            json_is_true(json_object_get(tg, "dynamic")) ? "dynamic" : "static",
        };
        table_add(&t, row);
    }
    if (t.nrows == 1)
        printf("no targets%s%s\n", o->group ? " in " : "", o->group ? o->group : "");
    else
        table_print(&t, stdout);
    table_fini(&t);
    client_reply_fini(&r);
    return 0;
}

int
verbs_events(const struct verbs_opts *o)
{
    static const char *const header[] = { "TIME", "LEVEL", "SUBSYSTEM", "MESSAGE" };
    struct client_reply r;
    struct table t;
    char path[64];
    size_t i;
    json_t *ev;

    if (o->limit)
        snprintf(path, sizeof(path), "/v1/events?limit=%u", o->limit);
    else
        snprintf(path, sizeof(path), "/v1/events");
    int rc = fetch(o, path, &r);
    if (rc != 0 || o->json) {
        if (rc == 0)
            client_reply_fini(&r);
        return rc;
    }
    table_init(&t, 4, header);
    json_array_foreach(json_object_get(r.json, "events"), i, ev) {
        const char *row[] = { str(ev, "time"), str(ev, "level"), str(ev, "subsystem"),
                              str(ev, "message") };
        table_add(&t, row);
    }
    table_print(&t, stdout);
    table_fini(&t);
    client_reply_fini(&r);
    return 0;
}
