/*
 * policy/out_sarif.c: the report as SARIF 2.1.0, the format code-scanning tools read.
 * One run; tool.driver.rules lists every rule (so ruleIndex is stable) with its texts,
 * default level and security-severity score; results hold failed, advisory and skipped
 * findings (skips as in-source suppressions with their reason), never passed ones.
 * Levels: CRITICAL and HIGH are "error", MEDIUM "warning", LOW and INFO "note".
 */
#include <ctype.h>
#include <jansson.h>
#include <string.h>

#include "policy/internal.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

/* "Public listener without TLS" -> "PublicListenerWithoutTls": SARIF's rule name. */
static void
camel(const char *title, char *out, size_t cap)
{
    size_t n = 0;
    bool up = true;

    for (const char *p = title; *p && n + 1 < cap; p++) {
        if (!isalnum((unsigned char)*p)) {
            up = true;
            continue;
        }
        out[n++] = up ? (char)toupper((unsigned char)*p) : (char)tolower((unsigned char)*p);
        up = false;
    }
    out[n] = '\0';
}

static json_t *
rule_json(const struct policy_rule *rule)
{
    char name[128], uri[160], md[2048], help[1536];
    size_t n = (size_t)snprintf(uri, sizeof(uri), "%s/blob/main/%s#", TIERD_INFO_URI,
                                POLICY_GUIDE);

    for (const char *p = rule->id; *p && n + 1 < sizeof(uri); p++)
        uri[n++] = (char)tolower((unsigned char)*p);
    uri[n] = '\0';
    camel(rule->title, name, sizeof(name));
    snprintf(help, sizeof(help), "%s Fix: %s", rule->why, rule->fix);
    snprintf(md, sizeof(md), "**Why it matters.** %s\n\n**How to fix.** %s\n\n"
                             "Skip with `# tierd:skip=%s reason` on or above the line.%s%s",
             rule->why, rule->fix, rule->id, rule->anchor ? "\n\nCorresponds to: " : "",
             rule->anchor ? rule->anchor : "");
    return json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s, s:s}, s:s, s:{s:s}, "
                     "s:{s:s, s:[s,s], s:s}}",
                     "id", rule->id, "name", name, "shortDescription", "text", rule->title,
                     "fullDescription", "text", rule->why, "help", "text", help, "markdown", md,
                     "helpUri", uri, "defaultConfiguration", "level",
                     policy_sarif_level(rule->severity), "properties", "security-severity",
                     policy_security_score(rule->severity), "tags", "security", "tierd",
                     "problem.severity",
                     rule->severity >= POLICY_HIGH     ? "error"
                     : rule->severity >= POLICY_MEDIUM ? "warning"
                                                       : "recommendation");
}

static unsigned
rule_index(const struct policy_rule *rules, unsigned n, const struct policy_rule *rule)
{
    for (unsigned i = 0; i < n; i++)
        if (&rules[i] == rule)
            return i;
    return 0;
}

/* A relative path stays relative (code scanning resolves it against the checkout). */
static json_t *
artifact(const char *file)
{
    char uri[4096];

    if (file[0] == '/')
        snprintf(uri, sizeof(uri), "file://%s", file);
    else
        snprintf(uri, sizeof(uri), "%s", file[0] == '.' && file[1] == '/' ? file + 2 : file);
    return json_pack("{s:s}", "uri", uri);
}

void
out_sarif_print(const struct policy_report *r, FILE *out)
{
    unsigned n;
    const struct policy_rule *rules = policy_rules(&n);
    json_t *jrules = json_array(), *results = json_array();

    for (unsigned i = 0; i < n; i++)
        json_array_append_new(jrules, rule_json(&rules[i]));
    for (unsigned i = 0; i < r->n; i++) {
        const struct policy_result *res = &r->results[i];
        if (res->status == POLICY_PASSED)
            continue;
        json_t *loc = json_pack("{s:{s:o, s:{s:i, s:i}}}", "physicalLocation",
                                "artifactLocation", artifact(res->file), "region", "startLine",
                                (int)res->line, "startColumn", (int)res->col);
        json_t *jr = json_pack("{s:s, s:i, s:s, s:{s:s}, s:[o], s:{s:s}}", "ruleId",
                               res->rule->id, "ruleIndex", (int)rule_index(rules, n, res->rule),
                               "level", policy_sarif_level(res->severity), "message", "text",
                               res->message, "locations", loc, "properties", "severity",
                               policy_severity_name(res->severity));
        if (res->status == POLICY_SKIPPED)
            json_object_set_new(jr, "suppressions",
                                json_pack("[{s:s, s:s}]", "kind", "inSource", "justification",
                                          res->skip_reason));
        json_array_append_new(results, jr);
    }
    json_t *doc = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:s, s:o}}, s:o, s:[{s:b}]}]}",
                            "$schema", SARIF_SCHEMA, "version", "2.1.0", "runs", "tool",
                            "driver", "name", "tierd", "version", TIERD_VERSION,
                            "informationUri", TIERD_INFO_URI, "rules", jrules, "results",
                            results, "invocations", "executionSuccessful", 1);
    json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(doc);
}
