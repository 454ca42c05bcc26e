/*
 * conf/value.c: typed readers over scalar nodes (strings, booleans, integers, durations,
 * sizes) and structural checks (node kinds, required and unknown keys with "did you mean").
 * Each reader adds at most one diagnostic naming the key's path, the value and the fix;
 * what a value means, and its range beyond syntax, is the calling *_conf.c's business.
 */
#include "conf/value.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

/* Values are quoted in messages up to this many bytes, then "...". */
#define VALUE_QUOTE_MAX 60
#define QFMT "\"%.60s%s\""
#define QARG(s) (s), (strlen(s) > VALUE_QUOTE_MAX ? "..." : "")

enum value_why { VALUE_OK = 0, VALUE_SYNTAX, VALUE_NO_UNIT, VALUE_ORDER, VALUE_RANGE };

static const char *
value_path(const struct conf_node *n)
{
    return n->path && n->path[0] ? n->path : "value";
}

bool
conf_is_null(const struct conf_node *n)
{
    if (!n || n->kind != CONF_SCALAR || n->quoted)
        return false;
    return !n->str[0] || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
           strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

static const char *
value_kind_name(const struct conf_node *n)
{
    return conf_is_null(n) ? "nothing" : conf_kind_name(n->kind);
}

int
conf_expect(const struct conf_node *n, enum conf_kind k, const char *what, struct diag *d)
{
    if (n->kind == k && !(k == CONF_SCALAR && conf_is_null(n)))
        return 0;
    diag_at(d, n, "%s: expected %s, got %s", what, conf_kind_name(k), value_kind_name(n));
    return -EINVAL;
}

void
conf_check_keys(const struct conf_node *map, const char *const *allowed, const char *what,
                struct diag *d)
{
    if (!map || map->kind != CONF_MAP)
        return;
    for (unsigned i = 0; i < map->n; i++) {
        const struct conf_node *k = map->pairs[i].key;
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(k->str, *a) == 0;
        if (known)
            continue;
        const char *near = conf_suggest(k->str, allowed);
        if (near) {
            diag_at(d, k, "unknown key " QFMT " in %s; did you mean \"%s\"?", QARG(k->str), what,
                    near);
            continue;
        }
        char list[512] = "";
        size_t used = 0;
        for (const char *const *a = allowed; *a && used < sizeof(list); a++) {
            int w = snprintf(list + used, sizeof(list) - used, "%s%s", a == allowed ? "" : ", ",
                             *a);
            if (w > 0)
                used += (size_t)w;
        }
        diag_at(d, k, "unknown key " QFMT " in %s; the keys here are: %s", QARG(k->str), what,
                list);
    }
}

const struct conf_node *
conf_require(const struct conf_node *map, const char *key, const char *what, struct diag *d)
{
    const struct conf_node *v = conf_map_get(map, key);

    if (!v) {
        diag_at(d, map, "%s: missing required key \"%s\"", what, key);
        return NULL;
    }
    if (conf_is_null(v)) {
        diag_at(d, v, "%s: \"%s\" has no value; write one after the ':'", what, key);
        return NULL;
    }
    return v;
}

/* Scalar and not null, or one diagnostic saying what was expected instead. */
static int
value_scalar(const struct conf_node *n, const char *expected, struct diag *d)
{
    if (n->kind != CONF_SCALAR) {
        diag_at(d, n, "%s: expected %s, got %s", value_path(n), expected, conf_kind_name(n->kind));
        return -EINVAL;
    }
    if (conf_is_null(n)) {
        diag_at(d, n, "%s: no value given; write %s after the ':'", value_path(n), expected);
        return -EINVAL;
    }
    return 0;
}

int
conf_string(const struct conf_node *n, const char **out, struct diag *d)
{
    if (value_scalar(n, "a string", d) < 0)
        return -EINVAL;
    *out = n->str;
    return 0;
}

int
conf_bool(const struct conf_node *n, bool *out, struct diag *d)
{
    static const char *const yes[] = { "true", "True", "TRUE", NULL };
    static const char *const no[] = { "false", "False", "FALSE", NULL };

    if (value_scalar(n, "true or false", d) < 0)
        return -EINVAL;
    for (unsigned i = 0; yes[i]; i++) {
        if (strcmp(n->str, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(n->str, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    diag_at(d, n, "%s: " QFMT " is not a boolean; write true or false", value_path(n),
            QARG(n->str));
    return -EINVAL;
}

/* Decimal digits only, no sign or spaces; VALUE_RANGE past UINT64_MAX. */
static enum value_why
value_parse_uint(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!*s)
        return VALUE_SYNTAX;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return VALUE_SYNTAX;
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return VALUE_RANGE;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return VALUE_OK;
}

int
conf_uint(const struct conf_node *n, uint64_t min, uint64_t max, uint64_t *out, struct diag *d)
{
    uint64_t v = 0;

    if (value_scalar(n, "a number", d) < 0)
        return -EINVAL;
    enum value_why why = value_parse_uint(n->str, &v);
    if (why == VALUE_SYNTAX) {
        diag_at(d, n, "%s: " QFMT " is not a whole number; write one from %" PRIu64 " to %" PRIu64,
                value_path(n), QARG(n->str), min, max);
        return -EINVAL;
    }
    if (why == VALUE_RANGE || v < min || v > max) {
        diag_at(d, n, "%s: %.60s%s is out of range; write a number from %" PRIu64 " to %" PRIu64,
                value_path(n), QARG(n->str), min, max);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

/* Groups of digits and a unit, largest unit first, each unit once: "1h30m", "1500ms". */
static enum value_why
value_parse_duration(const char *s, uint64_t *out)
{
    static const struct {
        const char *name;
        uint64_t ms;
    } units[] = {
        { "d", 86400000 }, { "h", 3600000 }, { "ms", 1 }, { "m", 60000 }, { "s", 1000 },
    };
    static const unsigned rank[] = { 0, 1, 4, 2, 3 };   /* order within a duration */
    uint64_t total = 0;
    int last_rank = -1;

    if (strcmp(s, "0") == 0) {
        *out = 0;
        return VALUE_OK;
    }
    if (!*s)
        return VALUE_SYNTAX;
    while (*s) {
        uint64_t v = 0;
        const char *start = s;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
                return VALUE_RANGE;
            v = v * 10 + (uint64_t)(*s - '0');
        }
        if (s == start)
            return VALUE_SYNTAX;
        if (!*s)
            return last_rank < 0 ? VALUE_NO_UNIT : VALUE_SYNTAX;
        unsigned u = 0;
        for (; u < sizeof(units) / sizeof(units[0]); u++)
            if (strncmp(s, units[u].name, strlen(units[u].name)) == 0)
                break;
        if (u == sizeof(units) / sizeof(units[0]))
            return VALUE_SYNTAX;
        if ((int)rank[u] <= last_rank)
            return VALUE_ORDER;
        last_rank = (int)rank[u];
        s += strlen(units[u].name);
        if (v > UINT64_MAX / units[u].ms || total > UINT64_MAX - v * units[u].ms)
            return VALUE_RANGE;
        total += v * units[u].ms;
    }
    *out = total;
    return VALUE_OK;
}

int
conf_parse_duration_ms(const char *s, uint64_t *out)
{
    return value_parse_duration(s, out) == VALUE_OK ? 0 : -EINVAL;
}

int
conf_duration_ms(const struct conf_node *n, uint64_t *out, struct diag *d)
{
    if (value_scalar(n, "a duration", d) < 0)
        return -EINVAL;
    switch (value_parse_duration(n->str, out)) {
    case VALUE_OK:
        return 0;
    case VALUE_NO_UNIT:
        diag_at(d, n, "%s: " QFMT " has no unit; write it as a duration like \"%.20ss\"",
                value_path(n), QARG(n->str), n->str);
        break;
    case VALUE_ORDER:
        diag_at(d, n, "%s: " QFMT " is not a duration; write each unit once, largest first, "
                "like \"1h30m\"", value_path(n), QARG(n->str));
        break;
    case VALUE_RANGE:
        diag_at(d, n, "%s: " QFMT " is too long a duration", value_path(n), QARG(n->str));
        break;
    default:
        diag_at(d, n, "%s: " QFMT " is not a duration; write a whole number with a unit (ms, s, "
                "m, h, d), like \"300ms\", \"5s\" or \"1m30s\"", value_path(n), QARG(n->str));
        break;
    }
    return -EINVAL;
}

/* Digits, then an optional k, m, g or t (powers of 1024, any case), then an optional b. */
static enum value_why
value_parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;
    const char *start = s;

    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return VALUE_RANGE;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (s == start)
        return VALUE_SYNTAX;
    switch (*s) {
    case 'k': case 'K': shift = 10; s++; break;
    case 'm': case 'M': shift = 20; s++; break;
    case 'g': case 'G': shift = 30; s++; break;
    case 't': case 'T': shift = 40; s++; break;
    default: break;
    }
    if (*s == 'b' || *s == 'B')
        s++;
    if (*s)
        return VALUE_SYNTAX;
    if (shift && v > (UINT64_MAX >> shift))
        return VALUE_RANGE;
    *out = v << shift;
    return VALUE_OK;
}

const char *
conf_duration_text(uint64_t ms, char *buf, size_t len)
{
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = { { "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 } };

    for (unsigned i = 0; ms && i < sizeof(units) / sizeof(units[0]); i++) {
        if (ms % units[i].ms == 0) {
            snprintf(buf, len, "%" PRIu64 "%s", ms / units[i].ms, units[i].unit);
            return buf;
        }
    }
    snprintf(buf, len, ms ? "%" PRIu64 "ms" : "%" PRIu64, ms);
    return buf;
}

int
conf_parse_size_bytes(const char *s, uint64_t *out)
{
    return value_parse_size(s, out) == VALUE_OK ? 0 : -EINVAL;
}

int
conf_size_bytes(const struct conf_node *n, uint64_t *out, struct diag *d)
{
    if (value_scalar(n, "a size", d) < 0)
        return -EINVAL;
    switch (value_parse_size(n->str, out)) {
    case VALUE_OK:
        return 0;
    case VALUE_RANGE:
        diag_at(d, n, "%s: " QFMT " is too large a size", value_path(n), QARG(n->str));
        break;
    default:
        diag_at(d, n, "%s: " QFMT " is not a size; write a whole number of bytes with an optional "
                "unit k, m or g (powers of 1024), like \"512\", \"16k\" or \"10m\"",
                value_path(n), QARG(n->str));
        break;
    }
    return -EINVAL;
}

unsigned
conf_edit_distance(const char *a, const char *b, unsigned cap)
{
    size_t la = strlen(a), lb = strlen(b);

    if ((la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    /* Two rows of the classic table; stop once a whole row is past the cap. */
    unsigned *prev = mem_alloc_or_exit((lb + 1) * sizeof(*prev));
    unsigned *cur = mem_alloc_or_exit((lb + 1) * sizeof(*cur));
    unsigned result;

    for (size_t j = 0; j <= lb; j++)
        prev[j] = (unsigned)(j > cap ? cap + 1 : j);
    for (size_t i = 1; i <= la; i++) {
        unsigned row_min;
        cur[0] = (unsigned)(i > cap ? cap + 1 : i);
        row_min = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            unsigned sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            unsigned del = prev[j] + 1, ins = cur[j - 1] + 1;
            unsigned m = sub < del ? sub : del;
            m = m < ins ? m : ins;
            cur[j] = m > cap ? cap + 1 : m;
            if (cur[j] < row_min)
                row_min = cur[j];
        }
        unsigned *t = prev;
        prev = cur;
        cur = t;
        if (row_min > cap) {
            free(prev);
            free(cur);
            return cap + 1;
        }
    }
    result = prev[lb];
    free(prev);
    free(cur);
    return result;
}

const char *
conf_suggest(const char *word, const char *const *candidates)
{
    size_t len = strlen(word);
    /* Short words tolerate one typo, longer ones a few; beyond that a guess is noise. */
    unsigned cap = len <= 2 ? 1 : len <= 6 ? 2 : 3;
    const char *best = NULL;
    unsigned best_dist = cap + 1;

    for (const char *const *c = candidates; *c; c++) {
        unsigned dist = conf_edit_distance(word, *c, cap);
        if (dist < best_dist) {
            best = *c;
            best_dist = dist;
        }
    }
    return best;
}
