/*
 * policy/check_tg.c: rules on target groups: an active health check with a path
 * (TD-TG-001), health-check timing and matcher (002), plain HTTP to targets off loopback
 * (003) and draining on deregistration (004). Defaults are ALB's, as the edge applies them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"

#define RES_MAX 192

void
check_tg_health_check(struct policy_ctx *cx, const struct conf_node *root)
{
    char res[RES_MAX];

    const struct conf_node *tgs = conf_map_get(root, "target_groups"), *key;

    for (unsigned g = 0; g < inspect_nmap(tgs); g++) {
        const struct conf_node *tg =
            inspect_entry(tgs, g, "target_groups", &key, res, sizeof(res));
        const struct conf_node *hc = inspect_get(tg, "health_check");
        if (!hc)
            policy_fail(cx, key, POLICY_MEDIUM, res, "%s has no health_check", res);
        else if (inspect_is_false(conf_map_get(hc, "enabled")))
            policy_fail(cx, inspect_key(hc, "enabled"), POLICY_MEDIUM, res,
                        "%s turns its health check off (enabled: false)", res);
        else if (!inspect_str(conf_map_get(hc, "path")))
            policy_fail(cx, inspect_key(tg, "health_check"), POLICY_MEDIUM, res,
                        "%s has a health_check without a path", res);
        else
            policy_pass(cx, inspect_key(tg, "health_check"), res);
    }
}

/* True when a matcher ("200", "200,202", "200-399") accepts some 5xx code. */
static bool
matcher_accepts_5xx(const char *m)
{
    while (m && *m) {
        char *end;
        long lo = strtol(m, &end, 10), hi = lo;
        if (end == m)
            return false;
        m = end;
        while (*m == ' ')
            m++;
        if (*m == '-') {
            hi = strtol(m + 1, &end, 10);
            m = end;
        }
        if (lo <= 599 && hi >= 500)
            return true;
        m += strspn(m, " ,");
    }
    return false;
}

void
check_tg_health_params(struct policy_ctx *cx, const struct conf_node *root)
{
    char res[RES_MAX];

    const struct conf_node *tgs = conf_map_get(root, "target_groups"), *key;

    for (unsigned g = 0; g < inspect_nmap(tgs); g++) {
        const struct conf_node *tg =
            inspect_entry(tgs, g, "target_groups", &key, res, sizeof(res));
        const struct conf_node *hc = inspect_get(tg, "health_check");
        uint64_t interval = 30000, timeout = 5000, unhealthy = 2;
        bool failed = false;
        if (!hc || hc->kind != CONF_MAP)
            continue;
        (void)inspect_duration_ms(conf_map_get(hc, "interval"), &interval);
        (void)inspect_duration_ms(conf_map_get(hc, "timeout"), &timeout);
        (void)inspect_uint(conf_map_get(hc, "unhealthy_threshold"), &unhealthy);
        const char *matcher = inspect_str(conf_map_get(hc, "matcher"));
        if (interval > 60000) {
            policy_fail(cx, inspect_key(hc, "interval"), POLICY_LOW, res,
                        "%s probes only every %llus; keep interval at 60s or less", res,
                        (unsigned long long)(interval / 1000));
            failed = true;
        }
        if (timeout >= interval) {
            policy_fail(cx, inspect_key(hc, "timeout") ? inspect_key(hc, "timeout")
                                                       : inspect_key(hc, "interval"),
                        POLICY_LOW, res, "%s: health_check.timeout is not below its interval",
                        res);
            failed = true;
        }
        if (unhealthy > 5) {
            policy_fail(cx, inspect_key(hc, "unhealthy_threshold"), POLICY_LOW, res,
                        "%s needs %llu failed probes to take a target out; keep it at 5 or "
                        "less", res, (unsigned long long)unhealthy);
            failed = true;
        }
        if (matcher && matcher_accepts_5xx(matcher)) {
            policy_fail(cx, inspect_key(hc, "matcher"), POLICY_LOW, res,
                        "%s: matcher \"%s\" accepts 5xx answers as healthy", res, matcher);
            failed = true;
        }
        if (!failed)
            policy_pass(cx, inspect_key(tg, "health_check"), res);
    }
}

void
check_tg_plain_targets(struct policy_ctx *cx, const struct conf_node *root)
{
    char res[RES_MAX], host[256];

    const struct conf_node *tgs = conf_map_get(root, "target_groups"), *key;

    for (unsigned g = 0; g < inspect_nmap(tgs); g++) {
        const struct conf_node *tg =
            inspect_entry(tgs, g, "target_groups", &key, res, sizeof(res));
        const struct conf_node *ts = conf_map_get(tg, "targets");
        bool failed = false;
        if (inspect_nseq(ts) == 0)
            continue;
        for (unsigned i = 0; i < ts->n && !inspect_get(tg, "tls"); i++) {
            const struct conf_node *t = ts->items[i];
            const char *addr = t->kind == CONF_MAP ? inspect_str(conf_map_get(t, "address"))
                                                   : inspect_str(t);
            if (!addr || inspect_addr_host(addr, host, sizeof(host)) < 0 ||
                inspect_host_is_loopback(host))
                continue;
            policy_fail(cx, t, POLICY_LOW, res,
                        "%s forwards plain HTTP to %s, which is not on this host", res, addr);
            failed = true;
        }
        if (!failed)
            policy_pass(cx, inspect_key(tg, "targets"), res);
    }
}

void
check_tg_no_draining(struct policy_ctx *cx, const struct conf_node *root)
{
    char res[RES_MAX];

    const struct conf_node *tgs = conf_map_get(root, "target_groups"), *key;

    for (unsigned g = 0; g < inspect_nmap(tgs); g++) {
        const struct conf_node *tg =
            inspect_entry(tgs, g, "target_groups", &key, res, sizeof(res));
        const struct conf_node *dd = conf_map_get(tg, "deregistration_delay");
        uint64_t ms;
        if (inspect_duration_ms(dd, &ms) == 0 && ms == 0)
            policy_fail(cx, inspect_key(tg, "deregistration_delay"), POLICY_MEDIUM, res,
                        "%s has deregistration_delay 0: removing a target cuts its requests",
                        res);
        else
            policy_pass(cx, dd ? inspect_key(tg, "deregistration_delay") : key, res);
    }
}
