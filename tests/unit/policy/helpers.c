/* tests/unit/policy/helpers.c: see helpers.h. */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "daemon/stack.h"
#include "policy/internal.h"

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

bool
ptest_validates(const char *yaml, char **errors)
{
    struct diag d;

    diag_init(&d);
    struct stack *s = stack_load_mem("stack.yaml", yaml, strlen(yaml), &d);
    bool ok = s != NULL;
    if (errors) {
        size_t len = 0;
        FILE *m = open_memstream(errors, &len);
        diag_print(&d, m);
        fclose(m);
    }
    stack_free(s);
    diag_fini(&d);
    return ok;
}

void
ptest_run_valid(const char *yaml, struct policy_report *r)
{
    char *errors = NULL;

    if (!ptest_validates(yaml, &errors)) {
        fprintf(stderr, "%s", errors);
        free(errors);
        fail_msg("snippet does not pass validation:\n%s", yaml);
    }
    free(errors);
    ptest_run(yaml, r);
}

void
ptest_run_rule(const struct policy_rule *rule, const char *yaml, struct policy_report *r)
{
    struct diag d;

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("stack.yaml", yaml, strlen(yaml), &d);
    if (!doc) {
        diag_print(&d, stderr);
        fail_msg("snippet is not YAML:\n%s", yaml);
    }
    policy_report_init(r, "stack.yaml");
    if (doc->root && doc->root->kind == CONF_MAP) {
        struct policy_ctx cx = { .rule = rule, .r = r };
        rule->check(&cx, doc->root);
    }
    for (unsigned i = 0; i < r->n; i++) {
        if (r->results[i].status == POLICY_PASSED)
            r->passed++;
        else
            r->failed++;
    }
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
