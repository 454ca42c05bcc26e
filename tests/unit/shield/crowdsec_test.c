/* tests/unit/shield/crowdsec_test.c: Go durations as the LAPI writes them, and the
 * shield.crowdsec keys (a bad URL and a missing api_key are errors with positions). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "daemon/stack.h"
#include "shield/crowdsec.h"

TEST(shield_crowdsec_durations_are_go_durations)
{
    EXPECT_EQ(crowdsec_duration_s("600s"), 600);
    EXPECT_EQ(crowdsec_duration_s("3h59m55.912s"), 3 * 3600 + 59 * 60 + 55);
    EXPECT_EQ(crowdsec_duration_s("4m0.5s"), 240);
    EXPECT_EQ(crowdsec_duration_s("1500ms"), 1);
    EXPECT_EQ(crowdsec_duration_s("-3s"), -3);              /* expired */
    EXPECT_EQ(crowdsec_duration_s("12"), -1);               /* no unit */
    EXPECT_EQ(crowdsec_duration_s("1d"), -1);               /* Go has no days */
    EXPECT_EQ(crowdsec_duration_s(""), -1);
    EXPECT_EQ(crowdsec_duration_s(NULL), -1);
    EXPECT_EQ(crowdsec_duration_s("infs"), -1);             /* strtod would take it */
    EXPECT_EQ(crowdsec_duration_s("+5s"), -1);
    EXPECT_EQ(crowdsec_duration_s("99999999999999999999999h"), -1);   /* no overflow */
}

static char *
load_errors(const char *yaml)
{
    struct diag d;
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);

    diag_init(&d);
    struct stack *s = stack_load_mem("s.yaml", yaml, strlen(yaml), &d);
    diag_print(&d, m);
    fclose(m);
    stack_free(s);
    diag_fini(&d);
    return out;
}

#define BASE                                                                                \
    "listeners:\n  - name: p\n    address: 127.0.0.1:18080\n    rules: [{ forward: w }]\n"   \
    "target_groups:\n  w: { targets: [127.0.0.1:19001] }\n"                                 \
    "shield:\n  crowdsec:\n"

TEST(shield_crowdsec_keys_are_read_and_checked)
{
    char *e;

    e = load_errors(BASE "    url: http://127.0.0.1:8080\n    api_key: k\n"
                         "    machine: { login: m, password: p }\n    poll_interval: 2s\n");
    EXPECT_STREQ(e, "");
    free(e);
    e = load_errors(BASE "    url: 127.0.0.1:8080\n    api_key: k\n");
    EXPECT_TRUE(strstr(e, "s.yaml:9:10: shield.crowdsec.url: \"127.0.0.1:8080\" is not an "
                          "http:// or https:// URL") != NULL);
    free(e);
    e = load_errors(BASE "    url: http://127.0.0.1:8080\n    machine: { login: m }\n");
    EXPECT_TRUE(strstr(e, "api_key") != NULL);
    EXPECT_TRUE(strstr(e, "password") != NULL);
    free(e);
    e = load_errors(BASE "    url: http://127.0.0.1:8080\n    api_key: k\n    pol_interval: 2s\n");
    EXPECT_TRUE(strstr(e, "pol_interval") != NULL && strstr(e, "poll_interval") != NULL);
    free(e);
}
