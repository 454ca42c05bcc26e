/* tests/unit/conf/node_test.c: YAML becomes positioned nodes; what we refuse is reported
 * at the right file:line:col. */
#include "conf/node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static struct conf_doc *
load(const char *yaml, struct diag *d)
{
    return conf_doc_load_mem("tierd.yaml", yaml, strlen(yaml), d);
}

/* Fails with every collected message when `want` is not among them. */
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

TEST(conf_node_positions_are_one_based)
{
    struct diag d;
    diag_init(&d);
    struct conf_doc *doc = load("# comment\n"
                                "edge:\n"
                                "  timeouts: { keepalive: 75s }\n"
                                "listeners:\n"
                                "  - name: public\n"
                                "    address: \"127.0.0.1:80\"\n",
                                &d);

    assert_non_null(doc);
    EXPECT_EQ(d.n, 0);
    const struct conf_node *root = doc->root;
    EXPECT_EQ(root->kind, CONF_MAP);
    EXPECT_EQ(root->n, 2);
    EXPECT_EQ(root->pairs[0].key->line, 2);
    EXPECT_EQ(root->pairs[0].key->col, 1);
    const struct conf_node *ka = conf_map_get(conf_map_get(conf_map_get(root, "edge"),
                                                           "timeouts"), "keepalive");
    assert_non_null(ka);
    EXPECT_EQ(ka->line, 3);
    EXPECT_EQ(ka->col, 26);
    EXPECT_STREQ(ka->str, "75s");
    EXPECT_EQ(ka->len, 3);
    EXPECT_FALSE(ka->quoted);
    EXPECT_STREQ(ka->path, "edge.timeouts.keepalive");

    const struct conf_node *ls = conf_map_get(root, "listeners");
    EXPECT_EQ(ls->kind, CONF_SEQ);
    EXPECT_EQ(ls->n, 1);
    EXPECT_EQ(ls->items[0]->line, 5);
    EXPECT_EQ(ls->items[0]->col, 5);
    EXPECT_STREQ(ls->items[0]->path, "listeners[0]");
    const struct conf_node *addr = conf_map_get(ls->items[0], "address");
    EXPECT_EQ(addr->line, 6);
    EXPECT_EQ(addr->col, 14);          /* the opening quote */
    EXPECT_TRUE(addr->quoted);
    EXPECT_STREQ(addr->str, "127.0.0.1:80");
    EXPECT_STREQ(addr->path, "listeners[0].address");
    EXPECT_STREQ(addr->file, "tierd.yaml");
    conf_doc_free(doc);
    diag_fini(&d);
}

TEST(conf_node_map_get_borrows_and_tolerates_non_maps)
{
    struct diag d;
    diag_init(&d);
    struct conf_doc *doc = load("a: [1, 2]\nb: {}\n", &d);

    assert_non_null(doc);
    EXPECT_TRUE(conf_map_get(doc->root, "c") == NULL);
    EXPECT_TRUE(conf_map_get(conf_map_get(doc->root, "a"), "x") == NULL);
    EXPECT_TRUE(conf_map_get(NULL, "x") == NULL);
    EXPECT_EQ(conf_map_get(doc->root, "b")->n, 0);
    EXPECT_STREQ(conf_kind_name(CONF_SEQ), "a list");
    EXPECT_STREQ(conf_kind_name(CONF_MAP), "a map");
    EXPECT_STREQ(conf_kind_name(CONF_SCALAR), "a scalar");
    conf_doc_free(doc);
    diag_fini(&d);
}

TEST(conf_node_empty_document_has_no_root)
{
    const char *empties[] = { "", "# nothing yet\n", "---\n", "~\n" };

    for (unsigned i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
        struct diag d;
        diag_init(&d);
        struct conf_doc *doc = load(empties[i], &d);
        assert_non_null(doc);
        EXPECT_TRUE(doc->root == NULL);
        EXPECT_EQ(d.n, 0);
        conf_doc_free(doc);
        diag_fini(&d);
    }
}

TEST(conf_node_syntax_error_has_position)
{
    struct diag d;
    diag_init(&d);

    EXPECT_TRUE(load("edge:\n  workers: 2\n  limits: a: b\n", &d) == NULL);
    EXPECT_EQ(d.n, 1);
    expect_msg(&d, "tierd.yaml:3:12: YAML: mapping values are not allowed in this context; "
                   "check the indentation, and quote a value that contains \": \"");
    diag_fini(&d);

    diag_init(&d);
    EXPECT_TRUE(load("edge:\n\tworkers: 2\n", &d) == NULL);
    EXPECT_EQ(d.n, 1);
    EXPECT_TRUE(strncmp(d.msgs[0], "tierd.yaml:2:1: YAML: ", 22) == 0);
    EXPECT_TRUE(strstr(d.msgs[0], "indent with spaces, not tabs") != NULL);
    diag_fini(&d);

    diag_init(&d);
    EXPECT_TRUE(load("a: [1, 2\n", &d) == NULL);
    EXPECT_EQ(d.n, 1);
    expect_msg(&d, "tierd.yaml:2:1: YAML: did not find expected ',' or ']' while parsing a "
                   "flow sequence at line 1, column 4");
    diag_fini(&d);
}

TEST(conf_node_invalid_utf8_has_position)
{
    struct diag d;
    diag_init(&d);

    EXPECT_TRUE(load("a: 1\nb: \xc3\x28\n", &d) == NULL);
    expect_msg(&d, "tierd.yaml:2:5: YAML: invalid trailing UTF-8 octet (byte 0x28); save the "
                   "file as UTF-8 text");
    diag_fini(&d);
}

TEST(conf_node_duplicate_keys_are_errors)
{
    struct diag d;
    diag_init(&d);

    EXPECT_TRUE(load("listeners:\n"
                     "  - name: a\n"
                     "    address: 1.2.3.4:80\n"
                     "    name: b\n"
                     "edge: {}\n"
                     "edge: {}\n",
                     &d) == NULL);
    EXPECT_EQ(d.n, 2);
    expect_msg(&d, "tierd.yaml:4:5: duplicate key \"name\" in listeners[0] (first at line 2); "
                   "remove one of them");
    expect_msg(&d, "tierd.yaml:6:1: duplicate key \"edge\" at the top level (first at line 5); "
                   "remove one of them");
    diag_fini(&d);
}

TEST(conf_node_refuses_anchors_aliases_and_tags)
{
    struct diag d;
    diag_init(&d);

    EXPECT_TRUE(load("a: &t 5s\nb: *t\nc: !!str 1\n", &d) == NULL);
    EXPECT_EQ(d.n, 3);
    expect_msg(&d, "tierd.yaml:1:4: anchors (&t) are not supported; repeat the value instead");
    expect_msg(&d, "tierd.yaml:2:4: aliases (*t) are not supported; repeat the value instead");
    expect_msg(&d, "tierd.yaml:3:4: tags (!!str) are not supported; remove the tag (quote a "
                   "value to keep it a string)");
    diag_fini(&d);
}

TEST(conf_node_refuses_non_string_keys)
{
    struct diag d;
    diag_init(&d);

    EXPECT_TRUE(load("edge:\n  ? [a, b]\n  : 1\n", &d) == NULL);
    expect_msg(&d, "tierd.yaml:2:5: edge: a key must be a name, not a list");
    diag_fini(&d);

    diag_init(&d);
    EXPECT_TRUE(load("edge:\n  ~: 1\n", &d) == NULL);
    expect_msg(&d, "tierd.yaml:2:3: edge: empty key; write a name before the ':'");
    diag_fini(&d);
}

TEST(conf_node_refuses_a_second_document)
{
    struct diag d;
    diag_init(&d);

    EXPECT_TRUE(load("a: 1\n---\nb: 2\n", &d) == NULL);
    expect_msg(&d, "tierd.yaml:2:1: a stack file holds one YAML document; remove this second "
                   "\"---\" and what follows, or merge the two");
    diag_fini(&d);
}

TEST(conf_node_refuses_nul_and_deep_nesting)
{
    struct diag d;
    char deep[400];
    size_t n = 0;

    diag_init(&d);
    EXPECT_TRUE(load("a: \"x\\0y\"\n", &d) == NULL);
    expect_msg(&d, "tierd.yaml:1:4: a: the value contains a NUL character (\\0); remove it");
    diag_fini(&d);

    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    for (int i = 0; i < 100; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    diag_init(&d);
    EXPECT_TRUE(load(deep, &d) == NULL);
    expect_msg(&d, "tierd.yaml:1:65: nested more than 64 levels deep; a stack file never needs "
                   "that many");
    diag_fini(&d);
}

TEST(conf_node_load_file_reports_missing_file)
{
    struct diag d;
    diag_init(&d);

    EXPECT_TRUE(conf_doc_load_file("/nonexistent/tierd.yaml", &d) == NULL);
    expect_msg(&d, "/nonexistent/tierd.yaml: cannot open the stack file: No such file or "
                   "directory");
    diag_fini(&d);
}

TEST(conf_node_load_file_reads_whole_file)
{
    char path[] = "/tmp/tierd-node-test-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    struct diag d;

    assert_non_null(f);
    for (int i = 0; i < 3000; i++)      /* larger than one read */
        fprintf(f, "key%d: value%d\n", i, i);
    fclose(f);
    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_file(path, &d);
    remove(path);
    assert_non_null(doc);
    EXPECT_EQ(doc->root->n, 3000);
    const struct conf_node *last = conf_map_get(doc->root, "key2999");
    EXPECT_EQ(last->line, 3000);
    EXPECT_STREQ(last->str, "value2999");
    EXPECT_STREQ(last->file, path);
    conf_doc_free(doc);
    diag_fini(&d);
}

TEST(conf_diag_formats_and_escapes)
{
    struct diag d;
    diag_init(&d);

    diag_add(&d, "s.yaml", 3, 9, "bad \"%s\"", "a\nb");
    diag_add(&d, "s.yaml", 0, 0, "whole file");
    diag_at(&d, NULL, "no position");
    EXPECT_EQ(diag_count(&d), 3);
    EXPECT_STREQ(d.msgs[0], "s.yaml:3:9: bad \"a\\x0ab\"");
    EXPECT_STREQ(d.msgs[1], "s.yaml: whole file");
    EXPECT_STREQ(d.msgs[2], "no position");
    diag_fini(&d);
    EXPECT_EQ(diag_count(&d), 0);
}
