/* tests/unit/watch/watch_keys_test.c: the key table of alarms, topics and smtp is
 * consistent, every entry is a key the reader takes, and its defaults are the ones the
 * reader fills. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf/keys.h"
#include "conf/node.h"
#include "conf/value.h"
#include "watch/internal.h"
#include "watch/watch_keys.h"

static const char *const groups[] = { "web", NULL };

/* Every key of the table, once at least. */
static const char every_key[] =
    "alarms:\n"
    "  high-cpu:\n"
    "    metric: cpu_utilization\n"
    "    dimensions: { auto_scaling_group: web }\n"
    "    statistic: p99\n"
    "    period: 60s\n"
    "    evaluation_periods: 3\n"
    "    datapoints_to_alarm: 2\n"
    "    comparison: greater_than_threshold\n"
    "    threshold: 80\n"
    "    treat_missing_data: not_breaching\n"
    "    alarm_actions: [ops]\n"
    "    ok_actions: [ops]\n"
    "    insufficient_data_actions: [ops]\n"
    "    description: CPU is high\n"
    "topics:\n"
    "  ops:\n"
    "    subscriptions:\n"
    "      - webhook: https://hooks.example.com/tierd\n"
    "        secret: ${env:WATCH_KEYS_SECRET}\n"
    "      - email: ops@example.com\n"
    "      - command: [./notify.sh]\n"
    "smtp:\n"
    "  url: smtps://mail.example.com\n"
    "  from: tierd@example.com\n"
    "  username: bot\n"
    "  password: ${env:WATCH_KEYS_SECRET}\n";

static struct watch_conf *
build(const char *yaml, struct conf_doc **docp, struct diag *d)
{
    struct conf_doc *doc = conf_doc_load_mem("t.yaml", yaml, strlen(yaml), d);
    struct watch_conf *c = NULL;

    assert_non_null(doc);
    watch_conf_build(doc->root, &(struct conf_ctx){ .d = d, .groups = groups }, &c);
    if (docp)
        *docp = doc;
    else
        conf_doc_free(doc);
    return c;
}

/* Marks the entry of every map value under n; a value without an entry is a failure. */
static void
mark(const struct conf_node *n, bool *hit)
{
    const struct conf_keytab *const tabs[] = { &watch_keytab, NULL };

    for (unsigned i = 0; i < n->n; i++) {
        const struct conf_node *v = n->kind == CONF_MAP ? n->pairs[i].value : n->items[i];
        if (n->kind == CONF_MAP) {
            const struct conf_key *k = conf_key_lookup(tabs, v->path);
            if (!k)
                fail_msg("%s has no entry in the table", v->path);
            hit[k - watch_keys] = true;
        }
        if (v->kind != CONF_SCALAR)
            mark(v, hit);
    }
}

TEST(watch_keys_table_is_consistent)
{
    const char *why = conf_keytab_verify(watch_keys, WK_COUNT);

    if (why)
        fail_msg("%s", why);
    EXPECT_EQ(watch_keytab.n, WK_COUNT);
    for (unsigned i = 0; i < WK_COUNT; i++)
        EXPECT_TRUE(watch_keys[i].path != NULL);
    /* Secrets are sensitive and may be references. */
    unsigned secret = CONF_KEY_SENSITIVE | CONF_KEY_ENV_REF;
    EXPECT_EQ(watch_keys[WK_SUB_SECRET].flags & secret, secret);
    EXPECT_EQ(watch_keys[WK_SMTP_USERNAME].flags & secret, secret);
    EXPECT_EQ(watch_keys[WK_SMTP_PASSWORD].flags & secret, secret);
    EXPECT_EQ(watch_keys[WK_SMTP_URL].flags & secret, secret);
}

TEST(watch_keys_every_key_is_read)
{
    struct conf_doc *doc;
    struct diag d;
    bool hit[WK_COUNT] = { false };

    setenv("WATCH_KEYS_SECRET", "s3cret", 1);
    diag_init(&d);
    struct watch_conf *c = build(every_key, &doc, &d);
    diag_print(&d, stderr);
    EXPECT_TRUE(c != NULL);
    EXPECT_EQ(d.n, 0);
    mark(doc->root, hit);
    for (unsigned i = 0; i < WK_COUNT; i++)
        if (!hit[i])
            fail_msg("%s is not in the test's file", watch_keys[i].path);
    /* And the values reached the built configuration. */
    EXPECT_STREQ(c->alarms[0].description, "CPU is high");
    EXPECT_EQ(c->alarms[0].nactions[ALARM_STATE_INSUFFICIENT_DATA], 1);
    EXPECT_STREQ(c->smtp_password, "s3cret");
    EXPECT_STREQ(c->smtp_username, "bot");
    watch_conf_free(c);
    conf_doc_free(doc);
    diag_fini(&d);
}

static int
word_index(const struct conf_key *k)
{
    for (int i = 0; k->words[i]; i++)
        if (strcmp(k->words[i], k->def) == 0)
            return i;
    return -1;
}

TEST(watch_keys_defaults_are_what_the_reader_fills)
{
    struct diag d;
    uint64_t ms;
    unsigned checked = 0;

    diag_init(&d);
    struct watch_conf *c = build("alarms:\n  a:\n    metric: cpu_utilization\n"
                                 "    comparison: less_than_threshold\n    threshold: 1\n",
                                 NULL, &d);
    EXPECT_TRUE(c != NULL);
    const struct watch_alarm_conf *a = &c->alarms[0];
    for (unsigned i = 0; i < WK_COUNT; i++) {
        const struct conf_key *k = &watch_keys[i];
        if (!k->def)
            continue;
        checked++;
        switch ((enum watch_key)i) {
        case WK_AL_STATISTIC:
            EXPECT_EQ((int)a->stat, word_index(k));
            break;
        case WK_AL_PERIOD:
            EXPECT_EQ(conf_parse_duration_ms(k->def, &ms), 0);
            EXPECT_EQ(a->period_s * 1000, ms);
            break;
        case WK_AL_EVAL_PERIODS:
            EXPECT_EQ(a->rule.evaluation_periods, strtoul(k->def, NULL, 10));
            break;
        case WK_AL_MISSING:
            EXPECT_EQ((int)a->rule.missing, word_index(k));
            break;
        default:
            fail_msg("%s has a default this test does not compare", k->path);
        }
    }
    EXPECT_EQ(checked, 4);
    /* Keys without a constant default: datapoints_to_alarm is evaluation_periods; lists
     * are empty; no description, no SMTP. */
    EXPECT_EQ(a->rule.datapoints_to_alarm, a->rule.evaluation_periods);
    for (unsigned st = 0; st < 3; st++)
        EXPECT_EQ(a->nactions[st], 0);
    EXPECT_TRUE(a->description == NULL);
    EXPECT_TRUE(c->smtp_url == NULL && c->smtp_username == NULL && c->smtp_password == NULL);
    watch_conf_free(c);
    diag_fini(&d);
}
