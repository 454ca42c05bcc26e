/*
 * policy/check_tg.c: rules on target groups: an active health check with a path
 * (TD-TG-001), health-check timing (002), plain HTTP to targets off loopback (003) and
 * draining on deregistration (004). Defaults are ALB's, as the edge applies them.
 * Validation already refuses a timeout at or above the interval and a matcher outside
 * 200..499, so TD-TG-002 does not judge them again.
 */
#include <stdio.h>
#include <string.h>

#include "policy/internal.h"

#define RES_MAX 192

/* Judgements, well inside the loader's bounds: a failing target leaves service within
 * five minutes (5 probes 60s apart). */
#define TG_INTERVAL_MAX_MS 60000u
#define TG_UNHEALTHY_MAX 5u

void
check_tg_health_check(struct policy_ctx *cx, const struct conf_node *root)
{
    char res[RES_MAX];

    const struct conf_node *tgs = conf_key_get(root, EK(EK_TGS)), *key;

    for (unsigned g = 0; g < inspect_nmap(tgs); g++) {
        const struct conf_node *tg = inspect_entry(tgs, g, EK(EK_TGS), &key, res, sizeof(res));
        const struct conf_node *hc = conf_key_get(tg, EK(EK_TG_HC));
        if (!hc)
            policy_fail(cx, key, POLICY_MEDIUM, res, "%s has no health_check", res);
        else if (inspect_is_false(conf_key_get(hc, EK(EK_HC_ENABLED))))
            policy_fail(cx, conf_key_node(hc, EK(EK_HC_ENABLED)), POLICY_MEDIUM, res,
                        "%s turns its health check off (enabled: false)", res);
        else if (!inspect_str(conf_key_get(hc, EK(EK_HC_PATH))))
            policy_fail(cx, conf_key_node(tg, EK(EK_TG_HC)), POLICY_MEDIUM, res,
                        "%s has a health_check without a path", res);
        else
            policy_pass(cx, conf_key_node(tg, EK(EK_TG_HC)), res);
    }
}

void
check_tg_health_params(struct policy_ctx *cx, const struct conf_node *root)
{
    char res[RES_MAX];

    const struct conf_node *tgs = conf_key_get(root, EK(EK_TGS)), *key;

    for (unsigned g = 0; g < inspect_nmap(tgs); g++) {
        const struct conf_node *tg = inspect_entry(tgs, g, EK(EK_TGS), &key, res, sizeof(res));
        const struct conf_node *hc = conf_key_get(tg, EK(EK_TG_HC));
        uint64_t interval = 0, unhealthy = 0;
        bool failed = false;
        if (!hc || hc->kind != CONF_MAP)
            continue;
        /* Absent: the entries' defaults (ALB's), as the edge applies them. */
        (void)inspect_key_ms(hc, EK(EK_HC_INTERVAL), &interval);
        (void)inspect_key_uint(hc, EK(EK_HC_UNHEALTHY), &unhealthy);
        if (interval > TG_INTERVAL_MAX_MS) {
            policy_fail(cx, conf_key_node(hc, EK(EK_HC_INTERVAL)), POLICY_LOW, res,
                        "%s probes only every %llus; keep interval at %us or less", res,
                        (unsigned long long)(interval / 1000), TG_INTERVAL_MAX_MS / 1000);
            failed = true;
        }
        if (unhealthy > TG_UNHEALTHY_MAX) {
            policy_fail(cx, conf_key_node(hc, EK(EK_HC_UNHEALTHY)), POLICY_LOW, res,
                        "%s needs %llu failed probes to take a target out; keep it at %u "
                        "or less", res, (unsigned long long)unhealthy, TG_UNHEALTHY_MAX);
            failed = true;
        }
        if (!failed)
            policy_pass(cx, conf_key_node(tg, EK(EK_TG_HC)), res);
    }
}

void
check_tg_plain_targets(struct policy_ctx *cx, const struct conf_node *root)
{
    char res[RES_MAX], host[256];

    const struct conf_node *tgs = conf_key_get(root, EK(EK_TGS)), *key;

    for (unsigned g = 0; g < inspect_nmap(tgs); g++) {
        const struct conf_node *tg = inspect_entry(tgs, g, EK(EK_TGS), &key, res, sizeof(res));
        const struct conf_node *ts = conf_key_get(tg, EK(EK_TG_TARGETS));
        bool failed = false;
        if (inspect_nseq(ts) == 0)
            continue;
        /* protocol: https protects the hop only when the certificate is checked: with
         * verify: false anyone on the path can stand in for the target. */
        const struct conf_node *tls = conf_key_get(tg, EK(EK_TG_TLS));
        bool https = inspect_str_eq(conf_key_get(tg, EK(EK_TG_PROTOCOL)), "https");
        bool unverified = https && inspect_is_false(conf_key_get(tls, EK(EK_TT_VERIFY)));
        if (https && !unverified) {
            policy_pass(cx, conf_key_node(tg, EK(EK_TG_TARGETS)), res);
            continue;
        }
        for (unsigned i = 0; i < ts->n; i++) {
            const struct conf_node *t = ts->items[i];
            const char *addr = t->kind == CONF_MAP
                                   ? inspect_str(conf_key_get(t, EK(EK_TG_T_ADDRESS)))
                                   : inspect_str(t);
            if (!addr || inspect_addr_host(addr, host, sizeof(host)) < 0 ||
                inspect_host_is_loopback(host))
                continue;
            if (unverified)
                policy_fail(cx, t, POLICY_LOW, res, "%s speaks TLS to %s, which is not on "
                            "this host, without checking its certificate (tls.verify: false)",
                            res, addr);
            else
                policy_fail(cx, t, POLICY_LOW, res,
                            "%s forwards plain HTTP to %s, which is not on this host", res, addr);
            failed = true;
        }
        if (!failed)
            policy_pass(cx, conf_key_node(tg, EK(EK_TG_TARGETS)), res);
    }
}

void
check_tg_no_draining(struct policy_ctx *cx, const struct conf_node *root)
{
    char res[RES_MAX];

    const struct conf_node *tgs = conf_key_get(root, EK(EK_TGS)), *key;

    for (unsigned g = 0; g < inspect_nmap(tgs); g++) {
        const struct conf_node *tg = inspect_entry(tgs, g, EK(EK_TGS), &key, res, sizeof(res));
        const struct conf_key *dk = EK(EK_TG_DEREG_DELAY);
        uint64_t ms;
        if (inspect_duration_ms(conf_key_get(tg, dk), &ms) == 0 && ms == 0)
            policy_fail(cx, conf_key_node(tg, dk), POLICY_MEDIUM, res,
                        "%s has deregistration_delay 0: removing a target cuts its requests",
                        res);
        else
            policy_pass(cx, inspect_key_or(tg, dk, key), res);
    }
}
