/* tests/unit/policy/helpers.c: see helpers.h. */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

void
ptest_run(const char *yaml, struct policy_report *r)
{
    struct diag d;
    struct policy_opts o = { .today = "2025-06-01" };

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("stack.yaml", yaml, strlen(yaml), &d);
    if (!doc) {
        diag_print(&d, stderr);
        fail_msg("snippet is not YAML:\n%s", yaml);
    }
    policy_report_init(r, "stack.yaml");
    policy_run(doc, yaml, strlen(yaml), &o, r);
    conf_doc_free(doc);
    diag_fini(&d);
}

const struct policy_result *
ptest_find(const struct policy_report *r, const char *id, enum policy_status status)
{
    for (unsigned i = 0; i < r->n; i++)
        if (strcmp(r->results[i].rule->id, id) == 0 && r->results[i].status == status)
            return &r->results[i];
    return NULL;
}

unsigned
ptest_count(const struct policy_report *r, const char *id, enum policy_status status)
{
    unsigned n = 0;

    for (unsigned i = 0; i < r->n; i++)
        n += strcmp(r->results[i].rule->id, id) == 0 && r->results[i].status == status;
    return n;
}

char *
ptest_print(const struct policy_report *r, enum policy_format f, bool quiet)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);

    policy_print(r, f, quiet, false, m);
    fclose(m);
    return buf;
}
