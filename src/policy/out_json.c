/*
 * policy/out_json.c: the report as one JSON object, shaped like Checkov's:
 * {check_type, file, results: {passed_checks, failed_checks, skipped_checks, info_checks,
 * parsing_errors}, summary: {passed, failed, skipped, info, parsing_errors, resource_count,
 * tierd_version}, notes}. With quiet, passed_checks is left out.
 */
#include <ctype.h>
#include <jansson.h>
#include <string.h>

#include "policy/internal.h"

static json_t *
record(const struct policy_result *res)
{
    char guide[96];
    size_t n = (size_t)snprintf(guide, sizeof(guide), "%s#", POLICY_GUIDE);

    for (const char *p = res->rule->id; *p && n + 1 < sizeof(guide); p++)
        guide[n++] = (char)tolower((unsigned char)*p);
    guide[n] = '\0';
    bool info = res->status == POLICY_FAILED && res->severity == POLICY_INFO;
    json_t *result = json_pack("{s:s}", "result", info ? "INFO" : policy_status_name(res->status));
    if (res->status == POLICY_SKIPPED) {
        json_object_set_new(result, "suppress_comment", json_string(res->skip_reason));
        json_object_set_new(result, "suppress_line", json_integer(res->skip_line));
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:[i,i], s:i, s:i, s:s, s:s, s:s, s:s, s:s}",
                     "check_id", res->rule->id, "check_name", res->rule->title, "severity",
                     policy_severity_name(res->severity), "check_result", result, "file_path",
                     res->file, "file_line_range", (int)res->line, (int)res->line, "line",
                     (int)res->line, "column", (int)res->col, "resource", res->resource,
                     "message", res->message, "guideline", guide, "why", res->rule->why, "fix",
                     res->rule->fix);
}

static unsigned
resource_count(const struct policy_report *r)
{
    unsigned n = 0;

    for (unsigned i = 0; i < r->n; i++) {
        unsigned j = 0;
        while (j < i && strcmp(r->results[j].resource, r->results[i].resource) != 0)
            j++;
        n += j == i;
    }
    return n;
}

void
out_json_print(const struct policy_report *r, bool quiet, FILE *out)
{
    json_t *passed = json_array(), *failed = json_array(), *skipped = json_array();
    json_t *info = json_array(), *notes = json_array();

    for (unsigned i = 0; i < r->n; i++) {
        const struct policy_result *res = &r->results[i];
        json_t *to = res->status == POLICY_PASSED    ? passed
                     : res->status == POLICY_SKIPPED ? skipped
                     : res->severity == POLICY_INFO  ? info
                                                     : failed;
        json_array_append_new(to, record(res));
    }
    for (unsigned i = 0; i < r->nnotes; i++)
        json_array_append_new(notes, json_string(r->notes[i]));
    json_t *results = json_pack("{s:o, s:o, s:o, s:[]}", "failed_checks", failed,
                                "skipped_checks", skipped, "info_checks", info,
                                "parsing_errors");
    if (quiet)
        json_decref(passed);
    else
        json_object_set_new(results, "passed_checks", passed);
    json_t *doc = json_pack(
        "{s:s, s:s, s:o, s:{s:i, s:i, s:i, s:i, s:i, s:i, s:s}, s:o}", "check_type",
        "tierd_stack", "file", r->file, "results", results, "summary", "passed", (int)r->passed,
        "failed", (int)r->failed, "skipped", (int)r->skipped, "info", (int)r->info,
        "parsing_errors", 0, "resource_count", (int)resource_count(r), "tierd_version",
        TIERD_VERSION, "notes", notes);
    json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(doc);
}
