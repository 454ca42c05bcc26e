/* tests/unit/policy/output_test.c: the machine formats parse back and carry what their
 * readers require; exit codes of the report and of `tierd check`. */
#include "policy/policy.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "daemon/daemon.h"
#include "helpers.h"

static const char *const MIXED =
    "# tierd:skip=TD-EDGE-005 logs are shipped by the host\n"
    "listeners:\n"
    "  - name: pub\n"
    "    address: 0.0.0.0:80\n"
    "    rules: [{ forward: web }]\n"
    "target_groups:\n"
    "  web:\n"
    "    targets: [127.0.0.1:1]\n"
    "    health_check: { path: /h }\n"
    "  # tierd:skip=TD-TG-001 probed elsewhere\n"
    "  \"a<b&\\\"c\":\n"
    "    targets: [127.0.0.1:2]\n";

static const char *
str_at(json_t *o, const char *path)
{
    json_t *v = o;
    char buf[256], *save, *tok;

    snprintf(buf, sizeof(buf), "%s", path);
    for (tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save))
        v = json_object_get(v, tok);
    return json_string_value(v);
}

TEST(policy_sarif_has_the_required_fields)
{
    struct policy_report r;
    json_error_t err;
    unsigned n;
    const struct policy_rule *rules = policy_rules(&n);

    ptest_run(MIXED, &r);
    char *out = ptest_print(&r, POLICY_OUT_SARIF, false);
    json_t *doc = json_loads(out, 0, &err);
    if (!doc)
        fail_msg("SARIF is not JSON: %s at %d:%d", err.text, err.line, err.column);
    EXPECT_STREQ(json_string_value(json_object_get(doc, "version")), "2.1.0");
    EXPECT_TRUE(strstr(json_string_value(json_object_get(doc, "$schema")), "sarif-2.1.0") != NULL);
    json_t *runs = json_object_get(doc, "runs");
    EXPECT_EQ(json_array_size(runs), 1);
    json_t *run = json_array_get(runs, 0);
    json_t *driver = json_object_get(json_object_get(run, "tool"), "driver");
    EXPECT_STREQ(str_at(driver, "name"), "tierd");
    EXPECT_TRUE(strncmp(str_at(driver, "informationUri"), "https://", 8) == 0);
    json_t *jrules = json_object_get(driver, "rules");
    EXPECT_EQ(json_array_size(jrules), n);
    for (unsigned i = 0; i < n; i++) {
        json_t *jr = json_array_get(jrules, i);
        EXPECT_STREQ(str_at(jr, "id"), rules[i].id);
        assert_non_null(str_at(jr, "shortDescription.text"));
        assert_non_null(str_at(jr, "fullDescription.text"));
        assert_non_null(str_at(jr, "help.text"));
        const char *score = str_at(jr, "properties.security-severity");
        assert_non_null(score);
        double s = strtod(score, NULL);
        EXPECT_TRUE(s > 0.0 && s <= 10.0);
        const char *lvl = str_at(jr, "defaultConfiguration.level");
        EXPECT_TRUE(strcmp(lvl, "error") == 0 || strcmp(lvl, "warning") == 0 ||
                    strcmp(lvl, "note") == 0);
    }
    json_t *results = json_object_get(run, "results");
    EXPECT_EQ(json_array_size(results), r.failed + r.skipped + r.info);
    unsigned suppressed = 0;
    for (size_t i = 0; i < json_array_size(results); i++) {
        json_t *res = json_array_get(results, i);
        const char *id = str_at(res, "ruleId");
        assert_non_null(id);
        json_int_t idx = json_integer_value(json_object_get(res, "ruleIndex"));
        EXPECT_STREQ(str_at(json_array_get(jrules, (size_t)idx), "id"), id);
        const char *lvl = str_at(res, "level");
        EXPECT_TRUE(strcmp(lvl, "error") == 0 || strcmp(lvl, "warning") == 0 ||
                    strcmp(lvl, "note") == 0);
        assert_non_null(str_at(res, "message.text"));
        json_t *loc = json_object_get(json_array_get(json_object_get(res, "locations"), 0),
                                      "physicalLocation");
        EXPECT_STREQ(str_at(loc, "artifactLocation.uri"), "stack.yaml");
        json_t *region = json_object_get(loc, "region");
        EXPECT_TRUE(json_integer_value(json_object_get(region, "startLine")) >= 1);
        EXPECT_TRUE(json_integer_value(json_object_get(region, "startColumn")) >= 1);
        if (strcmp(id, "TD-EDGE-001") == 0) {
            EXPECT_STREQ(lvl, "error");
            EXPECT_EQ(json_integer_value(json_object_get(region, "startLine")), 4);
            EXPECT_EQ(json_integer_value(json_object_get(region, "startColumn")), 5);
        }
        suppressed += json_object_get(res, "suppressions") != NULL;
    }
    EXPECT_EQ(suppressed, r.skipped);
    EXPECT_EQ(r.skipped, 2);
    json_decref(doc);
    free(out);
    policy_report_fini(&r);
}

TEST(policy_json_counts_match_the_report)
{
    struct policy_report r;
    json_error_t err;

    ptest_run(MIXED, &r);
    char *out = ptest_print(&r, POLICY_OUT_JSON, false);
    json_t *doc = json_loads(out, 0, &err);
    assert_non_null(doc);
    json_t *sum = json_object_get(doc, "summary"), *res = json_object_get(doc, "results");
    EXPECT_EQ(json_integer_value(json_object_get(sum, "passed")), r.passed);
    EXPECT_EQ(json_integer_value(json_object_get(sum, "failed")), r.failed);
    EXPECT_EQ(json_integer_value(json_object_get(sum, "skipped")), r.skipped);
    EXPECT_EQ(json_array_size(json_object_get(res, "passed_checks")), r.passed);
    EXPECT_EQ(json_array_size(json_object_get(res, "failed_checks")), r.failed);
    EXPECT_EQ(json_array_size(json_object_get(res, "skipped_checks")), r.skipped);
    json_t *first = json_array_get(json_object_get(res, "failed_checks"), 0);
    assert_non_null(str_at(first, "check_id"));
    assert_non_null(str_at(first, "severity"));
    EXPECT_STREQ(str_at(first, "check_result.result"), "FAILED");
    json_decref(doc);
    free(out);

    out = ptest_print(&r, POLICY_OUT_JSON, true);           /* quiet: no passed checks */
    doc = json_loads(out, 0, &err);
    assert_non_null(doc);
    EXPECT_TRUE(json_object_get(json_object_get(doc, "results"), "passed_checks") == NULL);
    json_decref(doc);
    free(out);
    policy_report_fini(&r);
}

/* Tags nest and close, attribute values and text hold no raw '<' or bare '&'. */
static void
expect_well_formed_xml(const char *x)
{
    char stack[16][64];
    int depth = 0;

    EXPECT_TRUE(strncmp(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 38) == 0);
    x = strchr(x, '\n') + 1;
    for (const char *p = x; *p; p++) {
        if (*p == '&') {
            EXPECT_TRUE(strncmp(p, "&lt;", 4) == 0 || strncmp(p, "&gt;", 4) == 0 ||
                        strncmp(p, "&amp;", 5) == 0 || strncmp(p, "&quot;", 6) == 0 ||
                        strncmp(p, "&apos;", 6) == 0);
            continue;
        }
        if (*p != '<')
            continue;
        const char *end = p + 1;
        bool in_attr = false;
        for (; *end && (*end != '>' || in_attr); end++) {
            if (*end == '"')
                in_attr = !in_attr;
            if (in_attr && *end == '<')
                fail_msg("raw '<' in an attribute");
        }
        assert_true(*end == '>');
        bool closing = p[1] == '/', empty = end[-1] == '/';
        const char *name = p + 1 + closing;
        size_t len = strcspn(name, " />");
        if (closing) {
            assert_true(depth > 0);
            depth--;
            EXPECT_TRUE(strlen(stack[depth]) == len && strncmp(stack[depth], name, len) == 0);
        } else if (!empty) {
            assert_true(depth < 16 && len < 64);
            memcpy(stack[depth], name, len);
            stack[depth++][len] = '\0';
        }
        p = end;
    }
    EXPECT_EQ(depth, 0);
}

static unsigned
count_of(const char *s, const char *what)
{
    unsigned n = 0;

    for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
        n++;
    return n;
}

TEST(policy_junit_is_well_formed_and_escaped)
{
    struct policy_report r;
    unsigned n;

    (void)policy_rules(&n);
    ptest_run(MIXED, &r);
    char *out = ptest_print(&r, POLICY_OUT_JUNIT, false);
    expect_well_formed_xml(out);
    EXPECT_EQ(count_of(out, "<testsuite "), n);
    EXPECT_EQ(count_of(out, "<testcase "), r.n);
    EXPECT_EQ(count_of(out, "<failure "), r.failed);
    EXPECT_EQ(count_of(out, "<skipped "), r.skipped);
    EXPECT_TRUE(strstr(out, "target_groups.a&lt;b&amp;&quot;c") != NULL);
    EXPECT_TRUE(strstr(out, "name=\"[HIGH][TD-EDGE-001] Public listener without TLS\"") != NULL);
    free(out);
    out = ptest_print(&r, POLICY_OUT_JUNIT, true);
    expect_well_formed_xml(out);
    EXPECT_EQ(count_of(out, "<testcase "), r.n - r.passed);
    free(out);
    policy_report_fini(&r);
}

TEST(policy_exit_codes)
{
    struct policy_report r;

    ptest_run(MIXED, &r);
    EXPECT_TRUE(r.failed > 0);
    EXPECT_EQ(policy_exit_code(&r, false), 1);
    EXPECT_EQ(policy_exit_code(&r, true), 0);
    policy_report_fini(&r);

    /* Skipped and INFO findings never fail a run. */
    ptest_run("# tierd:skip=TD-TG-001 elsewhere\n"
              "access_log: { path: a.log, format: combined, retention: 365d }\n"
              "target_groups: { web: { targets: [127.0.0.1:1] } }\n", &r);
    EXPECT_EQ(r.failed, 0);
    EXPECT_EQ(r.info, 1);
    EXPECT_EQ(r.skipped, 1);
    EXPECT_EQ(policy_exit_code(&r, false), 0);
    policy_report_fini(&r);

    enum policy_format f;
    EXPECT_EQ(policy_format_parse("sarif", &f), 0);
    EXPECT_EQ(f, POLICY_OUT_SARIF);
    EXPECT_EQ(policy_format_parse("junitxml", &f), 0);
    EXPECT_EQ(f, POLICY_OUT_JUNIT);
    EXPECT_TRUE(policy_format_parse("xml", &f) < 0);
}

/* Runs `tierd check ARGS` in-process with stdout and stderr sent to /dev/null. */
static int
check_cmd(int argc, const char **argv)
{
    int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);
    int rc;

    fflush(stdout);
    fflush(stderr);
    dup2(null, 1);
    dup2(null, 2);
    rc = daemon_check(argc, (char **)argv);
    fflush(stdout);
    fflush(stderr);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);
    close(null);
    return rc;
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

TEST(policy_check_command_exit_codes)
{
    char dir[] = "/tmp/tierd-policy-XXXXXX", bad[64], good[64], weak[64];

    assert_non_null(mkdtemp(dir));
    snprintf(good, sizeof(good), "%s/good.yaml", dir);
    snprintf(weak, sizeof(weak), "%s/weak.yaml", dir);
    snprintf(bad, sizeof(bad), "%s/bad.yaml", dir);
    write_file(good, "listeners:\n  - name: a\n    address: 127.0.0.1:18080\n"
                     "    rules: [{ forward: web }]\n"
                     "target_groups:\n  web:\n    targets: [127.0.0.1:19001]\n"
                     "    health_check: { path: /health }\n"
                     "access_log: { path: /tmp/tierd-policy-access.log, format: json }\n");
    write_file(weak, "listeners:\n  - name: a\n    address: 127.0.0.1:18080\n"
                     "    rules: [{ forward: web }]\n"
                     "target_groups:\n  web:\n    targets: [127.0.0.1:19001]\n"
                     "    deregistration_delay: 0s\n");
    write_file(bad, "listeners:\n  - name: a\n    adress: 127.0.0.1:18080\n");

    EXPECT_EQ(check_cmd(1, (const char *[]){ good, NULL }), 0);
    EXPECT_EQ(check_cmd(3, (const char *[]){ good, "--output", "sarif", NULL }), 0);
    EXPECT_EQ(check_cmd(1, (const char *[]){ weak, NULL }), 1);
    EXPECT_EQ(check_cmd(2, (const char *[]){ "--soft-fail", weak, NULL }), 0);
    EXPECT_EQ(check_cmd(3, (const char *[]){ weak, "-o", "junitxml", NULL }), 1);
    EXPECT_EQ(check_cmd(3, (const char *[]){ "--output=json", "--quiet", weak, NULL }), 1);
    EXPECT_EQ(check_cmd(1, (const char *[]){ bad, NULL }), 2);
    EXPECT_EQ(check_cmd(2, (const char *[]){ bad, "--soft-fail", NULL }), 2);
    EXPECT_EQ(check_cmd(3, (const char *[]){ good, "--output", "xml", NULL }), 2);
    EXPECT_EQ(check_cmd(2, (const char *[]){ good, "--frobnicate", NULL }), 2);
    EXPECT_EQ(check_cmd(2, (const char *[]){ good, weak, NULL }), 2);
    unlink(good);
    unlink(weak);
    unlink(bad);
    rmdir(dir);
}
