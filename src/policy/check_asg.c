/*
 * policy/check_asg.c: rules on launch templates and auto scaling groups: health-check
 * type (TD-ASG-002), size (003), literal secrets and wildcard binds in a template
 * (006, 007), instance refresh (011, 013), grace period (012), user and limits (014, 015).
 * Binds and secrets are heuristics over command arguments and environment values: the
 * app's own configuration is out of sight. Sizes out of order (the retired TD-ASG-010)
 * are validation's: such a file never reaches the rules.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "policy/internal.h"

#define RES_MAX 192

static const struct conf_node *
groups(const struct conf_node *root)
{
    return conf_map_get(root, "auto_scaling_groups");
}

static const struct conf_node *
templates(const struct conf_node *root)
{
    return conf_map_get(root, "launch_templates");
}

/* The key itself when present, else the group's own key. */
static const struct conf_node *
key_or(const struct conf_node *map, const char *key, const struct conf_node *fallback)
{
    const struct conf_node *k = inspect_key(map, key);

    return k ? k : fallback;
}

void
check_asg_ec2_health(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *gs = groups(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(gs); i++) {
        const struct conf_node *g = inspect_entry(gs, i, "auto_scaling_groups", &key, res,
                                                  sizeof(res));
        const struct conf_node *hct = conf_map_get(g, "health_check_type");
        if (!inspect_str(conf_map_get(g, "target_group")))
            continue;
        if (!inspect_str(hct) || inspect_str_eq(hct, "ec2"))
            policy_fail(cx, key_or(g, "health_check_type", key), POLICY_MEDIUM, res,
                        "%s has a target_group but uses %s health checks", res,
                        inspect_str(hct) ? "ec2" : "the default (ec2)");
        else
            policy_pass(cx, key_or(g, "health_check_type", key), res);
    }
}

void
check_asg_min_size(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *gs = groups(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(gs); i++) {
        const struct conf_node *g = inspect_entry(gs, i, "auto_scaling_groups", &key, res,
                                                  sizeof(res));
        uint64_t min;
        if (inspect_uint(conf_map_get(g, "min_size"), &min) < 0)
            policy_fail(cx, key, POLICY_MEDIUM, res, "%s sets no min_size", res);
        else if (min < 2)
            policy_fail(cx, inspect_key(g, "min_size"), POLICY_MEDIUM, res,
                        "%s has min_size %llu: one failure leaves nothing serving", res,
                        (unsigned long long)min);
        else
            policy_pass(cx, inspect_key(g, "min_size"), res);
    }
}

/* "--db-password=x", "DB_PASSWORD=x": a secret-looking name with a literal value. */
static bool
arg_assigns_secret(const char *a)
{
    const char *eq = strchr(a, '=');
    char name[128];

    if (!eq || !eq[1] || inspect_is_env_ref(eq + 1) || eq[1] == '$')
        return false;
    snprintf(name, sizeof(name), "%.*s", (int)(eq - a), a);
    return inspect_name_is_secret(name);
}

/* "--password", "-p"... followed by a literal value in the next argument. */
static bool
flag_is_secret(const char *a)
{
    return a[0] == '-' && !strchr(a, '=') && inspect_name_is_secret(a);
}

void
check_asg_literal_secret(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *ts = templates(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(ts); i++) {
        const struct conf_node *t = inspect_entry(ts, i, "launch_templates", &key, res,
                                                  sizeof(res));
        const struct conf_node *env = conf_map_get(t, "env"), *cmd = conf_map_get(t, "command");
        bool failed = false;
        for (unsigned j = 0; j < inspect_nmap(env); j++) {
            const char *name = env->pairs[j].key->str, *v = inspect_str(env->pairs[j].value);
            if (!v || !*v || inspect_is_env_ref(v))
                continue;
            if (inspect_has_key_material(v) || inspect_name_is_secret(name)) {
                policy_fail(cx, env->pairs[j].key, POLICY_CRITICAL, res,
                            "%s: env.%s holds a literal %s", res, name,
                            inspect_has_key_material(v) ? "access key or private key"
                                                        : "secret");
                failed = true;
            }
        }
        for (unsigned j = 0; j < inspect_nseq(cmd); j++) {
            const char *a = inspect_str(cmd->items[j]);
            const char *next = j + 1 < cmd->n ? inspect_str(cmd->items[j + 1]) : NULL;
            if (!a || inspect_is_env_ref(a))
                continue;
            if (inspect_has_key_material(a) || arg_assigns_secret(a) ||
                (flag_is_secret(a) && next && *next && next[0] != '-' &&
                 !inspect_is_env_ref(next) && next[0] != '$')) {
                policy_fail(cx, cmd->items[j], POLICY_CRITICAL, res,
                            "%s: command argument %u carries a literal secret", res, j + 1);
                failed = true;
            }
        }
        const char *line = inspect_str(cmd);  /* a command written as one string */
        if (line && inspect_has_key_material(line)) {
            policy_fail(cx, inspect_key(t, "command"), POLICY_CRITICAL, res,
                        "%s: command carries a literal access key", res);
            failed = true;
        }
        if (!failed)
            policy_pass(cx, key, res);
    }
}

static bool
ip_is_public(const char *s)
{
    unsigned char a[16];
    char host[128];

    if (inspect_addr_host(s, host, sizeof(host)) == 0)
        s = host;
    if (inet_pton(AF_INET, s, a) != 1 && inet_pton(AF_INET6, s, a) != 1)
        return false;                   /* a name or a placeholder: cannot tell */
    return !inspect_host_is_loopback(s);
}

static bool
bind_is_wild(const char *s)
{
    return s && (strstr(s, "0.0.0.0") || strstr(s, "[::]") || strcmp(s, "::") == 0 ||
                 strcmp(s, "*") == 0 || ip_is_public(s));
}

static bool
is_bind_flag(const char *a, const char **value)
{
    static const char *const flags[] = { "--host", "--bind", "-b", "-H", "--listen",
                                         "--address", "--addr", "-l", NULL };

    *value = NULL;
    for (const char *const *f = flags; *f; f++) {
        size_t n = strlen(*f);
        if (strncmp(a, *f, n) == 0 && (a[n] == '\0' || a[n] == '=')) {
            if (a[n] == '=')
                *value = a + n + 1;
            return true;
        }
    }
    return false;
}

void
check_asg_wildcard_bind(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *ts = templates(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(ts); i++) {
        const struct conf_node *t = inspect_entry(ts, i, "launch_templates", &key, res,
                                                  sizeof(res));
        const struct conf_node *env = conf_map_get(t, "env"), *cmd = conf_map_get(t, "command");
        bool failed = false;
        for (unsigned j = 0; j < inspect_nseq(cmd); j++) {
            const char *a = inspect_str(cmd->items[j]), *v;
            if (!a)
                continue;
            bool flag = is_bind_flag(a, &v);
            if (flag && !v && j + 1 < cmd->n)
                v = inspect_str(cmd->items[j + 1]);
            if (strstr(a, "0.0.0.0") || strstr(a, "[::]") || (flag && bind_is_wild(v))) {
                policy_fail(cx, cmd->items[j], POLICY_MEDIUM, res,
                            "%s: command argument %u binds a wildcard or non-loopback address",
                            res, j + 1);
                failed = true;
            }
        }
        for (unsigned j = 0; j < inspect_nmap(env); j++) {
            const char *name = env->pairs[j].key->str, *v = inspect_str(env->pairs[j].value);
            bool named = strcasestr(name, "HOST") || strcasestr(name, "BIND") ||
                         strcasestr(name, "LISTEN") || strcasestr(name, "ADDR");
            if (v && (strstr(v, "0.0.0.0") || strstr(v, "[::]") || (named && bind_is_wild(v)))) {
                policy_fail(cx, env->pairs[j].key, POLICY_MEDIUM, res,
                            "%s: env.%s=%s binds a wildcard or non-loopback address", res, name,
                            v);
                failed = true;
            }
        }
        if (!failed)
            policy_pass(cx, key, res);
    }
}

void
check_asg_refresh_zero(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *gs = groups(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(gs); i++) {
        const struct conf_node *g = inspect_entry(gs, i, "auto_scaling_groups", &key, res,
                                                  sizeof(res));
        const struct conf_node *ir = inspect_get(g, "instance_refresh");
        uint64_t pct = 90, min = 1;     /* AWS's default percentage */
        if (!ir)
            continue;
        (void)inspect_uint(conf_map_get(ir, "min_healthy_percentage"), &pct);
        (void)inspect_uint(conf_map_get(g, "min_size"), &min);
        /* Instances that must stay healthy: the percentage of min_size, rounded down. */
        uint64_t keep = pct * min / 100;
        const struct conf_node *at = key_or(ir, "min_healthy_percentage",
                                            inspect_key(g, "instance_refresh"));
        if (pct == 0 || keep == 0)
            policy_fail(cx, at, POLICY_HIGH, res,
                        "%s: min_healthy_percentage %llu%% of min_size %llu keeps no instance "
                        "in service during a refresh", res, (unsigned long long)pct,
                        (unsigned long long)min);
        else
            policy_pass(cx, at, res);
    }
}

static uint64_t
tg_interval_ms(const struct conf_node *root, const char *tg)
{
    const struct conf_node *hc = inspect_get(conf_map_get(conf_map_get(root, "target_groups"),
                                                          tg), "health_check");
    uint64_t ms = 30000;                /* ALB's default interval */

    (void)inspect_duration_ms(conf_map_get(hc, "interval"), &ms);
    return ms;
}

void
check_asg_grace_period(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *gs = groups(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(gs); i++) {
        const struct conf_node *g = inspect_entry(gs, i, "auto_scaling_groups", &key, res,
                                                  sizeof(res));
        const char *tg = inspect_str(conf_map_get(g, "target_group"));
        uint64_t grace;
        if (!inspect_str_eq(conf_map_get(g, "health_check_type"), "elb"))
            continue;
        /* Absent: the group's default grace period (300s, as AWS's console) applies. */
        if (inspect_duration_ms(conf_map_get(g, "health_check_grace_period"), &grace) < 0) {
            policy_pass(cx, key, res);
            continue;
        }
        uint64_t interval = tg ? tg_interval_ms(root, tg) : 30000;
        if (grace == 0 || grace < interval)
            policy_fail(cx, inspect_key(g, "health_check_grace_period"), POLICY_LOW, res,
                        "%s: health_check_grace_period is shorter than one health-check "
                        "interval (%llus)", res, (unsigned long long)(interval / 1000));
        else
            policy_pass(cx, inspect_key(g, "health_check_grace_period"), res);
    }
}

void
check_asg_no_rollback(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *gs = groups(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(gs); i++) {
        const struct conf_node *g = inspect_entry(gs, i, "auto_scaling_groups", &key, res,
                                                  sizeof(res));
        const struct conf_node *ir = inspect_get(g, "instance_refresh");
        if (!ir)
            policy_fail(cx, key, POLICY_LOW, res, "%s has no instance_refresh with "
                                                  "auto_rollback", res);
        else if (!inspect_is_true(conf_map_get(ir, "auto_rollback")))
            policy_fail(cx, key_or(ir, "auto_rollback", inspect_key(g, "instance_refresh")),
                        POLICY_LOW, res, "%s: instance_refresh.auto_rollback is not true", res);
        else
            policy_pass(cx, inspect_key(ir, "auto_rollback"), res);
    }
}

void
check_asg_root_user(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *ts = templates(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(ts); i++) {
        const struct conf_node *t = inspect_entry(ts, i, "launch_templates", &key, res,
                                                  sizeof(res));
        const struct conf_node *user = conf_map_get(t, "user");
        if (!inspect_str(user))
            policy_fail(cx, key, POLICY_MEDIUM, res,
                        "%s sets no user: instances run as tierd's user, root when tierd is",
                        res);
        else if (inspect_str_eq(user, "root") || inspect_str_eq(user, "0"))
            policy_fail(cx, inspect_key(t, "user"), POLICY_MEDIUM, res,
                        "%s runs its instances as root", res);
        else
            policy_pass(cx, inspect_key(t, "user"), res);
    }
}

void
check_asg_no_limits(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *ts = templates(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(ts); i++) {
        const struct conf_node *t = inspect_entry(ts, i, "launch_templates", &key, res,
                                                  sizeof(res));
        const struct conf_node *it = inspect_get(t, "instance_type");
        if (!it)
            policy_fail(cx, key, POLICY_LOW, res, "%s sets no instance_type limits", res);
        else if (!inspect_str(conf_map_get(it, "memory")))
            policy_fail(cx, inspect_key(t, "instance_type"), POLICY_LOW, res,
                        "%s: instance_type sets no memory limit", res);
        else
            policy_pass(cx, inspect_key(t, "instance_type"), res);
    }
}
