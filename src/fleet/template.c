/*
 * fleet/template.c: launch template versions as values: copy, canonical JSON (which is
 * what the state db stores and what the version hash is taken over), placeholder
 * expansion and signal names. Owns only the strings of the templates it fills.
 */
#include "fleet/template.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/mem.h"

const char *const template_signal_names[] = {
    "SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGKILL", "SIGWINCH", NULL,
};
static const int template_signal_nums[] = {
    SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGKILL, SIGWINCH,
};

int
template_signal_parse(const char *s)
{
    for (unsigned i = 0; template_signal_names[i]; i++)
        if (strcasecmp(s, template_signal_names[i]) == 0 ||
            strcasecmp(s, template_signal_names[i] + 3) == 0)
            return template_signal_nums[i];
    return -EINVAL;
}

const char *
template_signal_name(int signo)
{
    for (unsigned i = 0; template_signal_names[i]; i++)
        if (template_signal_nums[i] == signo)
            return template_signal_names[i];
    return "SIG?";
}

static char **
template_strv_copy(char **v, unsigned n)
{
    char **out = mem_alloc_or_exit((n + 1) * sizeof(*out));

    for (unsigned i = 0; i < n; i++)
        out[i] = mem_strdup_or_exit(v[i]);
    return out;
}

static char *
template_strdup_opt(const char *s)
{
    return s ? mem_strdup_or_exit(s) : NULL;
}

void
template_fini(struct template *t)
{
    for (unsigned i = 0; i < t->argc; i++)
        free(t->argv[i]);
    for (unsigned i = 0; i < t->nenv; i++)
        free(t->env[i]);
    for (unsigned i = 0; i < t->ninherit; i++)
        free(t->inherit[i]);
    free(t->argv);
    free(t->env);
    free(t->inherit);
    free(t->env_file);
    free(t->name);
    free(t->working_dir);
    free(t->user);
    memset(t, 0, sizeof(*t));
}

void
template_copy(struct template *out, const struct template *t)
{
    *out = *t;
    out->name = template_strdup_opt(t->name);
    out->argv = template_strv_copy(t->argv, t->argc);
    out->env = template_strv_copy(t->env, t->nenv);
    out->inherit = template_strv_copy(t->inherit, t->ninherit);
    out->env_file = template_strdup_opt(t->env_file);
    out->working_dir = template_strdup_opt(t->working_dir);
    out->user = template_strdup_opt(t->user);
}

char *
template_to_json(const struct template *t)
{
    json_t *o = json_object(), *argv = json_array(), *env = json_object();

    for (unsigned i = 0; i < t->argc; i++)
        json_array_append_new(argv, json_string(t->argv[i]));
    for (unsigned i = 0; i < t->nenv; i++) {
        const char *eq = strchr(t->env[i], '=');
        char key[256];
        snprintf(key, sizeof(key), "%.*s", (int)(eq - t->env[i]), t->env[i]);
        json_object_set_new(env, key, json_string(eq + 1));
    }
    json_object_set_new(o, "command", argv);
    json_object_set_new(o, "env", env);
    json_object_set_new(o, "working_dir", t->working_dir ? json_string(t->working_dir)
                                                         : json_null());
    json_object_set_new(o, "user", t->user ? json_string(t->user) : json_null());
    json_object_set_new(o, "stop_signal", json_string(template_signal_name(t->stop_signal)));
    json_object_set_new(o, "stop_timeout_ms", json_integer((json_int_t)t->stop_timeout_ms));
    json_object_set_new(o, "cpu_milli", json_integer(t->cpu_milli));
    json_object_set_new(o, "memory_bytes", json_integer((json_int_t)t->memory_bytes));
    /* Newer fields only when set, so that templates without them keep their hash (and
     * their version) across an upgrade of tierd. */
    if (t->env_file)
        json_object_set_new(o, "env_file", json_string(t->env_file));
    if (t->limits_required)
        json_object_set_new(o, "limits_required", json_true());
    if (t->ninherit) {
        json_t *inh = json_array();
        for (unsigned i = 0; i < t->ninherit; i++)
            json_array_append_new(inh, json_string(t->inherit[i]));
        json_object_set_new(o, "inherit_env", inh);
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (!s) {
        fprintf(stderr, "tierd: out of memory\n");
        exit(1);
    }
    char *copy = mem_strdup_or_exit(s);
    free(s);
    return copy;
}

static int
template_env_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
template_from_json(const char *name, const char *json, struct template *out)
{
    json_t *o = json_loads(json, 0, NULL), *v;
    const char *key;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (!o || !json_is_object(o))
        goto bad;
    out->name = mem_strdup_or_exit(name);
    json_t *argv = json_object_get(o, "command"), *env = json_object_get(o, "env");
    if (!json_is_array(argv) || json_array_size(argv) == 0 || !json_is_object(env))
        goto bad;
    out->argv = mem_alloc_or_exit((json_array_size(argv) + 1) * sizeof(char *));
    json_array_foreach(argv, i, v) {
        if (!json_is_string(v))
            goto bad;
        out->argv[out->argc++] = mem_strdup_or_exit(json_string_value(v));
    }
    out->env = mem_alloc_or_exit((json_object_size(env) + 1) * sizeof(char *));
    json_object_foreach(env, key, v) {
        if (!json_is_string(v))
            goto bad;
        size_t n = strlen(key) + strlen(json_string_value(v)) + 2;
        out->env[out->nenv] = mem_alloc_or_exit(n);
        snprintf(out->env[out->nenv++], n, "%s=%s", key, json_string_value(v));
    }
    qsort(out->env, out->nenv, sizeof(char *), template_env_cmp);
    if ((v = json_object_get(o, "working_dir")) && json_is_string(v))
        out->working_dir = mem_strdup_or_exit(json_string_value(v));
    if ((v = json_object_get(o, "user")) && json_is_string(v))
        out->user = mem_strdup_or_exit(json_string_value(v));
    v = json_object_get(o, "stop_signal");
    out->stop_signal = json_is_string(v) ? template_signal_parse(json_string_value(v)) : SIGTERM;
    if (out->stop_signal < 0)
        goto bad;
    out->stop_timeout_ms = (uint64_t)json_integer_value(json_object_get(o, "stop_timeout_ms"));
    out->cpu_milli = (unsigned)json_integer_value(json_object_get(o, "cpu_milli"));
    out->memory_bytes = (uint64_t)json_integer_value(json_object_get(o, "memory_bytes"));
    if ((v = json_object_get(o, "env_file")) && json_is_string(v))
        out->env_file = mem_strdup_or_exit(json_string_value(v));
    out->limits_required = json_is_true(json_object_get(o, "limits_required"));
    json_t *inh = json_object_get(o, "inherit_env");
    if (json_is_array(inh) && json_array_size(inh)) {
        out->inherit = mem_alloc_or_exit((json_array_size(inh) + 1) * sizeof(char *));
        json_array_foreach(inh, i, v) {
            if (!json_is_string(v))
                goto bad;
            out->inherit[out->ninherit++] = mem_strdup_or_exit(json_string_value(v));
        }
    }
    json_decref(o);
    template_hash_update(out);
    return 0;
bad:
    json_decref(o);
    template_fini(out);
    return -EINVAL;
}

void
template_hash_update(struct template *t)
{
    char *json = template_to_json(t);
    uint64_t h = 0xcbf29ce484222325ULL;

    for (const unsigned char *p = (const unsigned char *)json; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    free(json);
    snprintf(t->hash, sizeof(t->hash), "%016llx", (unsigned long long)h);
}

char *
template_expand(const char *s, unsigned port, const char *instance_id)
{
    size_t cap = strlen(s) + 64, n = 0;
    char *out = mem_alloc_or_exit(cap), ports[16];

    snprintf(ports, sizeof(ports), "%u", port);
    while (*s) {
        const char *rep = NULL;
        size_t skip = 0;
        if (strncmp(s, "${PORT}", 7) == 0) {
            rep = ports;
            skip = 7;
        } else if (strncmp(s, "${INSTANCE_ID}", 14) == 0) {
            rep = instance_id;
            skip = 14;
        }
        size_t add = rep ? strlen(rep) : 1;
        if (n + add + 1 > cap) {
            cap = (n + add + 1) * 2;
            out = mem_realloc_or_exit(out, cap);
        }
        if (rep) {
            memcpy(out + n, rep, add);
            s += skip;
        } else {
            out[n] = *s++;
        }
        n += add;
    }
    out[n] = '\0';
    return out;
}

const char *
template_bad_placeholder(const char *s, bool allow_env, char *buf, unsigned len)
{
    for (const char *p = strstr(s, "${"); p; p = strstr(p + 2, "${")) {
        if (strncmp(p, "${PORT}", 7) == 0 || strncmp(p, "${INSTANCE_ID}", 14) == 0 ||
            (allow_env && strncmp(p, "${env:", 6) == 0))    /* conf/ref.c judges these */
            continue;
        /* A database's address may go anywhere; a password only where env may. */
        const char *close = strchr(p, '}');
        if (strncmp(p, "${db:", 5) == 0 &&
            (allow_env || !close || close - p < 10 || strncmp(close - 9, ".password", 9) != 0))
            continue;
        const char *end = strchr(p, '}');
        int n = end ? (int)(end - p + 1) : (int)strlen(p);
        snprintf(buf, len, "%.*s", n > 40 ? 40 : n, p);
        return buf;
    }
    return NULL;
}
