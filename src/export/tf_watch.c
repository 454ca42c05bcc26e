/*
 * export/tf_watch.c: alarms and topics as aws_cloudwatch_metric_alarm, aws_sns_topic and
 * aws_sns_topic_subscription. A metric's CloudWatch name comes from watch's metric map; its
 * namespace and dimensions follow from the dimensions the alarm gives (an auto scaling
 * group: AWS/EC2, a target group or listener: AWS/ApplicationELB, the shield: AWS/WAFV2;
 * host metrics need the CloudWatch agent: CWAgent). Writes watch.tf.
 */
#include "export/internal.h"

#include <inttypes.h>
#include <string.h>

#include "watch/metricmap.h"

#define ID 64

static const char *
namespace_of(const char *metric, const struct conf_node *dims)
{
    if (strncmp(metric, "shield_", 7) == 0)
        return "AWS/WAFV2";
    if (strcmp(metric, "group_in_service_instances") == 0)
        return "AWS/AutoScaling";
    for (unsigned i = 0; dims && dims->kind == CONF_MAP && i < dims->n; i++) {
        const char *d = dims->pairs[i].key->str;
        if (strcmp(d, "auto_scaling_group") == 0)
            return "AWS/EC2";
        if (strcmp(d, "target_group") == 0 || strcmp(d, "listener") == 0)
            return "AWS/ApplicationELB";
    }
    return "CWAgent";
}

static void
write_dimensions(struct export_ctx *cx, FILE *f, const char *alarm, const struct conf_node *dims,
                 const char *ns)
{
    char id[ID];
    bool any = false;

    for (unsigned i = 0; dims && dims->kind == CONF_MAP && i < dims->n; i++) {
        const char *d = dims->pairs[i].key->str, *v = dims->pairs[i].value->str;
        const char *line = NULL;
        char buf[256];
        if (!v)
            continue;
        export_tf_id(v, id, sizeof(id));
        if (strcmp(d, "auto_scaling_group") == 0)
            snprintf(buf, sizeof(buf), "AutoScalingGroupName = aws_autoscaling_group.%s.name", id),
                line = buf;
        else if (strcmp(d, "target_group") == 0)
            snprintf(buf, sizeof(buf), "TargetGroup  = aws_lb_target_group.%s.arn_suffix\n"
                                       "    LoadBalancer = aws_lb.main.arn_suffix", id),
                line = buf;
        else if (strcmp(d, "listener") == 0)
            line = "LoadBalancer = aws_lb.main.arn_suffix";
        else if (strcmp(ns, "AWS/WAFV2") == 0)
            continue;
        if (!line) {
            export_note(cx, dims->pairs[i].key, "alarms.%s.dimensions.%s: no CloudWatch "
                        "dimension for it", alarm, d);
            continue;
        }
        if (!any)
            fputs("  dimensions = {\n", f);
        any = true;
        fprintf(f, "    %s\n", line);
    }
    if (strcmp(ns, "AWS/WAFV2") == 0) {
        fputs(any ? "" : "  dimensions = {\n", f);
        fputs("    WebACL = aws_wafv2_web_acl.shield.name\n    Rule   = \"ALL\"\n", f);
        any = true;
    }
    if (any)
        fputs("  }\n", f);
}

static void
write_actions(FILE *f, const char *arg, const struct conf_node *list)
{
    char id[ID];

    if (!list || list->kind != CONF_SEQ)
        return;
    fprintf(f, "  %-25s = [", arg);
    for (unsigned i = 0; i < list->n; i++)
        if (list->items[i]->str)
            fprintf(f, "%saws_sns_topic.%s.arn", i ? ", " : "",
                    export_tf_id(list->items[i]->str, id, sizeof(id)));
    fputs("]\n", f);
}

static const char *
comparison_aws(const char *w)
{
    if (!w)
        return "GreaterThanThreshold";
    if (strcmp(w, "greater_than_or_equal_to_threshold") == 0)
        return "GreaterThanOrEqualToThreshold";
    if (strcmp(w, "less_than_threshold") == 0)
        return "LessThanThreshold";
    if (strcmp(w, "less_than_or_equal_to_threshold") == 0)
        return "LessThanOrEqualToThreshold";
    return "GreaterThanThreshold";
}

static void
write_alarm(struct export_ctx *cx, FILE *f, const char *name, const struct conf_node *a)
{
    const struct conf_node *dims = export_get(a, WK(WK_AL_DIMENSIONS));
    const char *metric = NULL, *stat, *missing, *desc = NULL, *thr;
    const struct metricmap *mm;
    uint64_t period = 60000, evals = 1, dp;
    char id[ID];

    export_str(cx, a, WK(WK_AL_METRIC), &metric);
    mm = metric ? metricmap_find(metric) : NULL;
    if (!mm)
        return;
    const char *ns = namespace_of(metric, dims);
    export_ms(cx, a, WK(WK_AL_PERIOD), &period);
    export_uint(cx, a, WK(WK_AL_EVAL_PERIODS), &evals);
    if (!export_uint(cx, a, WK(WK_AL_DATAPOINTS), &dp))
        dp = evals;
    stat = export_word(cx, a, WK(WK_AL_STATISTIC));
    missing = export_word(cx, a, WK(WK_AL_MISSING));
    thr = export_num(a, WK(WK_AL_THRESHOLD));
    export_str(cx, a, WK(WK_AL_DESCRIPTION), &desc);
    /* High resolution (10, 20, 30 s) exists for custom metrics only. */
    if (period < 60000 && strcmp(ns, "CWAgent") != 0) {
        export_note(cx, export_key(a, WK(WK_AL_PERIOD)) ? export_key(a, WK(WK_AL_PERIOD)) : NULL,
                    "alarms.%s.period: %s metrics have periods of 60 s and more; 60 s is used",
                    name, ns);
        period = 60000;
    }
    fprintf(f, "resource \"aws_cloudwatch_metric_alarm\" \"%s\" {\n"
               "  alarm_name                = \"${var.name}-%s\"\n"
               "  namespace                 = \"%s\"\n"
               "  metric_name               = \"%s\"\n"
               "  period                    = %" PRIu64 "\n"
               "  evaluation_periods        = %" PRIu64 "\n"
               "  datapoints_to_alarm       = %" PRIu64 "\n"
               "  comparison_operator       = \"%s\"\n"
               "  threshold                 = %s\n",
            export_tf_id(name, id, sizeof(id)), name, ns, mm->cw_name, period / 1000, evals, dp,
            comparison_aws(export_word(cx, a, WK(WK_AL_COMPARISON))), thr ? thr : "0");
    if (stat && stat[0] == 'p')
        fprintf(f, "  extended_statistic        = \"%s\"\n", stat);
    else
        fprintf(f, "  statistic                 = \"%s\"\n",
                !stat || strcmp(stat, "average") == 0 ? "Average"
                : strcmp(stat, "sum") == 0            ? "Sum"
                : strcmp(stat, "minimum") == 0        ? "Minimum"
                : strcmp(stat, "maximum") == 0        ? "Maximum"
                                                      : "SampleCount");
    fprintf(f, "  treat_missing_data        = \"%s\"\n",
            !missing || strcmp(missing, "missing") == 0 ? "missing"
            : strcmp(missing, "not_breaching") == 0     ? "notBreaching"
                                                        : missing);
    if (desc) {
        fputs("  alarm_description         = ", f);
        export_hcl_str(f, desc);
        fputc('\n', f);
    }
    write_actions(f, "alarm_actions", export_get(a, WK(WK_AL_ALARM_ACTIONS)));
    write_actions(f, "ok_actions", export_get(a, WK(WK_AL_OK_ACTIONS)));
    write_actions(f, "insufficient_data_actions", export_get(a, WK(WK_AL_INSUFFICIENT_ACTIONS)));
    write_dimensions(cx, f, name, dims, ns);
    fputs("}\n\n", f);
    if (strcmp(ns, "CWAgent") == 0)
        export_note(cx, export_key(a, WK(WK_AL_METRIC)), "alarms.%s.metric: %s is a host metric; "
                    "install the CloudWatch agent on the instances to publish it (namespace "
                    "CWAgent)", name, metric);
}

static void
write_topic(struct export_ctx *cx, FILE *f, const char *name, const struct conf_node *t)
{
    const struct conf_node *subs = export_get(t, WK(WK_TP_SUBSCRIPTIONS));
    char id[ID];

    export_tf_id(name, id, sizeof(id));
    fprintf(f, "resource \"aws_sns_topic\" \"%s\" {\n  name = \"${var.name}-%s\"\n}\n\n", id, name);
    for (unsigned i = 0; subs && subs->kind == CONF_SEQ && i < subs->n; i++) {
        const struct conf_node *s = subs->items[i], *k;
        const char *url = NULL, *mail = NULL;
        if (export_str(cx, s, WK(WK_SUB_EMAIL), &mail)) {
            fprintf(f, "resource \"aws_sns_topic_subscription\" \"%s_%u\" {\n"
                       "  topic_arn = aws_sns_topic.%s.arn\n"
                       "  protocol  = \"email\"\n  endpoint  = ", id, i, id);
            export_hcl_str(f, mail);
            fputs("\n}\n\n", f);
        } else if (export_str(cx, s, WK(WK_SUB_WEBHOOK), &url)) {
            bool secret = strstr(url, "${env:") != NULL;
            fprintf(f, "resource \"aws_sns_topic_subscription\" \"%s_%u\" {\n"
                       "  topic_arn = aws_sns_topic.%s.arn\n"
                       "  protocol  = \"%s\"\n  endpoint  = ", id, i, id,
                    strncmp(url, "https:", 6) == 0 ? "https" : "http");
            if (secret) {
                /* The URL carries a token: a sensitive variable, never the file's text. */
                fprintf(f, "var.webhook_%s_%u\n", id, i);
                fprintf(export_out(cx, "variables.tf"),
                        "\nvariable \"webhook_%s_%u\" {\n"
                        "  description = \"Webhook %u of topic %s (its URL carries a token)\"\n"
                        "  type        = string\n  sensitive   = true\n}\n", id, i, i + 1, name);
            } else {
                export_hcl_str(f, url);
                fputc('\n', f);
            }
            fputs("  endpoint_auto_confirms = false\n}\n\n", f);
            if ((k = export_key(s, WK(WK_SUB_SECRET))))
                export_note(cx, k, "topics.%s.subscriptions[%u].secret: SNS signs its messages "
                            "with its own certificate, not an HMAC secret; verify that signature",
                            name, i);
        } else if ((k = export_key(s, WK(WK_SUB_COMMAND)))) {
            export_note(cx, k, "topics.%s.subscriptions[%u].command: SNS runs no commands; "
                        "subscribe a Lambda function (protocol lambda) or an SQS queue", name, i);
        }
    }
}

void
tf_watch_write(struct export_ctx *cx)
{
    const struct conf_node *al = export_section(cx, WK(WK_ALARMS));
    const struct conf_node *tp = export_section(cx, WK(WK_TOPICS));
    const struct conf_node *k;
    FILE *f;

    if ((k = export_key(cx->root, WK(WK_SMTP))))
        export_note(cx, k, "%s: SNS sends the e-mail itself", WK(WK_SMTP)->path);
    if (!al && !tp)
        return;
    f = export_out(cx, "watch.tf");
    fputs("# Alarms and topics: CloudWatch and SNS.\n\n", f);
    for (unsigned i = 0; tp && i < tp->n; i++)
        write_topic(cx, f, tp->pairs[i].key->str, tp->pairs[i].value);
    for (unsigned i = 0; al && i < al->n; i++)
        write_alarm(cx, f, al->pairs[i].key->str, al->pairs[i].value);
}
