/*
 * fleet/fleet_conf.c: reads launch_templates and auto_scaling_groups into a struct
 * fleet_conf, filling AWS's defaults and reporting every problem against its node. It
 * validates and copies; it starts nothing and reads no state (template versions are
 * resolved by fleet_apply()). The one system lookup is getpwnam() for `user`.
 */
#include "fleet/fleet_conf.h"

#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/value.h"
#include "core/mem.h"
#include "fleet/scaler.h"

#define FLEET_CONF_NAME_MAX 64
#define FLEET_CONF_ARGS_MAX 256
#define FLEET_CONF_ENV_MAX 256
#define FLEET_CONF_GROUP_MAX 1000           /* max_size: one port each */
#define FLEET_CONF_SEC 1000ULL

const char *const fleet_conf_keys[] = { "launch_templates", "auto_scaling_groups", NULL };

static const char *const template_keys[] = {
    "command", "env", "working_dir", "user", "stop_signal", "stop_timeout", "instance_type",
    NULL,
};
static const char *const itype_keys[] = { "cpu", "memory", NULL };
static const char *const group_keys[] = {
    "launch_template", "target_group", "min_size", "max_size", "desired_capacity",
    "health_check_type", "health_check_grace_period", "default_instance_warmup",
    "scaling_policies", "instance_refresh", NULL,
};
static const char *const lt_ref_keys[] = { "name", "version", NULL };
static const char *const policy_keys[] = { "name", "target_tracking", NULL };
static const char *const tt_keys[] = { "metric", "target_value", "disable_scale_in", NULL };
static const char *const refresh_keys[] = {
    "min_healthy_percentage", "instance_warmup", "auto_rollback", NULL,
};
/* Indexed by enum fleet_metric and enum fleet_health_type. */
static const char *const metrics[] = { "cpu_utilization", "request_count_per_target", NULL };
static const char *const health_types[] = { "ec2", "elb", NULL };

static bool
fleet_conf_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > FLEET_CONF_NAME_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

static int
fleet_conf_name(const struct conf_node *key, const char *what, struct diag *d)
{
    if (fleet_conf_name_ok(key->str))
        return 0;
    diag_at(d, key, "%s \"%.60s\": a name uses letters, digits, '-', '_' and '.' (at most %d)",
            what, key->str, FLEET_CONF_NAME_MAX);
    return -EINVAL;
}

/* One of `words`; the index, or -EINVAL after a diagnostic with "did you mean". */
static int
fleet_conf_enum(const struct conf_node *n, const char *const *words, const char *what,
                struct diag *d)
{
    const char *s;

    if (conf_string(n, &s, d) < 0)
        return -EINVAL;
    for (int i = 0; words[i]; i++)
        if (strcmp(s, words[i]) == 0)
            return i;
    const char *near = conf_suggest(s, words);
    char list[256] = "";
    for (unsigned i = 0; words[i]; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                 words[i]);
    if (near)
        diag_at(d, n, "%s: unknown value \"%.60s\"; did you mean \"%s\"?", what, s, near);
    else
        diag_at(d, n, "%s: unknown value \"%.60s\"; use one of %s", what, s, list);
    return -EINVAL;
}

/* A decimal number in (min, max]; 0 or -EINVAL after a diagnostic. */
static int
fleet_conf_number(const struct conf_node *n, double min, double max, const char *what,
                  double *out, struct diag *d)
{
    const char *s;
    char *end;

    if (conf_string(n, &s, d) < 0)
        return -EINVAL;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v)) {
        diag_at(d, n, "%s: \"%.60s\" is not a number; write one like 0.5 or 50", what, s);
        return -EINVAL;
    }
    if (v <= min || v > max) {
        diag_at(d, n, "%s: %.60s is out of range; write a number above %g and at most %g", what,
                s, min, max);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

static void
fleet_conf_placeholders(const struct conf_node *n, const char *s, const char *what,
                        struct diag *d)
{
    char buf[48];

    if (template_bad_placeholder(s, buf, sizeof(buf)))
        diag_at(d, n, "%s: unknown placeholder %s; tierd substitutes only ${PORT} and "
                "${INSTANCE_ID}", what, buf);
}

static bool
fleet_conf_env_key_ok(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_' ||
              (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static int
fleet_conf_env_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
fleet_conf_read_command(struct template *t, const struct conf_node *n, const char *what,
                        struct diag *d)
{
    char w[256];

    if (n->kind != CONF_SEQ) {
        diag_at(d, n, "%s: command: expected a list of strings like [php, -S, "
                "\"127.0.0.1:${PORT}\"], got %s", what,
                conf_is_null(n) ? "nothing" : conf_kind_name(n->kind));
        return;
    }
    if (n->n == 0 || n->n > FLEET_CONF_ARGS_MAX) {
        diag_at(d, n, "%s: command: give the program and its arguments (1 to %d strings)", what,
                FLEET_CONF_ARGS_MAX);
        return;
    }
    t->argv = mem_alloc_or_exit((n->n + 1) * sizeof(char *));
    for (unsigned i = 0; i < n->n; i++) {
        const struct conf_node *a = n->items[i];
        const char *s;
        snprintf(w, sizeof(w), "%s: command[%u]", what, i);
        if (a->kind != CONF_SCALAR || conf_is_null(a)) {
            diag_at(d, a, "%s: expected a string, got %s", w,
                    conf_is_null(a) ? "nothing" : conf_kind_name(a->kind));
            continue;
        }
        s = a->str;
        if (i == 0 && !s[0]) {
            diag_at(d, a, "%s: the program name is empty", w);
            continue;
        }
        fleet_conf_placeholders(a, s, w, d);
        t->argv[t->argc++] = mem_strdup_or_exit(s);
    }
}

static void
fleet_conf_read_env(struct template *t, const struct conf_node *n, const char *what,
                    struct diag *d)
{
    char w[256];

    if (conf_is_null(n))
        return;
    if (conf_expect(n, CONF_MAP, "env", d) < 0)
        return;
    if (n->n > FLEET_CONF_ENV_MAX) {
        diag_at(d, n, "%s: env: at most %d variables", what, FLEET_CONF_ENV_MAX);
        return;
    }
    t->env = mem_alloc_or_exit((n->n + 1) * sizeof(char *));
    for (unsigned i = 0; i < n->n; i++) {
        const struct conf_node *k = n->pairs[i].key, *v = n->pairs[i].value;
        snprintf(w, sizeof(w), "%s: env.%.60s", what, k->str);
        if (!fleet_conf_env_key_ok(k->str)) {
            diag_at(d, k, "%s: a variable name uses letters, digits and '_' and does not "
                    "start with a digit", w);
            continue;
        }
        if (strcmp(k->str, "PORT") == 0 || strcmp(k->str, "INSTANCE_ID") == 0) {
            diag_at(d, k, "%s: tierd sets %s itself; remove it", w, k->str);
            continue;
        }
        if (v->kind != CONF_SCALAR) {
            diag_at(d, v, "%s: expected a string, got %s", w, conf_kind_name(v->kind));
            continue;
        }
        fleet_conf_placeholders(v, v->str, w, d);
        size_t len = strlen(k->str) + strlen(v->str) + 2;
        t->env[t->nenv] = mem_alloc_or_exit(len);
        snprintf(t->env[t->nenv++], len, "%s=%s", k->str, v->str);
    }
    qsort(t->env, t->nenv, sizeof(char *), fleet_conf_env_cmp);
}

static void
fleet_conf_read_itype(struct template *t, const struct conf_node *n, const char *what,
                      struct diag *d)
{
    const struct conf_node *v;
    char w[256];
    double cpu;
    uint64_t mem;

    if (conf_is_null(n))
        return;
    snprintf(w, sizeof(w), "%s: instance_type", what);
    if (conf_expect(n, CONF_MAP, w, d) < 0)
        return;
    conf_check_keys(n, itype_keys, w, d);
    if ((v = conf_map_get(n, "cpu"))) {
        snprintf(w, sizeof(w), "%s: instance_type.cpu", what);
        if (fleet_conf_number(v, 0, 1024, w, &cpu, d) == 0) {
            t->cpu_milli = (unsigned)lround(cpu * 1000);
            if (t->cpu_milli < 10) {
                diag_at(d, v, "%s: %.60s is below 0.01 CPU; give at least 0.01", w, v->str);
                t->cpu_milli = 0;
            }
        }
    }
    if ((v = conf_map_get(n, "memory")) && conf_size_bytes(v, &mem, d) == 0) {
        if (mem < (4u << 20))
            diag_at(d, v, "%s: instance_type.memory: %.60s is below 4m; an app needs more",
                    what, v->str);
        else
            t->memory_bytes = mem;
    }
}

static void
fleet_conf_read_template(struct fleet_conf *c, const struct conf_node *key,
                         const struct conf_node *map, struct diag *d)
{
    struct template *t = &c->templates[c->ntemplates];
    const struct conf_node *n;
    char what[128];
    const char *s;
    uint64_t ms;

    snprintf(what, sizeof(what), "launch template \"%.60s\"", key->str);
    if (fleet_conf_name(key, "launch template", d) < 0)
        return;
    if (conf_expect(map, CONF_MAP, what, d) < 0)
        return;
    conf_check_keys(map, template_keys, what, d);
    memset(t, 0, sizeof(*t));
    t->name = mem_strdup_or_exit(key->str);
    t->stop_signal = SIGTERM;
    t->stop_timeout_ms = 10 * FLEET_CONF_SEC;
    if ((n = conf_require(map, "command", what, d)))
        fleet_conf_read_command(t, n, what, d);
    if ((n = conf_map_get(map, "env")))
        fleet_conf_read_env(t, n, what, d);
    if ((n = conf_map_get(map, "working_dir")) && conf_string(n, &s, d) == 0)
        t->working_dir = mem_strdup_or_exit(s);
    if ((n = conf_map_get(map, "user")) && conf_string(n, &s, d) == 0) {
        if (!getpwnam(s))
            diag_at(d, n, "%s: user \"%.60s\" does not exist on this system; create it or "
                    "remove user", what, s);
        t->user = mem_strdup_or_exit(s);
    }
    if ((n = conf_map_get(map, "stop_signal")) && conf_string(n, &s, d) == 0) {
        int sig = template_signal_parse(s);
        const char *near = conf_suggest(s, template_signal_names);
        if (sig > 0)
            t->stop_signal = sig;
        else if (near)
            diag_at(d, n, "%s: stop_signal: unknown signal \"%.60s\"; did you mean \"%s\"?",
                    what, s, near);
        else
            diag_at(d, n, "%s: stop_signal: unknown signal \"%.60s\"; use SIGTERM, SIGINT, "
                    "SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH or SIGKILL", what, s);
    }
    if ((n = conf_map_get(map, "stop_timeout")) && conf_duration_ms(n, &ms, d) == 0) {
        if (ms > 3600 * FLEET_CONF_SEC)
            diag_at(d, n, "%s: stop_timeout: %.60s is over an hour; write at most 1h", what,
                    n->str);
        else
            t->stop_timeout_ms = ms;
    }
    if ((n = conf_map_get(map, "instance_type")))
        fleet_conf_read_itype(t, n, what, d);
    template_hash_update(t);
    c->ntemplates++;
}

static bool
fleet_conf_in(const char *s, const char *const *list, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static void
fleet_conf_read_lt_ref(struct fleet_conf *c, struct fleet_group_conf *g,
                       const struct conf_node *n, const char *what, struct diag *d)
{
    const struct conf_node *name = n, *v;
    uint64_t version;
    char w[256];

    snprintf(w, sizeof(w), "%s: launch_template", what);
    if (n->kind == CONF_MAP) {
        conf_check_keys(n, lt_ref_keys, w, d);
        if (!(name = conf_require(n, "name", w, d)))
            return;
        if ((v = conf_map_get(n, "version"))) {
            if (v->kind == CONF_SCALAR && (strcmp(v->str, "$Latest") == 0 ||
                                           strcmp(v->str, "latest") == 0))
                version = 0;
            else if (conf_uint(v, 1, 1000000, &version, d) < 0)
                version = 0;
            g->template_version = (unsigned)version;
        }
    }
    if (name->kind != CONF_SCALAR || conf_is_null(name)) {
        diag_at(d, name, "%s: expected a template name or { name: NAME, version: N }", w);
        return;
    }
    g->template_name = mem_strdup_or_exit(name->str);
    if (!fleet_conf_template(c, name->str)) {
        const char *names[64];
        unsigned k = 0;
        for (unsigned i = 0; i < c->ntemplates && k < 63; i++)
            names[k++] = c->templates[i].name;
        names[k] = NULL;
        const char *near = conf_suggest(name->str, names);
        if (near)
            diag_at(d, name, "%s: no launch template \"%.60s\"; did you mean \"%s\"?", w,
                    name->str, near);
        else
            diag_at(d, name, "%s: no launch template \"%.60s\"; define it under "
                    "launch_templates", w, name->str);
    }
}

static void
fleet_conf_read_policy(struct fleet_group_conf *g, const struct conf_node *item,
                       const char *what, struct diag *d)
{
    struct fleet_policy_conf *p = &g->policies[g->npolicies];
    const struct conf_node *n, *tt;
    const char *s;
    char w[256];
    int m;

    snprintf(w, sizeof(w), "%s: scaling_policies[%u]", what, g->npolicies);
    if (conf_expect(item, CONF_MAP, w, d) < 0)
        return;
    conf_check_keys(item, policy_keys, w, d);
    memset(p, 0, sizeof(*p));
    if ((n = conf_require(item, "name", w, d)) && conf_string(n, &s, d) == 0) {
        for (unsigned i = 0; i < g->npolicies; i++)
            if (strcmp(g->policies[i].name, s) == 0)
                diag_at(d, n, "%s: policy name \"%.60s\" is used twice; names are unique in "
                        "a group", w, s);
        p->name = mem_strdup_or_exit(s);
    }
    if (!(tt = conf_require(item, "target_tracking", w, d)))
        goto out;
    snprintf(w + strlen(w), sizeof(w) - strlen(w), ".target_tracking");
    if (conf_expect(tt, CONF_MAP, w, d) < 0)
        goto out;
    conf_check_keys(tt, tt_keys, w, d);
    if ((n = conf_require(tt, "metric", w, d)) && (m = fleet_conf_enum(n, metrics, w, d)) >= 0)
        p->metric = (enum fleet_metric)m;
    if ((n = conf_require(tt, "target_value", w, d)))
        fleet_conf_number(n, 0, 1e9, "target_value", &p->target, d);
    if ((n = conf_map_get(tt, "disable_scale_in")))
        conf_bool(n, &p->disable_scale_in, d);
out:
    if (!p->name)
        p->name = mem_strdup_or_exit("");
    g->npolicies++;
}

static void
fleet_conf_read_refresh(struct fleet_group_conf *g, const struct conf_node *n,
                        const char *what, struct diag *d, bool *warmup_set)
{
    const struct conf_node *v;
    uint64_t u;
    char w[256];

    snprintf(w, sizeof(w), "%s: instance_refresh", what);
    if (conf_is_null(n) || conf_expect(n, CONF_MAP, w, d) < 0)
        return;
    conf_check_keys(n, refresh_keys, w, d);
    if ((v = conf_map_get(n, "min_healthy_percentage")) && conf_uint(v, 0, 100, &u, d) == 0)
        g->refresh.min_healthy_pct = (unsigned)u;
    if ((v = conf_map_get(n, "instance_warmup")) && conf_duration_ms(v, &u, d) == 0) {
        g->refresh.warmup_ms = u;
        *warmup_set = true;
    }
    if ((v = conf_map_get(n, "auto_rollback")))
        conf_bool(v, &g->refresh.auto_rollback, d);
}

/* A duration of at most an hour (AWS: grace and warm-up are 0..3600 s or more; an hour is
 * already longer than any app should take to start). */
static void
fleet_conf_hour(const struct conf_node *n, uint64_t *out, struct diag *d)
{
    uint64_t ms;

    if (conf_duration_ms(n, &ms, d) < 0)
        return;
    if (ms > 3600 * FLEET_CONF_SEC) {
        diag_at(d, n, "%s: %.60s is over an hour; write at most 1h", n->path, n->str);
        return;
    }
    *out = ms;
}

static void
fleet_conf_read_group(struct fleet_conf *c, const struct conf_node *key,
                      const struct conf_node *map, const char *const *tg_names, unsigned ntg,
                      struct diag *d)
{
    struct fleet_group_conf *g = &c->groups[c->ngroups];
    const struct conf_node *n, *nmin, *nmax, *ndes;
    uint64_t min = 0, max = 0, des = 0;
    bool have_min = false, have_max = false, have_des = false, warmup_set = false;
    char what[128];
    const char *s;
    int k;

    snprintf(what, sizeof(what), "auto scaling group \"%.60s\"", key->str);
    if (fleet_conf_name(key, "auto scaling group", d) < 0)
        return;
    if (conf_expect(map, CONF_MAP, what, d) < 0)
        return;
    conf_check_keys(map, group_keys, what, d);
    memset(g, 0, sizeof(*g));
    c->ngroups++;
    g->name = mem_strdup_or_exit(key->str);
    g->file = key->file;
    g->line = key->line;
    g->col = key->col;
    g->refresh.min_healthy_pct = 90;
    if ((n = conf_require(map, "launch_template", what, d)))
        fleet_conf_read_lt_ref(c, g, n, what, d);
    if ((n = conf_require(map, "target_group", what, d)) && conf_string(n, &s, d) == 0) {
        g->target_group = mem_strdup_or_exit(s);
        if (!fleet_conf_in(s, tg_names, ntg)) {
            const char *names[65];
            unsigned m = 0;
            for (unsigned i = 0; i < ntg && m < 64; i++)
                names[m++] = tg_names[i];
            names[m] = NULL;
            const char *near = conf_suggest(s, names);
            if (near)
                diag_at(d, n, "%s: no target group \"%.60s\"; did you mean \"%s\"?", what, s,
                        near);
            else
                diag_at(d, n, "%s: no target group \"%.60s\"; define it under target_groups",
                        what, s);
        }
        for (unsigned i = 0; i + 1 < c->ngroups; i++)
            if (c->groups[i].target_group && strcmp(c->groups[i].target_group, s) == 0)
                diag_at(d, n, "%s: target group \"%.60s\" already belongs to group \"%s\"; "
                        "give each group its own", what, s, c->groups[i].name);
    }
    if ((nmin = conf_require(map, "min_size", what, d)))
        have_min = conf_uint(nmin, 0, FLEET_CONF_GROUP_MAX, &min, d) == 0;
    if ((nmax = conf_require(map, "max_size", what, d)))
        have_max = conf_uint(nmax, 1, FLEET_CONF_GROUP_MAX, &max, d) == 0;
    if ((ndes = conf_map_get(map, "desired_capacity")))
        have_des = conf_uint(ndes, 0, FLEET_CONF_GROUP_MAX, &des, d) == 0;
    if (have_min && have_max && min > max)
        diag_at(d, nmax, "%s: max_size (%llu) is below min_size (%llu); raise max_size", what,
                (unsigned long long)max, (unsigned long long)min);
    if (!ndes)
        des = min, have_des = have_min;
    if (have_min && have_max && have_des && ndes && (des < min || des > max))
        diag_at(d, ndes, "%s: desired_capacity (%llu) must be between min_size (%llu) and "
                "max_size (%llu)", what, (unsigned long long)des, (unsigned long long)min,
                (unsigned long long)max);
    g->min = (unsigned)min;
    g->max = (unsigned)max;
    g->desired = (unsigned)des;
    if ((n = conf_map_get(map, "health_check_type")) &&
        (k = fleet_conf_enum(n, health_types, "health_check_type", d)) >= 0)
        g->health_type = (enum fleet_health_type)k;
    if ((n = conf_map_get(map, "health_check_grace_period")))
        fleet_conf_hour(n, &g->grace_ms, d);
    if ((n = conf_map_get(map, "default_instance_warmup")))
        fleet_conf_hour(n, &g->warmup_ms, d);
    if ((n = conf_map_get(map, "scaling_policies")) && !conf_is_null(n) &&
        conf_expect(n, CONF_SEQ, "scaling_policies", d) == 0) {
        if (n->n > SCALER_POLICIES_MAX) {
            diag_at(d, n, "%s: scaling_policies: at most %d policies", what,
                    SCALER_POLICIES_MAX);
        } else {
            g->policies = mem_alloc_or_exit((n->n + 1) * sizeof(*g->policies));
            for (unsigned i = 0; i < n->n; i++)
                fleet_conf_read_policy(g, n->items[i], what, d);
        }
    }
    if ((n = conf_map_get(map, "instance_refresh")))
        fleet_conf_read_refresh(g, n, what, d, &warmup_set);
    if (!warmup_set)            /* AWS: DefaultInstanceWarmup, else HealthCheckGracePeriod */
        g->refresh.warmup_ms = g->warmup_ms ? g->warmup_ms : g->grace_ms;
}

static const struct conf_node *
fleet_conf_section(const struct conf_node *root, const char *key, struct diag *d)
{
    const struct conf_node *n = root ? conf_map_get(root, key) : NULL;

    if (!n || conf_is_null(n))
        return NULL;
    if (conf_expect(n, CONF_MAP, key, d) < 0)
        return NULL;
    return n;
}

int
fleet_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                 struct fleet_conf **out)
{
    const char *const *tg_names = cx->target_groups;
    unsigned ntg = 0;
    struct diag *d = cx->d;
    struct fleet_conf *c = mem_alloc_or_exit(sizeof(*c));
    const struct conf_node *lt, *asg;
    unsigned before = diag_count(d);

    while (tg_names && tg_names[ntg])
        ntg++;
    c->port_min = FLEET_CONF_PORT_MIN;
    c->port_max = FLEET_CONF_PORT_MAX;
    lt = fleet_conf_section(root, "launch_templates", d);
    asg = fleet_conf_section(root, "auto_scaling_groups", d);
    if (lt) {
        c->templates = mem_alloc_or_exit((lt->n + 1) * sizeof(*c->templates));
        for (unsigned i = 0; i < lt->n; i++)
            fleet_conf_read_template(c, lt->pairs[i].key, lt->pairs[i].value, d);
    }
    if (asg) {
        c->groups = mem_alloc_or_exit((asg->n + 1) * sizeof(*c->groups));
        for (unsigned i = 0; i < asg->n; i++)
            fleet_conf_read_group(c, asg->pairs[i].key, asg->pairs[i].value, tg_names, ntg, d);
    }
    if (diag_count(d) != before) {
        fleet_conf_free(c);
        *out = NULL;
        return -EINVAL;
    }
    *out = c;
    return 0;
}

void
fleet_conf_free(struct fleet_conf *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->ntemplates; i++)
        template_fini(&c->templates[i]);
    for (unsigned i = 0; i < c->ngroups; i++) {
        struct fleet_group_conf *g = &c->groups[i];
        for (unsigned j = 0; j < g->npolicies; j++)
            free(g->policies[j].name);
        free(g->policies);
        free(g->name);
        free(g->template_name);
        free(g->target_group);
    }
    free(c->templates);
    free(c->groups);
    free(c);
}

const struct template *
fleet_conf_template(const struct fleet_conf *c, const char *name)
{
    for (unsigned i = 0; i < c->ntemplates; i++)
        if (strcmp(c->templates[i].name, name) == 0)
            return &c->templates[i];
    return NULL;
}

const struct fleet_group_conf *
fleet_conf_group(const struct fleet_conf *c, const char *name)
{
    for (unsigned i = 0; i < c->ngroups; i++)
        if (strcmp(c->groups[i].name, name) == 0)
            return &c->groups[i];
    return NULL;
}
