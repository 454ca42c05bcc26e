/*
 * policy/policy.h: policy rules over a stack file, in the spirit of Checkov. `tierd check`
 * validates a file first; a valid file then goes through every rule of the table, each of
 * which reports the resources it looked at as passed or failed, with file:line:col.
 * Skip comments ("# tierd:skip=TD-EDGE-001 reason") turn failures into skips.
 * The rules read the node tree only (conf/), never a subsystem's built configuration; each
 * active rule can fire on a file that validation accepts (docs/checks.md lists the rules
 * deferred until their keys exist, and the retired ids).
 */
#ifndef POLICY_POLICY_H
#define POLICY_POLICY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "conf/node.h"

/* Ordered: a higher value is more severe. INFO is advice and never fails a run. */
enum policy_severity {
    POLICY_INFO = 0,
    POLICY_LOW,
    POLICY_MEDIUM,
    POLICY_HIGH,
    POLICY_CRITICAL,
};

enum policy_status { POLICY_PASSED = 0, POLICY_FAILED, POLICY_SKIPPED };

enum policy_format { POLICY_OUT_CLI = 0, POLICY_OUT_JSON, POLICY_OUT_SARIF, POLICY_OUT_JUNIT };

struct policy_ctx;
typedef void policy_check_fn(struct policy_ctx *cx, const struct conf_node *root);

struct policy_rule {
    const char *id;             /* "TD-EDGE-001": stable, never reused */
    enum policy_severity severity; /* the highest a finding of this rule can have */
    const char *title;          /* one line: what fails */
    const char *why;            /* why it matters */
    const char *fix;            /* how to fix it */
    const char *anchor;         /* the Checkov/Trivy/AWS checks it corresponds to, or NULL */
    policy_check_fn *check;
};

/* One resource as one rule judged it. Strings are owned by the report. */
struct policy_result {
    const struct policy_rule *rule;
    enum policy_status status;
    enum policy_severity severity; /* of this finding; may be below the rule's */
    char *resource;             /* "target_groups.web", "listeners.public" */
    char *message;              /* what is wrong (failed, skipped) or what was judged */
    const char *file;           /* the report's file name */
    unsigned line, col;         /* of the offending key, 1-based */
    char *skip_reason;          /* SKIPPED: the comment's reason */
    unsigned skip_line;         /* SKIPPED: line of the skip comment */
};

struct policy_report {
    char *file;
    struct policy_result *results;
    unsigned n, cap;
    unsigned passed, failed, skipped, info; /* info: failed findings of severity INFO */
    char **notes;               /* problems with skip comments, "file:line: ..." */
    unsigned nnotes, capnotes;
};

struct policy_opts {
    const char *today;          /* "YYYY-MM-DD": skips with an earlier until= have expired */
};

/* The rule table, in id order. */
const struct policy_rule *policy_rules(unsigned *n);
/* Borrowed rule by id, or NULL. */
const struct policy_rule *policy_rule_find(const char *id);

/* Runs every rule over `doc` and applies the skip comments found in `text` (the raw file
 * the document was parsed from, for its comments). Fills a report the caller initialised
 * with policy_report_init() and releases with policy_report_fini(). */
void policy_run(const struct conf_doc *doc, const char *text, size_t len,
                const struct policy_opts *o, struct policy_report *r);
void policy_report_init(struct policy_report *r, const char *file);
void policy_report_fini(struct policy_report *r);

/* Reads `path`, parses it and runs the rules. Returns 0, or -errno / -EBADMSG after
 * adding diagnostics to d when the file cannot be read or parsed. */
int policy_check_file(const char *path, const struct policy_opts *o, struct policy_report *r,
                      struct diag *d);

/* 0 when nothing failed (or soft_fail), else 1. */
int policy_exit_code(const struct policy_report *r, bool soft_fail);

/* "cli", "json", "sarif", "junitxml": 0 and *out, or -EINVAL. */
int policy_format_parse(const char *name, enum policy_format *out);
/* Writes the report; quiet leaves passed results out. color applies to cli only. */
void policy_print(const struct policy_report *r, enum policy_format f, bool quiet, bool color,
                  FILE *out);

/* Names for output: "HIGH", "FAILED"; SARIF level "error"/"warning"/"note"; the
 * security-severity score ("8.9"). */
const char *policy_severity_name(enum policy_severity s);
const char *policy_status_name(enum policy_status s);
const char *policy_sarif_level(enum policy_severity s);
const char *policy_security_score(enum policy_severity s);

#endif
