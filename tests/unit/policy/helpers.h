/*
 * tests/unit/policy/helpers.h: run the policy rules over a YAML snippet: raw, the way the
 * unit tests probe odd shapes and the deferred rules, or after the snippet has passed the
 * same validation as `tierd check`, the way the rules meet a file in real use.
 */
#ifndef TESTS_POLICY_HELPERS_H
#define TESTS_POLICY_HELPERS_H
#include <stdbool.h>

#include "policy/policy.h"

/* Fills r (policy_report_fini() it) from the snippet, as file "stack.yaml"; the date for
 * until= is 2025-06-01. Fails the test when the snippet is not YAML. */
void ptest_run(const char *yaml, struct policy_report *r);
/* True when the snippet passes validation (daemon/stack.h's stack_load_mem, as a reload
 * would); otherwise false, with the diagnostics in *errors when errors is not NULL (free
 * it). */
bool ptest_validates(const char *yaml, char **errors);
/* ptest_run() on a snippet that must validate first: fails the test, with the validator's
 * messages, when it does not. */
void ptest_run_valid(const char *yaml, struct policy_report *r);
/* Runs the one rule (also a deferred one, which policy_run() leaves out) over a raw
 * snippet; no skip comments apply. */
void ptest_run_rule(const struct policy_rule *rule, const char *yaml, struct policy_report *r);
/* The first result of rule `id` with `status`, or NULL. */
const struct policy_result *ptest_find(const struct policy_report *r, const char *id,
                                       enum policy_status status);
unsigned ptest_count(const struct policy_report *r, const char *id, enum policy_status status);
/* The report in `f` as a NUL-terminated string (free it). */
char *ptest_print(const struct policy_report *r, enum policy_format f, bool quiet);

#endif
