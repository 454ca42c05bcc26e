/* tests/unit/conf/keys_test.c: reading through key-table entries, path lookups, the table
 * check, and ${env:NAME} references. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf/keys.h"
#include "conf/ref.h"
#include "conf/value.h"

static const char *const words[] = { "a", "b", NULL };
enum { T_ROOT = 0, T_ITEMS, T_ITEM, T_ITEM_N, T_ITEM_D, T_ITEM_E, T_LIST, T_LIST_X, T_COUNT };
static const struct conf_key tab[T_COUNT] = {
    [T_ROOT] = { "top", KT_MAP, 0, NULL, 0, 0, NULL },
    [T_ITEMS] = { "things", KT_NAMED, 0, NULL, 0, 0, NULL },
    [T_ITEM] = { "things.*", KT_MAP, 0, NULL, 0, 0, NULL },
    [T_ITEM_N] = { "things.*.n", KT_UINT, CONF_KEY_REQUIRED, NULL, 1, 10, NULL },
    [T_ITEM_D] = { "things.*.wait", KT_DURATION, 0, "5s", 1000, 60000, NULL },
    [T_ITEM_E] = { "things.*.kind", KT_ENUM, 0, "b", 0, 0, words },
    [T_LIST] = { "things.*.list", KT_LIST, 0, NULL, 0, 0, NULL },
    [T_LIST_X] = { "things.*.list[].x", KT_BOOL, 0, "false", 0, 0, NULL },
};
static const struct conf_keytab tabt = { "t", tab, T_COUNT };

static struct conf_doc *
load(const char *yaml, struct diag *d)
{
    struct conf_doc *doc = conf_doc_load_mem("t.yaml", yaml, strlen(yaml), d);

    assert_non_null(doc);
    return doc;
}

TEST(keys_read_defaults_bounds_and_unknown_keys)
{
    struct diag d;
    uint64_t v = 0;

    diag_init(&d);
    struct conf_doc *doc = load("things:\n  one:\n    n: 3\n    wiat: 2s\n", &d);
    const struct conf_node *one = conf_map_get(conf_map_get(doc->root, "things"), "one");
    conf_key_check_map(one, tab, T_COUNT, &tab[T_ITEM], "thing \"one\"", &d);
    EXPECT_EQ(d.n, 1);
    EXPECT_TRUE(strstr(d.msgs[0], "t.yaml:4:5: unknown key \"wiat\"") != NULL);
    EXPECT_TRUE(strstr(d.msgs[0], "did you mean \"wait\"") != NULL);
    EXPECT_EQ(conf_key_uint(one, &tab[T_ITEM_N], &v, &d), 0);
    EXPECT_EQ(v, 3);
    EXPECT_EQ(conf_key_duration(one, &tab[T_ITEM_D], &v, &d), 0);
    EXPECT_EQ(v, 5000);                         /* the table's default */
    EXPECT_EQ(conf_key_enum(one, &tab[T_ITEM_E], &d), 1);
    conf_doc_free(doc);
    diag_fini(&d);

    diag_init(&d);
    doc = load("things:\n  one:\n    wait: 2m\n", &d);
    one = conf_map_get(conf_map_get(doc->root, "things"), "one");
    conf_key_check_map(one, tab, T_COUNT, &tab[T_ITEM], "thing \"one\"", &d);
    EXPECT_EQ(d.n, 1);
    EXPECT_TRUE(strstr(d.msgs[0], "thing \"one\": missing required key \"n\"") != NULL);
    EXPECT_EQ(conf_key_uint(one, &tab[T_ITEM_N], &v, &d), -ENOENT);
    EXPECT_EQ(conf_key_duration(one, &tab[T_ITEM_D], &v, &d), -EINVAL);
    EXPECT_EQ(d.n, 2);
    EXPECT_TRUE(strstr(d.msgs[1], "t.yaml:3:11: things.one.wait: 2m is out of range; write a "
                       "value from 1s to 1m") != NULL);
    conf_doc_free(doc);
    diag_fini(&d);
}

TEST(keys_lookup_concrete_paths)
{
    const struct conf_keytab *const tabs[] = { &tabt, NULL };

    EXPECT_TRUE(conf_key_lookup(tabs, "things.web.wait") == &tab[T_ITEM_D]);
    EXPECT_TRUE(conf_key_lookup(tabs, "things.wait.wait") == &tab[T_ITEM_D]);
    EXPECT_TRUE(conf_key_lookup(tabs, "things.web.list[3].x") == &tab[T_LIST_X]);
    EXPECT_TRUE(conf_key_lookup(tabs, "things.web") == &tab[T_ITEM]);
    EXPECT_TRUE(conf_key_lookup(tabs, "things.web.nope") == NULL);
    EXPECT_TRUE(conf_key_find(tabs, "things.*.kind") == &tab[T_ITEM_E]);
    EXPECT_STREQ(conf_key_leaf(&tab[T_LIST_X]), "x");
}

TEST(keys_verify_catches_bad_tables)
{
    static const struct conf_key orphan[] = {
        { "a", KT_MAP, 0, NULL, 0, 0, NULL },
        { "b.c", KT_UINT, 0, NULL, 0, 0, NULL },
    };
    static const struct conf_key bad_default[] = {
        { "a", KT_DURATION, 0, "10", 0, 0, NULL },
    };
    static const struct conf_key out_of_bounds[] = {
        { "a", KT_UINT, 0, "11", 1, 10, NULL },
    };
    static const struct conf_key required_default[] = {
        { "a", KT_UINT, CONF_KEY_REQUIRED, "1", 0, 0, NULL },
    };

    EXPECT_TRUE(conf_keytab_verify(tab, T_COUNT) == NULL);
    EXPECT_TRUE(strstr(conf_keytab_verify(orphan, 2), "parent") != NULL);
    EXPECT_TRUE(strstr(conf_keytab_verify(bad_default, 1), "not a valid value") != NULL);
    EXPECT_TRUE(strstr(conf_keytab_verify(out_of_bounds, 1), "bounds") != NULL);
    EXPECT_TRUE(strstr(conf_keytab_verify(required_default, 1), "no default") != NULL);
}

TEST(ref_checks_and_expands_env_references)
{
    struct diag d;
    char missing[64] = "";

    setenv("TIERD_TEST_SECRET", "hunter2", 1);
    unsetenv("TIERD_TEST_UNSET");
    EXPECT_TRUE(conf_ref_has("x${env:A}"));
    EXPECT_FALSE(conf_ref_has("${PORT}"));
    EXPECT_TRUE(conf_ref_is_whole("${env:TIERD_TEST_SECRET}", missing, sizeof(missing)));
    EXPECT_STREQ(missing, "TIERD_TEST_SECRET");
    EXPECT_FALSE(conf_ref_is_whole("a${env:B}", missing, sizeof(missing)));
    char *v = conf_ref_expand("u:${env:TIERD_TEST_SECRET}@h", NULL, 0);
    EXPECT_STREQ(v, "u:hunter2@h");
    free(v);
    EXPECT_TRUE(conf_ref_expand("${env:TIERD_TEST_UNSET}", missing, sizeof(missing)) == NULL);
    EXPECT_EQ(errno, ENOENT);
    EXPECT_STREQ(missing, "TIERD_TEST_UNSET");
    EXPECT_TRUE(conf_ref_expand("${env:1BAD}", NULL, 0) == NULL);
    EXPECT_EQ(errno, EINVAL);

    diag_init(&d);
    struct conf_doc *doc = load("a: \"${env:TIERD_TEST_UNSET}\"\nb: \"${env:}\"\n"
                                "c: \"${env:TIERD_TEST_SECRET}\"\n", &d);
    struct conf_ctx run = { .d = &d }, check = { .d = &d, .check_only = true };
    EXPECT_EQ(conf_ref_check(conf_map_get(doc->root, "c"), "c", &run), 0);
    EXPECT_EQ(conf_ref_check(conf_map_get(doc->root, "a"), "a", &check), 0);
    EXPECT_EQ(d.n, 0);
    EXPECT_EQ(d.nwarn, 1);                      /* check: unset is a warning */
    EXPECT_TRUE(strstr(d.warns[0], "TIERD_TEST_UNSET") != NULL);
    EXPECT_EQ(conf_ref_check(conf_map_get(doc->root, "a"), "a", &run), -EINVAL);
    EXPECT_EQ(conf_ref_check(conf_map_get(doc->root, "b"), "b", &check), -EINVAL);
    EXPECT_EQ(d.n, 2);
    for (unsigned i = 0; i < d.n; i++)
        EXPECT_TRUE(strstr(d.msgs[i], "hunter2") == NULL);
    conf_doc_free(doc);
    diag_fini(&d);
}
