/*
 * policy/out_junit.c: the report as JUnit XML for CI dashboards: one <testsuite> per rule,
 * one <testcase> per judged resource. A failure carries the finding, its position, why
 * and how to fix it; a skip carries its reason; advice (INFO) passes with <system-out>.
 * With quiet, passed test cases are left out (the counts still include them).
 */
#include <stdio.h>

#include "policy/internal.h"

static void
xml_put(const char *s, FILE *out)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            if (c < 0x20 && c != '\n' && c != '\t')
                fputc('?', out);        /* not allowed in XML 1.0 */
            else
                fputc(c, out);
        }
    }
}

static void
print_case(const struct policy_result *res, FILE *out)
{
    const struct policy_rule *rule = res->rule;

    fputs("    <testcase name=\"[", out);
    xml_put(policy_severity_name(res->severity), out);
    fputs("][", out);
    xml_put(rule->id, out);
    fputs("] ", out);
    xml_put(rule->title, out);
    fputs("\" classname=\"", out);
    xml_put(res->file, out);
    fputc('.', out);
    xml_put(res->resource, out);
    fputs("\" file=\"", out);
    xml_put(res->file, out);
    fprintf(out, "\" line=\"%u\">", res->line);
    if (res->status == POLICY_PASSED) {
        fputs("</testcase>\n", out);
        return;
    }
    if (res->status == POLICY_SKIPPED) {
        fputs("\n      <skipped message=\"", out);
        xml_put(res->skip_reason, out);
        fputs("\"/>\n    </testcase>\n", out);
        return;
    }
    fputs(res->severity == POLICY_INFO ? "\n      <system-out>"
                                       : "\n      <failure type=\"failure\" message=\"",
          out);
    if (res->severity != POLICY_INFO) {
        xml_put(res->message, out);
        fputs("\">", out);
    }
    fprintf(out, "Resource: ");
    xml_put(res->resource, out);
    fprintf(out, "\nFile: ");
    xml_put(res->file, out);
    fprintf(out, ":%u:%u\n", res->line, res->col);
    xml_put(res->message, out);
    fputs("\nWhy: ", out);
    xml_put(rule->why, out);
    fputs("\nFix: ", out);
    xml_put(rule->fix, out);
    fputs(res->severity == POLICY_INFO ? "</system-out>\n    </testcase>\n"
                                       : "</failure>\n    </testcase>\n",
          out);
}

void
out_junit_print(const struct policy_report *r, bool quiet, FILE *out)
{
    unsigned n;
    const struct policy_rule *rules = policy_rules(&n);

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out, "<testsuites name=\"tierd check\" tests=\"%u\" failures=\"%u\" skipped=\"%u\">\n",
            r->n, r->failed, r->skipped);
    for (unsigned k = 0; k < n; k++) {
        unsigned tests = 0, failures = 0, skipped = 0;
        for (unsigned i = 0; i < r->n; i++) {
            const struct policy_result *res = &r->results[i];
            if (res->rule != &rules[k])
                continue;
            tests++;
            failures += res->status == POLICY_FAILED && res->severity != POLICY_INFO;
            skipped += res->status == POLICY_SKIPPED;
        }
        fputs("  <testsuite name=\"", out);
        xml_put(rules[k].id, out);
        fputc(' ', out);
        xml_put(rules[k].title, out);
        fprintf(out, "\" tests=\"%u\" failures=\"%u\" skipped=\"%u\" errors=\"0\">\n", tests,
                failures, skipped);
        for (unsigned i = 0; i < r->n; i++) {
            const struct policy_result *res = &r->results[i];
            if (res->rule == &rules[k] && !(quiet && res->status == POLICY_PASSED))
                print_case(res, out);
        }
        fputs("  </testsuite>\n", out);
    }
    fputs("</testsuites>\n", out);
}
