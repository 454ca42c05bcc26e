/* tests/unit/conf/value_test.c: typed readers accept what the docs promise and explain what
 * they refuse; unknown keys come with a did-you-mean. */
#include "conf/value.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static struct conf_doc *
load(const char *yaml, struct diag *d)
{
    struct conf_doc *doc = conf_doc_load_mem("tierd.yaml", yaml, strlen(yaml), d);

    assert_non_null(doc);
    return doc;
}

static void
expect_msg(const struct diag *d, const char *want)
{
    for (unsigned i = 0; i < d->n; i++)
        if (strcmp(d->msgs[i], want) == 0)
            return;
    fprintf(stderr, "wanted: %s\ngot %u:\n", want, d->n);
    diag_print(d, stderr);
    fail();
}

TEST(conf_value_durations_parse)
{
    static const struct {
        const char *text;
        uint64_t ms;
    } good[] = {
        { "0", 0 },           { "300ms", 300 },       { "5s", 5000 },
        { "1m", 60000 },      { "1h", 3600000 },      { "1d", 86400000 },
        { "1m30s", 90000 },   { "1h2m3s4ms", 3723004 }, { "2d12h", 216000000 },
        { "0s", 0 },          { "1500ms", 1500 },     { "18446744073709551615ms", UINT64_MAX },
    };
    uint64_t ms;

    for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ms = 7;
        EXPECT_EQ(conf_parse_duration_ms(good[i].text, &ms), 0);
        assert_int_equal(ms, good[i].ms);
    }
}

TEST(conf_value_bad_durations_are_refused)
{
    static const char *const bad[] = {
        "", "75", "s", "5x", "5 s", "-5s", "1.5s", "5S", "30s1m", "1s1s", "1m30", "5sec",
        "ms", "00", "18446744073709551616ms", "213503982336d", " 5s",
    };
    uint64_t ms = 7;

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (conf_parse_duration_ms(bad[i], &ms) != -EINVAL)
            fail_msg("accepted duration \"%s\"", bad[i]);
    }
    EXPECT_EQ(ms, 7);
}

TEST(conf_value_duration_messages_name_key_and_fix)
{
    struct diag d;
    uint64_t ms;
    diag_init(&d);
    struct conf_doc *doc = load("edge:\n"
                                "  timeouts:\n"
                                "    keepalive: 75\n"
                                "    send: 5x\n"
                                "    tunnel: 30s1m\n"
                                "    shutdown: 99999999999999999999d\n"
                                "    client_body:\n"
                                "    client_header: [1s]\n"
                                "    upstream_read: 1m30s\n",
                                &d);
    const struct conf_node *t = conf_map_get(conf_map_get(doc->root, "edge"), "timeouts");

    EXPECT_EQ(conf_duration_ms(conf_map_get(t, "keepalive"), &ms, &d), -EINVAL);
    EXPECT_EQ(conf_duration_ms(conf_map_get(t, "send"), &ms, &d), -EINVAL);
    EXPECT_EQ(conf_duration_ms(conf_map_get(t, "tunnel"), &ms, &d), -EINVAL);
    EXPECT_EQ(conf_duration_ms(conf_map_get(t, "shutdown"), &ms, &d), -EINVAL);
    EXPECT_EQ(conf_duration_ms(conf_map_get(t, "client_body"), &ms, &d), -EINVAL);
    EXPECT_EQ(conf_duration_ms(conf_map_get(t, "client_header"), &ms, &d), -EINVAL);
    EXPECT_EQ(d.n, 6);
    expect_msg(&d, "tierd.yaml:3:16: edge.timeouts.keepalive: \"75\" has no unit; write it as a "
                   "duration like \"75s\"");
    expect_msg(&d, "tierd.yaml:4:11: edge.timeouts.send: \"5x\" is not a duration; write a whole "
                   "number with a unit (ms, s, m, h, d), like \"300ms\", \"5s\" or \"1m30s\"");
    expect_msg(&d, "tierd.yaml:5:13: edge.timeouts.tunnel: \"30s1m\" is not a duration; write "
                   "each unit once, largest first, like \"1h30m\"");
    expect_msg(&d, "tierd.yaml:6:15: edge.timeouts.shutdown: \"99999999999999999999d\" is too "
                   "long a duration");
    expect_msg(&d, "tierd.yaml:7:17: edge.timeouts.client_body: no value given; write a "
                   "duration after the ':'");
    expect_msg(&d, "tierd.yaml:8:20: edge.timeouts.client_header: expected a duration, got a "
                   "list");
    EXPECT_EQ(conf_duration_ms(conf_map_get(t, "upstream_read"), &ms, &d), 0);
    assert_int_equal(ms, 90000);
    conf_doc_free(doc);
    diag_fini(&d);
}

TEST(conf_value_sizes_parse)
{
    static const struct {
        const char *text;
        uint64_t bytes;
    } good[] = {
        { "0", 0 },          { "512", 512 },           { "8k", 8192 },
        { "8K", 8192 },      { "8kb", 8192 },          { "8KB", 8192 },
        { "1m", 1048576 },   { "10M", 10485760 },      { "2g", 2147483648u },
        { "512b", 512 },     { "1t", 1ull << 40 },     { "16777215t", 16777215ull << 40 },
    };
    uint64_t n;

    for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        n = 7;
        EXPECT_EQ(conf_parse_size_bytes(good[i].text, &n), 0);
        assert_int_equal(n, good[i].bytes);
    }
}

TEST(conf_value_bad_sizes_are_refused)
{
    static const char *const bad[] = {
        "", "k", "1.5m", "-1", "8 k", "8kk", "8bk", "8x", "16777216t", "18446744073709551616",
        "99999999999g", "8kib",
    };
    uint64_t n = 7;

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (conf_parse_size_bytes(bad[i], &n) != -EINVAL)
            fail_msg("accepted size \"%s\"", bad[i]);
    }
    EXPECT_EQ(n, 7);
}

TEST(conf_value_size_messages_name_key_and_fix)
{
    struct diag d;
    uint64_t n;
    diag_init(&d);
    struct conf_doc *doc = load("limits: { body_bytes: 10q, header_bytes: 99999999999999g }\n",
                                &d);
    const struct conf_node *l = conf_map_get(doc->root, "limits");

    EXPECT_EQ(conf_size_bytes(conf_map_get(l, "body_bytes"), &n, &d), -EINVAL);
    EXPECT_EQ(conf_size_bytes(conf_map_get(l, "header_bytes"), &n, &d), -EINVAL);
    expect_msg(&d, "tierd.yaml:1:23: limits.body_bytes: \"10q\" is not a size; write a whole "
                   "number of bytes with an optional unit k, m or g (powers of 1024), like "
                   "\"512\", \"16k\" or \"10m\"");
    expect_msg(&d, "tierd.yaml:1:42: limits.header_bytes: \"99999999999999g\" is too large a "
                   "size");
    conf_doc_free(doc);
    diag_fini(&d);
}

TEST(conf_value_uint_bool_and_string)
{
    struct diag d;
    uint64_t v;
    bool b;
    const char *s;
    diag_init(&d);
    struct conf_doc *doc = load("a: 42\nb: 0x10\nc: 300\nd: true\ne: yes\nf: {}\ng: \"no\"\n"
                                "h:\n",
                                &d);
    const struct conf_node *r = doc->root;

    EXPECT_EQ(conf_uint(conf_map_get(r, "a"), 1, 100, &v, &d), 0);
    EXPECT_EQ(v, 42);
    EXPECT_EQ(conf_uint(conf_map_get(r, "b"), 1, 100, &v, &d), -EINVAL);
    expect_msg(&d, "tierd.yaml:2:4: b: \"0x10\" is not a whole number; write one from 1 to 100");
    EXPECT_EQ(conf_uint(conf_map_get(r, "c"), 1, 100, &v, &d), -EINVAL);
    expect_msg(&d, "tierd.yaml:3:4: c: 300 is out of range; write a number from 1 to 100");
    EXPECT_EQ(conf_bool(conf_map_get(r, "d"), &b, &d), 0);
    EXPECT_TRUE(b);
    EXPECT_EQ(conf_bool(conf_map_get(r, "e"), &b, &d), -EINVAL);
    expect_msg(&d, "tierd.yaml:5:4: e: \"yes\" is not a boolean; write true or false");
    EXPECT_EQ(conf_string(conf_map_get(r, "f"), &s, &d), -EINVAL);
    expect_msg(&d, "tierd.yaml:6:4: f: expected a string, got a map");
    EXPECT_EQ(conf_string(conf_map_get(r, "g"), &s, &d), 0);
    EXPECT_STREQ(s, "no");               /* quoted: a string, never a boolean */
    EXPECT_EQ(conf_string(conf_map_get(r, "h"), &s, &d), -EINVAL);
    expect_msg(&d, "tierd.yaml:8:3: h: no value given; write a string after the ':'");
    EXPECT_EQ(d.n, 5);
    conf_doc_free(doc);
    diag_fini(&d);
}

TEST(conf_value_expect_and_require)
{
    struct diag d;
    diag_init(&d);
    struct conf_doc *doc = load("listeners: { a: 1 }\nedge:\n  workers: 2\n  limits:\n", &d);
    const struct conf_node *r = doc->root;

    EXPECT_EQ(conf_expect(conf_map_get(r, "listeners"), CONF_SEQ, "listeners", &d), -EINVAL);
    expect_msg(&d, "tierd.yaml:1:12: listeners: expected a list, got a map");
    EXPECT_EQ(conf_expect(conf_map_get(r, "edge"), CONF_MAP, "edge", &d), 0);
    const struct conf_node *edge = conf_map_get(r, "edge");
    EXPECT_TRUE(conf_require(edge, "workers", "edge", &d) != NULL);
    EXPECT_TRUE(conf_require(edge, "timeouts", "edge", &d) == NULL);
    expect_msg(&d, "tierd.yaml:3:3: edge: missing required key \"timeouts\"");
    EXPECT_TRUE(conf_require(edge, "limits", "edge", &d) == NULL);
    expect_msg(&d, "tierd.yaml:4:10: edge: \"limits\" has no value; write one after the ':'");
    EXPECT_TRUE(conf_is_null(conf_map_get(edge, "limits")));
    EXPECT_FALSE(conf_is_null(conf_map_get(edge, "workers")));
    EXPECT_EQ(d.n, 3);
    conf_doc_free(doc);
    diag_fini(&d);
}

TEST(conf_value_edit_distance)
{
    EXPECT_EQ(conf_edit_distance("address", "address", 3), 0);
    EXPECT_EQ(conf_edit_distance("adress", "address", 3), 1);
    EXPECT_EQ(conf_edit_distance("timout", "timeouts", 3), 2);
    EXPECT_EQ(conf_edit_distance("kitten", "sitting", 5), 3);
    EXPECT_EQ(conf_edit_distance("", "abc", 5), 3);
    EXPECT_EQ(conf_edit_distance("abc", "", 5), 3);
    EXPECT_EQ(conf_edit_distance("kitten", "sitting", 2), 3);        /* capped at cap + 1 */
    EXPECT_EQ(conf_edit_distance("a", "abcdefghij", 2), 3);
    EXPECT_EQ(conf_edit_distance("abcdef", "uvwxyz", 1), 2);
}

TEST(conf_value_suggest_picks_the_closest_near_word)
{
    static const char *const keys[] = { "workers", "timeouts", "limits", NULL };

    EXPECT_STREQ(conf_suggest("timout", keys), "timeouts");
    EXPECT_STREQ(conf_suggest("worker", keys), "workers");
    EXPECT_STREQ(conf_suggest("limit", keys), "limits");
    EXPECT_TRUE(conf_suggest("shield", keys) == NULL);
    EXPECT_TRUE(conf_suggest("x", keys) == NULL);
}

TEST(conf_value_unknown_keys_get_did_you_mean)
{
    static const char *const keys[] = { "name", "address", "rules", NULL };
    struct diag d;
    diag_init(&d);
    struct conf_doc *doc = load("name: public\n"
                                "adress: 1.2.3.4:80\n"
                                "rules: []\n"
                                "colour: blue\n",
                                &d);

    conf_check_keys(doc->root, keys, "listener \"public\"", &d);
    EXPECT_EQ(d.n, 2);
    expect_msg(&d, "tierd.yaml:2:1: unknown key \"adress\" in listener \"public\"; did you mean "
                   "\"address\"?");
    expect_msg(&d, "tierd.yaml:4:1: unknown key \"colour\" in listener \"public\"; the keys here "
                   "are: name, address, rules");
    conf_doc_free(doc);
    diag_fini(&d);
}
