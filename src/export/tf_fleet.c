/*
 * export/tf_fleet.c: launch templates and auto scaling groups as aws_launch_template,
 * aws_autoscaling_group (instance_refresh) and target tracking aws_autoscaling_policy.
 * A template's command becomes a systemd unit written by the instance's user data, so that
 * stop_signal, stop_timeout, user, working_dir and env keep their meaning; ${PORT} is the
 * app_port variable and ${INSTANCE_ID} the EC2 instance id. Writes fleet.tf.
 */
#include "export/internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define ID 64

/* EC2 types by size, smallest first: the first with at least the vCPUs and memory. */
static const struct { const char *name; double cpu; uint64_t mib; } types[] = {
    { "t3.nano", 2, 512 },    { "t3.micro", 2, 1024 },   { "t3.small", 2, 2048 },
    { "t3.medium", 2, 4096 }, { "t3.large", 2, 8192 },   { "t3.xlarge", 4, 16384 },
    { "t3.2xlarge", 8, 32768 }, { "m6i.4xlarge", 16, 65536 }, { "m6i.8xlarge", 32, 131072 },
    { "m6i.16xlarge", 64, 262144 }, { "m6i.32xlarge", 128, 524288 },
};

static const char *
pick_type(double cpu, uint64_t mib)
{
    for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (types[i].cpu >= cpu && types[i].mib >= mib)
            return types[i].name;
    return types[sizeof(types) / sizeof(types[0]) - 1].name;
}

/*
 * Writes one line of the user data as an HCL string. Placeholders: ${PORT} and
 * ${INSTANCE_ID} stay for systemd to expand (escaped from Terraform), ${env:NAME} becomes
 * the sensitive variable env_NAME, ${db:D.host} and .port the database's attributes.
 * Anything else is written as it stands (validation allowed nothing else).
 */
static void
write_line(struct export_ctx *cx, FILE *f, const char *lt, const struct conf_node *at,
           const char *s)
{
    char id[ID];

    fputc('"', f);
    while (*s) {
        const char *close = strncmp(s, "${", 2) == 0 ? strchr(s, '}') : NULL;
        if (close && strncmp(s, "${env:", 6) == 0) {
            char name[128];
            snprintf(name, sizeof(name), "%.*s", (int)(close - s - 6), s + 6);
            fprintf(f, "${var.env_%s}", export_tf_id(name, id, sizeof(id)));
            FILE *v = export_out(cx, "variables.tf");
            if (!export_declared(cx, id))
                fprintf(v, "\nvariable \"env_%s\" {\n"
                       "  description = \"$${env:%s} of launch template %s\"\n"
                       "  type        = string\n"
                       "  sensitive   = true\n"
                       "}\n", id, name, lt);
            s = close + 1;
            continue;
        }
        if (close && strncmp(s, "${db:", 5) == 0) {
            const char *dot = memchr(s + 5, '.', (size_t)(close - s - 5));
            char db[ID], dbn[ID];
            snprintf(dbn, sizeof(dbn), "%.*s", dot ? (int)(dot - s - 5) : 0, s + 5);
            export_tf_id(dbn, db, sizeof(db));
            if (dot && strncmp(dot, ".host}", 6) == 0)
                fprintf(f, "${aws_db_instance.%s.address}", db);
            else if (dot && strncmp(dot, ".port}", 6) == 0)
                fprintf(f, "${aws_db_instance.%s.port}", db);
            else {
                export_note(cx, at, "launch_templates.%s: %.*s: RDS keeps the password in "
                            "Secrets Manager (aws_db_instance.%s.master_user_secret); read it "
                            "from there at start", lt, (int)(close - s + 1), s, db);
                fputs("REPLACE-from-secrets-manager", f);
            }
            s = close + 1;
            continue;
        }
        if ((*s == '$' || *s == '%') && s[1] == '{')
            fputc(*s, f);
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
        s++;
    }
    fputs("\",\n", f);
}

/* An argument for systemd's ExecStart: quoted, with '"' and '\' escaped. */
static void
unit_arg(char *buf, size_t cap, const char *s)
{
    size_t o = 0;

    buf[o++] = '"';
    for (; *s && o + 3 < cap; s++) {
        if (*s == '"' || *s == '\\')
            buf[o++] = '\\';
        buf[o++] = *s;
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

static void
write_template(struct export_ctx *cx, FILE *f, const char *name, const struct conf_node *lt)
{
    const struct conf_node *cmd = export_get(lt, FK(FK_LT_COMMAND));
    const struct conf_node *env = export_get(lt, FK(FK_LT_ENV));
    const struct conf_node *it = export_get(lt, FK(FK_LT_ITYPE));
    const struct conf_node *k;
    const char *sig = "SIGTERM", *user = NULL, *wd = NULL, *cpu_s;
    uint64_t stop_ms = 10000, mem = 512ull << 20;
    double cpu = 1;
    char id[ID], line[8192];
    FILE *v = export_out(cx, "variables.tf");

    export_tf_id(name, id, sizeof(id));
    export_str(cx, lt, FK(FK_LT_STOP_SIGNAL), &sig);
    export_ms(cx, lt, FK(FK_LT_STOP_TIMEOUT), &stop_ms);
    export_str(cx, lt, FK(FK_LT_USER), &user);
    export_str(cx, lt, FK(FK_LT_WORKING_DIR), &wd);
    if ((cpu_s = it ? export_num(it, FK(FK_LT_ITYPE_CPU)) : NULL))
        cpu = strtod(cpu_s, NULL);
    if (it)
        export_bytes(cx, it, FK(FK_LT_ITYPE_MEMORY), &mem);
    fprintf(v, "\nvariable \"instance_type_%s\" {\n"
               "  description = \"EC2 type of launch template %s (the default is the smallest with "
               "its instance_type: %g vCPU, %" PRIu64 " MiB)\"\n"
               "  type        = string\n"
               "  default     = \"%s\"\n"
               "}\n\n"
               "variable \"ami_id_%s\" {\n"
               "  description = \"AMI of launch template %s: an image with the application "
               "installed and systemd\"\n"
               "  type        = string\n"
               "}\n", id, name, cpu, mem >> 20, pick_type(cpu, mem >> 20), id, name);
    fprintf(f, "resource \"aws_launch_template\" \"%s\" {\n"
               "  name_prefix            = \"${var.name}-%s-\"\n"
               "  image_id               = var.ami_id_%s\n"
               "  instance_type          = var.instance_type_%s\n"
               "  vpc_security_group_ids = [aws_security_group.app.id]\n"
               "  update_default_version = true\n"
               "  metadata_options {\n"
               "    http_tokens   = \"required\"\n"
               "    http_endpoint = \"enabled\"\n"
               "  }\n"
               "  user_data = base64encode(join(\"\\n\", [\n", id, name, id, id);
    /* The unit; the instance id comes from IMDSv2 at boot. */
    fputs("    \"#!/bin/sh\",\n"
          "    \"set -eu\",\n"
          "    \"t=$(curl -sX PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')\",\n"
          "    \"id=$(curl -s -H \\\"X-aws-ec2-metadata-token: $t\\\" http://169.254.169.254/latest/meta-data/instance-id)\",\n"
          "    \"mkdir -p /etc/tierd\",\n"
          "    \"echo INSTANCE_ID=$id > /etc/tierd/instance.env\",\n", f);
    fprintf(f, "    \"cat > /etc/systemd/system/tierd-%s.service <<'UNIT'\",\n"
               "    \"[Unit]\",\n    \"Description=launch template %s\",\n"
               "    \"After=network-online.target\",\n    \"[Service]\",\n", name, name);
    fputs("    \"Environment=PORT=${var.app_port}\",\n"
          "    \"EnvironmentFile=/etc/tierd/instance.env\",\n", f);
    for (unsigned i = 0; env && env->kind == CONF_MAP && i < env->n; i++) {
        const char *val = env->pairs[i].value->str ? env->pairs[i].value->str : "";
        char arg[4200], kv[4400];
        snprintf(kv, sizeof(kv), "%s=%s", env->pairs[i].key->str, val);
        unit_arg(arg, sizeof(arg), kv);
        snprintf(line, sizeof(line), "Environment=%s", arg);
        fputs("    ", f);
        write_line(cx, f, name, env->pairs[i].value, line);
    }
    if (user) {
        snprintf(line, sizeof(line), "User=%s", user);
        fputs("    ", f);
        write_line(cx, f, name, NULL, line);
    }
    if (wd) {
        snprintf(line, sizeof(line), "WorkingDirectory=%s", wd);
        fputs("    ", f);
        write_line(cx, f, name, NULL, line);
    }
    size_t o = (size_t)snprintf(line, sizeof(line), "ExecStart=");
    for (unsigned i = 0; cmd && cmd->kind == CONF_SEQ && i < cmd->n && o < sizeof(line); i++) {
        char arg[2100], any[1100];
        const char *a = cmd->items[i]->str ? cmd->items[i]->str : "";
        if (export_bind_any(a, any, sizeof(any)) != a) {
            export_note(cx, cmd->items[i], "launch_templates.%s.command: binds to loopback; "
                        "written as 0.0.0.0:${PORT}, since the load balancer is another host",
                        name);
            a = any;
        }
        unit_arg(arg, sizeof(arg), a);
        o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s", i ? " " : "", arg);
    }
    fputs("    ", f);
    write_line(cx, f, name, cmd, line);
    fprintf(f, "    \"KillSignal=%s\",\n    \"TimeoutStopSec=%" PRIu64 "\",\n"
               "    \"Restart=on-failure\",\n    \"[Install]\",\n"
               "    \"WantedBy=multi-user.target\",\n    \"UNIT\",\n"
               "    \"systemctl daemon-reload\",\n"
               "    \"systemctl enable --now tierd-%s.service\",\n  ]))\n}\n\n",
            sig, (stop_ms + 999) / 1000, name);
    if (env && env->n)
        export_note(cx, export_key(lt, FK(FK_LT_ENV)), "launch_templates.%s.env: written into "
                    "the user data, which anyone allowed ec2:DescribeInstanceAttribute can read; "
                    "keep secrets in SSM Parameter Store for production", name);
    if ((k = export_key(lt, FK(FK_LT_ENV_FILE))))
        export_note(cx, k, "launch_templates.%s.env_file: a file on this host; bake it into "
                    "the AMI or fetch it in the user data", name);
    if ((k = export_key(lt, FK(FK_LT_INHERIT_ENV))))
        export_note(cx, k, "launch_templates.%s.inherit_env: there is no tierd process to "
                    "inherit from on EC2", name);
    if ((k = export_key(it, FK(FK_LT_ITYPE_REQUIRED))))
        export_note(cx, k, "launch_templates.%s.instance_type.required: an EC2 type always "
                    "has its size", name);
}

static const char *
predefined_metric(const char *metric)
{
    if (metric && strcmp(metric, "request_count_per_target") == 0)
        return "ALBRequestCountPerTarget";
    return "ASGAverageCPUUtilization";
}

static void
write_group(struct export_ctx *cx, FILE *f, const char *name, const struct conf_node *g)
{
    const struct conf_node *ltn = export_get(g, FK(FK_ASG_LAUNCH_TEMPLATE));
    const struct conf_node *pols = export_get(g, FK(FK_ASG_POLICIES));
    const struct conf_node *rf = export_get(g, FK(FK_ASG_REFRESH));
    const char *lt = NULL, *tg = NULL, *ver = "$Latest", *htype = "ec2";
    uint64_t min = 0, max = 0, desired, grace = 0, warm = 0, v;
    char id[ID], ltid[ID], tgid[ID];

    export_tf_id(name, id, sizeof(id));
    if (ltn && ltn->kind == CONF_SCALAR)
        lt = ltn->str;
    else if (ltn) {
        export_str(cx, ltn, FK(FK_ASG_LT_NAME), &lt);
        export_str(cx, ltn, FK(FK_ASG_LT_VERSION), &ver);
    }
    export_str(cx, g, FK(FK_ASG_TARGET_GROUP), &tg);
    export_uint(cx, g, FK(FK_ASG_MIN_SIZE), &min);
    export_uint(cx, g, FK(FK_ASG_MAX_SIZE), &max);
    if (!export_uint(cx, g, FK(FK_ASG_DESIRED), &desired))
        desired = min;
    htype = export_word(cx, g, FK(FK_ASG_HEALTH_TYPE));
    export_ms(cx, g, FK(FK_ASG_GRACE), &grace);
    bool has_warm = export_ms(cx, g, FK(FK_ASG_WARMUP), &warm);
    export_tf_id(lt ? lt : "app", ltid, sizeof(ltid));
    export_tf_id(tg ? tg : "web", tgid, sizeof(tgid));
    fprintf(f, "resource \"aws_autoscaling_group\" \"%s\" {\n"
               "  name_prefix               = \"${var.name}-%s-\"\n"
               "  min_size                  = %" PRIu64 "\n"
               "  max_size                  = %" PRIu64 "\n"
               "  desired_capacity          = %" PRIu64 "\n"
               "  vpc_zone_identifier       = var.private_subnet_ids\n"
               "  target_group_arns         = [aws_lb_target_group.%s.arn]\n"
               "  health_check_type         = \"%s\"\n"
               "  health_check_grace_period = %" PRIu64 "\n",
            id, name, min, max, desired, tgid, htype && strcmp(htype, "elb") == 0 ? "ELB" : "EC2",
            grace / 1000);
    if (has_warm)
        fprintf(f, "  default_instance_warmup   = %" PRIu64 "\n", warm / 1000);
    fprintf(f, "  launch_template {\n    id      = aws_launch_template.%s.id\n    version = ", ltid);
    export_hcl_str(f, ver);
    fputs("\n  }\n", f);
    if (rf) {
        fputs("  instance_refresh {\n    strategy = \"Rolling\"\n    preferences {\n", f);
        if (export_uint(cx, rf, FK(FK_ASG_REFRESH_MIN_HEALTHY), &v))
            fprintf(f, "      min_healthy_percentage = %" PRIu64 "\n", v);
        if (export_ms(cx, rf, FK(FK_ASG_REFRESH_WARMUP), &v))
            fprintf(f, "      instance_warmup        = %" PRIu64 "\n", v / 1000);
        fprintf(f, "      auto_rollback          = %s\n    }\n  }\n",
                export_bool(cx, rf, FK(FK_ASG_REFRESH_ROLLBACK), false) ? "true" : "false");
    }
    fputs("  tag {\n    key                 = \"Name\"\n", f);
    fprintf(f, "    value               = \"${var.name}-%s\"\n    propagate_at_launch = true\n"
               "  }\n}\n\n", name);
    for (unsigned i = 0; pols && pols->kind == CONF_SEQ && i < pols->n; i++) {
        const struct conf_node *p = pols->items[i];
        const struct conf_node *tt = export_get(p, FK(FK_ASG_POLICY_TT));
        const char *pname = "policy", *metric = NULL, *target;
        char pid[ID];
        export_str(cx, p, FK(FK_ASG_POLICY_NAME), &pname);
        if (!tt)
            continue;
        metric = export_word(cx, tt, FK(FK_ASG_TT_METRIC));
        target = export_num(tt, FK(FK_ASG_TT_TARGET));
        fprintf(f, "resource \"aws_autoscaling_policy\" \"%s_%s\" {\n"
                   "  name                   = \"%s\"\n"
                   "  autoscaling_group_name = aws_autoscaling_group.%s.name\n"
                   "  policy_type            = \"TargetTrackingScaling\"\n"
                   "  target_tracking_configuration {\n"
                   "    predefined_metric_specification {\n"
                   "      predefined_metric_type = \"%s\"\n",
                id, export_tf_id(pname, pid, sizeof(pid)), pname, id,
                predefined_metric(metric));
        if (strcmp(predefined_metric(metric), "ALBRequestCountPerTarget") == 0)
            fprintf(f, "      resource_label         = \"${aws_lb.main.arn_suffix}/"
                       "${aws_lb_target_group.%s.arn_suffix}\"\n", tgid);
        fprintf(f, "    }\n    target_value     = %s\n    disable_scale_in = %s\n  }\n}\n\n",
                target ? target : "50",
                export_bool(cx, tt, FK(FK_ASG_TT_NO_SCALE_IN), false) ? "true" : "false");
    }
}

void
tf_fleet_write(struct export_ctx *cx)
{
    const struct conf_node *lts = export_section(cx, FK(FK_TEMPLATES));
    const struct conf_node *gs = export_section(cx, FK(FK_GROUPS));
    FILE *f;

    if (!lts && !gs)
        return;
    f = export_out(cx, "fleet.tf");
    fputs("# The fleet: launch templates and auto scaling groups.\n\n", f);
    for (unsigned i = 0; lts && i < lts->n; i++)
        write_template(cx, f, lts->pairs[i].key->str, lts->pairs[i].value);
    for (unsigned i = 0; gs && i < gs->n; i++)
        write_group(cx, f, gs->pairs[i].key->str, gs->pairs[i].value);
}
