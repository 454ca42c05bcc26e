/*
 * cli/fleetverbs.c: the fleet's verbs: auto scaling groups (GET /v1/auto-scaling-groups),
 * their instances (GET /v1/instances or /v1/auto-scaling-groups/{name}/instances) and
 * instance refresh (POST, GET, DELETE /v1/auto-scaling-groups/{name}/refresh) and desired
 * capacity (PUT .../desired-capacity). Tables by default, the API's JSON with --json.
 */
#include "cli/fleetverbs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ask.h"
#include "cli/table.h"

int
fleetverbs_groups(int argc, char **argv)
{
    static const char *const header[] = { "NAME", "TARGET-GROUP", "TEMPLATE", "VERSION",
                                          "MIN", "MAX", "DESIRED", "PENDING", "IN-SERVICE",
                                          "TERMINATING", "REFRESH" };
    struct ask_opts o;
    struct client_reply r;
    struct table t;
    size_t i;
    json_t *g;
    int rc = ask_get_view(argc, argv, "/v1/auto-scaling-groups", &o, &r);

    if (rc >= 0)
        return rc;
    table_init(&t, 11, header);
    json_array_foreach(json_object_get(r.json, "auto_scaling_groups"), i, g) {
        char v[32], mn[16], mx[16], d[16], p[16], s[16], te[16];
        bool latest = json_is_true(json_object_get(g, "follows_latest"));
        snprintf(v, sizeof(v), "%lld%s", (long long)json_integer_value(json_object_get(g,
                 "version")), latest ? " (latest)" : "");
        const char *row[] = {
            ask_str(g, "name"), ask_str(g, "target_group"), ask_str(g, "launch_template"), v,
            ask_num(g, "min_size", mn, sizeof(mn)), ask_num(g, "max_size", mx, sizeof(mx)),
            ask_num(g, "desired_capacity", d, sizeof(d)), ask_num(g, "pending", p, sizeof(p)),
            ask_num(g, "in_service", s, sizeof(s)), ask_num(g, "terminating", te, sizeof(te)),
            ask_str(g, "refresh_status"),
        };
        table_add(&t, row);
    }
    if (t.nrows == 1)
        printf("no auto scaling groups\n");
    else
        table_print(&t, stdout);
    table_fini(&t);
    client_reply_fini(&r);
    return 0;
}

/* Under the table, each distinct reason why limits are not enforced, once, with the
 * instances it holds for: a reason is a sentence, too long for a column. */
static void
print_unenforced(json_t *list)
{
    size_t i, j;
    json_t *in, *other;

    json_array_foreach(list, i, in) {
        const char *why = ask_str(in, "limits");
        bool first = true;
        if (strncmp(why, "not enforced: ", 14) != 0)
            continue;
        json_array_foreach(list, j, other) {
            if (strcmp(ask_str(other, "limits"), why) != 0)
                continue;
            if (j < i)
                break;          /* printed with an earlier instance */
            printf("%s%s", first ? "\nlimits not enforced for " : ", ", ask_str(other, "id"));
            first = false;
        }
        if (!first)
            printf(": %s\n", why + 14);
    }
}

int
fleetverbs_instances(int argc, char **argv)
{
    static const char *const header[] = { "ID", "GROUP", "STATE", "HEALTH", "VERSION",
                                          "PORT", "PID", "CPU%", "UPTIME", "WARMING",
                                          "LIMITS" };
    struct ask_opts o;
    struct client_reply r;
    struct table t;
    char path[512], seg[384];
    size_t i;
    json_t *in;
    int rc = ask_parse(argc, argv, NULL, 1, &o);

    if (rc >= 0)
        return rc;
    if (o.npos) {
        ask_segment(o.pos[0], seg, sizeof(seg));
        snprintf(path, sizeof(path), "/v1/auto-scaling-groups/%s/instances", seg);
    } else {
        snprintf(path, sizeof(path), "/v1/instances");
    }
    if ((rc = ask_call(&o, "GET", path, NULL, &r)) != 0 || o.json) {
        if (rc == 0)
            client_reply_fini(&r);
        return rc;
    }
    table_init(&t, 11, header);
    json_array_foreach(json_object_get(r.json, "instances"), i, in) {
        char v[16], port[16], pid[16], cpu[16], up[32];
        long long pid_n = (long long)json_integer_value(json_object_get(in, "pid"));
        const char *limits = ask_str(in, "limits");
        bool unlimited = strncmp(limits, "not enforced", 12) == 0;
        const char *row[] = {
            ask_str(in, "id"), ask_str(in, "group"), ask_str(in, "state"),
            ask_str(in, "health"), ask_num(in, "version", v, sizeof(v)),
            ask_num(in, "port", port, sizeof(port)),
            pid_n > 0 ? ask_num(in, "pid", pid, sizeof(pid)) : "-",
            ask_num(in, "cpu_pct", cpu, sizeof(cpu)),
            ask_span((long long)json_integer_value(json_object_get(in, "uptime_ms")) / 1000,
                     up, sizeof(up)),
            json_is_true(json_object_get(in, "warming")) ? "yes" : "no",
            unlimited ? "NOT ENFORCED" : limits,
        };
        table_add(&t, row);
    }
    if (t.nrows == 1)
        printf("no instances%s%s\n", o.npos ? " in " : "", o.npos ? o.pos[0] : "");
    else
        table_print(&t, stdout);
    print_unenforced(json_object_get(r.json, "instances"));
    table_fini(&t);
    client_reply_fini(&r);
    return 0;
}

/* Prints one refresh (the body of POST or GET .../refresh) as "name  value" lines. */
static void
print_refresh(json_t *j)
{
    char id[32], pct[32], todo[32], from[16], to[16], started[32], ended[32];
    long long ended_s = (long long)json_integer_value(json_object_get(j, "ended"));
    const char *rows[][2] = {
        { "group", ask_str(j, "group") },
        { "refresh", ask_num(j, "id", id, sizeof(id)) },
        { "status", ask_str(j, "status") },
        { "percent complete", ask_num(j, "percent_complete", pct, sizeof(pct)) },
        { "instances to update", ask_num(j, "instances_to_update", todo, sizeof(todo)) },
        { "from version", ask_num(j, "from_version", from, sizeof(from)) },
        { "to version", ask_num(j, "to_version", to, sizeof(to)) },
        { "started", ask_time((long long)json_integer_value(json_object_get(j, "started")),
                              started, sizeof(started)) },
        { "ended", ended_s ? ask_time(ended_s, ended, sizeof(ended)) : "-" },
        { "reason", ask_str(j, "reason") },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        printf("%-20s %s\n", rows[i][0], rows[i][1]);
}

int
fleetverbs_refresh(int argc, char **argv)
{
    static const struct { const char *sub, *method; } subs[] = {
        { "start", "POST" }, { "status", "GET" }, { "cancel", "DELETE" },
    };
    struct ask_opts o;
    struct client_reply r;
    char path[512], seg[384];
    int rc = ask_parse(argc, argv, NULL, 2, &o);
    size_t k = 0;

    if (rc >= 0)
        return rc;
    if (o.npos == 0)
        return ask_usage_error("refresh needs start, status or cancel and a group, not", "");
    while (k < sizeof(subs) / sizeof(subs[0]) && strcmp(subs[k].sub, o.pos[0]) != 0)
        k++;
    if (k == sizeof(subs) / sizeof(subs[0]))
        return ask_usage_error("refresh takes start, status or cancel, not", o.pos[0]);
    if (o.npos != 2)
        return ask_usage_error("an auto scaling group must follow", o.pos[0]);
    ask_segment(o.pos[1], seg, sizeof(seg));
    snprintf(path, sizeof(path), "/v1/auto-scaling-groups/%s/refresh", seg);
    if ((rc = ask_call(&o, subs[k].method, path, NULL, &r)) != 0 || o.json) {
        if (rc == 0)
            client_reply_fini(&r);
        return rc;
    }
    if (strcmp(subs[k].sub, "cancel") == 0)
        printf("refresh of %s: %s\n", ask_str(r.json, "group"), ask_str(r.json, "status"));
    else
        print_refresh(r.json);
    client_reply_fini(&r);
    return 0;
}

int
fleetverbs_scale(int argc, char **argv)
{
    struct ask_opts o;
    struct client_reply r;
    char path[512], seg[384], body[64], *end;
    int rc = ask_parse(argc, argv, NULL, 2, &o);

    if (rc >= 0)
        return rc;
    if (o.npos != 2)
        return ask_usage_error("scale needs a group and a number of instances (tierd scale "
                               "web 4), not", o.npos ? o.pos[0] : "");
    errno = 0;
    unsigned long n = strtoul(o.pos[1], &end, 10);
    if (!*o.pos[1] || *end || o.pos[1][0] == '-' || errno || n > 100000)
        return ask_usage_error("scale: the desired capacity is a whole number of instances, "
                               "not", o.pos[1]);
    ask_segment(o.pos[0], seg, sizeof(seg));
    snprintf(path, sizeof(path), "/v1/auto-scaling-groups/%s/desired-capacity", seg);
    snprintf(body, sizeof(body), "{\"desired\": %lu}", n);
    if ((rc = ask_call(&o, "PUT", path, body, &r)) != 0 || o.json) {
        if (rc == 0)
            client_reply_fini(&r);
        return rc;
    }
    printf("%s: desired capacity %lld (was %lld; min %lld, max %lld)\n", ask_str(r.json, "group"),
           (long long)json_integer_value(json_object_get(r.json, "desired_capacity")),
           (long long)json_integer_value(json_object_get(r.json, "previous")),
           (long long)json_integer_value(json_object_get(r.json, "min_size")),
           (long long)json_integer_value(json_object_get(r.json, "max_size")));
    client_reply_fini(&r);
    return 0;
}
