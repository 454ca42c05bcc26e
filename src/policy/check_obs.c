/*
 * policy/check_obs.c: rules on alarms, topics and mail: alarms that tell no one
 * (TD-OBS-001), notifications in clear text (002), unsigned webhooks (003), groups
 * without a CPU alarm (004), access logs kept less than a year (005), topics without
 * subscribers (006) and literal secrets in
 * notification settings (007: webhook secrets and URLs, smtp.url and smtp.password).
 */
#include <stdio.h>
#include <string.h>

#include "policy/internal.h"

#define RES_MAX 192

static const char *const url_secret_params[] = { "token", "key", "secret", "sig", "password",
                                                 NULL };

void
check_obs_alarm_actions(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_key *ak = WK(WK_AL_ALARM_ACTIONS);
    const struct conf_node *as = conf_key_get(root, WK(WK_ALARMS)), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(as); i++) {
        const struct conf_node *a = inspect_entry(as, i, WK(WK_ALARMS), &key, res, sizeof(res));
        /* Validation keeps alarm_actions a list; there is no actions_enabled switch. */
        if (inspect_nseq(conf_key_get(a, ak)) == 0)
            policy_fail(cx, inspect_key_or(a, ak, key), POLICY_MEDIUM, res,
                        "%s has no alarm_actions: it changes state and tells no one", res);
        else
            policy_pass(cx, conf_key_node(a, ak), res);
    }
}

/* Calls judge on every subscription of every topic, with the topic's resource name. */
typedef bool judge_fn(struct policy_ctx *cx, const struct conf_node *sub, const char *res);

static void
each_subscription(struct policy_ctx *cx, const struct conf_node *root, judge_fn *judge)
{
    const struct conf_node *ts = conf_key_get(root, WK(WK_TOPICS)), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(ts); i++) {
        const struct conf_node *t = inspect_entry(ts, i, WK(WK_TOPICS), &key, res, sizeof(res));
        const struct conf_node *subs = conf_key_get(t, WK(WK_TP_SUBSCRIPTIONS));
        bool failed = false;
        for (unsigned j = 0; j < inspect_nseq(subs); j++)
            failed |= judge(cx, subs->items[j], res);
        if (!failed && inspect_nseq(subs) > 0)
            policy_pass(cx, key, res);
    }
}

static bool
plain_url(const char *url, const char *scheme)
{
    struct inspect_url u;

    return url && inspect_url_parse(url, &u) == 0 && strcmp(u.scheme, scheme) == 0 &&
           !inspect_host_is_loopback(u.host);
}

static bool
judge_plain_webhook(struct policy_ctx *cx, const struct conf_node *sub, const char *res)
{
    const char *url = inspect_str(conf_key_get(sub, WK(WK_SUB_WEBHOOK)));

    if (!plain_url(url, "http"))
        return false;
    policy_fail(cx, conf_key_node(sub, WK(WK_SUB_WEBHOOK)), POLICY_MEDIUM, res,
                "%s sends a webhook over plain HTTP to another host: %s", res, url);
    return true;
}

void
check_obs_plain_webhook(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *smtp = conf_key_get(root, WK(WK_SMTP));
    const char *url = inspect_str(conf_key_get(smtp, WK(WK_SMTP_URL)));

    each_subscription(cx, root, judge_plain_webhook);
    if (!url)
        return;
    if (plain_url(url, "smtp"))         /* the URL scheme, not the section */
        policy_fail(cx, conf_key_node(smtp, WK(WK_SMTP_URL)), POLICY_MEDIUM, WK(WK_SMTP)->path,
                    "smtp.url sends mail over plain smtp:// to another host; use smtps://");
    else
        policy_pass(cx, conf_key_node(smtp, WK(WK_SMTP_URL)), WK(WK_SMTP)->path);
}

static bool
judge_unsigned_webhook(struct policy_ctx *cx, const struct conf_node *sub, const char *res)
{
    if (!inspect_str(conf_key_get(sub, WK(WK_SUB_WEBHOOK))) ||
        inspect_str(conf_key_get(sub, WK(WK_SUB_SECRET))))
        return false;
    policy_fail(cx, conf_key_node(sub, WK(WK_SUB_WEBHOOK)), POLICY_LOW, res,
                "%s has a webhook subscription without a secret", res);
    return true;
}

void
check_obs_unsigned_webhook(struct policy_ctx *cx, const struct conf_node *root)
{
    each_subscription(cx, root, judge_unsigned_webhook);
}

/* The metric and dimension names are watch/metricmap.c's (an alarm metric's name and its
 * dimensions), not keys of a table: they are spelled here. */
static bool
alarm_watches_cpu(const struct conf_node *alarms, const char *group)
{
    for (unsigned i = 0; i < inspect_nmap(alarms); i++) {
        const struct conf_node *a = alarms->pairs[i].value;
        const struct conf_node *dims = conf_key_get(a, WK(WK_AL_DIMENSIONS));
        const char *m = inspect_str(conf_key_get(a, WK(WK_AL_METRIC)));
        const char *g = inspect_str(conf_map_get(dims, "auto_scaling_group"));
        if (m && g && strcmp(m, "cpu_utilization") == 0 && strcmp(g, group) == 0)
            return true;
    }
    return false;
}

void
check_obs_no_cpu_alarm(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *gs = conf_key_get(root, FK(FK_GROUPS)), *key;
    const struct conf_node *alarms = conf_key_get(root, WK(WK_ALARMS));
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(gs); i++) {
        (void)inspect_entry(gs, i, FK(FK_GROUPS), &key, res, sizeof(res));
        if (alarm_watches_cpu(alarms, key->str))
            policy_pass(cx, key, res);
        else
            policy_fail(cx, key, POLICY_MEDIUM, res,
                        "no alarm watches cpu_utilization of %s", res);
    }
}

void
check_obs_empty_topic(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *ts = conf_key_get(root, WK(WK_TOPICS)), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(ts); i++) {
        const struct conf_node *t = inspect_entry(ts, i, WK(WK_TOPICS), &key, res, sizeof(res));
        if (inspect_nseq(conf_key_get(t, WK(WK_TP_SUBSCRIPTIONS))) == 0)
            policy_fail(cx, key, POLICY_MEDIUM, res, "%s has no subscriptions", res);
        else
            policy_pass(cx, key, res);
    }
}

static bool
literal(const char *v)
{
    return v && *v && !inspect_is_env_ref(v);
}

static bool
judge_literal_secret(struct policy_ctx *cx, const struct conf_node *sub, const char *res)
{
    const char *secret = inspect_str(conf_key_get(sub, WK(WK_SUB_SECRET)));
    const char *url = inspect_str(conf_key_get(sub, WK(WK_SUB_WEBHOOK)));
    struct inspect_url u;
    bool failed = false;

    if (literal(secret)) {
        policy_fail(cx, conf_key_node(sub, WK(WK_SUB_SECRET)), POLICY_HIGH, res,
                    "%s: a subscription's secret is written literally", res);
        failed = true;
    }
    if (url && inspect_url_parse(url, &u) == 0 &&
        ((u.has_userinfo && !inspect_is_env_ref(url)) ||
         inspect_query_has_secret(u.query, url_secret_params))) {
        policy_fail(cx, conf_key_node(sub, WK(WK_SUB_WEBHOOK)), POLICY_HIGH, res,
                    "%s: a webhook URL carries credentials", res);
        failed = true;
    }
    return failed;
}

void
check_obs_literal_secret(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_key *sk = WK(WK_SMTP);
    const struct conf_node *smtp = conf_key_get(root, sk);
    const char *url = inspect_str(conf_key_get(smtp, WK(WK_SMTP_URL)));
    const char *pw = inspect_str(conf_key_get(smtp, WK(WK_SMTP_PASSWORD)));
    struct inspect_url u;
    bool failed = false;

    each_subscription(cx, root, judge_literal_secret);
    if (!smtp)
        return;
    if (url && inspect_url_parse(url, &u) == 0 && u.has_password && !inspect_is_env_ref(url)) {
        policy_fail(cx, conf_key_node(smtp, WK(WK_SMTP_URL)), POLICY_HIGH, sk->path,
                    "smtp.url holds a literal password");
        failed = true;
    }
    if (literal(pw)) {
        policy_fail(cx, conf_key_node(smtp, WK(WK_SMTP_PASSWORD)), POLICY_HIGH, sk->path,
                    "smtp.password is written literally");
        failed = true;
    }
    if (!failed)
        policy_pass(cx, conf_key_node(root, sk), sk->path);
}

#define OBS_LOG_RETENTION_MS (365ull * 86400 * 1000)

/* Only a file that has an access log is judged: none at all is TD-EDGE-005's finding. No
 * retention is advice (INFO: logrotate may keep the files long enough), a short one LOW. */
void
check_obs_log_retention(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_key *ak = EK(EK_ACCESS_LOG), *rk = EK(EK_AL_RETENTION);
    const struct conf_node *al = conf_key_get(root, ak);
    const char *path = inspect_str(conf_key_get(al, EK(EK_AL_PATH)));
    uint64_t ms;

    if (!al || !path || strcmp(path, "off") == 0)
        return;
    if (inspect_key_ms(al, rk, &ms) < 0)
        policy_fail(cx, conf_key_node(root, ak), POLICY_INFO, ak->path,
                    "access_log has no retention: how long its lines are kept is up to "
                    "whatever rotates it");
    else if (ms < OBS_LOG_RETENTION_MS)     /* a decision to keep less: LOW */
        policy_fail(cx, conf_key_node(al, rk), POLICY_LOW, ak->path,
                    "access_log.retention keeps lines %llu days, less than 365",
                    (unsigned long long)(ms / 86400000));
    else
        policy_pass(cx, conf_key_node(al, rk), ak->path);
}
