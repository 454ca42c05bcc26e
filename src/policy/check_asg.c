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

#include "fleet/fleet_conf.h"
#include "policy/internal.h"

#define RES_MAX 192

/* Judgement (TD-ASG-003): below two instances, one failure leaves nothing serving. */
#define ASG_MIN_SIZE_SAFE 2
/* TD-ASG-011 on a raw tree without min_size (a required key): judged as a group of one. */
#define ASG_MIN_SIZE_ABSENT 1

static const struct conf_node *
groups(const struct conf_node *root)
{
    return conf_key_get(root, FK(FK_GROUPS));
}

static const struct conf_node *
templates(const struct conf_node *root)
{
    return conf_key_get(root, FK(FK_TEMPLATES));
}

void
check_asg_ec2_health(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *gs = groups(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(gs); i++) {
        const struct conf_node *g = inspect_entry(gs, i, FK(FK_GROUPS), &key, res, sizeof(res));
        const struct conf_key *hk = FK(FK_ASG_HEALTH_TYPE);
        const struct conf_node *at = inspect_key_or(g, hk, key);
        if (!inspect_str(conf_key_get(g, FK(FK_ASG_TARGET_GROUP))))
            continue;
        if (!inspect_key_is(g, hk, FLEET_HEALTH_EC2))
            policy_pass(cx, at, res);
        else if (inspect_str(conf_key_get(g, hk)))
            policy_fail(cx, at, POLICY_MEDIUM, res,
                        "%s has a target_group but uses %s health checks", res,
                        hk->words[FLEET_HEALTH_EC2]);
        else
            policy_fail(cx, at, POLICY_MEDIUM, res,
                        "%s has a target_group but uses the default (%s) health checks", res,
                        hk->def);
    }
}

void
check_asg_min_size(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *gs = groups(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(gs); i++) {
        const struct conf_node *g = inspect_entry(gs, i, FK(FK_GROUPS), &key, res, sizeof(res));
        const struct conf_key *mk = FK(FK_ASG_MIN_SIZE);
        uint64_t min;
        if (inspect_uint(conf_key_get(g, mk), &min) < 0)
            policy_fail(cx, key, POLICY_MEDIUM, res, "%s sets no min_size", res);
        else if (min < ASG_MIN_SIZE_SAFE)
            policy_fail(cx, conf_key_node(g, mk), POLICY_MEDIUM, res,
                        "%s has min_size %llu: one failure leaves nothing serving", res,
                        (unsigned long long)min);
        else
            policy_pass(cx, conf_key_node(g, mk), res);
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
        const struct conf_node *t = inspect_entry(ts, i, FK(FK_TEMPLATES), &key, res,
                                                  sizeof(res));
        const struct conf_node *env = conf_key_get(t, FK(FK_LT_ENV));
        const struct conf_node *cmd = conf_key_get(t, FK(FK_LT_COMMAND));
        bool failed = false;
        for (unsigned j = 0; j < inspect_nmap(env); j++) {
            const char *name = env->pairs[j].key->str, *v = inspect_str(env->pairs[j].value);
            /* ${db:NAME.users.USER.password} is the documented way to hand an instance
             * its database password: a reference, not a literal. */
            if (!v || !*v || inspect_is_env_ref(v) || strstr(v, "${db:"))
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
            policy_fail(cx, conf_key_node(t, FK(FK_LT_COMMAND)), POLICY_CRITICAL, res,
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
        const struct conf_node *t = inspect_entry(ts, i, FK(FK_TEMPLATES), &key, res,
                                                  sizeof(res));
        const struct conf_node *env = conf_key_get(t, FK(FK_LT_ENV));
        const struct conf_node *cmd = conf_key_get(t, FK(FK_LT_COMMAND));
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
        const struct conf_node *g = inspect_entry(gs, i, FK(FK_GROUPS), &key, res, sizeof(res));
        const struct conf_node *ir = conf_key_get(g, FK(FK_ASG_REFRESH));
        const struct conf_key *pk = FK(FK_ASG_REFRESH_MIN_HEALTHY);
        uint64_t pct = 0, min = ASG_MIN_SIZE_ABSENT;
        if (!ir)
            continue;
        (void)inspect_key_uint(ir, pk, &pct);   /* absent: the entry's default (AWS's) */
        (void)inspect_uint(conf_key_get(g, FK(FK_ASG_MIN_SIZE)), &min);
        /* Instances that must stay healthy: the percentage of min_size, rounded down. */
        uint64_t keep = pct * min / 100;
        const struct conf_node *at = inspect_key_or(ir, pk, conf_key_node(g, FK(FK_ASG_REFRESH)));
        if (pct == 0 || keep == 0)
            policy_fail(cx, at, POLICY_HIGH, res,
                        "%s: min_healthy_percentage %llu%% of min_size %llu keeps no instance "
                        "in service during a refresh", res, (unsigned long long)pct,
                        (unsigned long long)min);
        else
            policy_pass(cx, at, res);
    }
}

/* The health-check interval of target group `tg` (NULL: none named), or the entry's default
 * (ALB's) when the group, its health check or its interval is absent. */
static uint64_t
tg_interval_ms(const struct conf_node *root, const char *tg)
{
    const struct conf_node *g = tg ? conf_map_get(conf_key_get(root, EK(EK_TGS)), tg) : NULL;
    uint64_t ms = 0;

    (void)inspect_key_ms(conf_key_get(g, EK(EK_TG_HC)), EK(EK_HC_INTERVAL), &ms);
    return ms;
}

void
check_asg_grace_period(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *gs = groups(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(gs); i++) {
        const struct conf_node *g = inspect_entry(gs, i, FK(FK_GROUPS), &key, res, sizeof(res));
        const char *tg = inspect_str(conf_key_get(g, FK(FK_ASG_TARGET_GROUP)));
        const struct conf_key *hk = FK(FK_ASG_HEALTH_TYPE), *gk = FK(FK_ASG_GRACE);
        uint64_t grace = 0;
        if (!inspect_str_eq(conf_key_get(g, hk), hk->words[FLEET_HEALTH_ELB]))
            continue;
        /* Absent: the loader's default (0s, the entry's), not AWS's console default. */
        inspect_key_ms(g, gk, &grace);
        uint64_t interval = tg_interval_ms(root, tg);
        const struct conf_node *at = inspect_key_or(g, gk, key);
        if (grace < interval)
            policy_fail(cx, at, POLICY_LOW, res,
                        "%s: health_check_grace_period (%s) is shorter than one health-check "
                        "interval (%llus)", res, conf_key_get(g, gk) ? conf_key_get(g, gk)->str
                                                                      : gk->def,
                        (unsigned long long)(interval / 1000));
        else
            policy_pass(cx, at, res);
    }
}

void
check_asg_no_rollback(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *gs = groups(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(gs); i++) {
        const struct conf_node *g = inspect_entry(gs, i, FK(FK_GROUPS), &key, res, sizeof(res));
        const struct conf_node *ir = conf_key_get(g, FK(FK_ASG_REFRESH));
        const struct conf_key *rk = FK(FK_ASG_REFRESH_ROLLBACK);
        if (!ir)
            policy_fail(cx, key, POLICY_LOW, res, "%s has no instance_refresh with "
                                                  "auto_rollback", res);
        else if (!inspect_is_true(conf_key_get(ir, rk)))
            policy_fail(cx, inspect_key_or(ir, rk, conf_key_node(g, FK(FK_ASG_REFRESH))),
                        POLICY_LOW, res, "%s: instance_refresh.auto_rollback is not true", res);
        else
            policy_pass(cx, conf_key_node(ir, rk), res);
    }
}

void
check_asg_root_user(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *ts = templates(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(ts); i++) {
        const struct conf_node *t = inspect_entry(ts, i, FK(FK_TEMPLATES), &key, res,
                                                  sizeof(res));
        const struct conf_node *user = conf_key_get(t, FK(FK_LT_USER));
        if (!inspect_str(user))
            policy_fail(cx, key, POLICY_MEDIUM, res,
                        "%s sets no user: instances run as tierd's user, root when tierd is",
                        res);
        else if (inspect_str_eq(user, "root") || inspect_str_eq(user, "0"))
            policy_fail(cx, conf_key_node(t, FK(FK_LT_USER)), POLICY_MEDIUM, res,
                        "%s runs its instances as root", res);
        else
            policy_pass(cx, conf_key_node(t, FK(FK_LT_USER)), res);
    }
}

void
check_asg_no_limits(struct policy_ctx *cx, const struct conf_node *root)
{
    const struct conf_node *ts = templates(root), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(ts); i++) {
        const struct conf_node *t = inspect_entry(ts, i, FK(FK_TEMPLATES), &key, res,
                                                  sizeof(res));
        const struct conf_node *it = conf_key_get(t, FK(FK_LT_ITYPE));
        if (!it)
            policy_fail(cx, key, POLICY_LOW, res, "%s sets no instance_type limits", res);
        else if (!inspect_str(conf_key_get(it, FK(FK_LT_ITYPE_MEMORY))))
            policy_fail(cx, conf_key_node(t, FK(FK_LT_ITYPE)), POLICY_LOW, res,
                        "%s: instance_type sets no memory limit", res);
        else
            policy_pass(cx, conf_key_node(t, FK(FK_LT_ITYPE)), res);
    }
}
