/*
 * cli/watchverbs.c: the watch's verbs: the alarms with their state (GET /v1/alarms). A
 * table by default, the API's JSON with --json.
 */
#include "cli/watchverbs.h"

#include <stdio.h>

#include "cli/ask.h"
#include "cli/table.h"

int
watchverbs_alarms(int argc, char **argv)
{
    static const char *const header[] = { "NAME", "STATE", "UPDATED", "REASON" };
    struct ask_opts o;
    struct client_reply r;
    struct table t;
    size_t i;
    json_t *a;
    int rc = ask_get_view(argc, argv, "/v1/alarms", &o, &r);

    if (rc >= 0)
        return rc;
    table_init(&t, 4, header);
    json_array_foreach(json_object_get(r.json, "alarms"), i, a) {
        char updated[32];
        const char *row[] = {
            ask_str(a, "name"), ask_str(a, "state"),
            ask_time((long long)json_integer_value(json_object_get(a, "updated")), updated,
                     sizeof(updated)),
            ask_str(a, "reason"),
        };
        table_add(&t, row);
    }
    if (t.nrows == 1)
        printf("no alarms\n");
    else
        table_print(&t, stdout);
    table_fini(&t);
    client_reply_fini(&r);
    return 0;
}
