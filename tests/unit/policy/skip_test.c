/* tests/unit/policy/skip_test.c: "# tierd:skip=ID reason" comments turn failures into
 * skips on their line, just above it, or file-wide from the leading comment block. */
#include "policy/skip.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

#define TG_NO_HC(comment_above, trailing)                                                  \
    "target_groups:\n" comment_above "  web:" trailing "\n    targets: [127.0.0.1:1]\n"

TEST(policy_skip_on_the_line_or_above)
{
    struct policy_report r;
    const struct policy_result *s;

    ptest_run(TG_NO_HC("", "  # tierd:skip=TD-TG-001 probes are done by the app server"), &r);
    s = ptest_find(&r, "TD-TG-001", POLICY_SKIPPED);
    assert_non_null(s);
    EXPECT_STREQ(s->skip_reason, "probes are done by the app server");
    EXPECT_EQ(s->skip_line, 2);
    EXPECT_EQ(ptest_count(&r, "TD-TG-001", POLICY_FAILED), 0);
    EXPECT_EQ(r.skipped, 1);
    policy_report_fini(&r);

    ptest_run(TG_NO_HC("  # tierd:skip=TD-EDGE-001,TD-TG-001 reason=\"one, two\" until=2099-01-01\n",
                       ""), &r);
    s = ptest_find(&r, "TD-TG-001", POLICY_SKIPPED);
    assert_non_null(s);
    EXPECT_STREQ(s->skip_reason, "one, two");
    policy_report_fini(&r);

    /* Another rule's id does not skip this one. */
    ptest_run(TG_NO_HC("  # tierd:skip=TD-TG-004 draining is not wanted here\n", ""), &r);
    EXPECT_EQ(ptest_count(&r, "TD-TG-001", POLICY_FAILED), 1);
    policy_report_fini(&r);

    /* Checkov's "skip=ID:reason" spelling works too. */
    ptest_run(TG_NO_HC("  #tierd:skip=TD-TG-001:legacy pool\n", ""), &r);
    s = ptest_find(&r, "TD-TG-001", POLICY_SKIPPED);
    assert_non_null(s);
    EXPECT_STREQ(s->skip_reason, "legacy pool");
    policy_report_fini(&r);
}

TEST(policy_skip_stacked_comments_and_blank_lines)
{
    struct policy_report r;

    ptest_run(TG_NO_HC("  # tierd:skip=TD-TG-001 checked elsewhere\n  # and another comment\n",
                       ""), &r);
    EXPECT_EQ(ptest_count(&r, "TD-TG-001", POLICY_SKIPPED), 1);
    policy_report_fini(&r);

    /* A blank line ends the comment block: the skip belongs to nothing below it. */
    ptest_run(TG_NO_HC("  # tierd:skip=TD-TG-001 checked elsewhere\n\n", ""), &r);
    EXPECT_EQ(ptest_count(&r, "TD-TG-001", POLICY_FAILED), 1);
    policy_report_fini(&r);

    /* A skip on a content line applies to that line only, not to the next key. */
    ptest_run("target_groups:  # tierd:skip=TD-TG-001 not here\n  web:\n    targets: [a:1]\n", &r);
    EXPECT_EQ(ptest_count(&r, "TD-TG-001", POLICY_FAILED), 1);
    policy_report_fini(&r);

    /* A "#" inside a value is not a comment. */
    ptest_run("target_groups:\n  web:\n    targets: [\"a#tierd:skip=TD-TG-001 x:1\"]\n", &r);
    EXPECT_EQ(ptest_count(&r, "TD-TG-001", POLICY_FAILED), 1);
    policy_report_fini(&r);
}

TEST(policy_skip_file_wide_in_the_header)
{
    struct policy_report r;

    ptest_run("# stack for the staging host\n"
              "# tierd:skip=TD-TG-001 staging targets are probed by the load test\n"
              "\n"
              "target_groups:\n  web:\n    targets: [127.0.0.1:1]\n  api:\n    targets: [b:1]\n",
              &r);
    EXPECT_EQ(ptest_count(&r, "TD-TG-001", POLICY_SKIPPED), 2);
    EXPECT_EQ(ptest_count(&r, "TD-TG-001", POLICY_FAILED), 0);
    policy_report_fini(&r);

    /* The same comment after the first key is not file-wide. */
    ptest_run("target_groups:\n"
              "# tierd:skip=TD-TG-001 staging\n"
              "  web:\n    targets: [127.0.0.1:1]\n  api:\n    targets: [b:1]\n",
              &r);
    EXPECT_EQ(ptest_count(&r, "TD-TG-001", POLICY_SKIPPED), 1);
    EXPECT_EQ(ptest_count(&r, "TD-TG-001", POLICY_FAILED), 1);
    policy_report_fini(&r);
}

TEST(policy_skip_needs_a_reason_and_may_expire)
{
    struct policy_report r;
    const struct policy_result *f;

    ptest_run(TG_NO_HC("  # tierd:skip=TD-TG-001\n", ""), &r);
    f = ptest_find(&r, "TD-TG-001", POLICY_FAILED);
    assert_non_null(f);
    EXPECT_TRUE(strstr(f->message, "has no reason") != NULL);
    EXPECT_EQ(r.nnotes, 1);
    EXPECT_TRUE(strstr(r.notes[0], "stack.yaml:2: skip comment without a reason") != NULL);
    policy_report_fini(&r);

    /* Today is 2025-06-01 in the tests. */
    ptest_run(TG_NO_HC("  # tierd:skip=TD-TG-001 until=2025-05-31 migration window\n", ""), &r);
    f = ptest_find(&r, "TD-TG-001", POLICY_FAILED);
    assert_non_null(f);
    EXPECT_TRUE(strstr(f->message, "expired on 2025-05-31") != NULL);
    policy_report_fini(&r);

    ptest_run(TG_NO_HC("  # tierd:skip=TD-TG-001 migration window until=2025-06-01\n", ""), &r);
    f = ptest_find(&r, "TD-TG-001", POLICY_SKIPPED);
    assert_non_null(f);
    EXPECT_STREQ(f->skip_reason, "migration window");
    policy_report_fini(&r);
}

TEST(policy_skip_unknown_ids_are_noted)
{
    struct policy_report r;

    ptest_run("# tierd:skip=TD-EDGE-003,TD-NOPE-1 old ids\nlisteners: []\n", &r);
    EXPECT_EQ(r.nnotes, 2);
    EXPECT_TRUE(strstr(r.notes[0], "retired rule \"TD-EDGE-003\" (the edge always refuses "
                                   "invalid header fields); remove it") != NULL);
    EXPECT_TRUE(strstr(r.notes[1], "unknown rule \"TD-NOPE-1\"") != NULL);
    policy_report_fini(&r);

    struct skip_list l;
    const char *text = "a: 1 # tierd:skip=TD-A-1,TD-B-2 why not\n# plain\n";
    skip_list_parse(&l, text, strlen(text));
    EXPECT_EQ(l.n, 1);
    EXPECT_TRUE(skip_names(&l.v[0], "TD-B-2"));
    EXPECT_FALSE(skip_names(&l.v[0], "TD-B"));
    EXPECT_FALSE(l.v[0].file_wide);
    assert_non_null(skip_find(&l, "TD-A-1", 1));
    EXPECT_TRUE(skip_find(&l, "TD-A-1", 2) == NULL);
    skip_list_fini(&l);
}

TEST(policy_skips_are_listed_in_every_format)
{
    struct policy_report r;
    char *out;

    ptest_run(TG_NO_HC("  # tierd:skip=TD-TG-001 probed by the app server\n", ""), &r);
    out = ptest_print(&r, POLICY_OUT_CLI, true);
    EXPECT_TRUE(strstr(out, "SKIPPED for resource: target_groups.web") != NULL);
    EXPECT_TRUE(strstr(out, "Suppress comment (line 2): probed by the app server") != NULL);
    EXPECT_TRUE(strstr(out, "Skipped checks: 1") != NULL);
    free(out);
    out = ptest_print(&r, POLICY_OUT_JSON, false);
    EXPECT_TRUE(strstr(out, "\"suppress_comment\": \"probed by the app server\"") != NULL);
    free(out);
    out = ptest_print(&r, POLICY_OUT_SARIF, false);
    EXPECT_TRUE(strstr(out, "\"justification\": \"probed by the app server\"") != NULL);
    free(out);
    out = ptest_print(&r, POLICY_OUT_JUNIT, false);
    EXPECT_TRUE(strstr(out, "<skipped message=\"probed by the app server\"/>") != NULL);
    free(out);
    policy_report_fini(&r);
}
