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
#include "conf/keys.h"
#include "conf/ref.h"
#include "fleet/envfile.h"
#include "fleet/fleet_keys.h"
#include "fleet/scaler.h"

#define FLEET_CONF_NAME_MAX 64

#define K(id) (&fleet_keys[id])

static void
fleet_conf_check_map(const struct conf_node *map, enum fleet_key parent, const char *what,
                     struct diag *d)
{
    conf_key_check_map(map, fleet_keys, FK_COUNT, K(parent), what, d);
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
fleet_conf_placeholders(const struct conf_node *n, const char *s, bool allow_env,
                        const char *what, struct diag *d)
{
    char buf[48];

    if (!template_bad_placeholder(s, allow_env, buf, sizeof(buf)))
        return;
    if (!allow_env && (strncmp(buf, "${env:", 6) == 0 || strncmp(buf, "${db:", 5) == 0))
        diag_at(d, n, "%s: %s in a command would show the secret in the process list; pass "
                "it through env (VALUE: ${env:NAME}) and read the variable in the app", what,
                buf);
    else
        diag_at(d, n, "%s: unknown placeholder %s; tierd substitutes only ${PORT} and "
                "${INSTANCE_ID}, ${db:NAME.FIELD}%s", what, buf, allow_env ? ", and ${env:NAME} "
                "from its own environment" : "");
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
    const struct conf_key *k = K(FK_LT_COMMAND);
    char w[256];

    if (n->kind != CONF_SEQ) {
        diag_at(d, n, "%s: command: expected a list of strings like [php, -S, "
                "\"127.0.0.1:${PORT}\"], got %s", what,
                conf_is_null(n) ? "nothing" : conf_kind_name(n->kind));
        return;
    }
    if (n->n < k->min || n->n > k->max) {
        diag_at(d, n, "%s: command: give the program and its arguments (%llu to %llu strings)",
                what, (unsigned long long)k->min, (unsigned long long)k->max);
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
        fleet_conf_placeholders(a, s, false, w, d);
        t->argv[t->argc++] = mem_strdup_or_exit(s);
    }
}

static void
fleet_conf_read_env(struct template *t, const struct conf_node *n, const char *what,
                    const struct conf_ctx *cx)
{
    struct diag *d = cx->d;
    char w[256];

    if (conf_expect(n, CONF_MAP, "env", d) < 0)
        return;
    if (n->n > K(FK_LT_ENV)->max) {
        diag_at(d, n, "%s: env: at most %llu variables", what,
                (unsigned long long)K(FK_LT_ENV)->max);
        return;
    }
    t->env = mem_alloc_or_exit((n->n + 1) * sizeof(char *));
    for (unsigned i = 0; i < n->n; i++) {
        const struct conf_node *k = n->pairs[i].key, *v = n->pairs[i].value;
        snprintf(w, sizeof(w), "%s: env.%.60s", what, k->str);
        if (!conf_ref_name_ok(k->str, strlen(k->str))) {
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
        fleet_conf_placeholders(v, v->str, true, w, d);
        conf_ref_check(v, w, cx);
        size_t len = strlen(k->str) + strlen(v->str) + 2;
        t->env[t->nenv] = mem_alloc_or_exit(len);
        snprintf(t->env[t->nenv++], len, "%s=%s", k->str, v->str);
    }
    qsort(t->env, t->nenv, sizeof(char *), fleet_conf_env_cmp);
}

/* env_file: the path is kept and the file read at every launch (a rotated secret reaches
 * the next instance); here it is only checked, so that a file open to others or with a
 * syntax error is refused at load. Missing is a warning for `check` (the file lives on the
 * server, not in the repository), an error for run and apply. */
static void
fleet_conf_read_env_file(struct template *t, const struct conf_node *n, const char *what,
                         const struct conf_ctx *cx)
{
    struct envfile ef;
    char err[512];
    const char *s;

    if (conf_string(n, &s, cx->d) < 0)
        return;
    if (!s[0]) {
        diag_at(cx->d, n, "%s: env_file is empty; give a path or remove it", what);
        return;
    }
    t->env_file = mem_strdup_or_exit(s);
    int rc = envfile_load(s, &ef, err, sizeof(err));
    if (rc == 0) {
        for (unsigned i = 0; i < ef.n; i++) {
            size_t klen = strcspn(ef.vars[i], "=");
            if ((klen == 4 && strncmp(ef.vars[i], "PORT", 4) == 0) ||
                (klen == 11 && strncmp(ef.vars[i], "INSTANCE_ID", 11) == 0))
                diag_at(cx->d, n, "%s: env_file %s sets %.*s, which tierd sets itself; remove "
                        "it from the file", what, s, (int)klen, ef.vars[i]);
        }
        envfile_fini(&ef);
    } else if (rc == -ENOENT && cx->check_only) {
        diag_warn_at(cx->d, n, "%s: %s; tierd run and apply will need it", what, err);
    } else {
        diag_at(cx->d, n, "%s: %s", what, err);
    }
}

static void
fleet_conf_read_inherit(struct template *t, const struct conf_node *n, const char *what,
                        struct diag *d)
{
    if (conf_expect(n, CONF_SEQ, "inherit_env", d) < 0)
        return;
    if (n->n > K(FK_LT_INHERIT_ENV)->max) {
        diag_at(d, n, "%s: inherit_env: at most %llu names", what,
                (unsigned long long)K(FK_LT_INHERIT_ENV)->max);
        return;
    }
    t->inherit = mem_alloc_or_exit((n->n + 1) * sizeof(char *));
    for (unsigned i = 0; i < n->n; i++) {
        const struct conf_node *a = n->items[i];
        if (a->kind != CONF_SCALAR || !conf_ref_name_ok(a->str, strlen(a->str))) {
            diag_at(d, a, "%s: inherit_env[%u]: give an environment variable name (letters, "
                    "digits and '_')", what, i);
            continue;
        }
        if (strcmp(a->str, "PORT") == 0 || strcmp(a->str, "INSTANCE_ID") == 0) {
            diag_at(d, a, "%s: inherit_env[%u]: tierd sets %s itself; remove it", what, i,
                    a->str);
            continue;
        }
        t->inherit[t->ninherit++] = mem_strdup_or_exit(a->str);
    }
}

static void
fleet_conf_read_itype(struct template *t, const struct conf_node *n, const char *what,
                      struct diag *d)
{
    const struct conf_node *v;
    char w[256];
    double cpu;
    uint64_t mem;

    snprintf(w, sizeof(w), "%s: instance_type", what);
    if (conf_expect(n, CONF_MAP, w, d) < 0)
        return;
    fleet_conf_check_map(n, FK_LT_ITYPE, w, d);
    if ((v = conf_key_get(n, K(FK_LT_ITYPE_CPU)))) {
        snprintf(w, sizeof(w), "%s: instance_type.cpu", what);
        if (fleet_conf_number(v, 0, 1024, w, &cpu, d) == 0) {
            t->cpu_milli = (unsigned)lround(cpu * 1000);
            if (t->cpu_milli < 10) {
                diag_at(d, v, "%s: %.60s is below 0.01 CPU; give at least 0.01", w, v->str);
                t->cpu_milli = 0;
            }
        }
    }
    if ((v = conf_key_get(n, K(FK_LT_ITYPE_MEMORY))) && conf_size_bytes(v, &mem, d) == 0) {
        if (mem < K(FK_LT_ITYPE_MEMORY)->min)
            diag_at(d, v, "%s: instance_type.memory: %.60s is below 4m; an app needs more",
                    what, v->str);
        else
            t->memory_bytes = mem;
    }
    if (conf_key_bool(n, K(FK_LT_ITYPE_REQUIRED), &t->limits_required, d) == 0 &&
        t->limits_required && !conf_key_get(n, K(FK_LT_ITYPE_CPU)) &&
        !conf_key_get(n, K(FK_LT_ITYPE_MEMORY)))
        diag_at(d, conf_key_get(n, K(FK_LT_ITYPE_REQUIRED)), "%s: instance_type.required is "
                "true but no limit is set; add cpu or memory, or remove required", what);
}

static void
fleet_conf_read_template(struct fleet_conf *c, const struct conf_node *key,
                         const struct conf_node *map, const struct conf_ctx *cx)
{
    struct template *t = &c->templates[c->ntemplates];
    struct diag *d = cx->d;
    const struct conf_node *n;
    char what[128];
    const char *s;
    uint64_t ms;

    snprintf(what, sizeof(what), "launch template \"%.60s\"", key->str);
    if (conf_name_check(key, "launch template", FLEET_CONF_NAME_MAX, d) < 0)
        return;
    if (conf_expect(map, CONF_MAP, what, d) < 0)
        return;
    fleet_conf_check_map(map, FK_TEMPLATE, what, d);
    memset(t, 0, sizeof(*t));
    t->name = mem_strdup_or_exit(key->str);
    if ((n = conf_key_get(map, K(FK_LT_COMMAND))))
        fleet_conf_read_command(t, n, what, d);
    if ((n = conf_key_get(map, K(FK_LT_ENV))))
        fleet_conf_read_env(t, n, what, cx);
    if ((n = conf_key_get(map, K(FK_LT_ENV_FILE))))
        fleet_conf_read_env_file(t, n, what, cx);
    if ((n = conf_key_get(map, K(FK_LT_INHERIT_ENV))))
        fleet_conf_read_inherit(t, n, what, d);
    if (conf_key_string(map, K(FK_LT_WORKING_DIR), &s, d) == 0)
        t->working_dir = mem_strdup_or_exit(s);
    if (conf_key_string(map, K(FK_LT_USER), &s, d) == 0) {
        if (!getpwnam(s))
            diag_at(d, conf_key_get(map, K(FK_LT_USER)), "%s: user \"%.60s\" does not exist "
                    "on this system; create it or remove user", what, s);
        t->user = mem_strdup_or_exit(s);
    }
    if (conf_key_string(map, K(FK_LT_STOP_SIGNAL), &s, d) == 0) {
        int sig = template_signal_parse(s);
        const char *near = conf_suggest(s, template_signal_names);
        n = conf_key_get(map, K(FK_LT_STOP_SIGNAL));
        if (sig > 0)
            t->stop_signal = sig;
        else if (near)
            diag_at(d, n, "%s: stop_signal: unknown signal \"%.60s\"; did you mean \"%s\"?",
                    what, s, near);
        else
            diag_at(d, n, "%s: stop_signal: unknown signal \"%.60s\"; use SIGTERM, SIGINT, "
                    "SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH or SIGKILL", what, s);
    }
    if (conf_key_duration(map, K(FK_LT_STOP_TIMEOUT), &ms, d) == 0)
        t->stop_timeout_ms = ms;
    if ((n = conf_key_get(map, K(FK_LT_ITYPE))))
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

/* "no <what> \"x\"; did you mean \"y\"?" or "; define it under <section>". */
static void
fleet_conf_unknown_name(const struct conf_node *at, const char *prefix, const char *kind,
                        const char *s, const char *const *names, unsigned n,
                        const char *section, struct diag *d)
{
    const char *list[65];
    unsigned m = 0;

    for (unsigned i = 0; i < n && m < 64; i++)
        list[m++] = names[i];
    list[m] = NULL;
    const char *near = conf_suggest(s, list);
    if (near)
        diag_at(d, at, "%s: no %s \"%.60s\"; did you mean \"%s\"?", prefix, kind, s, near);
    else
        diag_at(d, at, "%s: no %s \"%.60s\"; define it under %s", prefix, kind, s, section);
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
        fleet_conf_check_map(n, FK_ASG_LAUNCH_TEMPLATE, w, d);
        if (!(name = conf_key_get(n, K(FK_ASG_LT_NAME))))
            return;
        if ((v = conf_key_get(n, K(FK_ASG_LT_VERSION)))) {
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
        for (unsigned i = 0; i < c->ntemplates && k < 64; i++)
            names[k++] = c->templates[i].name;
        fleet_conf_unknown_name(name, w, "launch template", name->str, names, k,
                                "launch_templates", d);
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
    fleet_conf_check_map(item, FK_ASG_POLICIES, w, d);
    memset(p, 0, sizeof(*p));
    if ((n = conf_key_get(item, K(FK_ASG_POLICY_NAME))) && conf_string(n, &s, d) == 0) {
        for (unsigned i = 0; i < g->npolicies; i++)
            if (strcmp(g->policies[i].name, s) == 0)
                diag_at(d, n, "%s: policy name \"%.60s\" is used twice; names are unique in "
                        "a group", w, s);
        p->name = mem_strdup_or_exit(s);
    }
    if (!(tt = conf_key_get(item, K(FK_ASG_POLICY_TT))))
        goto out;
    snprintf(w + strlen(w), sizeof(w) - strlen(w), ".target_tracking");
    if (conf_expect(tt, CONF_MAP, w, d) < 0)
        goto out;
    fleet_conf_check_map(tt, FK_ASG_POLICY_TT, w, d);
    if ((n = conf_key_get(tt, K(FK_ASG_TT_METRIC))) &&
        (m = conf_enum(n, K(FK_ASG_TT_METRIC)->words, w, d)) >= 0)
        p->metric = (enum fleet_metric)m;
    if ((n = conf_key_get(tt, K(FK_ASG_TT_TARGET))))
        fleet_conf_number(n, 0, 1e9, "target_value", &p->target, d);
    conf_key_bool(tt, K(FK_ASG_TT_NO_SCALE_IN), &p->disable_scale_in, d);
out:
    if (!p->name)
        p->name = mem_strdup_or_exit("");
    g->npolicies++;
}

static void
fleet_conf_read_refresh(struct fleet_group_conf *g, const struct conf_node *n,
                        const char *what, struct diag *d, bool *warmup_set)
{
    uint64_t u;
    char w[256];

    snprintf(w, sizeof(w), "%s: instance_refresh", what);
    if (n && conf_expect(n, CONF_MAP, w, d) < 0)
        return;
    fleet_conf_check_map(n, FK_ASG_REFRESH, w, d);
    if (conf_key_uint(n, K(FK_ASG_REFRESH_MIN_HEALTHY), &u, d) == 0)
        g->refresh.min_healthy_pct = (unsigned)u;
    if (conf_key_duration(n, K(FK_ASG_REFRESH_WARMUP), &u, d) == 0) {
        g->refresh.warmup_ms = u;
        *warmup_set = true;
    }
    conf_key_bool(n, K(FK_ASG_REFRESH_ROLLBACK), &g->refresh.auto_rollback, d);
}

static void
fleet_conf_read_sizes(struct fleet_group_conf *g, const struct conf_node *map,
                      const char *what, struct diag *d)
{
    const struct conf_node *nmax = conf_key_get(map, K(FK_ASG_MAX_SIZE));
    const struct conf_node *ndes = conf_key_get(map, K(FK_ASG_DESIRED));
    uint64_t min = 0, max = 0, des = 0;
    bool have_min, have_max, have_des;

    have_min = conf_key_uint(map, K(FK_ASG_MIN_SIZE), &min, d) == 0;
    have_max = conf_key_uint(map, K(FK_ASG_MAX_SIZE), &max, d) == 0;
    have_des = conf_key_uint(map, K(FK_ASG_DESIRED), &des, d) == 0;
    if (have_min && have_max && min > max)
        diag_at(d, nmax, "%s: max_size (%llu) is below min_size (%llu); raise max_size", what,
                (unsigned long long)max, (unsigned long long)min);
    if (!ndes)                          /* AWS: desired defaults to min_size */
        des = min, have_des = have_min;
    if (have_min && have_max && have_des && ndes && (des < min || des > max))
        diag_at(d, ndes, "%s: desired_capacity (%llu) must be between min_size (%llu) and "
                "max_size (%llu)", what, (unsigned long long)des, (unsigned long long)min,
                (unsigned long long)max);
    g->min = (unsigned)min;
    g->max = (unsigned)max;
    g->desired = (unsigned)des;
}

static void
fleet_conf_read_group(struct fleet_conf *c, const struct conf_node *key,
                      const struct conf_node *map, const char *const *tg_names, unsigned ntg,
                      struct diag *d)
{
    struct fleet_group_conf *g = &c->groups[c->ngroups];
    const struct conf_node *n;
    bool warmup_set = false;
    char what[128];
    const char *s;
    int k;

    snprintf(what, sizeof(what), "auto scaling group \"%.60s\"", key->str);
    if (conf_name_check(key, "auto scaling group", FLEET_CONF_NAME_MAX, d) < 0)
        return;
    if (conf_expect(map, CONF_MAP, what, d) < 0)
        return;
    fleet_conf_check_map(map, FK_GROUP, what, d);
    memset(g, 0, sizeof(*g));
    c->ngroups++;
    g->name = mem_strdup_or_exit(key->str);
    g->file = key->file;
    g->line = key->line;
    g->col = key->col;
    if ((n = conf_key_get(map, K(FK_ASG_LAUNCH_TEMPLATE))))
        fleet_conf_read_lt_ref(c, g, n, what, d);
    if (conf_key_string(map, K(FK_ASG_TARGET_GROUP), &s, d) == 0) {
        n = conf_key_get(map, K(FK_ASG_TARGET_GROUP));
        g->target_group = mem_strdup_or_exit(s);
        if (!fleet_conf_in(s, tg_names, ntg))
            fleet_conf_unknown_name(n, what, "target group", s, tg_names, ntg,
                                    "target_groups", d);
        for (unsigned i = 0; i + 1 < c->ngroups; i++)
            if (c->groups[i].target_group && strcmp(c->groups[i].target_group, s) == 0)
                diag_at(d, n, "%s: target group \"%.60s\" already belongs to group \"%s\"; "
                        "give each group its own", what, s, c->groups[i].name);
    }
    fleet_conf_read_sizes(g, map, what, d);
    if ((n = conf_key_get(map, K(FK_ASG_HEALTH_TYPE))) &&
        (k = conf_enum(n, K(FK_ASG_HEALTH_TYPE)->words, "health_check_type", d)) >= 0)
        g->health_type = (enum fleet_health_type)k;
    conf_key_duration(map, K(FK_ASG_GRACE), &g->grace_ms, d);
    conf_key_duration(map, K(FK_ASG_WARMUP), &g->warmup_ms, d);
    if ((n = conf_key_get(map, K(FK_ASG_POLICIES))) &&
        conf_expect(n, CONF_SEQ, "scaling_policies", d) == 0) {
        if (n->n > K(FK_ASG_POLICIES)->max) {
            diag_at(d, n, "%s: scaling_policies: at most %llu policies", what,
                    (unsigned long long)K(FK_ASG_POLICIES)->max);
        } else {
            g->policies = mem_alloc_or_exit((n->n + 1) * sizeof(*g->policies));
            for (unsigned i = 0; i < n->n; i++)
                fleet_conf_read_policy(g, n->items[i], what, d);
        }
    }
    fleet_conf_read_refresh(g, conf_key_get(map, K(FK_ASG_REFRESH)), what, d, &warmup_set);
    if (!warmup_set)            /* AWS: DefaultInstanceWarmup, else HealthCheckGracePeriod */
        g->refresh.warmup_ms = g->warmup_ms ? g->warmup_ms : g->grace_ms;
}

static const struct conf_node *
fleet_conf_section(const struct conf_node *root, enum fleet_key key, struct diag *d)
{
    const struct conf_node *n = conf_key_get(root, K(key));

    if (!n || conf_expect(n, CONF_MAP, K(key)->path, d) < 0)
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
    lt = fleet_conf_section(root, FK_TEMPLATES, d);
    asg = fleet_conf_section(root, FK_GROUPS, d);
    if (lt) {
        c->templates = mem_alloc_or_exit((lt->n + 1) * sizeof(*c->templates));
        for (unsigned i = 0; i < lt->n; i++)
            fleet_conf_read_template(c, lt->pairs[i].key, lt->pairs[i].value, cx);
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
