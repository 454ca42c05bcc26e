/*
 * policy/out_cli.c: the human report, after Checkov's: a summary line, then every failed,
 * advisory and skipped result with file:line:col, why and how to fix, then (unless quiet)
 * one line per passed result, then problems with skip comments. Colour only when asked
 * (the caller passes isatty()).
 */
#include <ctype.h>
#include <stdio.h>

#include "policy/internal.h"

#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

static const char *
paint(bool color, const char *code)
{
    return color ? code : "";
}

static void
guide(const char *id, FILE *out)
{
    fputs("\tGuide: " POLICY_GUIDE "#", out);
    for (const char *p = id; *p; p++)
        fputc(tolower((unsigned char)*p), out);
    fputc('\n', out);
}

static void
print_result(const struct policy_result *res, bool color, FILE *out)
{
    const struct policy_rule *rule = res->rule;
    bool info = res->status == POLICY_FAILED && res->severity == POLICY_INFO;
    const char *word = info ? "INFO" : policy_status_name(res->status);
    const char *c = res->status == POLICY_SKIPPED || info ? YELLOW
                  : res->status == POLICY_FAILED ? RED : GREEN;

    fprintf(out, "%sCheck: %s: \"%s\"%s\n", paint(color, BOLD), rule->id, rule->title,
            paint(color, RESET));
    fprintf(out, "\t%s%s%s for resource: %s [%s]\n", paint(color, c), word, paint(color, RESET),
            res->resource, policy_severity_name(res->severity));
    fprintf(out, "\tFile: %s:%u:%u\n", res->file, res->line, res->col);
    if (res->status == POLICY_SKIPPED) {
        fprintf(out, "\tSuppress comment (line %u): %s\n", res->skip_line, res->skip_reason);
        fprintf(out, "\tFinding: %s\n", res->message);
        return;
    }
    fprintf(out, "\t%s\n\tWhy: %s\n\tFix: %s\n", res->message, rule->why, rule->fix);
    guide(rule->id, out);
}

void
out_cli_print(const struct policy_report *r, bool quiet, bool color, FILE *out)
{
    fprintf(out, "Policy checks for %s\n", r->file);
    fprintf(out, "Passed checks: %u, Failed checks: %u, Skipped checks: %u, Advisories: %u\n",
            r->passed, r->failed, r->skipped, r->info);
    /* Failures first, then advice, then skips: what needs doing comes first. */
    for (int pass = 0; pass < 3; pass++) {
        for (unsigned i = 0; i < r->n; i++) {
            const struct policy_result *res = &r->results[i];
            bool info = res->status == POLICY_FAILED && res->severity == POLICY_INFO;
            bool want = pass == 0   ? res->status == POLICY_FAILED && !info
                        : pass == 1 ? info
                                    : res->status == POLICY_SKIPPED;
            if (want) {
                fputc('\n', out);
                print_result(res, color, out);
            }
        }
    }
    if (!quiet && r->passed > 0) {
        fputc('\n', out);
        for (unsigned i = 0; i < r->n; i++) {
            const struct policy_result *res = &r->results[i];
            if (res->status == POLICY_PASSED)
                fprintf(out, "%sPASSED%s %s %s (%s:%u:%u)\n", paint(color, GREEN),
                        paint(color, RESET), res->rule->id, res->resource, res->file,
                        res->line, res->col);
        }
    }
    if (r->nnotes > 0) {
        fputs("\nSkip comments:\n", out);
        for (unsigned i = 0; i < r->nnotes; i++)
            fprintf(out, "\t%s\n", r->notes[i]);
    }
}
