/*
 * shield/detect.c: the scanner, fuzzer and brute-force detectors of detect.h. One record
 * per address holds a leaky bucket per signal and short "seen" rings for the detectors
 * that count distinct values (paths, hosts, payloads). Classification (static assets,
 * sensitive names, scanner user agents, injection tokens) is by fixed lists here; the
 * defaults and their anchors are in docs/shield.md. Not thread-safe; no I/O, no clock.
 */
#include "shield/detect.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shield/addrmap.h"
#include "shield/cidr.h"

#define DETECT_MILLI 1000u          /* bucket levels are kept in thousandths of an event */
#define DETECT_PATHS_SEEN 32        /* distinct-path memory (CrowdSec's cache_size 5 was too
                                       short: apps cycling through a few URLs looked distinct) */
#define DETECT_HOSTS_SEEN 32
#define DETECT_PAYLOADS_SEEN 8
#define DETECT_LOWER_MAX 1024

struct detect_bucket {
    uint64_t level;             /* thousandths of an event */
    uint64_t last_ms;
};

struct detect_rec {
    struct detect_bucket not_found, paths, sensitive, hosts, login, injection;
    uint64_t first_ms;
    uint32_t path_seen[DETECT_PATHS_SEEN];
    uint32_t host_seen[DETECT_HOSTS_SEEN];
    uint32_t sens_seen[DETECT_PAYLOADS_SEEN];
    uint32_t inj_seen[DETECT_PAYLOADS_SEEN];
    uint8_t path_pos, host_pos, sens_pos, inj_pos;
    uint32_t ua_clean;          /* hash of the last user agent that was no scanner's, or 0 */
};

/* Classifying a request scans pattern lists with strstr; real traffic repeats its paths,
 * so results are cached per table by a 64-bit key of path and query (a collision could
 * only misjudge one path's class, never crash or leak). */
#define DETECT_CLASS_CACHE 1024
struct detect_class {
    uint64_t key;               /* 0: empty */
    uint8_t sens;               /* enum detect_sens */
    bool injection;
};

struct detect {
    struct detect_params p;
    struct addrmap map;
    struct detect_class cache[DETECT_CLASS_CACHE];
};

void
detect_params_default(struct detect_params *p)
{
    memset(p, 0, sizeof(*p));
    p->not_found_capacity = 40;         /* CrowdSec http-crawl-non_statics, failures only */
    p->not_found_leak_ms = 500;
    p->distinct_paths_capacity = 20;    /* http-probing is 10/10 s; doubled for NAT'd offices */
    p->distinct_paths_leak_ms = 5000;
    p->sensitive_capacity = 4;          /* http-sensitive-files */
    p->sensitive_leak_ms = 5000;
    p->hosts_capacity = 10;             /* reference §5: > ~10 unknown hosts a minute */
    p->hosts_leak_ms = 6000;
    p->login_capacity = 10;             /* > 10 failures a minute, or 11 at once */
    p->login_leak_ms = 6000;
    p->scanner_user_agents = true;
    p->injection_probes = true;
    p->injection_capacity = 3;          /* http-path-traversal-probing */
    p->injection_leak_ms = 10000;
    p->login_paths = NULL;
    p->max_addresses = 100000;
    p->ipv6_prefix = 64;                /* one subnet is one host (SLAAC, RFC 8981) */
}

struct detect *
detect_new(const struct detect_params *p)
{
    struct detect *d = calloc(1, sizeof(*d));

    if (!d)
        return NULL;
    d->p = *p;
    if (addrmap_init(&d->map, sizeof(struct detect_rec), p->max_addresses ? p->max_addresses : 1,
                     (uint64_t)(uintptr_t)d * 0x9e3779b97f4a7c15ULL) < 0) {
        free(d);
        return NULL;
    }
    return d;
}

void
detect_free(struct detect *d)
{
    if (!d)
        return;
    addrmap_fini(&d->map);
    free(d);
}

/* Pours one event; true when the bucket now holds more than capacity events. */
static bool
detect_pour(struct detect_bucket *b, unsigned capacity, uint64_t leak_ms, uint64_t now_ms)
{
    if (now_ms > b->last_ms && leak_ms) {
        uint64_t leaked = (now_ms - b->last_ms) * DETECT_MILLI / leak_ms;
        b->level = leaked >= b->level ? 0 : b->level - leaked;
    }
    if (now_ms > b->last_ms)
        b->last_ms = now_ms;
    b->level += DETECT_MILLI;
    return b->level > (uint64_t)capacity * DETECT_MILLI;
}

static double
detect_level(const struct detect_bucket *b)
{
    return (double)b->level / DETECT_MILLI;
}

static uint32_t
detect_hash(struct slice s, bool fold)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        h ^= fold ? (unsigned char)tolower(c) : c;
        h *= 16777619u;
    }
    return h | 1;               /* 0 marks an empty slot */
}

/* Remembers h in the ring; true when it was not there yet. */
static bool
detect_seen_add(uint32_t *ring, unsigned n, uint8_t *pos, uint32_t h)
{
    for (unsigned i = 0; i < n; i++)
        if (ring[i] == h)
            return false;
    ring[*pos % n] = h;
    *pos = (uint8_t)((*pos + 1) % n);
    return true;
}

/* Lower-cases at most the last DETECT_LOWER_MAX bytes of s into buf (NUL-terminated). */
static const char *
detect_lower(struct slice s, char *buf)
{
    size_t off = s.len > DETECT_LOWER_MAX - 1 ? s.len - (DETECT_LOWER_MAX - 1) : 0;
    size_t n = s.len - off;

    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)s.p[off + i]);
    buf[n] = '\0';
    return buf;
}

static bool
detect_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* CrowdSec's http-logs static_ressource extensions: missing assets never count. */
bool
detect_is_static_path(struct slice path)
{
    static const char *const exts[] = {
        "jpg", "css", "js", "jpeg", "png", "svg", "map", "ico", "otf", "gif", "mp3", "mp4",
        "woff", "woff2", "ttf", "eot", "webp", "wav", "gz", "brotli", "bvr", "ts", "bmp",
        "avif", "mjs", NULL,
    };
    size_t i = path.len;

    while (i > 0 && path.p[i - 1] != '.' && path.p[i - 1] != '/')
        i--;
    if (i == 0 || path.p[i - 1] != '.')
        return false;
    struct slice ext = slice_make(path.p + i, path.len - i);
    for (unsigned k = 0; exts[k]; k++)
        if (slice_eq_lit_nocase(ext, exts[k]))
            return true;
    return false;
}

/* Names nobody but a scanner asks for, whatever the site (dot-files, dumps, shells, CVE
 * paths). Matched anywhere in the lower-cased path. */
static const char *const detect_sensitive_any[] = {
    "/.env", "/.git/", "/.git", "/.svn/", "/.svn", "/.hg/", "/.htaccess", "/.htpasswd",
    "/.bash_history", "/.bashrc", "/.mysql_history", "/.sh_history", "/.ssh/", "/.aws/",
    "aws/credentials", "/.docker/config.json", "/.vscode/sftp.json", "/secrets.yml",
    "/wp-config.php", "/.ds_store", "/_ignition/execute-solution", "/vendor/phpunit/",
    "/storage/logs/laravel.log", "/phpinfo.php", "/eval-stdin.php", "/c99.php", "/r57.php",
    "/shell.php", "/wso.php", "/cmd.jsp", "/web-inf/", "/boaform/", "/hnap1", "/actuator/env",
    NULL,
};
/* Dumps and backups: matched at the end of the path. */
static const char *const detect_sensitive_suffix[] = {
    ".sql", ".sql.gz", ".sql.zip", ".sql.tar", ".sql.bz2", ".sql.7z", ".bak", ".old", ".swp",
    "debug.log", NULL,
};
/* Admin panels and WordPress: sensitive only where the site answers 404/403 (a WordPress
 * site serves /wp-login.php to real users). */
static const char *const detect_sensitive_absent[] = {
    "/phpmyadmin", "/pma/", "/myadmin", "/mysqladmin", "/wp-login.php", "/wp-admin",
    "/xmlrpc.php", "/wp-content/plugins/", "/administrator/", "/manager/html", "/adminer",
    "/cgi-bin/", "/server-status", "/debug/pprof", NULL,
};

enum detect_sens { DETECT_SENS_NONE = 0, DETECT_SENS_ALWAYS, DETECT_SENS_IF_ABSENT };

static enum detect_sens
detect_sensitive_class(struct slice path)
{
    char buf[DETECT_LOWER_MAX];
    const char *p = detect_lower(path, buf);

    for (unsigned i = 0; detect_sensitive_any[i]; i++) {
        const char *hit = strstr(p, detect_sensitive_any[i]);
        size_t m = strlen(detect_sensitive_any[i]);
        /* "/.git" and "/.svn" without a slash only at the end, so "/.github-readme" passes. */
        if (hit && (detect_sensitive_any[i][m - 1] == '/' || !isalnum((unsigned char)hit[m]) ||
                    strcmp(detect_sensitive_any[i], "/.env") == 0))
            return DETECT_SENS_ALWAYS;
    }
    for (unsigned i = 0; detect_sensitive_suffix[i]; i++)
        if (detect_ends_with(p, detect_sensitive_suffix[i]))
            return DETECT_SENS_ALWAYS;
    for (unsigned i = 0; detect_sensitive_absent[i]; i++)
        if (strstr(p, detect_sensitive_absent[i]))
            return DETECT_SENS_IF_ABSENT;
    return DETECT_SENS_NONE;
}

bool
detect_is_sensitive_path(struct slice path)
{
    return detect_sensitive_class(path) != DETECT_SENS_NONE;
}

bool
detect_is_scanner_ua(struct slice ua)
{
    /* Only self-declared scanners: broad bad-bot lists hit real phones and honest crawlers
     * (reference §10), so they are not here. Whole words, so "Titanium" is not "Titan". */
    static const char *const names[] = {
        "nikto", "sqlmap", "nuclei", "wpscan", "masscan", "zgrab", "fuzz faster u fool",
        "gobuster", "dirbuster", "dirb", "feroxbuster", "wfuzz", "acunetix", "nessus",
        "openvas", "nmap scripting engine", "nmap", "havij", "zmeu", "w3af", "arachni",
        "netsparker", "skipfish", "jorgee", "commix", "whatweb", "morfeus", NULL,
    };
    char buf[DETECT_LOWER_MAX];
    const char *u = detect_lower(ua, buf);

    for (unsigned i = 0; names[i]; i++) {
        size_t m = strlen(names[i]);
        for (const char *hit = strstr(u, names[i]); hit; hit = strstr(hit + 1, names[i])) {
            bool left = hit == u || !isalnum((unsigned char)hit[-1]);
            bool right = !isalnum((unsigned char)hit[m]);
            if (left && right)
                return true;
        }
    }
    return false;
}

bool
detect_is_injection(struct slice path, struct slice query)
{
    /* Traversal, file inclusion, SQLi, XSS and Log4Shell tokens in the forms they take on
     * the wire (encoded and not), after CrowdSec's path_traversal / sqli / xss lists. */
    static const char *const path_tokens[] = {
        "../", "..\\", "..%2f", "..%5c", "%2e%2e/", "%2e%2e%2f", "%2e%2e%5c", "%252e%252e",
        "/etc/passwd", "%2fetc%2fpasswd", "/etc/shadow", "/proc/self/", "win.ini", "boot.ini",
        "${jndi:", "%24%7bjndi", NULL,
    };
    static const char *const query_tokens[] = {
        "=file://", "=php://", "=expect://", "=data://", "=zip://", "union select",
        "union%20select", "union+select", "union%20all%20select", "union+all+select",
        "information_schema", "@@version", "%40%40version", "xp_cmdshell", "benchmark(",
        "benchmark%28", "sleep(", "sleep%28", "load_file(", "load_file%28", ",null,null",
        "%2cnull%2cnull", "' or '", "'%20or%20'", "'+or+'", "%27%20or%20%27", "<script", "%3cscript",
        "javascript:", "javascript%3a", "onerror=", "onerror%3d", "alert(", "alert%28",
        "prompt(", "prompt%28", "<svg", "%3csvg", "<img", "%3cimg", NULL,
    };
    char buf[DETECT_LOWER_MAX];
    const char *p = detect_lower(path, buf);

    for (unsigned i = 0; path_tokens[i]; i++)
        if (strstr(p, path_tokens[i]))
            return true;
    if (!query.len)
        return false;
    p = detect_lower(query, buf);
    for (unsigned i = 0; path_tokens[i]; i++)
        if (strstr(p, path_tokens[i]))
            return true;
    for (unsigned i = 0; query_tokens[i]; i++)
        if (strstr(p, query_tokens[i]))
            return true;
    /* A leading '=' needs a key before it; a query that starts with the scheme too. */
    static const char *const schemes[] = { "file://", "php://", "expect://", NULL };
    for (unsigned i = 0; schemes[i]; i++)
        if (strncmp(p, schemes[i], strlen(schemes[i])) == 0)
            return true;
    return false;
}

bool
detect_path_in(const char *const *prefixes, struct slice path)
{
    for (const char *const *lp = prefixes; lp && *lp; lp++) {
        size_t m = strlen(*lp);
        if (path.len < m || memcmp(path.p, *lp, m) != 0)
            continue;
        if (path.len == m || (*lp)[m - 1] == '/' || path.p[m] == '/')
            return true;
    }
    return false;
}

/* The Host without port and trailing dot; empty when absent. */
static struct slice
detect_host_name(struct slice host)
{
    size_t n = host.len;

    if (n && host.p[0] == '[') {
        const char *end = memchr(host.p, ']', n);
        return end ? slice_make(host.p, (size_t)(end - host.p) + 1) : host;
    }
    const char *colon = n ? memchr(host.p, ':', n) : NULL;    /* host.p may be NULL */
    if (colon)
        n = (size_t)(colon - host.p);
    while (n && host.p[n - 1] == '.')
        n--;
    return slice_make(host.p, n);
}

static void
detect_sample(char *out, size_t n, struct slice s)
{
    size_t m = s.len;
    size_t j = 0;

    for (size_t i = 0; i < m && j + 1 < n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        out[j++] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
    }
    out[j] = '\0';
}

/* Fills *hit with the detector and its evidence: level, what was counted, bucket shape,
 * time since the address was first seen, and the last sample. Returns true. */
static bool
detect_hit_fill(struct detect_hit *hit, const char *detector, const struct detect_rec *r,
                const struct detect_event *ev, const char *what, double level, unsigned cap,
                uint64_t leak_ms, struct slice sample)
{
    char s[64], status[16] = "";

    detect_sample(s, sizeof(s), sample);
    if (ev->kind == DETECT_RESPONSE)
        snprintf(status, sizeof(status), " status %d", ev->status % 1000);
    hit->detector = detector;
    snprintf(hit->evidence, sizeof(hit->evidence),
             "%.1f %.40s over capacity %u (leak 1 per %" PRIu64 "ms) within %" PRIu64
             "ms; last \"%s\"%s",
             level, what, cap, leak_ms, ev->now_ms - r->first_ms, s, status);
    return true;
}

/* The cached sensitive class and injection verdict of a path and query. */
static const struct detect_class *
detect_classify(struct detect *d, struct slice path, struct slice query)
{
    uint64_t key = (uint64_t)detect_hash(path, false) << 32 | detect_hash(query, false);
    struct detect_class *c = &d->cache[(key ^ (key >> 29)) % DETECT_CLASS_CACHE];

    if (c->key != key) {
        c->key = key;
        c->sens = (uint8_t)detect_sensitive_class(path);
        c->injection = detect_is_injection(path, query);
    }
    return c;
}

bool
detect_path_sensitive(struct detect *d, struct slice path, struct slice query)
{
    return path.len && detect_classify(d, path, query)->sens != DETECT_SENS_NONE;
}

static bool
detect_request(struct detect *d, struct detect_rec *r, const struct detect_event *ev,
               struct detect_hit *hit)
{
    const struct detect_params *p = &d->p;
    uint64_t now = ev->now_ms;

    uint32_t ua = ev->user_agent.len ? detect_hash(ev->user_agent, false) : 0;
    if (p->scanner_user_agents && ua != r->ua_clean) {
        if (!detect_is_scanner_ua(ev->user_agent)) {
            r->ua_clean = ua;
            goto ua_done;
        }
        hit->detector = "scanner_ua";
        char s[96];
        detect_sample(s, sizeof(s), ev->user_agent);
        snprintf(hit->evidence, sizeof(hit->evidence), "self-declared scanner user agent \"%s\"",
                 s);
        return true;
    }
ua_done:;
    const struct detect_class *cls = detect_classify(d, ev->path, ev->query);
    if (cls->sens == DETECT_SENS_ALWAYS &&
        detect_seen_add(r->sens_seen, DETECT_PAYLOADS_SEEN, &r->sens_pos,
                        detect_hash(ev->path, true)) &&
        detect_pour(&r->sensitive, p->sensitive_capacity, p->sensitive_leak_ms, now))
        return detect_hit_fill(hit, "sensitive_files", r, ev, "sensitive paths",
                               detect_level(&r->sensitive), p->sensitive_capacity,
                               p->sensitive_leak_ms, ev->path);
    if (p->injection_probes && cls->injection) {
        uint32_t h = detect_hash(ev->path, false) ^ detect_hash(ev->query, false);
        if (detect_seen_add(r->inj_seen, DETECT_PAYLOADS_SEEN, &r->inj_pos, h | 1) &&
            detect_pour(&r->injection, p->injection_capacity, p->injection_leak_ms, now))
            return detect_hit_fill(hit, "injection", r, ev, "distinct probe payloads",
                                   detect_level(&r->injection), p->injection_capacity,
                                   p->injection_leak_ms, ev->query.len ? ev->query : ev->path);
    }
    struct slice host = detect_host_name(ev->host);
    if (host.len && detect_seen_add(r->host_seen, DETECT_HOSTS_SEEN, &r->host_pos,
                                    detect_hash(host, true)) &&
        detect_pour(&r->hosts, p->hosts_capacity, p->hosts_leak_ms, now))
        return detect_hit_fill(hit, "vhost_fuzzing", r, ev, "distinct Host values",
                               detect_level(&r->hosts), p->hosts_capacity, p->hosts_leak_ms,
                               host);
    return false;
}

static bool
detect_response(struct detect *d, struct detect_rec *r, const struct detect_event *ev,
                struct detect_hit *hit)
{
    const struct detect_params *p = &d->p;
    uint64_t now = ev->now_ms;
    int st = ev->status;
    bool login = detect_path_in(d->p.login_paths, ev->path);

    if (login) {
        /* Failures on the credential-submitting request only: a 401 on a token read
         * mostly means a token to refresh (reference §8). */
        bool submit = slice_eq_lit_nocase(ev->method, "POST") ||
                      slice_eq_lit_nocase(ev->method, "PUT");
        if (submit && (st == 401 || st == 403 || st == 422) &&
            detect_pour(&r->login, p->login_capacity, p->login_leak_ms, now))
            return detect_hit_fill(hit, "login_bruteforce", r, ev, "failed logins",
                                   detect_level(&r->login), p->login_capacity,
                                   p->login_leak_ms, ev->path);
        return false;
    }
    if (st != 400 && st != 403 && st != 404 && st != 410)
        return false;
    if (detect_classify(d, ev->path, ev->query)->sens == DETECT_SENS_IF_ABSENT &&
        detect_seen_add(r->sens_seen, DETECT_PAYLOADS_SEEN, &r->sens_pos,
                        detect_hash(ev->path, true)) &&
        detect_pour(&r->sensitive, p->sensitive_capacity, p->sensitive_leak_ms, now))
        return detect_hit_fill(hit, "sensitive_files", r, ev, "absent admin paths",
                               detect_level(&r->sensitive), p->sensitive_capacity,
                               p->sensitive_leak_ms, ev->path);
    if (detect_pour(&r->not_found, p->not_found_capacity, p->not_found_leak_ms, now))
        return detect_hit_fill(hit, "path_bruteforce", r, ev, "4xx responses",
                               detect_level(&r->not_found), p->not_found_capacity,
                               p->not_found_leak_ms, ev->path);
    if (detect_seen_add(r->path_seen, DETECT_PATHS_SEEN, &r->path_pos,
                        detect_hash(ev->path, false)) &&
        detect_pour(&r->paths, p->distinct_paths_capacity, p->distinct_paths_leak_ms, now))
        return detect_hit_fill(hit, "path_bruteforce", r, ev, "distinct 4xx paths",
                               detect_level(&r->paths), p->distinct_paths_capacity,
                               p->distinct_paths_leak_ms, ev->path);
    return false;
}

/* When the record is a prefix, says which of its addresses tripped it: the ban names the
 * prefix, the evidence the address. */
static void
detect_hit_from(struct detect_hit *hit, const struct detect_event *ev, const struct cidr *key)
{
    char a[64];
    size_t n = strlen(hit->evidence);

    if (key->plen == 128 || n + 8 >= sizeof(hit->evidence))
        return;
    cidr_addr_format(&ev->addr, a, sizeof(a));
    snprintf(hit->evidence + n, sizeof(hit->evidence) - n, " from %s", a);
}

bool
detect_feed(struct detect *d, const struct detect_event *ev, struct detect_hit *hit)
{
    struct detect_rec *r;
    struct cidr key;
    bool created, tripped;

    /* Missing assets never count, but a "static" name that is a sensitive file (a database
     * dump such as /db.sql.gz) is a probe, not an asset. */
    if (ev->static_asset ||
        (detect_is_static_path(ev->path) && detect_sensitive_class(ev->path) == DETECT_SENS_NONE))
        return false;
    /* An IPv6 client is its prefix: a scanner rotating addresses inside its /64 fills one
     * set of buckets, not one per address. */
    cidr_client(&ev->addr, d->p.ipv6_prefix, &key);
    r = addrmap_get(&d->map, &key.addr, true, &created);
    if (!r)
        return false;           /* out of memory: this event is not counted */
    if (created)
        r->first_ms = ev->now_ms;
    if (ev->kind == DETECT_REQUEST)
        tripped = detect_request(d, r, ev, hit);
    else
        tripped = detect_response(d, r, ev, hit);
    if (tripped) {
        detect_hit_from(hit, ev, &key);
        addrmap_remove(&d->map, &key.addr);
    }
    return tripped;
}

unsigned
detect_ipv6_prefix(const struct detect *d)
{
    return d->p.ipv6_prefix && d->p.ipv6_prefix < 128 ? d->p.ipv6_prefix : 128;
}

uint64_t
detect_evictions(const struct detect *d)
{
    return d->map.evictions;
}
