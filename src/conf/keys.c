/*
 * conf/keys.c: reading nodes through key-table entries (conf/keys.h): the allowed and
 * required children of a map, typed reads with the entry's default and bounds, lookups of
 * an entry by path, and the consistency check every table's unit test runs. It knows no
 * subsystem: tables are passed in. Names and enum words are read here too, once for all.
 */
#include "conf/keys.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/value.h"

#define KEYS_CHILDREN_MAX 64
#define KEYS_PATH_MAX 256

const char *
conf_key_leaf(const struct conf_key *k)
{
    const char *dot = strrchr(k->path, '.');

    return dot ? dot + 1 : k->path;
}

const struct conf_node *
conf_key_get(const struct conf_node *map, const struct conf_key *k)
{
    const struct conf_node *n = map && map->kind == CONF_MAP ? conf_map_get(map, conf_key_leaf(k))
                                                             : NULL;

    return n && !conf_is_null(n) ? n : NULL;
}

const struct conf_node *
conf_key_node(const struct conf_node *map, const struct conf_key *k)
{
    const char *leaf = conf_key_leaf(k);

    if (!map || map->kind != CONF_MAP)
        return NULL;
    for (unsigned i = 0; i < map->n; i++)
        if (strcmp(map->pairs[i].key->str, leaf) == 0)
            return map->pairs[i].key;
    return NULL;
}

/* True when `child` is `parent` followed by "." and one more component; a key of the maps
 * in a list is written "parent[].leaf". The entries of a named map ("parent.*") are
 * children of it, with the leaf "*". */
static bool
keys_is_child(const char *parent, const char *child)
{
    size_t pl = strlen(parent);

    if (strncmp(child, parent, pl) != 0)
        return false;
    child += pl;
    if (strncmp(child, "[].", 3) == 0)
        child += 3;
    else if (*child == '.' && pl)
        child += 1;
    else if (pl)
        return false;
    return *child && !strchr(child, '.') && !strstr(child, "[]");
}

void
conf_key_check_map(const struct conf_node *map, const struct conf_key *tab, unsigned n,
                   const struct conf_key *parent, const char *what, struct diag *d)
{
    const char *allowed[KEYS_CHILDREN_MAX + 1];
    const char *ppath = parent ? parent->path : "";
    unsigned m = 0;

    if (!map || map->kind != CONF_MAP)
        return;
    for (unsigned i = 0; i < n && m < KEYS_CHILDREN_MAX; i++) {
        if (!tab[i].path || !keys_is_child(ppath, tab[i].path) ||
            strcmp(conf_key_leaf(&tab[i]), "*") == 0)
            continue;
        allowed[m++] = conf_key_leaf(&tab[i]);
        if (!(tab[i].flags & CONF_KEY_REQUIRED) || conf_key_get(map, &tab[i]))
            continue;
        const struct conf_node *v = conf_map_get(map, conf_key_leaf(&tab[i]));
        if (v)
            diag_at(d, v, "%s: \"%s\" has no value; write one after the ':'", what,
                    conf_key_leaf(&tab[i]));
        else
            diag_at(d, map, "%s: missing required key \"%s\"", what, conf_key_leaf(&tab[i]));
    }
    allowed[m] = NULL;
    conf_check_keys(map, allowed, what, d);
}

const struct conf_key *
conf_key_find(const struct conf_keytab *const *tabs, const char *path)
{
    for (; *tabs; tabs++)
        for (unsigned i = 0; i < (*tabs)->n; i++)
            if ((*tabs)->keys[i].path && strcmp((*tabs)->keys[i].path, path) == 0)
                return &(*tabs)->keys[i];
    return NULL;
}

/* Tries every reading of the components of `rest` appended to `acc`: a component as itself,
 * a name as "*", an index "[N]" as "[]". Depth-first; paths are short. */
static const struct conf_key *
keys_lookup_rest(const struct conf_keytab *const *tabs, char *acc, size_t len, const char *rest)
{
    const struct conf_key *k;

    if (!*rest)
        return len ? conf_key_find(tabs, acc) : NULL;
    if (*rest == '[') {
        const char *close = strchr(rest, ']');
        if (!close || len + 2 >= KEYS_PATH_MAX)
            return NULL;
        memcpy(acc + len, "[]", 3);
        return keys_lookup_rest(tabs, acc, len + 2, close + 1);
    }
    if (*rest == '.')
        rest++;
    size_t cl = strcspn(rest, ".[");
    size_t sep = len ? 1 : 0;
    if (len + sep + cl + 1 >= KEYS_PATH_MAX)
        return NULL;
    if (sep)
        acc[len] = '.';
    memcpy(acc + len + sep, rest, cl);
    acc[len + sep + cl] = '\0';
    if ((k = keys_lookup_rest(tabs, acc, len + sep + cl, rest + cl)))
        return k;
    memcpy(acc + len + sep, "*", 2);
    if ((k = keys_lookup_rest(tabs, acc, len + sep + 1, rest + cl)))
        return k;
    acc[len] = '\0';
    return NULL;
}

const struct conf_key *
conf_key_lookup(const struct conf_keytab *const *tabs, const char *node_path)
{
    char acc[KEYS_PATH_MAX] = "";

    return keys_lookup_rest(tabs, acc, 0, node_path);
}

/* The node to read: the value, or NULL with *rc set for an absent key (0 when it has a
 * default, which the caller parses from k->def; -ENOENT otherwise: conf_key_check_map()
 * reports a missing required key, once). */
static const struct conf_node *
keys_value(const struct conf_node *map, const struct conf_key *k, int *rc, struct diag *d)
{
    const struct conf_node *n = conf_key_get(map, k);

    (void)d;
    *rc = 0;
    if (n)
        return n;
    if (!k->def)
        *rc = -ENOENT;
    return NULL;
}

int
conf_key_string(const struct conf_node *map, const struct conf_key *k, const char **out,
                struct diag *d)
{
    int rc;
    const struct conf_node *n = keys_value(map, k, &rc, d);

    if (!n) {
        if (rc == 0)
            *out = k->def;
        return rc;
    }
    if (conf_string(n, out, d) < 0)
        return -EINVAL;
    if (k->max && strlen(*out) > k->max) {
        diag_at(d, n, "%s: the value is %zu bytes long; at most %" PRIu64 " are allowed",
                n->path, strlen(*out), k->max);
        return -EINVAL;
    }
    return 0;
}

int
conf_key_bool(const struct conf_node *map, const struct conf_key *k, bool *out, struct diag *d)
{
    int rc;
    const struct conf_node *n = keys_value(map, k, &rc, d);

    if (!n) {
        if (rc == 0)
            *out = strcmp(k->def, "true") == 0;
        return rc;
    }
    return conf_bool(n, out, d) < 0 ? -EINVAL : 0;
}

/* Writes bytes in its largest exact unit ("16k", "1m", "512") for messages, as a size is
 * written in the file. */
static const char *
keys_size_text(uint64_t bytes, char *buf, size_t len)
{
    static const char units[] = "tgmk";

    for (unsigned i = 0; bytes && units[i]; i++) {
        uint64_t unit = 1ULL << (10 * (4 - i));
        if (bytes % unit == 0) {
            snprintf(buf, len, "%" PRIu64 "%c", bytes / unit, units[i]);
            return buf;
        }
    }
    snprintf(buf, len, "%" PRIu64, bytes);
    return buf;
}

/* Bounds check shared by the number-like readers; `fmt` writes a value for messages. */
static int
keys_bounded(const struct conf_node *n, const struct conf_key *k, uint64_t v, struct diag *d)
{
    char lo[32], hi[32];

    if ((!k->min && !k->max) || (v >= k->min && v <= k->max))
        return 0;
    if (k->type == KT_DURATION) {
        conf_duration_text(k->min, lo, sizeof(lo));
        conf_duration_text(k->max, hi, sizeof(hi));
    } else if (k->type == KT_SIZE) {
        keys_size_text(k->min, lo, sizeof(lo));
        keys_size_text(k->max, hi, sizeof(hi));
    } else {
        snprintf(lo, sizeof(lo), "%" PRIu64, k->min);
        snprintf(hi, sizeof(hi), "%" PRIu64, k->max);
    }
    diag_at(d, n, "%s: %.60s is out of range; write a value from %s to %s", n->path, n->str,
            lo, hi);
    return -EINVAL;
}

int
conf_key_uint(const struct conf_node *map, const struct conf_key *k, uint64_t *out,
              struct diag *d)
{
    int rc;
    const struct conf_node *n = keys_value(map, k, &rc, d);
    uint64_t v;

    if (!n) {
        if (rc == 0)
            *out = strtoull(k->def, NULL, 10);
        return rc;
    }
    /* The entry's bounds go to conf_uint(), so that "abc" and 1000 are both told the range
     * the key accepts (not 0..UINT64_MAX). */
    if (conf_uint(n, k->min, k->min || k->max ? k->max : UINT64_MAX, &v, d) < 0)
        return -EINVAL;
    *out = v;
    return 0;
}

int
conf_key_duration(const struct conf_node *map, const struct conf_key *k, uint64_t *out,
                  struct diag *d)
{
    int rc;
    const struct conf_node *n = keys_value(map, k, &rc, d);
    uint64_t v;

    if (!n) {
        if (rc == 0 && conf_parse_duration_ms(k->def, out) < 0)
            return -EINVAL;
        return rc;
    }
    if (conf_duration_ms(n, &v, d) < 0 || keys_bounded(n, k, v, d) < 0)
        return -EINVAL;
    *out = v;
    return 0;
}

int
conf_key_size(const struct conf_node *map, const struct conf_key *k, uint64_t *out,
              struct diag *d)
{
    int rc;
    const struct conf_node *n = keys_value(map, k, &rc, d);
    uint64_t v;

    if (!n) {
        if (rc == 0 && conf_parse_size_bytes(k->def, out) < 0)
            return -EINVAL;
        return rc;
    }
    if (conf_size_bytes(n, &v, d) < 0 || keys_bounded(n, k, v, d) < 0)
        return -EINVAL;
    *out = v;
    return 0;
}

int
conf_key_enum(const struct conf_node *map, const struct conf_key *k, struct diag *d)
{
    int rc;
    const struct conf_node *n = keys_value(map, k, &rc, d);

    if (!n) {
        if (rc < 0)
            return rc;
        for (int i = 0; k->words[i]; i++)
            if (strcmp(k->words[i], k->def) == 0)
                return i;
        return -EINVAL;
    }
    return conf_enum(n, k->words, n->path, d);
}

bool
conf_name_ok(const char *s, unsigned max)
{
    size_t n = strlen(s);

    if (n == 0 || n > max)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

int
conf_name_check(const struct conf_node *key, const char *what, unsigned max, struct diag *d)
{
    if (conf_name_ok(key->str, max))
        return 0;
    diag_at(d, key, "%s \"%.60s\": a name uses letters, digits, '-', '_' and '.' (at most %u)",
            what, key->str, max);
    return -EINVAL;
}

int
conf_enum(const struct conf_node *n, const char *const *words, const char *what,
          struct diag *d)
{
    const char *s;
    char list[256] = "";

    if (conf_string(n, &s, d) < 0)
        return -EINVAL;
    for (int i = 0; words[i]; i++)
        if (strcmp(s, words[i]) == 0)
            return i;
    const char *near = conf_suggest(s, words);
    for (unsigned i = 0; words[i]; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                 words[i]);
    if (near)
        diag_at(d, n, "%s: unknown value \"%.60s\"; did you mean \"%s\"?", what, s, near);
    else
        diag_at(d, n, "%s: unknown value \"%.60s\"; use one of %s", what, s, list);
    return -EINVAL;
}

static const char *
keys_parent_of(const char *path, char *buf, size_t len)
{
    const char *dot = strrchr(path, '.');

    if (!dot)
        return "";
    size_t n = (size_t)(dot - path);
    if (n >= 2 && (strncmp(dot - 2, "[]", 2) == 0))
        n -= 2;
    else if (n >= 2 && strncmp(dot - 2, ".*", 2) == 0)
        n -= 2;
    snprintf(buf, len, "%.*s", (int)n, path);
    return buf;
}

const char *
conf_keytab_verify(const struct conf_key *tab, unsigned n)
{
    static char msg[320];
    char parent[KEYS_PATH_MAX];

    for (unsigned i = 0; i < n; i++) {
        const struct conf_key *k = &tab[i];
        uint64_t v = 0;
        if (!k->path) {
            snprintf(msg, sizeof(msg), "entry %u has no path", i);
            return msg;
        }
        for (unsigned j = 0; j < i; j++)
            if (strcmp(tab[j].path, k->path) == 0) {
                snprintf(msg, sizeof(msg), "%s: listed twice", k->path);
                return msg;
            }
        const char *p = keys_parent_of(k->path, parent, sizeof(parent));
        bool found = !*p;
        for (unsigned j = 0; !found && j < n; j++)
            found = strcmp(tab[j].path, p) == 0 &&
                    (tab[j].type == KT_MAP || tab[j].type == KT_NAMED || tab[j].type == KT_LIST);
        if (!found) {
            snprintf(msg, sizeof(msg), "%s: parent \"%s\" is not a map or list in the table",
                     k->path, p);
            return msg;
        }
        if ((k->flags & CONF_KEY_REQUIRED) && k->def) {
            snprintf(msg, sizeof(msg), "%s: required keys have no default", k->path);
            return msg;
        }
        if (k->type == KT_ENUM && !k->words) {
            snprintf(msg, sizeof(msg), "%s: an enum without words", k->path);
            return msg;
        }
        if (!k->def)
            continue;
        int bad = 0;
        switch (k->type) {
        case KT_BOOL:
            bad = strcmp(k->def, "true") != 0 && strcmp(k->def, "false") != 0;
            break;
        case KT_UINT: {
            char *end;
            v = strtoull(k->def, &end, 10);
            bad = end == k->def || *end;
            break;
        }
        case KT_DURATION:
            bad = conf_parse_duration_ms(k->def, &v) < 0;
            break;
        case KT_SIZE:
            bad = conf_parse_size_bytes(k->def, &v) < 0;
            break;
        case KT_ENUM:
            bad = 1;
            for (unsigned w = 0; k->words[w]; w++)
                if (strcmp(k->words[w], k->def) == 0)
                    bad = 0;
            break;
        default:
            break;
        }
        if (bad) {
            snprintf(msg, sizeof(msg), "%s: default \"%s\" is not a valid value", k->path,
                     k->def);
            return msg;
        }
        if ((k->type == KT_UINT || k->type == KT_DURATION || k->type == KT_SIZE) &&
            (k->min || k->max) && (v < k->min || v > k->max)) {
            snprintf(msg, sizeof(msg), "%s: default %s is outside its bounds", k->path, k->def);
            return msg;
        }
    }
    return NULL;
}
