/*
 * watch/watch_conf.c: reads the stack file's `alarms:`, `topics:` and `smtp:` sections into
 * a struct watch_conf (watch/internal.h), filling CloudWatch's defaults and reporting every
 * problem against its node. It resolves ${env:NAME} in webhook secrets (never printing
 * them) and opens nothing. Top-level keys it does not own are the daemon's business.
 */
#include "watch/watch.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/value.h"
#include "core/mem.h"
#include "watch/internal.h"
#include "watch/metricmap.h"

const char *const watch_conf_keys[] = { "alarms", "topics", "smtp", NULL };

static const char *const alarm_keys[] = {
    "metric", "dimensions", "statistic", "period", "evaluation_periods", "datapoints_to_alarm",
    "comparison", "threshold", "treat_missing_data", "alarm_actions", "ok_actions",
    "insufficient_data_actions", "description", NULL,
};
static const char *const topic_keys[] = { "subscriptions", NULL };
static const char *const sub_keys[] = { "webhook", "secret", "email", "command", NULL };
static const char *const smtp_keys[] = { "url", "from", NULL };

/* Indexed by enum watch_stat. */
static const char *const stat_names[] = {
    "average", "sum", "minimum", "maximum", "sample_count", "p50", "p90", "p99", NULL,
};
static const char *const stat_cw_names[] = {
    "AVERAGE", "SUM", "MINIMUM", "MAXIMUM", "SAMPLE_COUNT", "p50", "p90", "p99",
};
/* Indexed by enum alarm_cmp. */
static const char *const cmp_names[] = {
    "greater_than_threshold", "greater_than_or_equal_to_threshold", "less_than_threshold",
    "less_than_or_equal_to_threshold", NULL,
};
/* Indexed by enum alarm_missing. */
static const char *const missing_names[] = {
    "missing", "not_breaching", "breaching", "ignore", NULL,
};
/* Indexed by enum alarm_state: the action list keys. */
static const char *const action_keys[] = {
    "insufficient_data_actions", "ok_actions", "alarm_actions",
};

const char *
watch_stat_name(enum watch_stat s)
{
    return stat_names[s];
}

const char *
watch_stat_cw_name(enum watch_stat s)
{
    return stat_cw_names[s];
}

bool
watch_stat_is_percentile(enum watch_stat s)
{
    return s >= WATCH_STAT_P50;
}

int
watch_stat_parse(const char *s, enum watch_stat *out)
{
    for (unsigned i = 0; stat_names[i]; i++)
        if (strcmp(s, stat_names[i]) == 0) {
            *out = (enum watch_stat)i;
            return 0;
        }
    return -EINVAL;
}

const struct watch_topic *
watch_conf_topic(const struct watch_conf *c, const char *name)
{
    for (unsigned i = 0; i < c->ntopics; i++)
        if (strcmp(c->topics[i].name, name) == 0)
            return &c->topics[i];
    return NULL;
}

/* Reads one of `names` (NULL-terminated); returns its index or -1 after a diagnostic. */
static int
watch_conf_enum(const struct conf_node *n, const char *const *names, const char *what,
                struct diag *d)
{
    const char *s;

    if (conf_string(n, &s, d) < 0)
        return -1;
    for (int i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    const char *near = conf_suggest(s, names);
    char list[512] = "";
    size_t used = 0;
    for (unsigned i = 0; names[i] && used < sizeof(list); i++) {
        int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", names[i]);
        if (w > 0)
            used += (size_t)w;
    }
    if (near)
        diag_at(d, n, "%s: unknown value \"%.60s\"; did you mean \"%s\"?", what, s, near);
    else
        diag_at(d, n, "%s: unknown value \"%.60s\"; use one of %s", what, s, list);
    return -1;
}

static bool
watch_conf_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > WATCH_NAME_MAX)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\')
            return false;
    return true;
}

static bool
watch_conf_in(const char *s, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* 64-bit FNV-1a over the fields that define what an alarm measures and decides. */
static char *
watch_conf_alarm_hash(const struct watch_alarm_conf *a)
{
    char text[2048];
    uint64_t h = 14695981039346656037ull;
    int n = snprintf(text, sizeof(text), "%s|%d|%" PRIu64 "|%d|%.17g|%u|%u|%d", a->metric,
                     (int)a->stat, a->period_s, (int)a->rule.cmp, a->rule.threshold,
                     a->rule.evaluation_periods, a->rule.datapoints_to_alarm,
                     (int)a->rule.missing);

    for (unsigned i = 0; i < a->ndims && n > 0 && (size_t)n < sizeof(text); i++)
        n += snprintf(text + n, sizeof(text) - (size_t)n, "|%s=%s", a->dim_name[i],
                      a->dim_value[i]);
    for (const char *p = text; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    char out[17];
    snprintf(out, sizeof(out), "%016" PRIx64, h);
    return mem_strdup_or_exit(out);
}

static void
watch_conf_read_dims(struct watch_alarm_conf *a, const struct conf_node *n,
                     const struct metricmap *mm, const char *const *groups,
                     const char *const *tgs, const char *what, struct diag *d)
{
    if (conf_is_null(n) || conf_expect(n, CONF_MAP, what, d) < 0)
        return;
    if (n->n > WATCH_LABELS_MAX) {
        diag_at(d, n, "%s: dimensions: at most %d are allowed, got %u", what, WATCH_LABELS_MAX,
                n->n);
        return;
    }
    for (unsigned i = 0; i < n->n; i++) {
        const struct conf_node *k = n->pairs[i].key, *v = n->pairs[i].value;
        const char *s;
        if (mm && !metricmap_has_dim(mm, k->str)) {
            if (mm->dims[0])
                diag_at(d, k, "%s: metric %s has no dimension \"%.60s\"; use %s%s%s%s%s", what,
                        mm->metric, k->str, mm->dims[0], mm->dims[1] ? " or " : "",
                        mm->dims[1] ? mm->dims[1] : "", mm->dims[2] ? " or " : "",
                        mm->dims[2] ? mm->dims[2] : "");
            else
                diag_at(d, k, "%s: metric %s has no dimensions; remove \"%.60s\"", what,
                        mm->metric, k->str);
            continue;
        }
        if (conf_string(v, &s, d) < 0)
            continue;
        if (strcmp(k->str, "auto_scaling_group") == 0 && groups && !watch_conf_in(s, groups)) {
            const char *near = conf_suggest(s, groups);
            diag_at(d, v, "%s: no auto scaling group named \"%.60s\"%s%s%s", what, s,
                    near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
            continue;
        }
        if (strcmp(k->str, "target_group") == 0 && tgs && !watch_conf_in(s, tgs)) {
            const char *near = conf_suggest(s, tgs);
            diag_at(d, v, "%s: no target group named \"%.60s\"%s%s%s", what, s,
                    near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
            continue;
        }
        a->dim_name[a->ndims] = mem_strdup_or_exit(k->str);
        a->dim_value[a->ndims++] = mem_strdup_or_exit(s);
    }
}

static void
watch_conf_read_actions(struct watch_alarm_conf *a, const struct conf_node *alarm,
                        const struct watch_conf *c, const char *what, struct diag *d)
{
    for (unsigned st = 0; st < 3; st++) {
        const struct conf_node *n = conf_map_get(alarm, action_keys[st]);
        if (!n || conf_is_null(n))
            continue;
        if (conf_expect(n, CONF_SEQ, what, d) < 0)
            continue;
        if (n->n > WATCH_ACTIONS_MAX) {
            diag_at(d, n, "%s: %s: at most %d topics, got %u", what, action_keys[st],
                    WATCH_ACTIONS_MAX, n->n);
            continue;
        }
        for (unsigned i = 0; i < n->n; i++) {
            const char *s;
            if (conf_string(n->items[i], &s, d) < 0)
                continue;
            if (!watch_conf_topic(c, s)) {
                const char **names = mem_alloc_or_exit((c->ntopics + 1) * sizeof(*names));
                for (unsigned t = 0; t < c->ntopics; t++)
                    names[t] = c->topics[t].name;
                const char *near = conf_suggest(s, names);
                if (near)
                    diag_at(d, n->items[i], "%s: %s: no topic named \"%.60s\"; did you mean "
                            "\"%s\"?", what, action_keys[st], s, near);
                else
                    diag_at(d, n->items[i], "%s: %s: no topic named \"%.60s\"; define it under "
                            "topics", what, action_keys[st], s);
                free(names);
                continue;
            }
            a->actions[st][a->nactions[st]++] = mem_strdup_or_exit(s);
        }
    }
}

static void
watch_conf_read_alarm(struct watch_conf *c, struct watch_alarm_conf *a, const struct conf_node *key,
                      const struct conf_node *n, const char *const *groups,
                      const char *const *tgs, struct diag *d)
{
    char what[320];
    const struct conf_node *v;
    const struct metricmap *mm = NULL;
    const char *s;
    uint64_t u;
    int e;

    snprintf(what, sizeof(what), "alarm \"%.60s\"", key->str);
    if (!watch_conf_name_ok(key->str))
        diag_at(d, key, "%s: a name has 1 to %d characters, without control characters, '\"' "
                "or '\\'", what, WATCH_NAME_MAX);
    a->name = mem_strdup_or_exit(key->str);
    a->stat = WATCH_STAT_AVERAGE;
    a->period_s = 60;
    a->rule.evaluation_periods = 1;
    a->rule.missing = ALARM_MISSING_MISSING;
    a->metric = mem_strdup_or_exit("");
    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return;
    conf_check_keys(n, alarm_keys, what, d);

    if ((v = conf_require(n, "metric", what, d)) && conf_string(v, &s, d) == 0) {
        mm = metricmap_find(s);
        if (!mm) {
            const char *near = conf_suggest(s, metricmap_names());
            diag_at(d, v, "%s: unknown metric \"%.60s\"%s%s%s (docs/watch.md lists them)", what,
                    s, near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
        }
        free(a->metric);
        a->metric = mem_strdup_or_exit(s);
    }
    if ((v = conf_map_get(n, "dimensions")))
        watch_conf_read_dims(a, v, mm, groups, tgs, what, d);
    if ((v = conf_map_get(n, "statistic")) && (e = watch_conf_enum(v, stat_names, what, d)) >= 0)
        a->stat = (enum watch_stat)e;
    if ((v = conf_map_get(n, "period"))) {
        uint64_t ms;
        if (conf_duration_ms(v, &ms, d) == 0) {
            if (ms % 1000 || !(ms == 10000 || ms == 20000 || ms == 30000 ||
                               (ms >= 60000 && ms % 60000 == 0)))
                diag_at(d, v, "%s: period %.60s: use 10s, 20s, 30s or a multiple of 60s", what,
                        v->str);
            else
                a->period_s = ms / 1000;
        }
    }
    if ((v = conf_map_get(n, "evaluation_periods")) && conf_uint(v, 1, 100000, &u, d) == 0) {
        uint64_t limit = a->period_s < 3600 ? 86400 : 604800;
        if (u * a->period_s > limit)
            diag_at(d, v, "%s: evaluation_periods x period is %" PRIu64 "s, above %" PRIu64
                    "s; use fewer periods", what, u * a->period_s, limit);
        else
            a->rule.evaluation_periods = (unsigned)u;
    }
    a->rule.datapoints_to_alarm = a->rule.evaluation_periods;
    if ((v = conf_map_get(n, "datapoints_to_alarm")) && conf_uint(v, 1, 100000, &u, d) == 0) {
        if (u > a->rule.evaluation_periods)
            diag_at(d, v, "%s: datapoints_to_alarm (%" PRIu64 ") is above evaluation_periods "
                    "(%u); it is M of N, 1 to N", what, u, a->rule.evaluation_periods);
        else
            a->rule.datapoints_to_alarm = (unsigned)u;
    }
    if ((v = conf_require(n, "comparison", what, d)) &&
        (e = watch_conf_enum(v, cmp_names, what, d)) >= 0)
        a->rule.cmp = (enum alarm_cmp)e;
    if ((v = conf_require(n, "threshold", what, d)) && conf_string(v, &s, d) == 0) {
        char *end;
        double t = strtod(s, &end);
        if (end == s || *end || !isfinite(t))
            diag_at(d, v, "%s: threshold \"%.60s\" is not a number; write it like 80 or 0.5",
                    what, s);
        else
            a->rule.threshold = t;
    }
    if ((v = conf_map_get(n, "treat_missing_data")) &&
        (e = watch_conf_enum(v, missing_names, what, d)) >= 0)
        a->rule.missing = (enum alarm_missing)e;
    if ((v = conf_map_get(n, "description")) && conf_string(v, &s, d) == 0)
        a->description = mem_strdup_or_exit(s);
    watch_conf_read_actions(a, n, c, what, d);
    a->hash = watch_conf_alarm_hash(a);
}

/* Resolves a secret: "${env:NAME}" reads the environment; anything else is literal. */
static char *
watch_conf_secret(const struct conf_node *n, const char *what, struct diag *d)
{
    const char *s;

    if (conf_string(n, &s, d) < 0)
        return NULL;
    size_t len = strlen(s);
    if (strncmp(s, "${env:", 6) == 0) {
        if (len < 8 || s[len - 1] != '}') {
            diag_at(d, n, "%s: secret: write ${env:NAME} with a variable name", what);
            return NULL;
        }
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)(len - 7), s + 6);
        const char *val = getenv(name);
        if (!val || !val[0]) {
            diag_at(d, n, "%s: secret: environment variable %s is not set; export it before "
                    "starting tierd", what, name);
            return NULL;
        }
        return mem_strdup_or_exit(val);
    }
    if (!len) {
        diag_at(d, n, "%s: secret is empty; remove it or use ${env:NAME}", what);
        return NULL;
    }
    return mem_strdup_or_exit(s);
}

static void
watch_conf_read_sub(struct watch_sub *sub, const struct conf_node *n, const char *what,
                    bool *needs_smtp, struct diag *d)
{
    const struct conf_node *v;
    const char *s;
    unsigned kinds = 0;

    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return;
    conf_check_keys(n, sub_keys, what, d);
    kinds = !!conf_map_get(n, "webhook") + !!conf_map_get(n, "email") +
            !!conf_map_get(n, "command");
    if (kinds != 1) {
        diag_at(d, n, "%s: a subscription has exactly one of webhook, email or command%s", what,
                kinds ? "; split it into several" : "");
        return;
    }
    if ((v = conf_map_get(n, "webhook"))) {
        sub->kind = WATCH_SUB_WEBHOOK;
        if (conf_string(v, &s, d) < 0)
            return;
        if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) {
            diag_at(d, v, "%s: webhook \"%.60s\" is not an http:// or https:// URL", what, s);
            return;
        }
        sub->endpoint = mem_strdup_or_exit(s);
        if ((v = conf_map_get(n, "secret")))
            sub->secret = watch_conf_secret(v, what, d);
        return;
    }
    if ((v = conf_map_get(n, "secret")))
        diag_at(d, v, "%s: secret applies to webhooks only; remove it", what);
    if ((v = conf_map_get(n, "email"))) {
        sub->kind = WATCH_SUB_EMAIL;
        if (conf_string(v, &s, d) < 0)
            return;
        const char *at = strchr(s, '@');
        if (!at || at == s || !at[1] || strpbrk(s, " \t\r\n<>,")) {
            diag_at(d, v, "%s: email \"%.60s\" is not an address like ops@example.com", what, s);
            return;
        }
        sub->endpoint = mem_strdup_or_exit(s);
        *needs_smtp = true;
        return;
    }
    v = conf_map_get(n, "command");
    sub->kind = WATCH_SUB_COMMAND;
    if (conf_expect(v, CONF_SEQ, what, d) < 0)
        return;
    if (v->n == 0) {
        diag_at(d, v, "%s: command is empty; give the program and its arguments, like "
                "[./notify.sh]", what);
        return;
    }
    sub->argv = mem_alloc_or_exit((v->n + 1) * sizeof(*sub->argv));
    size_t cap = 2;
    for (unsigned i = 0; i < v->n; i++) {
        if (conf_string(v->items[i], &s, d) < 0)
            s = "";
        sub->argv[i] = mem_strdup_or_exit(s);
        cap += strlen(s) * 6 + 4;
    }
    /* The identity is the argv as a JSON array (stored with each delivery). */
    char *e = mem_alloc_or_exit(cap);
    size_t p = 0;
    e[p++] = '[';
    for (unsigned i = 0; i < v->n; i++) {
        p += (size_t)snprintf(e + p, cap - p, "%s\"", i ? "," : "");
        for (const char *q = sub->argv[i]; *q; q++) {
            if (*q == '"' || *q == '\\')
                p += (size_t)snprintf(e + p, cap - p, "\\%c", *q);
            else if ((unsigned char)*q < 0x20)
                p += (size_t)snprintf(e + p, cap - p, "\\u%04x", *q);
            else
                e[p++] = *q;
        }
        e[p++] = '"';
    }
    e[p++] = ']';
    e[p] = '\0';
    sub->endpoint = e;
}

static void
watch_conf_read_topic(struct watch_topic *t, const struct conf_node *key,
                      const struct conf_node *n, bool *needs_smtp,
                      const struct conf_node **email_at, struct diag *d)
{
    char what[160], swhat[200];

    snprintf(what, sizeof(what), "topic \"%.60s\"", key->str);
    t->name = mem_strdup_or_exit(key->str);
    if (!watch_conf_name_ok(key->str) || strpbrk(key->str, " :/"))
        diag_at(d, key, "%s: a topic name uses letters, digits, '-', '_' and '.'", what);
    if (conf_is_null(n))
        return;
    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return;
    conf_check_keys(n, topic_keys, what, d);
    const struct conf_node *subs = conf_map_get(n, "subscriptions");
    if (!subs || conf_is_null(subs))
        return;
    if (conf_expect(subs, CONF_SEQ, what, d) < 0)
        return;
    t->subs = mem_alloc_or_exit((subs->n + 1) * sizeof(*t->subs));
    for (unsigned i = 0; i < subs->n; i++) {
        bool email = false;
        snprintf(swhat, sizeof(swhat), "%s: subscription %u", what, i + 1);
        watch_conf_read_sub(&t->subs[t->nsubs], subs->items[i], swhat, &email, d);
        if (email && !*email_at)
            *email_at = subs->items[i];
        *needs_smtp |= email;
        if (t->subs[t->nsubs].endpoint)
            t->nsubs++;
    }
}

static void
watch_conf_read_smtp(struct watch_conf *c, const struct conf_node *n, struct diag *d)
{
    const struct conf_node *v;
    const char *s;

    if (conf_expect(n, CONF_MAP, "smtp", d) < 0)
        return;
    conf_check_keys(n, smtp_keys, "smtp", d);
    if ((v = conf_require(n, "url", "smtp", d)) && conf_string(v, &s, d) == 0) {
        if (strncmp(s, "smtp://", 7) != 0 && strncmp(s, "smtps://", 8) != 0)
            diag_at(d, v, "smtp: url \"%.60s\" must start with smtp:// or smtps://", s);
        else
            c->smtp_url = mem_strdup_or_exit(s);
    }
    if ((v = conf_require(n, "from", "smtp", d)) && conf_string(v, &s, d) == 0) {
        if (!strchr(s, '@') || strpbrk(s, "\r\n"))
            diag_at(d, v, "smtp: from \"%.60s\" is not an address like tierd@example.com", s);
        else
            c->smtp_from = mem_strdup_or_exit(s);
    }
}

/* A section that may be absent or empty; anything but a map is reported. */
static const struct conf_node *
watch_conf_section(const struct conf_node *root, const char *key, struct diag *d)
{
    const struct conf_node *n = conf_map_get(root, key);

    if (!n || conf_is_null(n))
        return NULL;
    if (conf_expect(n, CONF_MAP, key, d) < 0)
        return NULL;
    return n;
}

int
watch_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                 struct watch_conf **out)
{
    struct watch_conf *c = mem_alloc_or_exit(sizeof(*c));
    const char *const *groups = cx->groups, *const *tgs = cx->target_groups;
    struct diag *d = cx->d;
    unsigned before = diag_count(d);
    bool needs_smtp = false;
    const struct conf_node *n, *email_at = NULL;

    *out = c;
    if (!root || root->kind != CONF_MAP)
        return 0;
    if ((n = watch_conf_section(root, "topics", d))) {
        c->topics = mem_alloc_or_exit((n->n + 1) * sizeof(*c->topics));
        for (unsigned i = 0; i < n->n; i++)
            watch_conf_read_topic(&c->topics[c->ntopics++], n->pairs[i].key, n->pairs[i].value,
                                  &needs_smtp, &email_at, d);
    }
    if ((n = watch_conf_section(root, "smtp", d)))
        watch_conf_read_smtp(c, n, d);
    else if (needs_smtp)
        diag_at(d, email_at, "email subscriptions need an smtp section, like smtp: { url: "
                "smtp://127.0.0.1:25, from: tierd@example.com }");
    if ((n = watch_conf_section(root, "alarms", d))) {
        c->alarms = mem_alloc_or_exit((n->n + 1) * sizeof(*c->alarms));
        for (unsigned i = 0; i < n->n; i++)
            watch_conf_read_alarm(c, &c->alarms[c->nalarms++], n->pairs[i].key,
                                  n->pairs[i].value, groups, tgs, d);
    }
    if (diag_count(d) != before) {
        watch_conf_free(c);
        *out = NULL;
        return -EINVAL;
    }
    return 0;
}

void
watch_conf_free(struct watch_conf *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->nalarms; i++) {
        struct watch_alarm_conf *a = &c->alarms[i];
        free(a->name);
        free(a->description);
        free(a->metric);
        free(a->hash);
        for (unsigned k = 0; k < a->ndims; k++) {
            free(a->dim_name[k]);
            free(a->dim_value[k]);
        }
        for (unsigned st = 0; st < 3; st++)
            for (unsigned k = 0; k < a->nactions[st]; k++)
                free(a->actions[st][k]);
    }
    free(c->alarms);
    for (unsigned i = 0; i < c->ntopics; i++) {
        struct watch_topic *t = &c->topics[i];
        /* A subscription that failed to read allocated nothing (endpoint comes first). */
        for (unsigned k = 0; k < t->nsubs; k++) {
            struct watch_sub *s = &t->subs[k];
            free(s->endpoint);
            if (s->secret) {
                /* Secrets do not linger in freed memory. */
                memset(s->secret, 0, strlen(s->secret));
                free(s->secret);
            }
            for (char **a = s->argv; a && *a; a++)
                free(*a);
            free(s->argv);
        }
        free(t->subs);
        free(t->name);
    }
    free(c->topics);
    free(c->smtp_url);
    free(c->smtp_from);
    free(c);
}
