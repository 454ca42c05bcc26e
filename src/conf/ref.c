/*
 * conf/ref.c: "${env:NAME}" references (conf/ref.h): finding them, checking them against
 * the environment, and expanding them where a secret is used. It never prints or logs a
 * value; messages name the variable only.
 */
#include "conf/ref.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define REF_OPEN "${env:"
#define REF_OPEN_LEN 6
#define REF_NAME_MAX 128

bool
conf_ref_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > REF_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

bool
conf_ref_has(const char *s)
{
    return s && strstr(s, REF_OPEN) != NULL;
}

/* The next reference at or after s: sets name and len and returns its start, or NULL. A
 * malformed one sets *len to 0. */
static const char *
ref_next(const char *s, const char **name, size_t *len)
{
    const char *p = strstr(s, REF_OPEN);

    if (!p)
        return NULL;
    *name = p + REF_OPEN_LEN;
    const char *end = strchr(*name, '}');
    *len = end ? (size_t)(end - *name) : 0;
    if (end && !conf_ref_name_ok(*name, *len))
        *len = 0;
    return p;
}

bool
conf_ref_is_whole(const char *s, char *name, size_t cap)
{
    const char *n;
    size_t len;

    if (!s || ref_next(s, &n, &len) != s || !len || n[len + 1] != '\0' || len >= cap)
        return false;
    memcpy(name, n, len);
    name[len] = '\0';
    return true;
}

int
conf_ref_check(const struct conf_node *n, const char *what, const struct conf_ctx *cx)
{
    const char *p = n && n->kind == CONF_SCALAR ? n->str : NULL, *name;
    char var[REF_NAME_MAX + 1];
    size_t len;
    int rc = 0;

    while (p && (p = ref_next(p, &name, &len))) {
        if (!len) {
            diag_at(cx->d, n, "%s: write a reference as ${env:NAME}, NAME made of letters, "
                    "digits and '_'", what);
            return -EINVAL;
        }
        memcpy(var, name, len);
        var[len] = '\0';
        if (!getenv(var)) {
            if (cx->check_only) {
                diag_warn_at(cx->d, n, "%s: environment variable %s is not set here; tierd "
                             "run and apply will need it", what, var);
            } else {
                diag_at(cx->d, n, "%s: environment variable %s is not set; export it in "
                        "tierd's environment (or its systemd EnvironmentFile=)", what, var);
                rc = -EINVAL;
            }
        }
        p = name + len + 1;
    }
    return rc;
}

char *
conf_ref_expand(const char *s, char *missing, size_t cap)
{
    size_t out_len = 0, out_cap = strlen(s) + 1;
    char *out = mem_alloc_or_exit(out_cap);
    const char *p = s, *ref, *name;
    char var[REF_NAME_MAX + 1];
    size_t len;

    while ((ref = ref_next(p, &name, &len))) {
        if (!len) {
            free(out);
            errno = EINVAL;
            return NULL;
        }
        memcpy(var, name, len);
        var[len] = '\0';
        const char *v = getenv(var);
        if (!v) {
            if (missing && cap)
                snprintf(missing, cap, "%s", var);
            free(out);
            errno = ENOENT;
            return NULL;
        }
        size_t lit = (size_t)(ref - p), vl = strlen(v);
        if (out_len + lit + vl + 1 > out_cap) {
            out_cap = out_len + lit + vl + strlen(name + len) + 1;
            out = mem_realloc_or_exit(out, out_cap);
        }
        memcpy(out + out_len, p, lit);
        memcpy(out + out_len + lit, v, vl);
        out_len += lit + vl;
        p = name + len + 1;
    }
    size_t rest = strlen(p);
    if (out_len + rest + 1 > out_cap)
        out = mem_realloc_or_exit(out, out_len + rest + 1);
    memcpy(out + out_len, p, rest + 1);
    return out;
}
