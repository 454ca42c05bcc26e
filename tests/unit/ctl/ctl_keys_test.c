/* tests/unit/ctl/ctl_keys_test.c: the control section's key table is consistent, every
 * entry is a key the reader takes, and its defaults are the ones the reader fills. */
#include "ctl/ctl_keys.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf/keys.h"
#include "ctl/ctl_conf.h"

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

TEST(ctl_keys_table_every_key_and_defaults)
{
    const char *why = conf_keytab_verify(ctl_keys, CK_COUNT);
    struct ctl_conf c;
    struct diag d;

    if (why)
        fail_msg("%s", why);
    EXPECT_EQ(ctl_keytab.n, CK_COUNT);
    /* The plan says a control change needs a restart: every key says so, but the tokens,
     * which a reload applies (ctl_reload_tokens()). */
    for (unsigned i = 0; i < CK_COUNT; i++) {
        bool token = i == CK_TOKEN || i == CK_TOKEN_ENV || i == CK_TOKENS || i == CK_TOKENS_ENTRY;
        EXPECT_EQ(!!(ctl_keys[i].flags & CONF_KEY_RESTART), !token);
    }
    EXPECT_EQ(ctl_keys[CK_TOKEN].flags & (CONF_KEY_SENSITIVE | CONF_KEY_ENV_REF),
              CONF_KEY_SENSITIVE | CONF_KEY_ENV_REF);
    /* Every key is one the reader takes (token and token_env exclude each other). */
    setenv("TIERD_TOK", "t0ken", 1);
    diag_init(&d);
    EXPECT_EQ(build("control:\n  socket: run/x.sock\n  address: 127.0.0.1:7070\n"
                    "  token: ${env:TIERD_TOK}\n", &c, &d), 0);
    ctl_conf_fini(&c);
    EXPECT_EQ(build("control:\n  token_env: TIERD_TOK\n", &c, &d), 0);
    ctl_conf_fini(&c);
    EXPECT_EQ(d.n, 0);
    /* Defaults: the socket, from the table; no TCP listener, no token. */
    EXPECT_EQ(build("control: {}\n", &c, &d), 0);
    EXPECT_STREQ(c.socket_path, ctl_keys[CK_SOCKET].def);
    EXPECT_TRUE(c.addr_text == NULL && c.token == NULL);
    EXPECT_FALSE(c.console);
    ctl_conf_fini(&c);
    for (unsigned i = 0; i < CK_COUNT; i++)
        EXPECT_TRUE(i == CK_SOCKET || i == CK_CONSOLE || ctl_keys[i].def == NULL);
    EXPECT_STREQ(ctl_keys[CK_CONSOLE].def, "false");
    diag_fini(&d);
}
