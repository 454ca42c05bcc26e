/* tests/unit/data/data_conf_test.c: the `databases:` key table is consistent, the reader
 * fills the table's defaults, reports problems at file:line:col, and refuses values that
 * would reach SQL or the server's config file unescaped. */
#include "data/data_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf/keys.h"
#include "conf/ref.h"
#include "data/data_keys.h"

/* Builds `yaml`; returns the conf or NULL; the first error goes to first (may be NULL). */
static struct data_conf *
build(const char *yaml, unsigned *nerr, char *first, size_t len)
{
    struct diag d;
    struct data_conf *c = NULL;

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("tierd.yaml", yaml, strlen(yaml), &d);
    if (!doc) {
        diag_print(&d, stderr);
        fail_msg("YAML did not load: %s", yaml);
    }
    data_conf_build(doc->root, &(struct conf_ctx){ .d = &d, .check_only = true }, &c);
    conf_doc_free(doc);
    *nerr = diag_count(&d);
    if (first && len)
        snprintf(first, len, "%s", d.n ? d.msgs[0] : "");
    diag_fini(&d);
    EXPECT_TRUE((c == NULL) == (*nerr > 0));
    return c;
}

TEST(data_keys_table_is_consistent)
{
    const char *msg = conf_keytab_verify(data_keys, XK_COUNT);

    if (msg)
        fail_msg("%s", msg);
}

TEST(data_conf_reads_the_issue_example)
{
    unsigned n;
    struct data_conf *c = build(
        "databases:\n"
        "  main:\n"
        "    engine: mariadb\n"
        "    mode: managed\n"
        "    address: 127.0.0.1:3306\n"
        "    datadir: state/db/main\n"
        "    schemas: [shop]\n"
        "    users:\n"
        "      app: { password: \"${env:DB_APP_PASSWORD}\", host: localhost, "
        "grants: [\"ALL PRIVILEGES ON shop.*\"] }\n"
        "    parameters: { innodb_buffer_pool_size: 256M, max_connections: 200 }\n"
        "    storage_encryption: { key_file: /etc/tierd/db-main.key }\n"
        "    backup:\n"
        "      repository: /var/backups/tierd\n"
        "      password_file: /etc/tierd/restic.pass\n"
        "      window: \"03:00-03:30\"\n"
        "      retention: 30d\n"
        "      binlog_interval: 60s\n"
        "      verify: true\n"
        "    maintenance_window: \"sun:04:00-sun:04:30\"\n"
        "    apply_immediately: false\n"
        "    deletion_protection: true\n", &n, NULL, 0);

    EXPECT_EQ(n, 0);
    EXPECT_EQ(c->n, 1);
    const struct data_db_conf *db = data_conf_db(c, "main");
    EXPECT_TRUE(db != NULL);
    EXPECT_STREQ(db->host, "127.0.0.1");
    EXPECT_EQ(db->port, 3306);
    EXPECT_EQ(db->nschemas, 1);
    EXPECT_STREQ(db->schemas[0], "shop");
    EXPECT_EQ(db->nusers, 1);
    EXPECT_STREQ(db->users[0].password, "${env:DB_APP_PASSWORD}");   /* kept as written */
    EXPECT_STREQ(db->users[0].grants[0], "ALL PRIVILEGES ON shop.*");
    EXPECT_EQ(db->nparams, 2);
    EXPECT_STREQ(db->key_file, "/etc/tierd/db-main.key");
    EXPECT_TRUE(db->backup_on);
    EXPECT_EQ(db->retention_ms, 30 * 86400000ULL);
    EXPECT_EQ(db->window_start_min, 180);
    EXPECT_EQ(db->window_end_min, 210);
    EXPECT_EQ(db->maint_start_min, 6 * 1440 + 240);
    EXPECT_TRUE(db->deletion_protection);
    data_conf_free(c);
}

TEST(data_conf_defaults_without_backup)
{
    unsigned n;
    struct data_conf *c = build("databases:\n  main: {}\n", &n, NULL, 0);
    const struct data_db_conf *db = &c->dbs[0];

    EXPECT_EQ(db->mode, DATA_MODE_MANAGED);
    EXPECT_TRUE(db->address == NULL);           /* socket only */
    EXPECT_EQ(db->port, 0);
    EXPECT_STREQ(db->host, "localhost");
    EXPECT_FALSE(db->backup_on);
    EXPECT_TRUE(db->key_file == NULL);
    EXPECT_EQ(db->binlog_interval_ms, 60000);
    EXPECT_TRUE(db->deletion_protection);
    data_conf_free(c);
    c = build("{}\n", &n, NULL, 0);
    EXPECT_EQ(c->n, 0);
    data_conf_free(c);
}

TEST(data_conf_windows_parse_like_rds)
{
    unsigned a, b;
    const char *why;

    EXPECT_EQ(data_conf_parse_daily("23:45-00:15", &a, &b, &why), 0);      /* wraps */
    EXPECT_EQ(a, 23 * 60 + 45);
    EXPECT_EQ(b, 15);
    EXPECT_TRUE(data_conf_parse_daily("03:00-03:29", &a, &b, &why) < 0);   /* < 30 min */
    EXPECT_TRUE(data_conf_parse_daily("3:00-3:30", &a, &b, &why) < 0);
    EXPECT_TRUE(data_conf_parse_daily("24:00-00:30", &a, &b, &why) < 0);
    EXPECT_EQ(data_conf_parse_weekly("sun:23:50-mon:00:20", &a, &b, &why), 0);
    EXPECT_EQ(a, 6 * 1440 + 23 * 60 + 50);
    EXPECT_EQ(b, 20);
    EXPECT_TRUE(data_conf_parse_weekly("sun:04:00-sun:04:10", &a, &b, &why) < 0);
    EXPECT_TRUE(data_conf_parse_weekly("xyz:04:00-sun:04:30", &a, &b, &why) < 0);
}

TEST(data_conf_errors_name_the_position)
{
    unsigned n;
    char first[512];

    EXPECT_TRUE(build("databases:\n  main:\n    backup: { repository: /r, password_file: /p,\n"
                      "              window: \"03:00-03:10\" }\n", &n, first,
                      sizeof(first)) == NULL);
    EXPECT_TRUE(strstr(first, "tierd.yaml:4:23:") == first);
    EXPECT_TRUE(strstr(first, "30 minutes") != NULL);
    /* The maintenance window may not overlap the backup window. */
    EXPECT_TRUE(build("databases:\n  main:\n    backup: { repository: /r, password_file: /p,\n"
                      "              window: \"03:00-04:00\" }\n"
                      "    maintenance_window: \"tue:03:30-tue:04:30\"\n", &n, first,
                      sizeof(first)) == NULL);
    EXPECT_TRUE(strstr(first, "tierd.yaml:5:25:") == first);
    EXPECT_TRUE(strstr(first, "overlaps") != NULL);
    /* A user needs a password; a key that does not exist is reported with a suggestion. */
    EXPECT_TRUE(build("databases:\n  main:\n    users:\n      app: { host: localhost }\n", &n,
                      first, sizeof(first)) == NULL);
    EXPECT_TRUE(strstr(first, "tierd.yaml:4:") == first);
    EXPECT_TRUE(strstr(first, "password") != NULL);
    EXPECT_TRUE(build("databases:\n  main:\n    schemaz: [shop]\n", &n, first,
                      sizeof(first)) == NULL);
    EXPECT_TRUE(strstr(first, "tierd.yaml:3:5:") == first);
    EXPECT_TRUE(strstr(first, "schemas") != NULL);
    EXPECT_TRUE(build("databases:\n  main: { mode: external }\n", &n, first,
                      sizeof(first)) == NULL);
    EXPECT_TRUE(strstr(first, "address") != NULL);
    EXPECT_TRUE(build("databases:\n  main: { address: \"127.0.0.1\" }\n", &n, first,
                      sizeof(first)) == NULL);
    EXPECT_TRUE(strstr(first, "tierd.yaml:2:20:") == first);
    EXPECT_TRUE(build("databases:\n  main: { backup: { repository: /r, password_file: /p, "
                      "retention: 36d } }\n", &n, first, sizeof(first)) == NULL);
}

TEST(data_conf_refuses_what_could_break_sql_or_config)
{
    unsigned n;
    char first[512];

    EXPECT_TRUE(build("databases:\n  main: { schemas: [\"shop`; DROP\"] }\n", &n, first,
                      sizeof(first)) == NULL);
    EXPECT_TRUE(build("databases:\n  main:\n    users:\n      \"a'b\": { password: x }\n", &n,
                      first, sizeof(first)) == NULL);
    EXPECT_TRUE(build("databases:\n  main:\n    users:\n      app: { password: x, host: "
                      "\"h'\" }\n", &n, first, sizeof(first)) == NULL);
    EXPECT_TRUE(build("databases:\n  main:\n    users:\n      app: { password: x, grants: "
                      "[\"ALL ON *.*; DROP USER x\"] }\n", &n, first, sizeof(first)) == NULL);
    EXPECT_TRUE(build("databases:\n  main: { parameters: { max_connections: \"1\\ndatadir=/x\" "
                      "} }\n", &n, first, sizeof(first)) == NULL);
    /* A setting tierd owns is refused, whether written with '-' or '_'. */
    EXPECT_TRUE(build("databases:\n  main: { parameters: { sync-binlog: 0 } }\n", &n, first,
                      sizeof(first)) == NULL);
    EXPECT_TRUE(strstr(first, "sync_binlog") != NULL);
    EXPECT_TRUE(build("databases:\n  \"a b\": {}\n", &n, first, sizeof(first)) == NULL);
}

static char *
resolve(void *ctx, const char *ref)
{
    (void)ctx;
    return strcmp(ref, "main.port") == 0 ? strdup("3306") : NULL;
}

TEST(data_conf_db_references_are_checked)
{
    struct diag d;
    const char *const dbs[] = { "main", NULL };
    struct conf_ctx cx = { .d = &d, .databases = dbs };
    struct conf_node n = { .kind = CONF_SCALAR, .file = "tierd.yaml", .line = 7, .col = 9 };

    diag_init(&d);
    n.str = "127.0.0.1:${db:main.port}";
    EXPECT_EQ(conf_ref_check(&n, "env.DB", &cx), 0);
    n.str = "${db:main.users.app.password}";
    EXPECT_EQ(conf_ref_check(&n, "env.DB", &cx), 0);
    n.str = "${db:other.port}";
    EXPECT_TRUE(conf_ref_check(&n, "env.DB", &cx) < 0);
    n.str = "${db:main.datadir}";
    EXPECT_TRUE(conf_ref_check(&n, "env.DB", &cx) < 0);
    EXPECT_EQ(diag_count(&d), 2);
    EXPECT_TRUE(strstr(d.msgs[0], "tierd.yaml:7:9:") == d.msgs[0]);
    diag_fini(&d);
    conf_ref_set_db(resolve, NULL);
    char *s = conf_ref_expand("h:${db:main.port}/x", NULL, 0);
    EXPECT_STREQ(s, "h:3306/x");
    free(s);
    errno = 0;
    EXPECT_TRUE(conf_ref_expand("${db:main.host}", NULL, 0) == NULL);
    EXPECT_EQ(errno, ENOENT);
    conf_ref_set_db(NULL, NULL);
}
