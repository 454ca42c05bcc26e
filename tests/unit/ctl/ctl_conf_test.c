/* tests/unit/ctl/ctl_conf_test.c: the control: section. */
#include "ctl/ctl_conf.h"
#include "check.h"

#include <stdlib.h>
#include <errno.h>
#include <string.h>

static int
build(const char *text, struct ctl_conf *c, struct diag *d)
{
    struct conf_doc *doc = conf_doc_load_mem("t.yaml", text, strlen(text), d);
    struct ctl_conf *built = NULL;
    int rc = doc ? ctl_conf_build(doc->root, &(struct conf_ctx){ .d = d }, &built) : -1;

    memset(c, 0, sizeof(*c));
    if (built) {
        *c = *built;
        free(built);
    }

    conf_doc_free(doc);
    return rc;
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
    EXPECT_EQ(build("control:\n  socket: \"off\"\n  address: 127.0.0.1:7070\n", &c, &d), 0);
    EXPECT_TRUE(c.socket_path == NULL);
    EXPECT_TRUE(c.addr_is_loopback);
    ctl_conf_fini(&c);
    EXPECT_EQ(d.n, 0);
    diag_fini(&d);
}

TEST(ctl_conf_refuses_public_address_without_token)
{
    struct ctl_conf c;
    struct diag d;

    diag_init(&d);
    EXPECT_EQ(build("control:\n  address: 0.0.0.0:7070\n", &c, &d), -EINVAL);
    EXPECT_EQ(d.n, 1);
    EXPECT_TRUE(strstr(d.msgs[0], "t.yaml:2:12: control.address") != NULL);
    EXPECT_TRUE(strstr(d.msgs[0], "token_env") != NULL);
    diag_fini(&d);
    diag_init(&d);
    EXPECT_EQ(build("control:\n  address: 0.0.0.0:7070\n  token_env: TIERD_TOK\n", &c, &d), 0);
    EXPECT_STREQ(c.token_env, "TIERD_TOK");
    EXPECT_FALSE(c.addr_is_loopback);
    ctl_conf_fini(&c);
    EXPECT_EQ(build("control:\n  adress: x\n  token_env: 1BAD\n", &c, &d), -EINVAL);
    EXPECT_EQ(d.n, 2);
    diag_fini(&d);
}
