/*
 * conf/ref.c: "${env:NAME}" references (conf/ref.h): finding them, checking them against
 * the environment, and expanding them where a secret is used. It never prints or logs a
 * value; messages name the variable only. "${db:NAME.FIELD}" references go the same way,
 * their values coming from the resolver the daemon registers (the data tier's).
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
#define REF_DB_OPEN "${db:"
#define REF_DB_OPEN_LEN 5

static conf_ref_db_fn ref_db_fn;
static void *ref_db_ctx;

void
conf_ref_set_db(conf_ref_db_fn fn, void *ctx)
{
    ref_db_fn = fn;
    ref_db_ctx = ctx;
}

/* "main.port", "main.users.app.password": names, '.', '-' and '_'. */
static bool
ref_db_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > REF_NAME_MAX || !memchr(s, '.', len))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
            return false;
    return true;
}

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
    return s && (strstr(s, REF_OPEN) != NULL || strstr(s, REF_DB_OPEN) != NULL);
}

/* The next reference at or after s: sets name and len and returns its start, or NULL. A
 * malformed one sets *len to 0; *db says which kind it is. */
static const char *
ref_next_kind(const char *s, const char **name, size_t *len, bool *db)
{
    const char *p = strstr(s, REF_OPEN), *q = strstr(s, REF_DB_OPEN);

    *db = q && (!p || q < p);
    if (*db)
        p = q;
    if (!p)
        return NULL;
    *name = p + (*db ? REF_DB_OPEN_LEN : REF_OPEN_LEN);
    const char *end = strchr(*name, '}');
    *len = end ? (size_t)(end - *name) : 0;
    if (end && !(*db ? ref_db_name_ok(*name, *len) : conf_ref_name_ok(*name, *len)))
        *len = 0;
    return p;
}

/* Only "${env:" references (the environment's). */
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

/* A "${db:NAME.FIELD}" reference checked against the databases the file declares. */
static int
ref_check_db(const struct conf_node *n, const char *what, const struct conf_ctx *cx,
             const char *name, size_t len)
{
    size_t dot = (size_t)((const char *)memchr(name, '.', len) - name);
    const char *field = name + dot + 1;
    size_t flen = len - dot - 1;
    bool known = false;

    for (const char *const *d = cx->databases; d && *d; d++)
        known |= strlen(*d) == dot && strncmp(*d, name, dot) == 0;
    if (!known) {
        diag_at(cx->d, n, "%s: ${db:%.*s}: no database \"%.*s\" is declared under "
                "databases:", what, (int)len, name, (int)dot, name);
        return -EINVAL;
    }
    if ((flen == 4 && strncmp(field, "host", 4) == 0) ||
        (flen == 4 && strncmp(field, "port", 4) == 0) ||
        (flen == 6 && strncmp(field, "socket", 6) == 0) ||
        (flen > 15 && strncmp(field, "users.", 6) == 0 &&
         strncmp(field + flen - 9, ".password", 9) == 0))
        return 0;
    diag_at(cx->d, n, "%s: ${db:%.*s}: a database reference is ${db:NAME.host}, .port, "
            ".socket or .users.USER.password", what, (int)len, name);
    return -EINVAL;
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

    bool db;

    while (p && (p = ref_next_kind(p, &name, &len, &db))) {
        if (!len) {
            diag_at(cx->d, n, db ? "%s: write a database reference as ${db:NAME.FIELD}, "
                    "for example ${db:main.port}" : "%s: write a reference as ${env:NAME}, "
                    "NAME made of letters, digits and '_'", what);
            return -EINVAL;
        }
        if (db) {
            if (ref_check_db(n, what, cx, name, len) < 0)
                rc = -EINVAL;
            p = name + len + 1;
            continue;
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
    char var[REF_NAME_MAX + 1], *dbv = NULL;
    size_t len;
    bool db;

    while ((ref = ref_next_kind(p, &name, &len, &db))) {
        if (!len) {
            free(out);
            errno = EINVAL;
            return NULL;
        }
        memcpy(var, name, len);
        var[len] = '\0';
        const char *v = db ? (ref_db_fn ? (dbv = ref_db_fn(ref_db_ctx, var)) : NULL)
                           : getenv(var);
        if (!v) {
            if (missing && cap)
                snprintf(missing, cap, "%s%s", db ? "db:" : "", var);
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
        if (dbv) {
            memset(dbv, 0, vl);
            free(dbv);
            dbv = NULL;
        }
    }
    size_t rest = strlen(p);
    if (out_len + rest + 1 > out_cap)
        out = mem_realloc_or_exit(out, out_len + rest + 1);
    memcpy(out + out_len, p, rest + 1);
    return out;
}
