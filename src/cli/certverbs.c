/*
 * cli/certverbs.c: `tierd certs` (see certverbs.h). A table by default, the API's JSON
 * with --json.
 */
#include "cli/certverbs.h"

#include <stdio.h>
#include <string.h>

#include "cli/ask.h"
#include "cli/table.h"

int
certverbs_certs(int argc, char **argv)
{
    static const char *const header[] = { "NAME", "DOMAINS", "STATE", "EXPIRES", "NEXT RENEWAL",
                                          "FAILURES", "LAST ERROR" };
    struct ask_opts o;
    struct client_reply r;
    struct table t;
    size_t i;
    json_t *c;
    int rc = ask_get_view(argc, argv, "/v1/certs", &o, &r);

    if (rc >= 0)
        return rc;
    table_init(&t, 7, header);
    json_array_foreach(json_object_get(r.json, "certificates"), i, c) {
        char exp[32], next[40], fail[16];
        json_t *na = json_object_get(c, "not_after");
        ask_time(na ? (long long)json_integer_value(na) : 0, exp, sizeof(exp));
        ask_time((long long)json_integer_value(json_object_get(c, "next_renewal")), next,
                 sizeof(next) - 6);
        if (json_is_true(json_object_get(c, "renewal_from_ari")))
            snprintf(next + strlen(next), 7, " (ARI)");
        snprintf(fail, sizeof(fail), "%lld",
                 (long long)json_integer_value(json_object_get(c, "failures")));
        const char *row[] = { ask_str(c, "name"), ask_str(c, "domains"), ask_str(c, "state"),
                              exp, next, fail, ask_str(c, "last_error") };
        table_add(&t, row);
    }
    if (t.nrows == 1)
        printf("no automatic certificates (add an acme: block to a listener's tls:)\n");
    else
        table_print(&t, stdout);
    table_fini(&t);
    client_reply_fini(&r);
    return 0;
}
