/* tests/unit/ctl/ctl_conf_test.c: the control: section and its token by reference, from
 * the file to ctl_start(). */
#include "ctl/ctl_conf.h"
#include "check.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "ctl/ctl.h"

/* check_only: as `tierd check` reads (an unset ${env:NAME} is a warning). */
static int
build_as(const char *text, bool check_only, struct ctl_conf *c, struct diag *d)
{
    struct conf_doc *doc = conf_doc_load_mem("t.yaml", text, strlen(text), d);
    struct ctl_conf *built = NULL;
    struct conf_ctx cx = { .d = d, .check_only = check_only };
    int rc = doc ? ctl_conf_build(doc->root, &cx, &built) : -1;

    memset(c, 0, sizeof(*c));
    if (built) {
        *c = *built;
        free(built);
    }

    conf_doc_free(doc);
    return rc;
}

static int
build(const char *text, struct ctl_conf *c, struct diag *d)
{
    return build_as(text, false, c, d);
}

static bool
has_msg(const struct diag *d, const char *want)
{
    for (unsigned i = 0; i < d->n; i++)
        if (strstr(d->msgs[i], want))
            return true;
    for (unsigned i = 0; i < d->n; i++)
        fprintf(stderr, "got: %s\n", d->msgs[i]);
    return false;
}

TEST(ctl_conf_defaults_and_off)
{
    struct ctl_conf c;
    struct diag d;

    diag_init(&d);
    EXPECT_EQ(build("listeners: []\n", &c, &d), 0);
    EXPECT_STREQ(c.socket_path, CTL_CONF_SOCKET_DEFAULT);
    EXPECT_TRUE(c.addr_text == NULL);
    ctl_conf_fini(&c);
    setenv("TIERD_TOK", "t0ken", 1);
    EXPECT_EQ(build("control:\n  socket: \"off\"\n  address: 127.0.0.1:7070\n"
                    "  token: \"${env:TIERD_TOK}\"\n", &c, &d), 0);
    EXPECT_TRUE(c.socket_path == NULL);
    EXPECT_TRUE(c.addr_is_loopback);
    EXPECT_EQ(c.norigins, 0);
    ctl_conf_fini(&c);
    EXPECT_EQ(d.n, 0);
    diag_fini(&d);
}

TEST(ctl_conf_refuses_public_address_without_token)
{
    struct ctl_conf c;
    struct diag d;

    setenv("TIERD_TOK", "t0ken", 1);
    diag_init(&d);
    EXPECT_EQ(build("control:\n  address: 0.0.0.0:7070\n", &c, &d), -EINVAL);
    EXPECT_EQ(d.n, 1);
    EXPECT_TRUE(strstr(d.msgs[0], "t.yaml:2:12: control.address") != NULL);
    EXPECT_TRUE(strstr(d.msgs[0], "token: \"${env:NAME}\"") != NULL);
    EXPECT_TRUE(strstr(d.msgs[0], "not a loopback address") != NULL);
    diag_fini(&d);
    /* Loopback is no exception: any local user and any page a local browser opens can
     * connect to 127.0.0.1. */
    diag_init(&d);
    EXPECT_EQ(build("control:\n  address: 127.0.0.1:7070\n", &c, &d), -EINVAL);
    EXPECT_EQ(d.n, 1);
    EXPECT_TRUE(strstr(d.msgs[0], "t.yaml:2:12: control.address") != NULL);
    EXPECT_TRUE(strstr(d.msgs[0], "no token is set") != NULL);
    diag_fini(&d);
    diag_init(&d);
    EXPECT_EQ(build("control:\n  address: 0.0.0.0:7070\n  token_env: TIERD_TOK\n", &c, &d), 0);
    EXPECT_STREQ(c.token, "${env:TIERD_TOK}");
    EXPECT_STREQ(c.token_key, "control.token_env");
    EXPECT_FALSE(c.addr_is_loopback);
    ctl_conf_fini(&c);
    EXPECT_EQ(build("control:\n  adress: x\n  token_env: 1BAD\n", &c, &d), -EINVAL);
    EXPECT_EQ(d.n, 2);
    diag_fini(&d);
}

TEST(ctl_conf_token_literal_reference_and_alias)
{
    struct ctl_conf a, b;
    struct diag d;

    setenv("TIERD_TOK", "t0ken", 1);
    diag_init(&d);
    /* A literal is accepted: it is sensitive, and a policy check may flag it. */
    EXPECT_EQ(build("control:\n  address: 0.0.0.0:7070\n  token: s3cret-literal\n", &a, &d), 0);
    EXPECT_STREQ(a.token, "s3cret-literal");
    EXPECT_STREQ(a.token_key, "control.token");
    ctl_conf_fini(&a);
    /* The reference is kept as written (ctl_start expands it), and token_env: NAME is
     * the same configuration as token: "${env:NAME}". */
    EXPECT_EQ(build("control:\n  address: 0.0.0.0:7070\n  token: ${env:TIERD_TOK}\n", &a, &d),
              0);
    EXPECT_STREQ(a.token, "${env:TIERD_TOK}");
    EXPECT_EQ(build("control:\n  address: 0.0.0.0:7070\n  token_env: TIERD_TOK\n", &b, &d), 0);
    EXPECT_TRUE(ctl_conf_equal(&a, &b));
    ctl_conf_fini(&b);
    EXPECT_EQ(build("control:\n  address: 0.0.0.0:7070\n  token: other\n", &b, &d), 0);
    EXPECT_FALSE(ctl_conf_equal(&a, &b));
    ctl_conf_fini(&a);
    ctl_conf_fini(&b);
    EXPECT_EQ(d.n, 0);
    EXPECT_EQ(d.nwarn, 0);
    diag_fini(&d);
}

TEST(ctl_conf_token_unset_both_and_empty)
{
    struct ctl_conf c;
    struct diag d;

    unsetenv("TIERD_TOK_UNSET");
    setenv("TIERD_TOK_EMPTY", "", 1);
    setenv("TIERD_TOK", "t0ken", 1);
    diag_init(&d);
    EXPECT_EQ(build("control:\n  address: 0.0.0.0:7070\n  token: ${env:TIERD_TOK_UNSET}\n", &c,
                    &d), -EINVAL);
    EXPECT_TRUE(has_msg(&d, "t.yaml:3:10: control.token: environment variable TIERD_TOK_UNSET "
                        "is unset or empty; export the bearer token"));
    EXPECT_EQ(build("control:\n  token_env: TIERD_TOK_EMPTY\n", &c, &d), -EINVAL);
    EXPECT_TRUE(has_msg(&d, "t.yaml:2:14: control.token_env: environment variable "
                        "TIERD_TOK_EMPTY is unset or empty"));
    EXPECT_EQ(build("control:\n  token: \"\"\n", &c, &d), -EINVAL);
    EXPECT_TRUE(has_msg(&d, "t.yaml:2:10: control.token is empty"));
    EXPECT_EQ(build("control:\n  token: \"${env:1x}\"\n", &c, &d), -EINVAL);
    EXPECT_TRUE(has_msg(&d, "t.yaml:2:10: control.token: write a reference as ${env:NAME}"));
    /* Both spellings at once: an error naming both. */
    EXPECT_EQ(build("control:\n  token: ${env:TIERD_TOK}\n  token_env: TIERD_TOK\n", &c, &d),
              -EINVAL);
    EXPECT_TRUE(has_msg(&d, "t.yaml:3:14: control: token and token_env are both set"));
    EXPECT_EQ(d.n, 5);
    diag_fini(&d);

    /* `tierd check` judges the file without its secrets: a warning, and the file is valid. */
    diag_init(&d);
    EXPECT_EQ(build_as("control:\n  address: 0.0.0.0:7070\n  token: ${env:TIERD_TOK_UNSET}\n",
                       true, &c, &d), 0);
    EXPECT_EQ(d.n, 0);
    EXPECT_EQ(d.nwarn, 1);
    EXPECT_TRUE(strstr(d.warns[0], "t.yaml:3:10: warning: control.token: environment variable "
                       "TIERD_TOK_UNSET is unset or empty here") != NULL);
    ctl_conf_fini(&c);
    diag_fini(&d);
}

/* ctl_start() expands the token: a literal and a reference both protect the listener; an
 * unset variable (the file was checked elsewhere) refuses to start, naming it. */
TEST(ctl_conf_start_expands_the_token)
{
    struct ctl_conf conf = { 0 };
    struct loop *l = loop_new();
    char err[256] = "";
    struct ctl *c;

    EXPECT_EQ(sock_addr_parse("127.0.0.1:0", &conf.addr, &(const char *){ NULL }), 0);
    conf.addr_text = "127.0.0.1:0";
    conf.addr_is_loopback = true;
    conf.token_key = "control.token";
    conf.token = "${env:TIERD_TOK_UNSET}";
    unsetenv("TIERD_TOK_UNSET");
    c = ctl_new(l);
    EXPECT_EQ(ctl_start(c, &conf, err, sizeof(err)), -EINVAL);
    EXPECT_TRUE(strstr(err, "TIERD_TOK_UNSET (control.token) is unset or empty") != NULL);
    setenv("TIERD_TOK", "t0ken", 1);
    conf.token = "${env:TIERD_TOK}";
    EXPECT_EQ(ctl_start(c, &conf, err, sizeof(err)), 0);
    ctl_stop(c);
    conf.token = "literal";
    EXPECT_EQ(ctl_start(c, &conf, err, sizeof(err)), 0);
    ctl_free(c);
    loop_free(l);
}

TEST(ctl_conf_allowed_origins_are_exact_origins)
{
    struct ctl_conf c;
    struct diag d;

    setenv("TIERD_TOK", "t0ken", 1);
    diag_init(&d);
    EXPECT_EQ(build("control:\n  address: 127.0.0.1:7070\n  token: \"${env:TIERD_TOK}\"\n"
                    "  allowed_origins: [\"HTTPS://Console.example:9000\", "
                    "\"http://127.0.0.1:9000\"]\n", &c, &d), 0);
    EXPECT_EQ(c.norigins, 2);
    EXPECT_STREQ(c.origins[0], "https://console.example:9000");
    ctl_conf_fini(&c);
    EXPECT_EQ(d.n, 0);
    static const char *const bad[] = { "\"*\"", "\"null\"", "\"console.example\"",
                                       "\"https://console.example/\"",
                                       "\"https://u@console.example\"", "\"http://\"",
                                       "{ a: 1 }" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "control:\n  address: 127.0.0.1:7070\n  token: "
                 "\"${env:TIERD_TOK}\"\n  allowed_origins: [%s]\n", bad[i]);
        EXPECT_EQ(build(text, &c, &d), -EINVAL);
        EXPECT_EQ(d.n, i + 1);
        EXPECT_TRUE(strstr(d.msgs[i], "t.yaml:4:") != NULL);
        EXPECT_TRUE(strstr(d.msgs[i], "control.allowed_origins[0]") != NULL);
    }
    diag_fini(&d);
    /* Only the TCP listener checks origins. */
    diag_init(&d);
    EXPECT_EQ(build("control:\n  allowed_origins: [\"http://127.0.0.1:9000\"]\n", &c, &d),
              -EINVAL);
    EXPECT_EQ(d.n, 1);
    diag_fini(&d);
}

TEST(ctl_conf_operator_tokens)
{
    struct ctl_conf c, c2;
    struct diag d;

    setenv("TIERD_TOK_ALICE", "a-secret", 1);
    setenv("TIERD_TOK_BOB", "b-secret", 1);
    unsetenv("TIERD_TOK_UNSET");
    diag_init(&d);
    /* Tokens alone are enough for a TCP listener; file order is kept. */
    EXPECT_EQ(build("control:\n  address: 127.0.0.1:7070\n  tokens:\n"
                    "    bob: \"${env:TIERD_TOK_BOB}\"\n    alice: \"${env:TIERD_TOK_ALICE}\"\n",
                    &c, &d), 0);
    EXPECT_EQ(d.n, 0);
    EXPECT_TRUE(c.token == NULL);
    EXPECT_EQ(c.ntokens, 2);
    EXPECT_STREQ(c.tokens[0].name, "bob");
    EXPECT_STREQ(c.tokens[0].ref, "${env:TIERD_TOK_BOB}");
    EXPECT_STREQ(c.tokens[1].key, "control.tokens.alice");
    /* Equal as written; a token added, removed or renamed is a change. */
    EXPECT_EQ(build("control:\n  address: 127.0.0.1:7070\n  tokens:\n"
                    "    bob: \"${env:TIERD_TOK_BOB}\"\n", &c2, &d), 0);
    EXPECT_FALSE(ctl_conf_equal(&c, &c2));
    ctl_conf_fini(&c2);
    EXPECT_EQ(build("control:\n  address: 127.0.0.1:7070\n  tokens:\n"
                    "    bob: \"${env:TIERD_TOK_BOB}\"\n    alice: \"${env:TIERD_TOK_ALICE}\"\n",
                    &c2, &d), 0);
    EXPECT_TRUE(ctl_conf_equal(&c, &c2));
    ctl_conf_fini(&c2);
    ctl_conf_fini(&c);

    /* Each problem where it is written. */
    EXPECT_EQ(build("control:\n  tokens:\n    \"a b\": \"${env:TIERD_TOK_BOB}\"\n", &c, &d),
              -EINVAL);
    EXPECT_TRUE(has_msg(&d, "t.yaml:3:5: control.tokens: operator \"a b\": a name uses"));
    EXPECT_EQ(build("control:\n  tokens:\n    carol: \"${env:TIERD_TOK_UNSET}\"\n", &c, &d),
              -EINVAL);
    EXPECT_TRUE(has_msg(&d, "t.yaml:3:12: control.tokens.carol: environment variable "
                        "TIERD_TOK_UNSET is unset or empty"));
    EXPECT_EQ(build("control:\n  tokens:\n    carol: \"\"\n", &c, &d), -EINVAL);
    EXPECT_TRUE(has_msg(&d, "t.yaml:3:12: control.tokens.carol is empty"));
    EXPECT_EQ(build("control:\n  tokens:\n    carol: [x]\n", &c, &d), -EINVAL);
    EXPECT_TRUE(has_msg(&d, "control.tokens.carol: write the operator's token as"));
    EXPECT_EQ(build("control:\n  token: \"${env:TIERD_TOK_BOB}\"\n  tokens:\n"
                    "    operator: \"${env:TIERD_TOK_ALICE}\"\n", &c, &d), -EINVAL);
    EXPECT_TRUE(has_msg(&d, "t.yaml:4:5: control.tokens.operator: \"operator\" is the name of "
                        "control.token's operator"));
    EXPECT_EQ(build("control:\n  tokens: [a]\n", &c, &d), -EINVAL);
    diag_fini(&d);

    /* ctl_start() refuses two operators with one token, naming both, never the value. */
    setenv("TIERD_TOK_BOB", "a-secret", 1);
    diag_init(&d);
    EXPECT_EQ(build("control:\n  socket: off\n  address: 127.0.0.1:0\n  tokens:\n"
                    "    alice: \"${env:TIERD_TOK_ALICE}\"\n    bob: \"${env:TIERD_TOK_BOB}\"\n",
                    &c, &d), 0);
    struct loop *l = loop_new();
    struct ctl *ctl = ctl_new(l);
    char err[256];
    EXPECT_EQ(ctl_start(ctl, &c, err, sizeof(err)), -EINVAL);
    EXPECT_TRUE(strstr(err, "control.tokens.bob: bob has the same token as alice") != NULL);
    EXPECT_TRUE(strstr(err, "a-secret") == NULL);
    ctl_free(ctl);
    loop_free(l);
    ctl_conf_fini(&c);
    diag_fini(&d);
}
