/*
 * policy/policy.c: runs the rule table over a node tree, applies skip comments and
 * decides the exit code. Owns the report; the rules only call policy_pass/policy_fail,
 * and the output files only read the finished report.
 *
 * A skip is honoured when it names the rule, sits on the finding's line, just above it or
 * in the file's leading comment block, has a reason, and its until= date (if any) has not
 * passed. A skip without a reason, or an expired one, leaves the finding failed and says
 * why in its message, so a forgotten skip cannot hide a problem quietly.
 */
#include "policy/policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "policy/internal.h"
#include "policy/skip.h"

const struct policy_rule *
policy_rules(unsigned *n)
{
    return ruletab_all(n);
}

const struct policy_rule *
policy_rule_find(const char *id)
{
    return ruletab_find(id);
}

void
policy_report_init(struct policy_report *r, const char *file)
{
    memset(r, 0, sizeof(*r));
    r->file = mem_strdup_or_exit(file);
}

void
policy_report_fini(struct policy_report *r)
{
    for (unsigned i = 0; i < r->n; i++) {
        free(r->results[i].resource);
        free(r->results[i].message);
        free(r->results[i].skip_reason);
    }
    for (unsigned i = 0; i < r->nnotes; i++)
        free(r->notes[i]);
    free(r->results);
    free(r->notes);
    free(r->file);
    memset(r, 0, sizeof(*r));
}

static struct policy_result *
result_add(struct policy_ctx *cx, const struct conf_node *at, const char *resource)
{
    struct policy_report *r = cx->r;

    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->results = mem_realloc_or_exit(r->results, r->cap * sizeof(*r->results));
    }
    struct policy_result *res = &r->results[r->n++];
    memset(res, 0, sizeof(*res));
    res->rule = cx->rule;
    res->file = r->file;
    res->line = at ? at->line : 1;
    res->col = at ? at->col : 1;
    res->resource = mem_strdup_or_exit(resource);
    return res;
}

void
policy_pass(struct policy_ctx *cx, const struct conf_node *at, const char *resource)
{
    struct policy_result *res = result_add(cx, at, resource);

    res->status = POLICY_PASSED;
    res->severity = cx->rule->severity;
    res->message = mem_strdup_or_exit(cx->rule->title);
}

void
policy_fail(struct policy_ctx *cx, const struct conf_node *at, enum policy_severity sev,
            const char *resource, const char *fmt, ...)
{
    struct policy_result *res = result_add(cx, at, resource);
    va_list ap;
    char *msg;

    res->status = POLICY_FAILED;
    res->severity = sev;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = mem_strdup_or_exit(cx->rule->title);
    va_end(ap);
    res->message = msg;
}

static void
note_add(struct policy_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note_add(struct policy_report *r, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = mem_strdup_or_exit("(out of memory)");
    va_end(ap);
    if (r->nnotes == r->capnotes) {
        r->capnotes = r->capnotes ? r->capnotes * 2 : 4;
        r->notes = mem_realloc_or_exit(r->notes, r->capnotes * sizeof(*r->notes));
    }
    r->notes[r->nnotes++] = msg;
}

static void
message_append(struct policy_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
message_append(struct policy_result *res, const char *fmt, ...)
{
    va_list ap;
    char *tail, *msg;

    va_start(ap, fmt);
    if (vasprintf(&tail, fmt, ap) < 0)
        tail = NULL;
    va_end(ap);
    if (!tail)
        return;
    if (asprintf(&msg, "%s %s", res->message, tail) >= 0) {
        free(res->message);
        res->message = msg;
    }
    free(tail);
}

/* A skip comment on `line` names `id`, which is no active rule: a deferred or retired id is
 * told apart from a typo, with its reason. */
static void
note_inactive_id(struct policy_report *r, unsigned line, const char *id)
{
    const struct ruletab_deferred *df = ruletab_deferred_find(id);
    const struct ruletab_retired *rt = ruletab_retired_find(id);

    if (df)
        note_add(r, "%s:%u: skip comment names deferred rule \"%s\", which does not run "
                    "until the stack file accepts %s (%s)", r->file, line, id, df->keys,
                 df->issue);
    else if (rt)
        note_add(r, "%s:%u: skip comment names retired rule \"%s\" (%s); remove it", r->file,
                 line, id, rt->why);
    else
        note_add(r, "%s:%u: skip comment names unknown rule \"%s\"", r->file, line, id);
}

/* Reports skip comments that name no active rule, so a typo does not silently skip
 * nothing. */
static void
check_skip_ids(struct policy_report *r, const struct skip_list *l)
{
    for (unsigned i = 0; i < l->n; i++) {
        const struct skip *s = &l->v[i];
        const char *p = s->ids;
        if (!*p)
            note_add(r, "%s:%u: skip comment names no rule", r->file, s->line);
        while (*p) {
            size_t w = strcspn(p, ",");
            char id[64];
            if (w > 0 && w < sizeof(id)) {
                memcpy(id, p, w);
                id[w] = '\0';
                if (!ruletab_find(id))
                    note_inactive_id(r, s->line, id);
            }
            p += w;
            if (*p == ',')
                p++;
        }
        if (!*s->reason)
            note_add(r, "%s:%u: skip comment without a reason is ignored; add one after "
                        "the rule ids", r->file, s->line);
    }
}

static void
apply_skips(struct policy_report *r, const struct skip_list *l, const char *today)
{
    for (unsigned i = 0; i < r->n; i++) {
        struct policy_result *res = &r->results[i];
        if (res->status != POLICY_FAILED)
            continue;
        const struct skip *s = skip_find(l, res->rule->id, res->line);
        if (!s)
            continue;
        if (!*s->reason) {
            message_append(res, "(the skip comment on line %u has no reason, so it does "
                                "not apply)", s->line);
        } else if (*s->until && today && strcmp(s->until, today) < 0) {
            message_append(res, "(the skip comment on line %u expired on %s)", s->line,
                           s->until);
        } else {
            res->status = POLICY_SKIPPED;
            res->skip_reason = mem_strdup_or_exit(s->reason);
            res->skip_line = s->line;
        }
    }
}

void
policy_run(const struct conf_doc *doc, const char *text, size_t len,
           const struct policy_opts *o, struct policy_report *r)
{
    unsigned n;
    const struct policy_rule *rules = ruletab_all(&n);
    struct skip_list skips;

    if (doc && doc->root && doc->root->kind == CONF_MAP) {
        for (unsigned i = 0; i < n; i++) {
            struct policy_ctx cx = { .rule = &rules[i], .r = r };
            rules[i].check(&cx, doc->root);
        }
    }
    skip_list_parse(&skips, text ? text : "", text ? len : 0);
    check_skip_ids(r, &skips);
    apply_skips(r, &skips, o ? o->today : NULL);
    skip_list_fini(&skips);
    r->passed = r->failed = r->skipped = r->info = 0;
    for (unsigned i = 0; i < r->n; i++) {
        const struct policy_result *res = &r->results[i];
        if (res->status == POLICY_PASSED)
            r->passed++;
        else if (res->status == POLICY_SKIPPED)
            r->skipped++;
        else if (res->severity == POLICY_INFO)
            r->info++;
        else
            r->failed++;
    }
}

int
policy_check_file(const char *path, const struct policy_opts *o, struct policy_report *r,
                  struct diag *d)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0, cap = 0, got;

    if (!f) {
        int e = errno;
        diag_add(d, path, 1, 1, "cannot open: %s", strerror(e));
        return -e;
    }
    do {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            text = mem_realloc_or_exit(text, cap + 1);
        }
        got = fread(text + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    fclose(f);
    text[len] = '\0';
    struct conf_doc *doc = conf_doc_load_mem(path, text, len, d);
    if (!doc) {
        free(text);
        return -EBADMSG;
    }
    policy_run(doc, text, len, o, r);
    conf_doc_free(doc);
    free(text);
    return 0;
}

int
policy_exit_code(const struct policy_report *r, bool soft_fail)
{
    return r->failed > 0 && !soft_fail ? 1 : 0;
}

int
policy_format_parse(const char *name, enum policy_format *out)
{
    static const char *const names[] = { "cli", "json", "sarif", "junitxml" };

    for (unsigned i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum policy_format)i;
            return 0;
        }
    return -EINVAL;
}

const char *
policy_severity_name(enum policy_severity s)
{
    static const char *const names[] = { "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL" };

    return (unsigned)s < 5 ? names[s] : "UNKNOWN";
}

const char *
policy_status_name(enum policy_status s)
{
    return s == POLICY_PASSED ? "PASSED" : s == POLICY_SKIPPED ? "SKIPPED" : "FAILED";
}

/* SARIF levels and GitHub's security-severity scores, as Checkov maps them. */
const char *
policy_sarif_level(enum policy_severity s)
{
    return s >= POLICY_HIGH ? "error" : s == POLICY_MEDIUM ? "warning" : "note";
}

const char *
policy_security_score(enum policy_severity s)
{
    static const char *const scores[] = { "0.0", "3.9", "6.9", "8.9", "10.0" };

    return (unsigned)s < 5 ? scores[s] : "0.0";
}

void
policy_print(const struct policy_report *r, enum policy_format f, bool quiet, bool color,
             FILE *out)
{
    switch (f) {
    case POLICY_OUT_JSON:
        out_json_print(r, quiet, out);
        break;
    case POLICY_OUT_SARIF:
        out_sarif_print(r, out);
        break;
    case POLICY_OUT_JUNIT:
        out_junit_print(r, quiet, out);
        break;
    case POLICY_OUT_CLI:
    default:
        out_cli_print(r, quiet, color, out);
        break;
    }
}
