/*
 * watch/watch_conf.c: reads the stack file's `alarms:`, `topics:` and `smtp:` sections into
 * a struct watch_conf (watch/internal.h) through the key table (watch/watch_keys.c),
 * filling CloudWatch's defaults and reporting every problem against its node. Secrets
 * (webhook keys, SMTP credentials) may be "${env:NAME}" (conf/ref.h): they are resolved
 * here and never printed. It opens nothing. Top-level keys it does not own are the
 * daemon's business.
 */
#include "watch/watch.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/keys.h"
#include "conf/ref.h"
#include "conf/value.h"
#include "core/mem.h"
#include "watch/internal.h"
#include "watch/metricmap.h"
#include "watch/watch_keys.h"

#define K(id) (&watch_keys[id])

/* Indexed by enum watch_stat: CloudWatch's spelling, for messages. */
static const char *const stat_cw_names[] = {
    "AVERAGE", "SUM", "MINIMUM", "MAXIMUM", "SAMPLE_COUNT", "p50", "p90", "p99",
};

const char *
watch_stat_name(enum watch_stat s)
{
    return K(WK_AL_STATISTIC)->words[s];
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
    const char *const *names = K(WK_AL_STATISTIC)->words;

    for (unsigned i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0) {
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

/* The value of key `id` in map as written, YAML null included (for keys whose presence
 * counts even without a value); conf_key_get() is the reader that skips null. */
static const struct conf_node *
watch_conf_raw(const struct conf_node *map, enum watch_key id)
{
    return conf_map_get(map, conf_key_leaf(K(id)));
}

/* Alarm names follow CloudWatch: any printable text, which is why conf_name_ok() (for
 * resource names used in paths and metrics) does not fit. */
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
                     const struct metricmap *mm, const struct conf_ctx *cx, const char *what)
{
    const struct conf_key *k = K(WK_AL_DIMENSIONS);
    struct diag *d = cx->d;

    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return;
    if (n->n > k->max) {
        diag_at(d, n, "%s: dimensions: at most %" PRIu64 " are allowed, got %u", what, k->max,
                n->n);
        return;
    }
    for (unsigned i = 0; i < n->n; i++) {
        const struct conf_node *dk = n->pairs[i].key, *v = n->pairs[i].value;
        const char *s;
        if (mm && !metricmap_has_dim(mm, dk->str)) {
            if (mm->dims[0])
                diag_at(d, dk, "%s: metric %s has no dimension \"%.60s\"; use %s%s%s%s%s", what,
                        mm->metric, dk->str, mm->dims[0], mm->dims[1] ? " or " : "",
                        mm->dims[1] ? mm->dims[1] : "", mm->dims[2] ? " or " : "",
                        mm->dims[2] ? mm->dims[2] : "");
            else
                diag_at(d, dk, "%s: metric %s has no dimensions; remove \"%.60s\"", what,
                        mm->metric, dk->str);
            continue;
        }
        if (conf_string(v, &s, d) < 0)
            continue;
        if (strcmp(dk->str, "auto_scaling_group") == 0 && cx->groups &&
            !watch_conf_in(s, cx->groups)) {
            const char *near = conf_suggest(s, cx->groups);
            diag_at(d, v, "%s: no auto scaling group named \"%.60s\"%s%s%s", what, s,
                    near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
            continue;
        }
        if (strcmp(dk->str, "target_group") == 0 && cx->target_groups &&
            !watch_conf_in(s, cx->target_groups)) {
            const char *near = conf_suggest(s, cx->target_groups);
            diag_at(d, v, "%s: no target group named \"%.60s\"%s%s%s", what, s,
                    near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
            continue;
        }
        a->dim_name[a->ndims] = mem_strdup_or_exit(dk->str);
        a->dim_value[a->ndims++] = mem_strdup_or_exit(s);
    }
}

static void
watch_conf_read_actions(struct watch_alarm_conf *a, const struct conf_node *alarm,
                        const struct watch_conf *c, const char *what, struct diag *d)
{
    for (unsigned st = 0; st < 3; st++) {
        const struct conf_key *k = K(WK_AL_INSUFFICIENT_ACTIONS + st);
        const char *key = conf_key_leaf(k);
        const struct conf_node *n = conf_key_get(alarm, k);
        if (!n)
            continue;
        if (conf_expect(n, CONF_SEQ, what, d) < 0)
            continue;
        if (n->n > k->max) {
            diag_at(d, n, "%s: %s: at most %" PRIu64 " topics, got %u", what, key, k->max, n->n);
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
                names[c->ntopics] = NULL;
                const char *near = conf_suggest(s, names);
                if (near)
                    diag_at(d, n->items[i], "%s: %s: no topic named \"%.60s\"; did you mean "
                            "\"%s\"?", what, key, s, near);
                else
                    diag_at(d, n->items[i], "%s: %s: no topic named \"%.60s\"; define it under "
                            "topics", what, key, s);
                free(names);
                continue;
            }
            a->actions[st][a->nactions[st]++] = mem_strdup_or_exit(s);
        }
    }
}

/* period: within the table's bounds, and one of the periods CloudWatch accepts. */
static void
watch_conf_read_period(struct watch_alarm_conf *a, const struct conf_node *n, const char *what,
                       struct diag *d)
{
    const struct conf_node *v = conf_key_get(n, K(WK_AL_PERIOD));
    uint64_t ms;

    if (conf_key_duration(n, K(WK_AL_PERIOD), &ms, d) < 0)
        return;
    if (ms == 10000 || ms == 20000 || ms == 30000 || ms % 60000 == 0)
        a->period_s = ms / 1000;
    else                                /* only a written value can be off the grid */
        diag_at(d, v, "%s: period %.60s: use 10s, 20s, 30s or a multiple of 60s", what, v->str);
}

/* evaluation_periods and datapoints_to_alarm: N periods of at most a day in all (a week for
 * periods of an hour or more), M of N. */
static void
watch_conf_read_m_of_n(struct watch_alarm_conf *a, const struct conf_node *n, const char *what,
                       struct diag *d)
{
    const struct conf_node *v;
    uint64_t u;

    if (conf_key_uint(n, K(WK_AL_EVAL_PERIODS), &u, d) < 0)
        return;                         /* M of an unknown N is not worth a second message */
    uint64_t limit = a->period_s < 3600 ? 86400 : 604800;
    if (u * a->period_s > limit) {
        v = conf_key_get(n, K(WK_AL_EVAL_PERIODS));
        diag_at(d, v ? v : n, "%s: evaluation_periods x period is %" PRIu64 "s, above %" PRIu64
                "s; use fewer periods", what, u * a->period_s, limit);
        return;
    }
    a->rule.evaluation_periods = (unsigned)u;
    a->rule.datapoints_to_alarm = a->rule.evaluation_periods;
    if (conf_key_uint(n, K(WK_AL_DATAPOINTS), &u, d) == 0) {
        if (u > a->rule.evaluation_periods)
            diag_at(d, conf_key_get(n, K(WK_AL_DATAPOINTS)), "%s: datapoints_to_alarm (%" PRIu64
                    ") is above evaluation_periods (%u); it is M of N, 1 to N", what, u,
                    a->rule.evaluation_periods);
        else
            a->rule.datapoints_to_alarm = (unsigned)u;
    }
}

static void
watch_conf_read_alarm(struct watch_conf *c, struct watch_alarm_conf *a,
                      const struct conf_node *key, const struct conf_node *n,
                      const struct conf_ctx *cx)
{
    struct diag *d = cx->d;
    char what[320];
    const struct conf_node *v;
    const struct metricmap *mm = NULL;
    const char *s;
    int e;

    snprintf(what, sizeof(what), "alarm \"%.60s\"", key->str);
    if (!watch_conf_name_ok(key->str))
        diag_at(d, key, "%s: a name has 1 to %d characters, without control characters, '\"' "
                "or '\\'", what, WATCH_NAME_MAX);
    a->name = mem_strdup_or_exit(key->str);
    a->metric = mem_strdup_or_exit("");
    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return;
    conf_key_check_map(n, watch_keys, WK_COUNT, K(WK_ALARM), what, d);

    if ((v = conf_key_get(n, K(WK_AL_METRIC))) && conf_string(v, &s, d) == 0) {
        mm = metricmap_find(s);
        if (!mm) {
            const char *near = conf_suggest(s, metricmap_names());
            diag_at(d, v, "%s: unknown metric \"%.60s\"%s%s%s (docs/watch.md lists them)", what,
                    s, near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
        }
        free(a->metric);
        a->metric = mem_strdup_or_exit(s);
    }
    if ((v = conf_key_get(n, K(WK_AL_DIMENSIONS))))
        watch_conf_read_dims(a, v, mm, cx, what);
    if ((e = conf_key_enum(n, K(WK_AL_STATISTIC), d)) >= 0)
        a->stat = (enum watch_stat)e;
    watch_conf_read_period(a, n, what, d);
    watch_conf_read_m_of_n(a, n, what, d);
    if ((e = conf_key_enum(n, K(WK_AL_COMPARISON), d)) >= 0)
        a->rule.cmp = (enum alarm_cmp)e;
    if ((v = conf_key_get(n, K(WK_AL_THRESHOLD))) && conf_string(v, &s, d) == 0) {
        char *end;
        double t = strtod(s, &end);
        if (end == s || *end || !isfinite(t))
            diag_at(d, v, "%s: threshold \"%.60s\" is not a number; write it like 80 or 0.5",
                    what, s);
        else
            a->rule.threshold = t;
    }
    if ((e = conf_key_enum(n, K(WK_AL_MISSING), d)) >= 0)
        a->rule.missing = (enum alarm_missing)e;
    if (conf_key_string(n, K(WK_AL_DESCRIPTION), &s, d) == 0)
        a->description = mem_strdup_or_exit(s);
    watch_conf_read_actions(a, n, c, what, d);
    a->hash = watch_conf_alarm_hash(a);
}

/* Frees a string that held a secret without leaving it in freed memory. */
static void
watch_conf_wipe(char *s)
{
    if (!s)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

/*
 * A value that may be, or contain, "${env:NAME}" (`what` names it in messages): checked
 * with conf_ref_check() and returned expanded (the caller owns and wipes it). A literal is
 * returned as written: the policy rules, not the loader, judge literal secrets. NULL after
 * an error, and also when the variable is unset or empty under cx->check_only (then only
 * warned about: `tierd check` judges a file without its secrets).
 */
static char *
watch_conf_ref_value(const struct conf_node *v, const char *what, const struct conf_ctx *cx)
{
    const char *s;
    char *out;

    if (conf_string(v, &s, cx->d) < 0)
        return NULL;
    if (!*s) {
        diag_at(cx->d, v, "%s is empty; remove it or use ${env:NAME}", what);
        return NULL;
    }
    if (conf_ref_check(v, what, cx) < 0 || !(out = conf_ref_expand(s, NULL, 0)))
        return NULL;
    if (*out)
        return out;
    free(out);
    if (cx->check_only)
        diag_warn_at(cx->d, v, "%s: %.80s is empty here; tierd run and apply will need a "
                     "value", what, s);
    else
        diag_at(cx->d, v, "%s: %.80s is empty; set the variable in tierd's environment", what,
                s);
    return NULL;
}

/* Where the userinfo of a URL ("user:password@") is: *len bytes from the returned pointer,
 * or NULL when the URL has none. */
static const char *
watch_conf_userinfo(const char *url, size_t *len)
{
    const char *host = strstr(url, "://");

    host = host ? host + 3 : url;
    const char *at = memrchr(host, '@', strcspn(host, "/?#"));
    if (!at)
        return NULL;
    *len = (size_t)(at - host);
    return host;
}

/* The URL for messages, with its userinfo replaced by CONF_SENSITIVE: a password in
 * smtp.url never reaches a log, a diagnostic or the control API. */
static const char *
watch_conf_url_shown(const char *url, char *buf, size_t len)
{
    size_t ulen;
    const char *u = watch_conf_userinfo(url, &ulen);

    if (u)
        snprintf(buf, len, "%.*s%s%.60s", (int)(u - url), url, CONF_SENSITIVE, u + ulen);
    else
        snprintf(buf, len, "%.60s", url);
    return buf;
}

static void
watch_conf_read_command(struct watch_sub *sub, const struct conf_node *v, const char *what,
                        struct diag *d)
{
    const struct conf_key *k = K(WK_SUB_COMMAND);
    const char *s;

    if (conf_expect(v, CONF_SEQ, what, d) < 0)
        return;
    if (v->n < k->min) {
        diag_at(d, v, "%s: command is empty; give the program and its arguments, like "
                "[./notify.sh]", what);
        return;
    }
    if (v->n > k->max) {
        diag_at(d, v, "%s: command: at most %" PRIu64 " strings, got %u", what, k->max, v->n);
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
watch_conf_read_sub(struct watch_sub *sub, const struct conf_node *n, const char *what,
                    bool *needs_smtp, const struct conf_ctx *cx)
{
    struct diag *d = cx->d;
    const struct conf_node *v;
    const char *s;
    char w[240];

    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return;
    conf_key_check_map(n, watch_keys, WK_COUNT, K(WK_TP_SUBSCRIPTIONS), what, d);
    unsigned kinds = !!watch_conf_raw(n, WK_SUB_WEBHOOK) + !!watch_conf_raw(n, WK_SUB_EMAIL) +
                     !!watch_conf_raw(n, WK_SUB_COMMAND);
    if (kinds != 1) {
        diag_at(d, n, "%s: a subscription has exactly one of webhook, email or command%s", what,
                kinds ? "; split it into several" : "");
        return;
    }
    if ((v = watch_conf_raw(n, WK_SUB_WEBHOOK))) {
        sub->kind = WATCH_SUB_WEBHOOK;
        if (conf_string(v, &s, d) < 0)
            return;
        if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) {
            diag_at(d, v, "%s: webhook \"%.60s\" is not an http:// or https:// URL", what, s);
            return;
        }
        sub->endpoint = mem_strdup_or_exit(s);
        if (conf_ref_has(s)) {
            snprintf(w, sizeof(w), "%s: webhook", what);
            sub->url = watch_conf_ref_value(v, w, cx);
        }
        if ((v = watch_conf_raw(n, WK_SUB_SECRET))) {
            snprintf(w, sizeof(w), "%s: secret", what);
            sub->secret = watch_conf_ref_value(v, w, cx);
        }
        return;
    }
    if ((v = watch_conf_raw(n, WK_SUB_SECRET)))
        diag_at(d, v, "%s: secret applies to webhooks only; remove it", what);
    if ((v = watch_conf_raw(n, WK_SUB_EMAIL))) {
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
    sub->kind = WATCH_SUB_COMMAND;
    watch_conf_read_command(sub, watch_conf_raw(n, WK_SUB_COMMAND), what, d);
}

static void
watch_conf_read_topic(struct watch_topic *t, const struct conf_node *key,
                      const struct conf_node *n, bool *needs_smtp,
                      const struct conf_node **email_at, const struct conf_ctx *cx)
{
    struct diag *d = cx->d;
    char what[160], swhat[200];

    snprintf(what, sizeof(what), "topic \"%.60s\"", key->str);
    t->name = mem_strdup_or_exit(key->str);
    conf_name_check(key, "topic", WATCH_NAME_MAX, d);
    if (conf_is_null(n))
        return;
    if (conf_expect(n, CONF_MAP, what, d) < 0)
        return;
    conf_key_check_map(n, watch_keys, WK_COUNT, K(WK_TOPIC), what, d);
    const struct conf_node *subs = conf_key_get(n, K(WK_TP_SUBSCRIPTIONS));
    if (!subs)
        return;
    if (conf_expect(subs, CONF_SEQ, what, d) < 0)
        return;
    t->subs = mem_alloc_or_exit((subs->n + 1) * sizeof(*t->subs));
    for (unsigned i = 0; i < subs->n; i++) {
        bool email = false;
        snprintf(swhat, sizeof(swhat), "%s: subscription %u", what, i + 1);
        watch_conf_read_sub(&t->subs[t->nsubs], subs->items[i], swhat, &email, cx);
        if (email && !*email_at)
            *email_at = subs->items[i];
        *needs_smtp |= email;
        if (t->subs[t->nsubs].endpoint)
            t->nsubs++;
    }
}

static void
watch_conf_read_smtp(struct watch_conf *c, const struct conf_node *n, const struct conf_ctx *cx)
{
    struct diag *d = cx->d;
    const struct conf_node *v, *user = conf_key_get(n, K(WK_SMTP_USERNAME));
    const struct conf_node *pass = conf_key_get(n, K(WK_SMTP_PASSWORD));
    const char *s;
    char shown[128];
    size_t ulen;

    conf_key_check_map(n, watch_keys, WK_COUNT, K(WK_SMTP), "smtp", d);
    if ((v = conf_key_get(n, K(WK_SMTP_URL))) && conf_string(v, &s, d) == 0) {
        if (strncmp(s, "smtp://", 7) != 0 && strncmp(s, "smtps://", 8) != 0)
            diag_at(d, v, "smtp: url \"%s\" must start with smtp:// or smtps://",
                    watch_conf_url_shown(s, shown, sizeof(shown)));
        else if (user && watch_conf_userinfo(s, &ulen))
            diag_at(d, v, "smtp: url has credentials before its '@' and smtp.username is set "
                    "too; keep username and password: \"${env:NAME}\" and remove them from the "
                    "url");
        else
            c->smtp_url = watch_conf_ref_value(v, "smtp.url", cx);
    }
    if ((v = conf_key_get(n, K(WK_SMTP_FROM))) && conf_string(v, &s, d) == 0) {
        if (!strchr(s, '@') || strpbrk(s, "\r\n"))
            diag_at(d, v, "smtp: from \"%.60s\" is not an address like tierd@example.com", s);
        else
            c->smtp_from = mem_strdup_or_exit(s);
    }
    if (pass && !user)
        diag_at(d, pass, "smtp: password needs a username; add smtp.username");
    if (user)
        c->smtp_username = watch_conf_ref_value(user, "smtp.username", cx);
    if (pass)
        c->smtp_password = watch_conf_ref_value(pass, "smtp.password", cx);
}

/* A section that may be absent or empty; anything but a map is reported. */
static const struct conf_node *
watch_conf_section(const struct conf_node *root, enum watch_key id, struct diag *d)
{
    const struct conf_node *n = conf_key_get(root, K(id));

    if (!n || conf_expect(n, CONF_MAP, conf_key_leaf(K(id)), d) < 0)
        return NULL;
    return n;
}

int
watch_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                 struct watch_conf **out)
{
    struct watch_conf *c = mem_alloc_or_exit(sizeof(*c));
    struct diag *d = cx->d;
    unsigned before = diag_count(d);
    bool needs_smtp = false;
    const struct conf_node *n, *email_at = NULL;

    *out = c;
    if (!root || root->kind != CONF_MAP)
        return 0;
    if ((n = watch_conf_section(root, WK_TOPICS, d))) {
        c->topics = mem_alloc_or_exit((n->n + 1) * sizeof(*c->topics));
        for (unsigned i = 0; i < n->n; i++)
            watch_conf_read_topic(&c->topics[c->ntopics++], n->pairs[i].key, n->pairs[i].value,
                                  &needs_smtp, &email_at, cx);
    }
    if ((n = watch_conf_section(root, WK_SMTP, d)))
        watch_conf_read_smtp(c, n, cx);
    else if (needs_smtp)
        diag_at(d, email_at, "email subscriptions need an smtp section, like smtp: { url: "
                "smtp://127.0.0.1:25, from: tierd@example.com }");
    if ((n = watch_conf_section(root, WK_ALARMS, d))) {
        c->alarms = mem_alloc_or_exit((n->n + 1) * sizeof(*c->alarms));
        for (unsigned i = 0; i < n->n; i++)
            watch_conf_read_alarm(c, &c->alarms[c->nalarms++], n->pairs[i].key,
                                  n->pairs[i].value, cx);
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
            watch_conf_wipe(s->secret);
            watch_conf_wipe(s->url);
            for (char **a = s->argv; a && *a; a++)
                free(*a);
            free(s->argv);
        }
        free(t->subs);
        free(t->name);
    }
    free(c->topics);
    /* The url may hold a password (smtps://user:pw@host). */
    watch_conf_wipe(c->smtp_url);
    watch_conf_wipe(c->smtp_username);
    watch_conf_wipe(c->smtp_password);
    free(c->smtp_from);
    free(c);
}
