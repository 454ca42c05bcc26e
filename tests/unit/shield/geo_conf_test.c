/* tests/unit/shield/geo_conf_test.c: the shield.geo section (shield/geo_conf.c): rules
 * read into the per-country table, bad codes and duplicates reported at file:line:col, a
 * missing or malformed database an error at its key, an old one a warning. */
#include "shield/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf/node.h"
#include "shield/geo.h"

#define FIXTURE TEST_SRCDIR "/tests/unit/shield/geo_fixture/"
#define DBS "database: \"" FIXTURE "geoip\", database6: \"" FIXTURE "geoip6\""

static struct shield_conf *
build(const char *yaml, struct diag *d)
{
    struct conf_doc *doc = conf_doc_load_mem("tierd.yaml", yaml, strlen(yaml), d);

    if (!doc) {
        diag_print(d, stderr);
        fail_msg("YAML did not load");
    }
    struct shield_conf *c = NULL;
    shield_conf_build(doc->root, &(struct conf_ctx){ .d = d }, &c);
    conf_doc_free(doc);
    EXPECT_TRUE((c == NULL) == (diag_count(d) > 0));
    return c;
}

static void
expect_error(const char *yaml, const char *want)
{
    struct diag d;

    diag_init(&d);
    EXPECT_TRUE(build(yaml, &d) == NULL);
    if (d.n != 1 || !strstr(d.msgs[0], want)) {
        fprintf(stderr, "wanted one message with: %s\ngot %u:\n", want, d.n);
        diag_print(&d, stderr);
        fail();
    }
    diag_fini(&d);
}

static enum shield_geo_action
action(const struct shield_conf *c, const char *cc)
{
    return (enum shield_geo_action)c->geo_action[geo_code_index(geo_code_parse(cc, true))];
}

TEST(shield_geo_conf_reads_block_and_count)
{
    struct diag d;

    diag_init(&d);
    struct shield_conf *c = build("shield:\n"
                                  "  geo: { " DBS ", block: [SG, RU], count: [US] }\n", &d);
    EXPECT_TRUE(c != NULL);
    EXPECT_EQ(c->ngeo_block, 2);
    EXPECT_EQ(c->ngeo_count, 1);
    EXPECT_EQ(action(c, "SG"), SHIELD_GEO_BLOCK);
    EXPECT_EQ(action(c, "RU"), SHIELD_GEO_BLOCK);
    EXPECT_EQ(action(c, "US"), SHIELD_GEO_COUNT);
    EXPECT_EQ(action(c, "DE"), SHIELD_GEO_NONE);
    struct shield_addr a;
    EXPECT_EQ(cidr_addr_parse("127.0.0.66", 10, &a), 0);
    char cc[3];
    geo_code_format(geo_lookup(c->geo, &a), cc);
    EXPECT_STREQ(cc, "SG");
    /* The fixture says it was generated on 2026-06-25: more than 60 days ago. */
    EXPECT_EQ(d.nwarn, 1);
    EXPECT_TRUE(strstr(d.warns[0], "days old (generated 2026-06-25)") != NULL);
    shield_conf_free(c);
    diag_fini(&d);

    /* No geo section: no database, no country. */
    diag_init(&d);
    c = build("shield: {}\n", &d);
    EXPECT_TRUE(c->geo == NULL);
    EXPECT_EQ(d.nwarn, 0);
    shield_conf_free(c);
    diag_fini(&d);
}

TEST(shield_geo_conf_errors_have_positions)
{
    expect_error("shield:\n  geo: { " DBS ",\n          block: [SG, XX] }\n",
                 "tierd.yaml:3:23: shield.geo.block[1]: \"XX\" is not an ISO 3166-1 alpha-2 "
                 "country code");
    expect_error("shield:\n  geo: { " DBS ", block: [sg] }\n",
                 "shield.geo.block[0]: \"sg\" is not a country code; write it in upper case, "
                 "\"SG\"");
    expect_error("shield:\n  geo: { " DBS ", block: [SG], count: [SG] }\n",
                 "shield.geo.count[0]: SG is already listed at tierd.yaml:2:");
    expect_error("shield:\n  geo: { database: " FIXTURE "absent, block: [SG] }\n",
                 "shield.geo.database: cannot read " FIXTURE "absent: No such file");
    expect_error("shield:\n  geo: { database: " FIXTURE "geoip6, database6: \"\" }\n",
                 "shield.geo.database: " FIXTURE "geoip6: line 3: an address is not a decimal");
    expect_error("shield:\n  geo: { database: " FIXTURE ", database6: \"\" }\n",
                 "shield.geo.database: " FIXTURE " is not a regular file");
    expect_error("shield:\n  geo: { " DBS ", blocks: [SG] }\n",
                 "unknown key \"blocks\" in shield.geo; did you mean \"block\"?");
}

static bool
scoped(const struct shield_conf *c, const char *listener, const char *path)
{
    return geo_conf_in_scope(c, slice_make(listener, strlen(listener)),
                             slice_make(path, strlen(path)));
}

TEST(shield_geo_conf_scope_by_listener_and_path)
{
    struct diag d;

    diag_init(&d);
    struct shield_conf *c = build("listeners:\n  - { name: public }\n  - { name: admin }\n"
                                  "shield:\n  geo: { " DBS ", block: [SG],\n"
                                  "         listeners: [admin], paths: [/wp-admin, /api/] }\n",
                                  &d);
    EXPECT_TRUE(c != NULL);
    EXPECT_TRUE(scoped(c, "admin", "/wp-admin"));
    EXPECT_TRUE(scoped(c, "admin", "/wp-admin/x.php"));
    EXPECT_TRUE(scoped(c, "admin", "/api/v1"));
    EXPECT_FALSE(scoped(c, "admin", "/wp-admins"));
    EXPECT_FALSE(scoped(c, "admin", "/"));
    EXPECT_FALSE(scoped(c, "public", "/wp-admin"));
    EXPECT_FALSE(scoped(c, "", "/wp-admin"));
    shield_conf_free(c);
    diag_fini(&d);

    diag_init(&d);
    c = build("shield:\n  geo: { " DBS ", block: [SG] }\n", &d);
    EXPECT_TRUE(scoped(c, "", "/anything"));            /* no scope: everything */
    shield_conf_free(c);
    diag_fini(&d);

    expect_error("listeners:\n  - { name: public }\n"
                 "shield:\n  geo: { " DBS ", listeners: [pubic] }\n",
                 "shield.geo.listeners[0]: no listener is named \"pubic\"");
    expect_error("shield:\n  geo: { " DBS ", paths: [admin] }\n",
                 "shield.geo.paths[0]: \"admin\" is not a path prefix");
}

TEST(shield_geo_conf_relative_paths_follow_the_stack_file)
{
    struct diag d;

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem(FIXTURE "tierd.yaml",
                                             "shield: { geo: { database: geoip, "
                                             "database6: geoip6 } }\n", 56, &d);
    EXPECT_TRUE(doc != NULL);
    struct shield_conf *c = NULL;
    EXPECT_EQ(shield_conf_build(doc->root, &(struct conf_ctx){ .d = &d }, &c), 0);
    EXPECT_STREQ(c->geo_path, FIXTURE "geoip");
    EXPECT_EQ(geo_ranges(c->geo, true), 3);
    shield_conf_free(c);
    conf_doc_free(doc);
    diag_fini(&d);
}
