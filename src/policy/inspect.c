/*
 * policy/inspect.c: node, address, URL and secret helpers for the policy checks, and
 * readers of a key through its table entry (its default when absent). Pure functions over
 * text and nodes; no allocation. Everything accepts NULL and nodes of the wrong kind,
 * because the rules also run on trees that were never validated.
 */
#include "policy/internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "conf/value.h"

unsigned
inspect_nmap(const struct conf_node *n)
{
    return n && n->kind == CONF_MAP ? n->n : 0;
}

unsigned
inspect_nseq(const struct conf_node *n)
{
    return n && n->kind == CONF_SEQ ? n->n : 0;
}

const struct conf_node *
inspect_key(const struct conf_node *map, const char *key)
{
    for (unsigned i = 0; i < inspect_nmap(map); i++)
        if (strcmp(map->pairs[i].key->str, key) == 0)
            return map->pairs[i].key;
    return NULL;
}

const struct conf_node *
inspect_get(const struct conf_node *map, const char *key)
{
    const struct conf_node *v = conf_map_get(map, key);

    return v && !conf_is_null(v) ? v : NULL;
}

const struct conf_node *
inspect_entry(const struct conf_node *map, unsigned i, const struct conf_key *section,
              const struct conf_node **key, char *res, size_t cap)
{
    *key = map->pairs[i].key;
    snprintf(res, cap, "%s.%s", section->path, (*key)->str);
    return map->pairs[i].value;
}

const char *
inspect_str(const struct conf_node *n)
{
    if (!n || n->kind != CONF_SCALAR || conf_is_null(n))
        return NULL;
    return n->str;
}

bool
inspect_str_eq(const struct conf_node *n, const char *s)
{
    const char *v = inspect_str(n);

    return v && strcasecmp(v, s) == 0;
}

bool
inspect_is_true(const struct conf_node *n)
{
    return inspect_str_eq(n, "true") || inspect_str_eq(n, "yes") || inspect_str_eq(n, "on");
}

bool
inspect_is_false(const struct conf_node *n)
{
    return inspect_str_eq(n, "false") || inspect_str_eq(n, "no") || inspect_str_eq(n, "off");
}

/* Decimal digits only, without overflow: 0 and *out, or -1. */
static int
text_uint(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!s || !*s)
        return -1;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s) || v > UINT64_MAX / 10 - 1)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

int
inspect_uint(const struct conf_node *n, uint64_t *out)
{
    return text_uint(inspect_str(n), out);
}

int
inspect_duration_ms(const struct conf_node *n, uint64_t *out)
{
    const char *s = inspect_str(n);

    return s && conf_parse_duration_ms(s, out) == 0 ? 0 : -1;
}

int
inspect_size(const struct conf_node *n, uint64_t *out)
{
    const char *s = inspect_str(n);

    return s && conf_parse_size_bytes(s, out) == 0 ? 0 : -1;
}

const struct conf_node *
inspect_key_or(const struct conf_node *map, const struct conf_key *k,
               const struct conf_node *fallback)
{
    const struct conf_node *at = conf_key_node(map, k);

    return at ? at : fallback;
}

int
inspect_key_uint(const struct conf_node *map, const struct conf_key *k, uint64_t *out)
{
    if (inspect_uint(conf_key_get(map, k), out) == 0)
        return 0;
    return k->def ? text_uint(k->def, out) : -1;
}

int
inspect_key_ms(const struct conf_node *map, const struct conf_key *k, uint64_t *out)
{
    if (inspect_duration_ms(conf_key_get(map, k), out) == 0)
        return 0;
    return k->def && conf_parse_duration_ms(k->def, out) == 0 ? 0 : -1;
}

bool
inspect_key_is(const struct conf_node *map, const struct conf_key *k, unsigned word)
{
    const char *v = inspect_str(conf_key_get(map, k));

    if (!v)
        v = k->def;
    return v && k->words && strcasecmp(v, k->words[word]) == 0;
}

bool
inspect_host_is_loopback(const char *host)
{
    unsigned char a[16];
    char buf[64];
    size_t len;

    if (!host)
        return false;
    len = strlen(host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        if (len - 2 >= sizeof(buf))
            return false;
        memcpy(buf, host + 1, len - 2);
        buf[len - 2] = '\0';
        host = buf;
    }
    if (strcasecmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char one[16] = { [15] = 1 };
        return memcmp(a, one, 16) == 0;
    }
    return false;
}

int
inspect_addr_host(const char *addr, char *host, size_t cap)
{
    const char *end;
    size_t len;

    if (!addr || cap == 0)
        return -1;
    if (addr[0] == '[') {
        end = strchr(addr, ']');
        if (!end || end[1] != ':')
            return -1;
        addr++;
    } else {
        end = strrchr(addr, ':');
        if (!end)
            return -1;
    }
    len = (size_t)(end - addr);
    if (len == 0 || (len == 1 && addr[0] == '*'))
        addr = "0.0.0.0", len = 7;
    if (len >= cap)
        return -1;
    memcpy(host, addr, len);
    host[len] = '\0';
    return 0;
}

bool
inspect_addr_is_public(const char *addr)
{
    char host[256];

    if (!addr || addr[0] == '/' || strncmp(addr, "unix:", 5) == 0)
        return false;                   /* a unix socket is not on the network */
    if (inspect_addr_host(addr, host, sizeof(host)) < 0)
        return !inspect_host_is_loopback(addr); /* a bare host */
    return !inspect_host_is_loopback(host);
}

int
inspect_cidr_parse(const char *s, struct inspect_cidr *c)
{
    char buf[64];
    const char *slash;
    size_t len;
    unsigned max;

    if (!s)
        return -1;
    slash = strchr(s, '/');
    len = slash ? (size_t)(slash - s) : strlen(s);
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(c, 0, sizeof(*c));
    if (inet_pton(AF_INET, buf, c->a) == 1) {
        c->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, c->a) == 1) {
        c->family = AF_INET6;
        max = 128;
    } else {
        return -1;
    }
    c->prefix = max;
    if (slash) {
        unsigned p = 0;
        const char *d = slash + 1;
        if (!*d)
            return -1;
        for (; *d; d++) {
            if (!isdigit((unsigned char)*d) || p > max)
                return -1;
            p = p * 10 + (unsigned)(*d - '0');
        }
        if (p > max)
            return -1;
        c->prefix = p;
    }
    return 0;
}

bool
inspect_cidr_is_private(const struct inspect_cidr *c)
{
    const unsigned char *a = c->a;

    if (c->family == AF_INET) {
        if (a[0] == 10 && c->prefix >= 8)
            return true;
        if (a[0] == 172 && (a[1] & 0xf0) == 16 && c->prefix >= 12)
            return true;
        if (a[0] == 192 && a[1] == 168 && c->prefix >= 16)
            return true;
        if (a[0] == 127 && c->prefix >= 8)
            return true;
        if (a[0] == 169 && a[1] == 254 && c->prefix >= 16)
            return true;
        return a[0] == 100 && (a[1] & 0xc0) == 64 && c->prefix >= 10;
    }
    if ((a[0] & 0xfe) == 0xfc && c->prefix >= 7)
        return true;                    /* fc00::/7 */
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80 && c->prefix >= 10)
        return true;                    /* fe80::/10 */
    static const unsigned char one[16] = { [15] = 1 };
    return memcmp(a, one, 16) == 0 && c->prefix == 128;
}

int
inspect_url_parse(const char *s, struct inspect_url *u)
{
    const char *p, *auth, *end, *at, *h, *hend;
    size_t len;

    memset(u, 0, sizeof(*u));
    if (!s || !(p = strstr(s, "://")))
        return -1;
    len = (size_t)(p - s);
    if (len == 0 || len >= sizeof(u->scheme))
        return -1;
    for (size_t i = 0; i < len; i++)
        u->scheme[i] = (char)tolower((unsigned char)s[i]);
    auth = p + 3;
    end = auth + strcspn(auth, "/?#");
    if (*end == '?')
        u->query = end + 1;
    else if (*end == '/' && strchr(end, '?'))
        u->query = strchr(end, '?') + 1;
    at = memchr(auth, '@', (size_t)(end - auth));
    h = auth;
    if (at) {
        u->has_userinfo = true;
        u->has_password = memchr(auth, ':', (size_t)(at - auth)) != NULL;
        h = at + 1;
    }
    if (*h == '[') {
        hend = memchr(h, ']', (size_t)(end - h));
        if (!hend)
            return -1;
        h++;
    } else {
        hend = memchr(h, ':', (size_t)(end - h));
        if (!hend)
            hend = end;
    }
    len = (size_t)(hend - h);
    if (len >= sizeof(u->host))
        return -1;
    memcpy(u->host, h, len);
    u->host[len] = '\0';
    return 0;
}

bool
inspect_query_has_secret(const char *q, const char *const *names)
{
    while (q && *q && *q != '#') {
        size_t n = strcspn(q, "&#");
        const char *eq = memchr(q, '=', n);
        if (eq && eq + 1 < q + n) {
            char name[64], val[16];
            size_t nl = (size_t)(eq - q), vl = (size_t)(q + n - eq - 1);
            snprintf(name, sizeof(name), "%.*s", (int)nl, q);
            snprintf(val, sizeof(val), "%.*s", (int)(vl < 8 ? vl : 8), eq + 1);
            for (const char *const *k = names; *k; k++)
                if (strcasestr(name, *k) && strncmp(val, "${env:", 6) != 0)
                    return true;
        }
        q += n;
        if (*q == '&')
            q++;
    }
    return false;
}

bool
inspect_is_env_ref(const char *s)
{
    return s && strstr(s, "${env:") != NULL;
}

bool
inspect_has_key_material(const char *s)
{
    if (!s)
        return false;
    if (strstr(s, "-----BEGIN") && strstr(s, "PRIVATE KEY"))
        return true;
    for (const char *p = s; (p = strchr(p, 'A')) != NULL; p++) {
        if (strncmp(p, "AKIA", 4) != 0 && strncmp(p, "ASIA", 4) != 0)
            continue;
        if (p > s && isalnum((unsigned char)p[-1]))
            continue;                   /* inside a longer word */
        size_t n = 4;
        while (isupper((unsigned char)p[n]) || isdigit((unsigned char)p[n]))
            n++;
        if (n == 20)
            return true;
    }
    return false;
}

bool
inspect_name_is_secret(const char *name)
{
    static const char *const words[] = { "PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY",
                                         "API-KEY", "APIKEY", "PRIVATE_KEY", "PRIVATE-KEY",
                                         NULL };

    size_t n = name ? strlen(name) : 0;

    /* DB_PASSWORD_FILE=/run/secrets/db and --token-path name where a secret is, not it. */
    if (n > 4 && (strcasecmp(name + n - 4, "FILE") == 0 || strcasecmp(name + n - 4, "PATH") == 0))
        return false;
    for (const char *const *w = words; name && *w; w++)
        if (strcasestr(name, *w))
            return true;
    return false;
}
