/*
 * export/tf_shield.c: the shield as AWS WAF: an aws_wafv2_web_acl on the load balancer
 * (aws_wafv2_web_acl_association) with the allow list first, then the deny list (both as
 * aws_wafv2_ip_set, one per address family), then the rate-based rule. mode: count makes
 * the rules count instead of block, as it does in tierd; shield.geo becomes geo match rules
 * after the deny list. The detectors (scanners, slow
 * scans, range bans) have no WAF equivalent and are listed as not mapped. Writes shield.tf.
 */
#include "export/internal.h"

#include <inttypes.h>
#include <string.h>

static void
visibility(FILE *f, const char *ind, const char *metric)
{
    fprintf(f, "%svisibility_config {\n"
               "%s  cloudwatch_metrics_enabled = true\n"
               "%s  metric_name                = \"%s\"\n"
               "%s  sampled_requests_enabled   = true\n"
               "%s}\n", ind, ind, ind, metric, ind, ind);
}

/* Writes the IP sets of one list (v4 and v6 apart, as WAF wants); returns a bit per family
 * written (1: IPV4, 2: IPV6). */
static unsigned
write_ip_sets(FILE *f, const struct conf_node *list, const char *which)
{
    unsigned fam = 0;

    for (unsigned v6 = 0; v6 < 2; v6++) {
        bool any = false;
        for (unsigned i = 0; i < list->n; i++) {
            const char *s = list->items[i]->str;
            if (!s || (strchr(s, ':') != NULL) != (v6 == 1))
                continue;
            if (!any)
                fprintf(f, "resource \"aws_wafv2_ip_set\" \"%s_v%c\" {\n"
                           "  name               = \"${var.name}-%s-v%c\"\n"
                           "  scope              = \"REGIONAL\"\n"
                           "  ip_address_version = \"IPV%c\"\n"
                           "  addresses          = [\n",
                        which, v6 ? '6' : '4', which, v6 ? '6' : '4', v6 ? '6' : '4');
            any = true;
            char cidr[128];
            /* WAF takes CIDRs only: a bare address is its /32 or /128. */
            snprintf(cidr, sizeof(cidr), "%s%s", s, strchr(s, '/') ? "" : v6 ? "/128" : "/32");
            fputs("    ", f);
            export_hcl_str(f, cidr);
            fputs(",\n", f);
        }
        if (any) {
            fputs("  ]\n}\n\n", f);
            fam |= 1u << v6;
        }
    }
    return fam;
}

static void
ip_rule(FILE *f, const char *which, unsigned v6, unsigned prio, const char *action)
{
    char metric[64];

    snprintf(metric, sizeof(metric), "%s-v%c", which, v6 ? '6' : '4');
    fprintf(f, "  rule {\n"
               "    name     = \"%s\"\n"
               "    priority = %u\n"
               "    action {\n      %s {}\n    }\n"
               "    statement {\n"
               "      ip_set_reference_statement {\n"
               "        arn = aws_wafv2_ip_set.%s_v%c.arn\n"
               "      }\n"
               "    }\n", metric, prio, action, which, v6 ? '6' : '4');
    visibility(f, "    ", metric);
    fputs("  }\n", f);
}

/* shield.geo as WAF geo match rules: the block list with the shield's action, the count
 * list counting. Returns the next priority. WAF locates clients with its own database and
 * cannot narrow by listener; paths would need a scope-down statement: noted. */
static unsigned
geo_rules(struct export_ctx *cx, FILE *f, const struct conf_node *geo, const char *act,
          unsigned prio)
{
    static const enum shield_key lists[] = { SK_GEO_BLOCK, SK_GEO_COUNT };
    static const enum shield_key unmapped[] = { SK_GEO_DATABASE, SK_GEO_DATABASE6,
                                                SK_GEO_LISTENERS, SK_GEO_PATHS };
    static const char *const why[] = {
        "WAF locates clients with its own database", "WAF locates clients with its own "
        "database", "one web ACL serves the whole load balancer", "the geo rules apply to "
        "every path; add a scope_down_statement (byte_match_statement on uri_path) to narrow "
        "them" };
    const struct conf_node *k;

    for (unsigned i = 0; i < 2; i++) {
        const struct conf_node *list = export_get(geo, SK(lists[i]));
        const char *name = i ? "geo-count" : "geo-block";
        if (!list || list->kind != CONF_SEQ || list->n == 0)
            continue;
        fprintf(f, "  rule {\n    name     = \"%s\"\n    priority = %u\n    action {\n"
                   "      %s {}\n    }\n    statement {\n      geo_match_statement {\n"
                   "        country_codes = [", name, prio++, i ? "count" : act);
        for (unsigned j = 0; j < list->n; j++) {
            fputs(j ? ", " : "", f);
            export_hcl_str(f, list->items[j]->str ? list->items[j]->str : "");
        }
        fputs("]\n      }\n    }\n", f);
        visibility(f, "    ", name);
        fputs("  }\n", f);
    }
    for (unsigned i = 0; i < sizeof(unmapped) / sizeof(unmapped[0]); i++)
        if ((k = export_key(geo, SK(unmapped[i]))))
            export_note(cx, k, "%s: %s", SK(unmapped[i])->path, why[i]);
    return prio;
}

static void
notes(struct export_ctx *cx, const struct conf_node *sh)
{
    static const enum shield_key none[] = { SK_SCANNERS, SK_SLOW, SK_RANGE, SK_LOGIN_PATHS,
                                            SK_MAX_CONNS, SK_NFT, SK_CLIENT_MEMORY,
                                            SK_IPV6_PREFIX, SK_TRUSTED_PROXIES };
    static const char *const why[] = {
        "WAF has no detector of path scans that bans; AWS managed rule groups "
        "(AWSManagedRulesKnownBadInputsRuleSet) are the nearest, and block differently",
        "WAF has no detector of slow scans",
        "WAF bans no ranges by itself",
        "WAF has no login detector; AWSManagedRulesATPRuleSet (paid) is the nearest",
        "ALB and WAF limit no connections per address",
        "there is no host firewall in front of an ALB; WAF is the enforcement point",
        "AWS keeps WAF's per-client state itself",
        "WAF's rate rules key on whole IPv6 addresses",
        "ALB sees the client itself; keep X-Forwarded-For from the ALB",
    };
    const struct conf_node *k;

    for (unsigned i = 0; i < sizeof(none) / sizeof(none[0]); i++)
        if ((k = export_key(sh, SK(none[i]))))
            export_note(cx, k, "%s: %s", SK(none[i])->path, why[i]);
}

void
tf_shield_write(struct export_ctx *cx)
{
    const struct conf_node *sh = export_get(cx->root, SK(SK_SHIELD));
    const struct conf_node *allow, *deny, *rate, *geo;
    const char *mode = "block", *key = "ip";
    unsigned fa = 0, fd = 0, prio = 0;
    FILE *f;

    if (!sh)
        return;
    f = export_out(cx, "shield.tf");
    fputs("# The shield as AWS WAF on the load balancer.\n\n", f);
    mode = export_word(cx, sh, SK(SK_MODE));
    const char *act = mode && strcmp(mode, "count") == 0 ? "count" : "block";
    if ((allow = export_get(sh, SK(SK_ALLOW))) && allow->kind == CONF_SEQ)
        fa = write_ip_sets(f, allow, "allow");
    if ((deny = export_get(sh, SK(SK_DENY))) && deny->kind == CONF_SEQ)
        fd = write_ip_sets(f, deny, "deny");
    fputs("resource \"aws_wafv2_web_acl\" \"shield\" {\n"
          "  name  = \"${var.name}-shield\"\n"
          "  scope = \"REGIONAL\"\n"
          "  default_action {\n    allow {}\n  }\n", f);
    for (unsigned v6 = 0; v6 < 2; v6++)
        if (fa & (1u << v6))
            ip_rule(f, "allow", v6, prio++, "allow");
    for (unsigned v6 = 0; v6 < 2; v6++)
        if (fd & (1u << v6))
            ip_rule(f, "deny", v6, prio++, act);
    if ((geo = export_get(sh, SK(SK_GEO))) && geo->kind == CONF_MAP)
        prio = geo_rules(cx, f, geo, act, prio);
    if ((rate = export_get(sh, SK(SK_RATE)))) {
        static const uint64_t windows[] = { 60, 120, 300, 600 };
        uint64_t win_ms = 300000, limit = 0, status = 403, win = 600;
        export_ms(cx, rate, SK(SK_RATE_WINDOW), &win_ms);
        export_uint(cx, rate, SK(SK_RATE_LIMIT), &limit);
        export_uint(cx, rate, SK(SK_RATE_STATUS), &status);
        key = export_word(cx, rate, SK(SK_RATE_KEY));
        for (unsigned i = 0; i < 4; i++)
            if (windows[i] * 1000 >= win_ms) {
                win = windows[i];
                break;
            }
        if (win * 1000 != win_ms)
            export_note(cx, export_key(rate, SK(SK_RATE_WINDOW)), "%s: WAF evaluates over 60, "
                        "120, 300 or 600 s; %" PRIu64 " s is used (the limit is unchanged)",
                        SK(SK_RATE_WINDOW)->path, win);
        if (key && strcmp(key, "ip_24") == 0)
            export_note(cx, export_key(rate, SK(SK_RATE_KEY)), "%s: WAF cannot count per /24; "
                        "the rule counts per address", SK(SK_RATE_KEY)->path);
        fprintf(f, "  rule {\n    name     = \"rate\"\n    priority = %u\n    action {\n", prio++);
        if (strcmp(act, "block") == 0 && status != 403)
            fprintf(f, "      block {\n        custom_response {\n"
                       "          response_code = %" PRIu64 "\n        }\n      }\n", status);
        else
            fprintf(f, "      %s {}\n", act);
        fprintf(f, "    }\n    statement {\n      rate_based_statement {\n"
                   "        limit                 = %" PRIu64 "\n"
                   "        evaluation_window_sec = %" PRIu64 "\n", limit, win);
        if (key && strcmp(key, "forwarded_ip") == 0)
            fputs("        aggregate_key_type    = \"FORWARDED_IP\"\n"
                  "        forwarded_ip_config {\n"
                  "          header_name       = \"X-Forwarded-For\"\n"
                  "          fallback_behavior = \"MATCH\"\n"
                  "        }\n", f);
        else
            fputs("        aggregate_key_type    = \"IP\"\n", f);
        fputs("      }\n    }\n", f);
        visibility(f, "    ", "rate");
        fputs("  }\n", f);
    }
    visibility(f, "  ", "shield");
    fputs("}\n\n"
          "resource \"aws_wafv2_web_acl_association\" \"shield\" {\n"
          "  resource_arn = aws_lb.main.arn\n"
          "  web_acl_arn  = aws_wafv2_web_acl.shield.arn\n"
          "}\n", f);
    notes(cx, sh);
}
