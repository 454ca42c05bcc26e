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

void
check_tg_health_params(struct policy_ctx *cx, const struct conf_node *root)
{
    char res[RES_MAX];

    const struct conf_node *tgs = conf_map_get(root, "target_groups"), *key;

    for (unsigned g = 0; g < inspect_nmap(tgs); g++) {
        const struct conf_node *tg =
            inspect_entry(tgs, g, "target_groups", &key, res, sizeof(res));
        const struct conf_node *hc = inspect_get(tg, "health_check");
        uint64_t interval = 30000, unhealthy = 2;
        bool failed = false;
        if (!hc || hc->kind != CONF_MAP)
            continue;
        (void)inspect_duration_ms(conf_map_get(hc, "interval"), &interval);
        (void)inspect_uint(conf_map_get(hc, "unhealthy_threshold"), &unhealthy);
        if (interval > 60000) {
            policy_fail(cx, inspect_key(hc, "interval"), POLICY_LOW, res,
                        "%s probes only every %llus; keep interval at 60s or less", res,
                        (unsigned long long)(interval / 1000));
            failed = true;
        }
        if (unhealthy > 5) {
            policy_fail(cx, inspect_key(hc, "unhealthy_threshold"), POLICY_LOW, res,
                        "%s needs %llu failed probes to take a target out; keep it at 5 or "
                        "less", res, (unsigned long long)unhealthy);
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
        /* No target group speaks TLS to its targets yet: off loopback is plain HTTP. */
        for (unsigned i = 0; i < ts->n; i++) {
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
