/*
 * shield/geo_conf.c: the `shield.geo` section: which countries are blocked or counted (AWS
 * WAF's geo match statement) and the database that says where an address is. It reads
 * the databases (geo.c) as part of building a configuration generation, so `check`, start
 * and reload each read the current files and a bad file is an error at its key; the shield
 * only ever looks up in a finished, immutable database.
 */
#include "shield/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/keys.h"
#include "conf/value.h"
#include "core/err.h"
#include "core/mem.h"
#include "shield/geo.h"
#include "shield/shield_keys.h"

#define K(id) (&shield_keys[id])

/* path as written, or joined to the directory of the file it was written in. */
static char *
geo_conf_resolve(const char *path, const struct conf_node *at)
{
    const char *file = at && at->file ? at->file : "";
    const char *slash = strrchr(file, '/');
    char *out;

    if (path[0] == '/' || !slash)
        return mem_strdup_or_exit(path);
    size_t dn = (size_t)(slash - file) + 1, pn = strlen(path);
    out = mem_alloc_or_exit(dn + pn + 1);
    memcpy(out, file, dn);
    memcpy(out + dn, path, pn + 1);
    return out;
}

/* One list of country codes into c->geo_action with `action`. Returns the count. */
static unsigned
geo_conf_read_codes(struct shield_conf *c, const struct conf_node *geo, enum shield_key id,
                    enum shield_geo_action action, const struct conf_node **where,
                    struct diag *d)
{
    const struct conf_node *list = conf_key_get(geo, K(id));
    unsigned n = 0;

    if (!list || conf_expect(list, CONF_SEQ, K(id)->path, d) < 0)
        return 0;
    if (list->n > K(id)->max) {
        diag_at(d, list, "%s: %u countries is more than the %llu allowed", K(id)->path,
                list->n, (unsigned long long)K(id)->max);
        return 0;
    }
    for (unsigned i = 0; i < list->n; i++) {
        const struct conf_node *item = list->items[i];
        const char *s;
        if (conf_string(item, &s, d) < 0)
            continue;
        geo_code cc = geo_code_parse(s, true), loose = geo_code_parse(s, false);
        if (!geo_code_is_assigned(cc)) {
            char hint[3];
            geo_code_format(loose, hint);
            if (geo_code_is_assigned(loose))
                diag_at(d, item, "%s: \"%.60s\" is not a country code; write it in upper case, "
                        "\"%s\"", item->path, s, hint);
            else
                diag_at(d, item, "%s: \"%.60s\" is not an ISO 3166-1 alpha-2 country code; "
                        "write two upper-case letters, like SG, US or DE", item->path, s);
            continue;
        }
        unsigned ix = geo_code_index(cc);
        if (c->geo_action[ix] != SHIELD_GEO_NONE) {
            const struct conf_node *first = where[ix];
            diag_at(d, item, "%s: %s is already listed at %s:%u:%u; list a country once, in "
                    "block or in count", item->path, s, first->file, first->line, first->col);
            continue;
        }
        c->geo_action[ix] = (uint8_t)action;
        where[ix] = item;
        n++;
    }
    return n;
}

/* The names of the stack file's listeners (the edge owns the section; only names are read
 * here, to report a scope that names none). */
static bool
geo_conf_listener_exists(const struct conf_node *root, const char *name)
{
    const struct conf_node *ls = NULL;

    for (unsigned i = 0; root && root->kind == CONF_MAP && i < root->n; i++)
        if (strcmp(root->pairs[i].key->str, "listeners") == 0)
            ls = root->pairs[i].value;
    for (unsigned i = 0; ls && ls->kind == CONF_SEQ && i < ls->n; i++) {
        const struct conf_node *l = ls->items[i];
        for (unsigned k = 0; l->kind == CONF_MAP && k < l->n; k++)
            if (strcmp(l->pairs[k].key->str, "name") == 0 &&
                l->pairs[k].value->kind == CONF_SCALAR &&
                strcmp(l->pairs[k].value->str, name) == 0)
                return true;
    }
    return false;
}

/* A scope list into a new NULL-terminated array (NULL when absent or empty). paths: each
 * a prefix starting with '/'; else listener names that exist. */
static char **
geo_conf_read_scope(const struct conf_node *root, const struct conf_node *geo,
                    enum shield_key id, bool paths, struct diag *d)
{
    const struct conf_node *list = conf_key_get(geo, K(id));
    char **out;
    unsigned n = 0;

    if (!list || conf_expect(list, CONF_SEQ, K(id)->path, d) < 0 || list->n == 0)
        return NULL;
    if (list->n > K(id)->max) {
        diag_at(d, list, "%s: %u entries is more than the %llu allowed", K(id)->path, list->n,
                (unsigned long long)K(id)->max);
        return NULL;
    }
    out = mem_alloc_or_exit((list->n + 1) * sizeof(*out));
    for (unsigned i = 0; i < list->n; i++) {
        const struct conf_node *item = list->items[i];
        const char *s;
        if (conf_string(item, &s, d) < 0)
            continue;
        if (paths && (s[0] != '/' || strlen(s) > 256 || strpbrk(s, " \t?#"))) {
            diag_at(d, item, "%s: \"%.60s\" is not a path prefix; write one starting with "
                    "'/', without spaces or a query, like /admin", item->path, s);
            continue;
        }
        if (!paths && !geo_conf_listener_exists(root, s)) {
            diag_at(d, item, "%s: no listener is named \"%.60s\"; write the name of one of "
                    "the listeners", item->path, s);
            continue;
        }
        out[n++] = mem_strdup_or_exit(s);
    }
    out[n] = NULL;
    return out;
}

static void
geo_conf_free_list(char **l)
{
    for (char **p = l; p && *p; p++)
        free(*p);
    free(l);
}

void
geo_conf_fini(struct shield_conf *c)
{
    geo_free(c->geo);
    free(c->geo_path);
    free(c->geo_path6);
    geo_conf_free_list(c->geo_listeners);
    geo_conf_free_list(c->geo_paths);
}

bool
geo_conf_in_scope(const struct shield_conf *c, struct slice listener, struct slice path)
{
    bool in = !c->geo_listeners;

    for (char **l = c->geo_listeners; l && *l && !in; l++)
        in = strlen(*l) == listener.len && memcmp(*l, listener.p, listener.len) == 0;
    /* By segment, as login_paths: "/admin" holds "/admin" and "/admin/x", not "/admins". */
    return in && (!c->geo_paths || detect_path_in((const char *const *)c->geo_paths, path));
}

/* Reads one database file into g; problems are reported at `at` (the key, or the section
 * when the default is used). */
static void
geo_conf_load(struct geo *g, bool v6, const char *path, const struct conf_node *at,
              const char *what, struct diag *d)
{
    char why[200] = "";
    int rc = geo_load(g, v6, path, why, sizeof(why));

    if (rc == -EBADMSG)
        diag_at(d, at, "%s: %s: %s; fix the file or point %s at a database in Tor's geoip "
                "format", what, path, why, what);
    else if (rc == -ENOENT && (strcmp(path, GEO_DEFAULT_V4) == 0 ||
                               strcmp(path, GEO_DEFAULT_V6) == 0))
        diag_at(d, at, "%s: %s: no such file; install Debian's tor-geoipdb (apt-get install "
                "tor-geoipdb) or set %s", what, path, what);
    else if (rc == -EINVAL || rc == -EISDIR)
        diag_at(d, at, "%s: %s is not a regular file; point %s at the database file", what,
                path, what);
    else if (rc < 0)
        diag_at(d, at, "%s: cannot read %s: %s", what, path, strerror(-rc));
}

void
geo_conf_read(struct shield_conf *c, const struct conf_node *root, const struct conf_node *sh,
              struct diag *d)
{
    const struct conf_node *geo = conf_key_get(sh, K(SK_GEO));
    const struct conf_node *where[GEO_CODES] = { 0 };
    const char *p4 = NULL, *p6 = NULL;
    unsigned before = diag_count(d);

    if (!geo || conf_expect(geo, CONF_MAP, K(SK_GEO)->path, d) < 0)
        return;
    conf_key_check_map(geo, shield_keys, SK_COUNT, K(SK_GEO), K(SK_GEO)->path, d);
    c->ngeo_block = geo_conf_read_codes(c, geo, SK_GEO_BLOCK, SHIELD_GEO_BLOCK, where, d);
    c->ngeo_count = geo_conf_read_codes(c, geo, SK_GEO_COUNT, SHIELD_GEO_COUNT, where, d);
    c->geo_listeners = geo_conf_read_scope(root, geo, SK_GEO_LISTENERS, false, d);
    c->geo_paths = geo_conf_read_scope(root, geo, SK_GEO_PATHS, true, d);
    if (conf_key_string(geo, K(SK_GEO_DATABASE), &p4, d) < 0 ||
        conf_key_string(geo, K(SK_GEO_DATABASE6), &p6, d) < 0)
        return;
    const struct conf_node *n4 = conf_key_get(geo, K(SK_GEO_DATABASE));
    const struct conf_node *n6 = conf_key_get(geo, K(SK_GEO_DATABASE6));
    if (!p4[0]) {
        diag_at(d, n4, "%s: empty; write the path of an IPv4 database (default %s)",
                K(SK_GEO_DATABASE)->path, GEO_DEFAULT_V4);
        return;
    }
    c->geo_path = geo_conf_resolve(p4, n4 ? n4 : geo);
    c->geo_path6 = p6[0] ? geo_conf_resolve(p6, n6 ? n6 : geo) : NULL;
    if (diag_count(d) != before)
        return;                 /* the rules are wrong: reading 25 MB would not help */
    struct geo *g = geo_new();
    geo_conf_load(g, false, c->geo_path, n4 ? n4 : geo, K(SK_GEO_DATABASE)->path, d);
    if (c->geo_path6)
        geo_conf_load(g, true, c->geo_path6, n6 ? n6 : geo, K(SK_GEO_DATABASE6)->path, d);
    char why[200] = "";
    if (diag_count(d) == before && geo_finish(g, why, sizeof(why)) < 0)
        diag_at(d, geo, "%s: %s", K(SK_GEO)->path, why);
    if (diag_count(d) != before) {
        geo_free(g);
        return;
    }
    int64_t gen = geo_generated_s(g), now = (int64_t)time(NULL);
    if (gen > 0 && now - gen > GEO_STALE_S) {
        char day[16];
        time_t t = (time_t)gen;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(day, sizeof(day), "%Y-%m-%d", &tm);
        diag_warn_at(d, n4 ? n4 : geo, "%s: %s is %lld days old (generated %s); countries "
                     "move between networks, update it (apt-get install --only-upgrade "
                     "tor-geoipdb, or a newer file)", K(SK_GEO_DATABASE)->path, c->geo_path,
                     (long long)((now - gen) / 86400), day);
    }
    c->geo = g;
}
