/*
 * data/data_conf.c: reads `databases:` into a struct data_conf through the key table
 * (data_keys.c), reporting every problem against its node. Whatever later reaches SQL or
 * the server's config file (schema, user and host names, grants, parameters) is checked
 * here against a strict alphabet, so that no value can end a statement or a line. Opens
 * nothing and runs nothing.
 */
#include "data/data_conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/keys.h"
#include "conf/ref.h"
#include "conf/value.h"
#include "core/mem.h"
#include "data/data_keys.h"

#define K(id) (&data_keys[id])
#define DATA_CONF_MIN_WINDOW 30

/* Server settings tierd writes itself: a parameter may not override them. */
static const char *const data_conf_owned[] = {
    "datadir", "socket", "port", "bind_address", "skip_networking", "log_bin", "server_id",
    "sync_binlog", "innodb_flush_log_at_trx_commit", "user", "pid_file", "log_error",
    "plugin_load_add", "file_key_management_filename", "innodb_encrypt_tables",
    "innodb_encrypt_log", "encrypt_binlog", "encrypt_tmp_files", "log_basename", NULL,
};

static bool
data_conf_chars_ok(const char *s, const char *extra, size_t max)
{
    size_t n = strlen(s);

    if (n == 0 || n > max)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && !strchr(extra, *p))
            return false;
    return true;
}

static char *
data_conf_scalar(const struct conf_node *n, const char *what, struct diag *d)
{
    if (!n || n->kind != CONF_SCALAR || conf_is_null(n)) {
        diag_at(d, n, "%s: expected a string, got %s", what,
                !n || conf_is_null(n) ? "nothing" : conf_kind_name(n->kind));
        return NULL;
    }
    return mem_strdup_or_exit(n->str);
}

static int
data_conf_hhmm(const char *s, unsigned *out)
{
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -EINVAL;
    unsigned h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
    unsigned m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
    if (h > 23 || m > 59)
        return -EINVAL;
    *out = h * 60 + m;
    return 0;
}

static unsigned
data_conf_span(unsigned start, unsigned end, unsigned period)
{
    return end >= start ? end - start : period - start + end;
}

int
data_conf_parse_daily(const char *s, unsigned *start, unsigned *end, const char **why)
{
    if (strlen(s) != 11 || s[5] != '-' || data_conf_hhmm(s, start) < 0 ||
        data_conf_hhmm(s + 6, end) < 0) {
        *why = "write it as hh:mm-hh:mm in UTC, like \"03:00-03:30\"";
        return -EINVAL;
    }
    if (data_conf_span(*start, *end, 1440) < DATA_CONF_MIN_WINDOW) {
        *why = "a window lasts at least 30 minutes, as in RDS";
        return -EINVAL;
    }
    return 0;
}

static int
data_conf_day(const char *s)
{
    static const char *const days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

    for (int i = 0; i < 7; i++)
        if (strncmp(s, days[i], 3) == 0)
            return i;
    return -1;
}

int
data_conf_parse_weekly(const char *s, unsigned *start, unsigned *end, const char **why)
{
    unsigned a, b;
    int da, db;

    if (strlen(s) != 19 || s[3] != ':' || s[9] != '-' || s[13] != ':' ||
        (da = data_conf_day(s)) < 0 || (db = data_conf_day(s + 10)) < 0 ||
        data_conf_hhmm(s + 4, &a) < 0 || data_conf_hhmm(s + 14, &b) < 0) {
        *why = "write it as ddd:hh:mm-ddd:hh:mm in UTC, like \"sun:04:00-sun:04:30\" "
               "(days mon..sun)";
        return -EINVAL;
    }
    *start = (unsigned)da * 1440 + a;
    *end = (unsigned)db * 1440 + b;
    if (data_conf_span(*start, *end, 7 * 1440) < DATA_CONF_MIN_WINDOW) {
        *why = "a window lasts at least 30 minutes, as in RDS";
        return -EINVAL;
    }
    return 0;
}

/* True when the weekly window [ms, me) overlaps the daily window [bs, be) on any day. */
static bool
data_conf_windows_overlap(unsigned ms, unsigned me, unsigned bs, unsigned be)
{
    unsigned mlen = data_conf_span(ms, me, 7 * 1440), blen = data_conf_span(bs, be, 1440);

    for (unsigned day = 0; day < 8; day++) {
        unsigned b0 = day * 1440 + bs;      /* day 7 catches a window wrapping past sunday */
        unsigned m0 = ms, m1 = ms + mlen;
        for (unsigned wrap = 0; wrap < 2; wrap++, m0 += 7 * 1440, m1 += 7 * 1440)
            if (b0 < m1 && m0 < b0 + blen)
                return true;
    }
    return false;
}

static void
data_conf_read_list(const struct conf_node *map, enum data_key id, char ***out, unsigned *n,
                    const char *extra, size_t max, const char *what, const char *hint,
                    struct diag *d)
{
    const struct conf_node *l = conf_key_get(map, K(id));

    if (!l || conf_expect(l, CONF_SEQ, l->path, d) < 0)
        return;
    if (l->n > K(id)->max) {
        diag_at(d, l, "%s: at most %llu entries", l->path, (unsigned long long)K(id)->max);
        return;
    }
    *out = mem_alloc_or_exit((l->n + 1) * sizeof(char *));
    for (unsigned i = 0; i < l->n; i++) {
        char *s = data_conf_scalar(l->items[i], l->path, d);
        if (!s)
            continue;
        if (!data_conf_chars_ok(s, extra, max)) {
            diag_at(d, l->items[i], "%s: %s \"%.60s\" is not allowed; %s", l->path, what, s,
                    hint);
            free(s);
            continue;
        }
        (*out)[(*n)++] = s;
    }
}

static void
data_conf_read_user(struct data_db_conf *db, const struct conf_node *key,
                    const struct conf_node *map, const struct conf_ctx *cx)
{
    struct diag *d = cx->d;
    struct data_user *u = &db->users[db->nusers];
    const char *s;
    char what[200];

    snprintf(what, sizeof(what), "database \"%s\": user \"%.60s\"", db->name, key->str);
    if (!data_conf_chars_ok(key->str, "-.", 80)) {
        diag_at(d, key, "%s: a user name uses letters, digits, '_', '-' and '.' (at most 80)",
                what);
        return;
    }
    if (conf_expect(map, CONF_MAP, what, d) < 0)
        return;
    conf_key_check_map(map, data_keys, XK_COUNT, K(XK_USER), what, d);
    memset(u, 0, sizeof(*u));
    u->name = mem_strdup_or_exit(key->str);
    db->nusers++;
    const struct conf_node *pw = conf_key_get(map, K(XK_USER_PASSWORD));
    if (conf_key_string(map, K(XK_USER_PASSWORD), &s, d) == 0) {
        if (!s[0])
            diag_at(d, pw, "%s: password: empty; write \"${env:NAME}\" and export NAME", what);
        conf_ref_check(pw, pw->path, cx);
        u->password = mem_strdup_or_exit(s);
    }
    const struct conf_node *hn = conf_key_get(map, K(XK_USER_HOST));
    if (conf_key_string(map, K(XK_USER_HOST), &s, d) == 0) {
        if (!data_conf_chars_ok(s, ".-%:", 255))
            diag_at(d, hn, "%s: host \"%.60s\" is not a host name, address or pattern "
                    "(letters, digits, '.', '-', ':', '%%')", what, s);
        u->host = mem_strdup_or_exit(s);
    }
    data_conf_read_list(map, XK_USER_GRANTS, &u->grants, &u->ngrants, " .*,`-", 200, "grant",
                        "write one like \"ALL PRIVILEGES ON shop.*\" or \"SELECT ON shop.*\" "
                        "(no quotes or ';')", d);
}

static void
data_conf_read_params(struct data_db_conf *db, const struct conf_node *map, struct diag *d)
{
    const struct conf_node *p = conf_key_get(map, K(XK_PARAMETERS));

    if (!p || conf_expect(p, CONF_MAP, p->path, d) < 0)
        return;
    if (p->n > K(XK_PARAMETERS)->max) {
        diag_at(d, p, "%s: at most %llu parameters", p->path,
                (unsigned long long)K(XK_PARAMETERS)->max);
        return;
    }
    db->params = mem_alloc_or_exit((p->n + 1) * sizeof(*db->params));
    for (unsigned i = 0; i < p->n; i++) {
        const struct conf_node *k = p->pairs[i].key, *v = p->pairs[i].value;
        char name[80];
        size_t len = strlen(k->str);
        if (len >= sizeof(name) || !data_conf_chars_ok(k->str, "-", 79)) {
            diag_at(d, k, "%s: \"%.60s\" is not a server variable name (letters, digits, "
                    "'_', '-')", p->path, k->str);
            continue;
        }
        for (size_t j = 0; j <= len; j++)       /* the server treats '-' and '_' alike */
            name[j] = k->str[j] == '-' ? '_' : (char)tolower((unsigned char)k->str[j]);
        bool owned = false;
        for (const char *const *o = data_conf_owned; *o; o++)
            owned |= strcmp(*o, name) == 0;
        if (owned) {
            diag_at(d, k, "%s: tierd sets %s itself (see docs/data.md); remove it", p->path,
                    name);
            continue;
        }
        if (v->kind != CONF_SCALAR || conf_is_null(v) || !v->str[0] ||
            strpbrk(v->str, "\n\r#;\"'\\")) {
            diag_at(d, v, "%s.%s: expected one value like 256M or 200, on one line, without "
                    "quotes or '#'", p->path, k->str);
            continue;
        }
        db->params[db->nparams].name = mem_strdup_or_exit(name);
        db->params[db->nparams++].value = mem_strdup_or_exit(v->str);
    }
}

static void
data_conf_read_backup(struct data_db_conf *db, const struct conf_node *map, struct diag *d)
{
    const struct conf_node *b = conf_key_get(map, K(XK_BACKUP));
    const char *s, *why;
    char what[120];

    db->window_start_min = 180;
    db->window_end_min = 210;
    db->retention_ms = 7 * 86400000ULL;
    db->binlog_interval_ms = 60000;
    db->verify = true;
    if (!b || conf_expect(b, CONF_MAP, b->path, d) < 0)
        return;
    snprintf(what, sizeof(what), "database \"%s\": backup", db->name);
    conf_key_check_map(b, data_keys, XK_COUNT, K(XK_BACKUP), what, d);
    db->backup_on = true;
    if (conf_key_string(b, K(XK_BK_REPOSITORY), &s, d) == 0)
        db->repository = mem_strdup_or_exit(s);
    if (conf_key_string(b, K(XK_BK_PASSWORD_FILE), &s, d) == 0)
        db->password_file = mem_strdup_or_exit(s);
    if (conf_key_string(b, K(XK_BK_WINDOW), &s, d) == 0 &&
        data_conf_parse_daily(s, &db->window_start_min, &db->window_end_min, &why) < 0)
        diag_at(d, conf_key_get(b, K(XK_BK_WINDOW)), "%s.window: \"%.20s\": %s", what, s, why);
    conf_key_duration(b, K(XK_BK_RETENTION), &db->retention_ms, d);
    conf_key_duration(b, K(XK_BK_BINLOG_INTERVAL), &db->binlog_interval_ms, d);
    conf_key_bool(b, K(XK_BK_VERIFY), &db->verify, d);
    const struct conf_node *o = conf_key_get(b, K(XK_BK_OPTIONS));
    if (!o || conf_expect(o, CONF_MAP, o->path, d) < 0)
        return;
    if (o->n > K(XK_BK_OPTIONS)->max) {
        diag_at(d, o, "%s: at most %llu options", o->path,
                (unsigned long long)K(XK_BK_OPTIONS)->max);
        return;
    }
    db->restic_opts = mem_alloc_or_exit((o->n + 1) * sizeof(char *));
    for (unsigned i = 0; i < o->n; i++) {
        const struct conf_node *k = o->pairs[i].key, *v = o->pairs[i].value;
        if (!strchr(k->str, '.') || !data_conf_chars_ok(k->str, ".-", 79)) {
            diag_at(d, k, "%s: \"%.60s\" is not a restic option name (backend.option, like "
                    "sftp.command or s3.region: see restic's -o)", o->path, k->str);
            continue;
        }
        if (v->kind != CONF_SCALAR || conf_is_null(v) || strpbrk(v->str, "\n\r")) {
            diag_at(d, v, "%s.%s: expected one value on one line", o->path, k->str);
            continue;
        }
        char *kv = NULL;
        if (asprintf(&kv, "%s=%s", k->str, v->str) < 0)
            abort();
        db->restic_opts[db->nrestic_opts++] = kv;
    }
}

static void
data_conf_read_address(struct data_db_conf *db, const struct conf_node *map, struct diag *d)
{
    const struct conf_node *n = conf_key_get(map, K(XK_ADDRESS));
    const char *s;

    snprintf(db->host, sizeof(db->host), "localhost");
    if (conf_key_string(map, K(XK_ADDRESS), &s, d) != 0)
        return;
    const char *colon = strrchr(s, ':');
    char *end;
    unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
    size_t hl = colon ? (size_t)(colon - s) : 0;
    if (hl && s[0] == '[' && s[hl - 1] == ']') {
        s++;
        hl -= 2;
    }
    if (!colon || !colon[1] || *end || port == 0 || port > 65535 || hl == 0 ||
        hl >= sizeof(db->host)) {
        diag_at(d, n, "database \"%s\": address \"%.60s\" is not host:port; write one like "
                "127.0.0.1:3306", db->name, s);
        return;
    }
    memcpy(db->host, s, hl);
    db->host[hl] = '\0';
    if (!data_conf_chars_ok(db->host, ".-:", 255)) {
        diag_at(d, n, "database \"%s\": address \"%.60s\": the host is not an address or name",
                db->name, s);
        return;
    }
    db->port = (unsigned)port;
    db->address = mem_strdup_or_exit(conf_key_get(map, K(XK_ADDRESS))->str);
}

static void
data_conf_read_db(struct data_conf *c, const struct conf_node *key, const struct conf_node *map,
                  const struct conf_ctx *cx)
{
    struct diag *d = cx->d;
    struct data_db_conf *db = &c->dbs[c->n];
    const char *s, *why;
    char what[120];
    int e;

    if (!data_conf_chars_ok(key->str, "-", 64)) {
        diag_at(d, key, "database \"%.60s\": a database name uses letters, digits, '_' and "
                "'-' (at most 64)", key->str);
        return;
    }
    snprintf(what, sizeof(what), "database \"%s\"", key->str);
    if (conf_expect(map, CONF_MAP, what, d) < 0)
        return;
    conf_key_check_map(map, data_keys, XK_COUNT, K(XK_DB), what, d);
    memset(db, 0, sizeof(*db));
    db->name = mem_strdup_or_exit(key->str);
    c->n++;
    if ((e = conf_key_enum(map, K(XK_ENGINE), d)) >= 0)
        db->engine = (enum data_engine)e;
    if ((e = conf_key_enum(map, K(XK_MODE), d)) >= 0)
        db->mode = (enum data_mode)e;
    data_conf_read_address(db, map, d);
    if (conf_key_string(map, K(XK_SOCKET), &s, d) == 0)
        db->socket = mem_strdup_or_exit(s);
    if (conf_key_string(map, K(XK_DATADIR), &s, d) == 0)
        db->datadir = mem_strdup_or_exit(s);
    if (db->mode == DATA_MODE_EXTERNAL && !db->address && !db->socket)
        diag_at(d, key, "%s: an external database needs address: (host:port) or socket: to "
                "reach it", what);
    data_conf_read_list(map, XK_SCHEMAS, &db->schemas, &db->nschemas, "-$", 64, "schema name",
                        "a schema name uses letters, digits, '_', '-' and '$' (at most 64)", d);
    const struct conf_node *users = conf_key_get(map, K(XK_USERS));
    if (users && conf_expect(users, CONF_MAP, users->path, d) == 0) {
        if (users->n > K(XK_USERS)->max)
            diag_at(d, users, "%s: at most %llu users", users->path,
                    (unsigned long long)K(XK_USERS)->max);
        else {
            db->users = mem_alloc_or_exit((users->n + 1) * sizeof(*db->users));
            for (unsigned i = 0; i < users->n; i++)
                data_conf_read_user(db, users->pairs[i].key, users->pairs[i].value, cx);
        }
    }
    data_conf_read_params(db, map, d);
    const struct conf_node *enc = conf_key_get(map, K(XK_ENCRYPTION));
    if (enc && conf_expect(enc, CONF_MAP, enc->path, d) == 0) {
        conf_key_check_map(enc, data_keys, XK_COUNT, K(XK_ENCRYPTION), what, d);
        if (conf_key_string(enc, K(XK_ENC_KEY_FILE), &s, d) == 0)
            db->key_file = mem_strdup_or_exit(s);
    }
    data_conf_read_backup(db, map, d);
    const struct conf_node *mw = conf_key_get(map, K(XK_MAINTENANCE_WINDOW));
    if (conf_key_string(map, K(XK_MAINTENANCE_WINDOW), &s, d) == 0) {
        if (data_conf_parse_weekly(s, &db->maint_start_min, &db->maint_end_min, &why) < 0)
            diag_at(d, mw, "%s: maintenance_window \"%.20s\": %s", what, s, why);
        else if (data_conf_windows_overlap(db->maint_start_min, db->maint_end_min,
                                           db->window_start_min, db->window_end_min))
            diag_at(d, mw ? mw : key, "%s: maintenance_window %s overlaps the backup "
                    "window; move one of them (RDS refuses overlapping windows)", what, s);
    }
    conf_key_bool(map, K(XK_APPLY_IMMEDIATELY), &db->apply_immediately, d);
    conf_key_bool(map, K(XK_DELETION_PROTECTION), &db->deletion_protection, d);
}

int
data_conf_build(const struct conf_node *root, const struct conf_ctx *cx,
                struct data_conf **out)
{
    struct diag *d = cx->d;
    unsigned before = diag_count(d);
    struct data_conf *c = mem_alloc_or_exit(sizeof(*c));
    const struct conf_node *dbs = conf_key_get(root, K(XK_DATABASES));

    memset(c, 0, sizeof(*c));
    if (dbs && conf_expect(dbs, CONF_MAP, "databases", d) == 0 && dbs->n) {
        c->dbs = mem_alloc_or_exit(dbs->n * sizeof(*c->dbs));
        for (unsigned i = 0; i < dbs->n; i++)
            data_conf_read_db(c, dbs->pairs[i].key, dbs->pairs[i].value, cx);
    }
    if (diag_count(d) != before) {
        data_conf_free(c);
        *out = NULL;
        return -EINVAL;
    }
    *out = c;
    return 0;
}

static void
data_conf_strv_free(char **v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void
data_conf_free(struct data_conf *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->n; i++) {
        struct data_db_conf *db = &c->dbs[i];
        for (unsigned j = 0; j < db->nusers; j++) {
            struct data_user *u = &db->users[j];
            free(u->name);
            if (u->password)
                memset(u->password, 0, strlen(u->password));
            free(u->password);
            free(u->host);
            data_conf_strv_free(u->grants, u->ngrants);
        }
        free(db->users);
        for (unsigned j = 0; j < db->nrestic_opts; j++)
            free(db->restic_opts[j]);
        free(db->restic_opts);
        for (unsigned j = 0; j < db->nparams; j++) {
            free(db->params[j].name);
            free(db->params[j].value);
        }
        free(db->params);
        data_conf_strv_free(db->schemas, db->nschemas);
        free(db->name);
        free(db->address);
        free(db->socket);
        free(db->datadir);
        free(db->key_file);
        free(db->repository);
        free(db->password_file);
    }
    free(c->dbs);
    free(c);
}

const struct data_db_conf *
data_conf_db(const struct data_conf *c, const char *name)
{
    for (unsigned i = 0; c && i < c->n; i++)
        if (strcmp(c->dbs[i].name, name) == 0)
            return &c->dbs[i];
    return NULL;
}
