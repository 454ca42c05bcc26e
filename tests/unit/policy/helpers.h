/*
 * tests/unit/policy/helpers.h: run the policy rules over a YAML snippet, unvalidated,
 * the way they will meet sections that validation does not accept yet.
 */
#ifndef TESTS_POLICY_HELPERS_H
#define TESTS_POLICY_HELPERS_H
#include "policy/policy.h"

/* Fills r (policy_report_fini() it) from the snippet, as file "stack.yaml"; the date for
 * until= is 2025-06-01. Fails the test when the snippet is not YAML. */
void ptest_run(const char *yaml, struct policy_report *r);
/* The first result of rule `id` with `status`, or NULL. */
const struct policy_result *ptest_find(const struct policy_report *r, const char *id,
                                       enum policy_status status);
unsigned ptest_count(const struct policy_report *r, const char *id, enum policy_status status);
/* The report in `f` as a NUL-terminated string (free it). */
char *ptest_print(const struct policy_report *r, enum policy_format f, bool quiet);

#endif
