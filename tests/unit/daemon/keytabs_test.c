/* tests/unit/daemon/keytabs_test.c: every key table at once: each is consistent (no gap,
 * parents present, defaults valid and within bounds), no path is claimed twice across
 * tables, and literal secrets are redacted in place while references stay. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf/node.h"
#include "daemon/keytabs.h"

TEST(keytabs_every_table_is_consistent_and_paths_are_unique)
{
    unsigned total = 0;

    for (const struct conf_keytab *const *t = keytabs_all; *t; t++) {
        const char *why = conf_keytab_verify((*t)->keys, (*t)->n);
        if (why)
            fail_msg("%s: %s", (*t)->name, why);
        for (unsigned i = 0; i < (*t)->n; i++, total++)
            EXPECT_TRUE(conf_key_find(keytabs_all, (*t)->keys[i].path) == &(*t)->keys[i]);
    }
    EXPECT_TRUE(total > 100);        /* every section is in the list */
}

TEST(keytabs_redact_hides_literal_secrets_and_keeps_references)
{
    static const char text[] =
        "launch_templates:\n"
        "  app:\n"
        "    command: [x]\n"
        "    env: { A: hunter2, B: \"${env:PW}\", C: 'single' }\n"
        "smtp: { url: \"smtp://u:p@h\", from: a@b, password: s3cr3t }\n";
    struct diag d;
    size_t len;

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("t.yaml", text, strlen(text), &d);
    assert_non_null(doc);
    char *out = keytabs_redact(text, strlen(text), doc->root, &len);
    EXPECT_EQ(strlen(out), len);
    EXPECT_TRUE(strstr(out, "hunter2") == NULL);
    EXPECT_TRUE(strstr(out, "single") == NULL);
    EXPECT_TRUE(strstr(out, "s3cr3t") == NULL);
    EXPECT_TRUE(strstr(out, "u:p@h") == NULL);
    EXPECT_TRUE(strstr(out, "\"${env:PW}\"") != NULL);
    EXPECT_TRUE(strstr(out, "command: [x]") != NULL);
    /* The result is still a stack file that parses, with the same keys. */
    struct conf_doc *again = conf_doc_load_mem("t.yaml", out, len, &d);
    assert_non_null(again);
    EXPECT_EQ(d.n, 0);
    conf_doc_free(again);
    conf_doc_free(doc);
    free(out);
    diag_fini(&d);
}
