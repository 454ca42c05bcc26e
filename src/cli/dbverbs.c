/*
 * cli/dbverbs.c: the data tier's verbs (cli/dbverbs.h). `db status` is a table of every
 * database and its server; `db backups NAME` the catalog; `db backup|verify|restore NAME`
 * queue a job and follow it to its end (exit 0 when it succeeded, 1 when it failed);
 * `db logs NAME` prints the server's slow query log (--error: its error log). --json
 * prints the API's JSON as it came.
 */
#include "cli/dbverbs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/ask.h"
#include "cli/table.h"

static int
dbverbs_status(int argc, char **argv)
{
    static const char *const header[] = { "NAME", "MODE", "STATE", "PID", "RESTARTS",
                                          "ENDPOINT", "ENCRYPTED", "BACKUPS", "ERROR" };
    struct ask_opts o;
    struct client_reply r;
    struct table t;
    size_t i;
    json_t *a;
    int rc = ask_get_view(argc, argv, "/v1/db", &o, &r);

    if (rc >= 0)
        return rc;
    table_init(&t, 9, header);
    json_array_foreach(json_object_get(r.json, "databases"), i, a) {
        char pid[24], restarts[24], endpoint[400];
        json_t *addr = json_object_get(a, "address");
        snprintf(endpoint, sizeof(endpoint), "%s",
                 json_is_string(addr) ? json_string_value(addr) : ask_str(a, "socket"));
        const char *row[] = {
            ask_str(a, "name"), ask_str(a, "mode"), ask_str(a, "state"),
            ask_num(a, "pid", pid, sizeof(pid)), ask_num(a, "restarts", restarts,
                                                         sizeof(restarts)),
            endpoint, json_is_true(json_object_get(a, "storage_encrypted")) ? "yes" : "no",
            json_is_true(json_object_get(a, "backups")) ? "on" : "off", ask_str(a, "error"),
        };
        table_add(&t, row);
    }
    if (t.nrows == 1)
        printf("no databases\n");
    else
        table_print(&t, stdout);
    table_fini(&t);
    client_reply_fini(&r);
    return 0;
}

static const char *
dbverbs_ms(json_t *o, const char *key, char *buf, size_t n)
{
    long long ms = (long long)json_integer_value(json_object_get(o, key));

    return ask_time(ms / 1000, buf, n);
}

static int
dbverbs_backups(int argc, char **argv)
{
    static const char *const header[] = { "ID", "STATUS", "STARTED", "ENDED", "BYTES",
                                          "BINLOG", "GTID", "VERIFY", "VERIFY_MS" };
    struct ask_opts o;
    struct client_reply r;
    struct table t;
    char path[256], seg[160], point[40];
    size_t i;
    json_t *a;
    int rc = ask_parse(argc, argv, NULL, 1, &o);

    if (rc >= 0)
        return rc;
    if (o.npos != 1)
        return ask_usage_error("name the database:", "tierd db backups NAME");
    ask_segment(o.pos[0], seg, sizeof(seg));
    snprintf(path, sizeof(path), "/v1/db/%s/backups", seg);
    if ((rc = ask_call(&o, "GET", path, NULL, &r)) != 0 || o.json) {
        if (rc == 0)
            client_reply_fini(&r);
        return rc;
    }
    printf("latest restorable time: %s\n", dbverbs_ms(r.json, "latest_restorable_ms", point,
                                                      sizeof(point)));
    table_init(&t, 9, header);
    json_array_foreach(json_object_get(r.json, "backups"), i, a) {
        char id[24], st[40], en[40], bytes[32], binlog[200], vms[24];
        json_t *v = json_object_get(a, "verify");
        snprintf(binlog, sizeof(binlog), "%s:%lld", ask_str(a, "binlog_file"),
                 (long long)json_integer_value(json_object_get(a, "binlog_pos")));
        const char *row[] = {
            ask_num(a, "id", id, sizeof(id)), ask_str(a, "status"),
            dbverbs_ms(a, "started_ms", st, sizeof(st)), dbverbs_ms(a, "ended_ms", en, sizeof(en)),
            ask_num(a, "size_bytes", bytes, sizeof(bytes)), binlog, ask_str(a, "gtid"),
            json_is_string(v) ? json_string_value(v) : "never verified",
            ask_num(a, "verify_ms", vms, sizeof(vms)),
        };
        table_add(&t, row);
    }
    if (t.nrows == 1)
        printf("no backups\n");
    else
        table_print(&t, stdout);
    table_fini(&t);
    client_reply_fini(&r);
    return 0;
}

/* Follows job `id` until it ends; prints its message. 0 ok, 1 failed, 3 unreachable. */
static int
dbverbs_follow(struct ask_opts *o, long long id)
{
    char path[64];
    bool json = o->json;

    o->json = false;
    snprintf(path, sizeof(path), "/v1/db-jobs/%lld", id);
    for (;;) {
        struct client_reply r;
        int rc = ask_call(o, "GET", path, NULL, &r);
        if (rc != 0)
            return rc;
        const char *state = ask_str(r.json, "state");
        if (strcmp(state, "ok") == 0 || strcmp(state, "failed") == 0) {
            bool ok = strcmp(state, "ok") == 0;
            if (json)
                printf("%s\n", r.body);
            else
                fprintf(ok ? stdout : stderr, "%s%s\n", ok ? "" : "tierd: ",
                        ask_str(r.json, "message"));
            client_reply_fini(&r);
            return ok ? 0 : 1;
        }
        client_reply_fini(&r);
        usleep(200000);
    }
}

/* POSTs to /v1/db/NAME/<what> and follows the job. */
static int
dbverbs_job(int argc, char **argv, const char *what)
{
    static const char *const names[] = { "--to-time", "--as", NULL };
    bool latest = false;
    char *args[64], seg[160], path[256], body[512];
    int n = 0;
    struct ask_opts o;
    struct client_reply r;

    for (int i = 0; i < argc && n < 63; i++) {
        if (strcmp(argv[i], "--latest") == 0)
            latest = true;
        else
            args[n++] = argv[i];
    }
    args[n] = NULL;
    int rc = ask_parse(n, args, strcmp(what, "restore") == 0 ? names : NULL, 1, &o);
    if (rc >= 0)
        return rc;
    if (o.npos != 1)
        return ask_usage_error("name the database:", what);
    body[0] = '\0';
    if (strcmp(what, "restore") == 0) {
        if (!o.values[1])
            return ask_usage_error("a restore makes a new database: give --as NEW for", what);
        if (!o.values[0] == !latest)
            return ask_usage_error("give exactly one of --to-time T (UTC, "
                                   "2026-12-07T23:45:00Z) and --latest for", what);
        json_t *b = json_pack("{s:s}", "as", o.values[1]);
        if (latest)
            json_object_set_new(b, "latest", json_true());
        else
            json_object_set_new(b, "to_time", json_string(o.values[0]));
        char *s = json_dumps(b, JSON_COMPACT);
        snprintf(body, sizeof(body), "%s", s);
        free(s);
        json_decref(b);
    }
    ask_segment(o.pos[0], seg, sizeof(seg));
    snprintf(path, sizeof(path), "/v1/db/%s/%s", seg,
             strcmp(what, "backup") == 0 ? "backups" : what);
    bool json = o.json;
    o.json = false;
    if ((rc = ask_call(&o, "POST", path, body[0] ? body : "{}", &r)) != 0)
        return rc;
    long long id = (long long)json_integer_value(json_object_get(r.json, "id"));
    client_reply_fini(&r);
    o.json = json;
    return dbverbs_follow(&o, id);
}

static int
dbverbs_logs(int argc, char **argv)
{
    bool error_log = false;
    char *args[64], seg[160], path[256];
    int n = 0;
    struct ask_opts o;
    struct client_reply r;

    for (int i = 0; i < argc && n < 63; i++) {
        if (strcmp(argv[i], "--error") == 0)
            error_log = true;
        else
            args[n++] = argv[i];
    }
    args[n] = NULL;
    int rc = ask_parse(n, args, NULL, 1, &o);
    if (rc >= 0)
        return rc;
    if (o.npos != 1)
        return ask_usage_error("name the database:", "tierd db logs NAME");
    ask_segment(o.pos[0], seg, sizeof(seg));
    snprintf(path, sizeof(path), "/v1/db/%s/logs?kind=%s", seg, error_log ? "error" : "slow");
    o.json = false;
    if ((rc = ask_call(&o, "GET", path, NULL, &r)) != 0)
        return rc;
    fwrite(r.body, 1, r.body_len, stdout);
    client_reply_fini(&r);
    return 0;
}

static int
dbverbs_usage(void)
{
    fprintf(stderr, "usage: tierd db status\n"
                    "       tierd db backups NAME\n"
                    "       tierd db backup NAME\n"
                    "       tierd db verify NAME\n"
                    "       tierd db restore NAME (--to-time 2026-12-07T23:45:00Z | --latest) "
                    "--as NEW\n"
                    "       tierd db logs NAME [--error]\n"
                    "each takes --json and --socket PATH\n");
    return 2;
}

int
dbverbs_db(int argc, char **argv)
{
    if (argc < 2)
        return dbverbs_usage();
    const char *sub = argv[1];
    if (strcmp(sub, "status") == 0)
        return dbverbs_status(argc - 1, argv + 1);
    if (strcmp(sub, "backups") == 0)
        return dbverbs_backups(argc - 1, argv + 1);
    if (strcmp(sub, "backup") == 0 || strcmp(sub, "verify") == 0 ||
        strcmp(sub, "restore") == 0)
        return dbverbs_job(argc - 1, argv + 1, sub);
    if (strcmp(sub, "logs") == 0)
        return dbverbs_logs(argc - 1, argv + 1);
    fprintf(stderr, "tierd db: unknown sub-verb \"%s\"\n", sub);
    return dbverbs_usage();
}
