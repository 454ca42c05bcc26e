/* tests/unit/shield/detect_test.c: each detector trips on a crafted attack and stays quiet
 * on the look-alike legitimate traffic (NAT'd office, crawler, SPA, WordPress). */
#include "shield/detect.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "shield/cidr.h"

static const char *const login_paths[] = { "/login", "/api/auth", NULL };

static struct detect *
table(void)
{
    struct detect_params p;

    detect_params_default(&p);
    p.login_paths = login_paths;
    return detect_new(&p);
}

static struct slice
S(const char *s)
{
    return slice_make(s, s ? strlen(s) : 0);
}

struct req {
    const char *ip, *method, *path, *query, *host, *ua;
};

/* Feeds a request and, when status > 0, its response. Returns the detector that tripped. */
static const char *
feed(struct detect *d, struct req r, int status, uint64_t now_ms, struct detect_hit *hit)
{
    struct detect_event ev;

    memset(&ev, 0, sizeof(ev));
    cidr_addr_parse(r.ip, strlen(r.ip), &ev.addr);
    ev.method = S(r.method ? r.method : "GET");
    ev.path = S(r.path);
    ev.query = S(r.query);
    ev.host = S(r.host ? r.host : "www.example.com");
    ev.user_agent = S(r.ua ? r.ua : "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0");
    ev.now_ms = now_ms;
    ev.kind = DETECT_REQUEST;
    if (detect_feed(d, &ev, hit))
        return hit->detector;
    if (status <= 0)
        return NULL;
    ev.kind = DETECT_RESPONSE;
    ev.status = status;
    if (detect_feed(d, &ev, hit))
        return hit->detector;
    return NULL;
}

TEST(shield_detect_classifiers)
{
    EXPECT_TRUE(detect_is_sensitive_path(S("/.env")));
    EXPECT_TRUE(detect_is_sensitive_path(S("/app/.ENV.backup")));
    EXPECT_TRUE(detect_is_sensitive_path(S("/.git/config")));
    EXPECT_TRUE(detect_is_sensitive_path(S("/backup/db.sql.gz")));
    EXPECT_TRUE(detect_is_sensitive_path(S("/wp-login.php")));
    EXPECT_FALSE(detect_is_sensitive_path(S("/.github-stats")));
    EXPECT_FALSE(detect_is_sensitive_path(S("/products/42")));
    EXPECT_FALSE(detect_is_sensitive_path(S("/docs/sql-guide")));

    EXPECT_TRUE(detect_is_scanner_ua(S("Mozilla/5.00 (Nikto/2.1.6) (Evasions:None)")));
    EXPECT_TRUE(detect_is_scanner_ua(S("sqlmap/1.7.2#stable (https://sqlmap.org)")));
    EXPECT_TRUE(detect_is_scanner_ua(S("Fuzz Faster U Fool v2.1.0")));
    EXPECT_TRUE(detect_is_scanner_ua(S("gobuster/3.6")));
    EXPECT_FALSE(detect_is_scanner_ua(S("Mozilla/5.0 (Linux; Android 9; Titanium) Chrome/120")));
    EXPECT_FALSE(detect_is_scanner_ua(S("curl/8.4.0")));
    EXPECT_FALSE(detect_is_scanner_ua(S("python-requests/2.31")));
    EXPECT_FALSE(detect_is_scanner_ua(S("Mozilla/5.0 (compatible; Googlebot/2.1)")));
    EXPECT_FALSE(detect_is_scanner_ua(S("DirbMan/1.0")));     /* whole words only */

    EXPECT_TRUE(detect_is_injection(S("/static/../../etc/passwd"), S("")));
    EXPECT_TRUE(detect_is_injection(S("/item"), S("id=1%20UNION%20SELECT%20password")));
    EXPECT_TRUE(detect_is_injection(S("/search"), S("q=%3Cscript%3Ealert(1)")));
    EXPECT_TRUE(detect_is_injection(S("/"), S("x=${jndi:ldap://e.vil/a}")));
    EXPECT_FALSE(detect_is_injection(S("/search"), S("q=union+station+hotels")));
    EXPECT_FALSE(detect_is_injection(S("/a/b.c/d"), S("page=2&sort=price")));
}

TEST(shield_detect_path_bruteforce_trips)
{
    struct detect *d = table();
    struct detect_hit hit;
    const char *got = NULL;
    char path[64];
    unsigned i;

    /* ffuf at 50 requests a second, every word a 404. */
    for (i = 0; i < 100 && !got; i++) {
        snprintf(path, sizeof(path), "/word%u", i);
        got = feed(d, (struct req){ .ip = "198.51.100.9", .path = path, .ua = "Fuzz Me" }, 404,
                   1000 + i * 20, &hit);
    }
    EXPECT_TRUE(got != NULL);
    EXPECT_STREQ(got, "path_bruteforce");
    EXPECT_EQ(i, 21);           /* capacity 20: the 21st distinct failure overflows */
    EXPECT_TRUE(strstr(hit.evidence, "distinct 4xx paths") != NULL);
    EXPECT_TRUE(strstr(hit.evidence, "/word20") != NULL);
    detect_free(d);
}

TEST(shield_detect_slow_or_static_404s_do_not_trip)
{
    struct detect *d = table();
    struct detect_hit hit;
    char path[64];

    /* 300 distinct failing paths at one every 6 s (10 a minute, under the 12 a minute leak). */
    for (unsigned i = 0; i < 300; i++) {
        snprintf(path, sizeof(path), "/old/page%u", i);
        EXPECT_TRUE(feed(d, (struct req){ .ip = "198.51.100.10", .path = path }, 404,
                         i * 6000, &hit) == NULL);
    }
    /* A burst of missing images, fonts and scripts never counts. */
    static const char *const exts[] = { "png", "css", "js", "woff2", "ICO", "map", "svg" };
    for (unsigned i = 0; i < 500; i++) {
        snprintf(path, sizeof(path), "/assets/a%u.%s", i, exts[i % 7]);
        EXPECT_TRUE(feed(d, (struct req){ .ip = "198.51.100.11", .path = path }, 404, i, &hit) ==
                    NULL);
    }
    /* A SPA polling one missing endpoint twice a second for ten minutes. */
    for (unsigned i = 0; i < 1200; i++)
        EXPECT_TRUE(feed(d, (struct req){ .ip = "198.51.100.12", .path = "/api/v1/notifications" },
                         404, i * 500 + 1, &hit) == NULL);
    detect_free(d);
}

TEST(shield_detect_sensitive_files)
{
    struct detect *d = table();
    struct detect_hit hit;
    static const char *const probes[] = { "/.env", "/.git/config", "/backup.sql", "/.aws/credentials",
                                          "/phpinfo.php", "/.env.local" };
    const char *got = NULL;
    unsigned i;

    for (i = 0; i < 6 && !got; i++)
        got = feed(d, (struct req){ .ip = "192.0.2.50", .path = probes[i] }, 0, 1000 + i * 100,
                   &hit);
    EXPECT_STREQ(got, "sensitive_files");
    EXPECT_EQ(i, 5);            /* capacity 4 */
    /* The same file asked again and again (a broken link) is one distinct probe. */
    for (i = 0; i < 50; i++)
        EXPECT_TRUE(feed(d, (struct req){ .ip = "192.0.2.51", .path = "/.well-known/x/.env" }, 0,
                         i * 10, &hit) == NULL);
    /* A WordPress site serves /wp-login.php: only 404/403 answers count. */
    for (i = 0; i < 50; i++)
        EXPECT_TRUE(feed(d, (struct req){ .ip = "192.0.2.52", .path = i % 2 ? "/wp-login.php" :
                                          "/wp-admin/edit.php" }, 200, i * 10, &hit) == NULL);
    got = NULL;
    static const char *const panels[] = { "/phpmyadmin/", "/pma/index.php", "/wp-login.php",
                                          "/xmlrpc.php", "/mysqladmin/", "/adminer.php" };
    for (i = 0; i < 6 && !got; i++)
        got = feed(d, (struct req){ .ip = "192.0.2.53", .path = panels[i] }, 404, i * 100, &hit);
    EXPECT_STREQ(got, "sensitive_files");
    /* Dumps with a "static" extension are probes, not assets (found by analyze). */
    got = NULL;
    static const char *const dumps[] = { "/db.sql.gz", "/backup.sql.gz", "/site.sql.gz",
                                         "/dump.sql.gz", "/www.sql.gz" };
    for (i = 0; i < 5 && !got; i++)
        got = feed(d, (struct req){ .ip = "192.0.2.54", .path = dumps[i] }, 404, i * 100, &hit);
    EXPECT_STREQ(got, "sensitive_files");
    detect_free(d);
}

TEST(shield_detect_scanner_user_agent_is_a_trigger)
{
    struct detect *d = table();
    struct detect_hit hit;

    EXPECT_STREQ(feed(d, (struct req){ .ip = "192.0.2.60", .path = "/",
                                       .ua = "Mozilla/5.0 (compatible; Nuclei - Open-source "
                                             "project (github.com/projectdiscovery/nuclei))" },
                      0, 5, &hit), "scanner_ua");
    EXPECT_TRUE(strstr(hit.evidence, "Nuclei") != NULL);
    EXPECT_TRUE(feed(d, (struct req){ .ip = "192.0.2.61", .path = "/",
                                      .ua = "Mozilla/5.0 (Linux; U; Android 4.2; Archos Titanium)" },
                     200, 5, &hit) == NULL);
    detect_free(d);
}

TEST(shield_detect_injection_needs_distinct_payloads)
{
    struct detect *d = table();
    struct detect_hit hit;
    static const char *const q[] = { "id=1'%20or%20'1'='1", "id=1%20union%20select%201,2",
                                     "id=sleep(5)", "id=1%2cnull%2cnull" };
    const char *got = NULL;
    unsigned i;

    /* A user re-submitting one odd search never accumulates. */
    for (i = 0; i < 30; i++)
        EXPECT_TRUE(feed(d, (struct req){ .ip = "192.0.2.70", .path = "/search",
                                          .query = "q=<script>" }, 200, i * 1000, &hit) == NULL);
    for (i = 0; i < 4 && !got; i++)
        got = feed(d, (struct req){ .ip = "192.0.2.71", .path = "/item", .query = q[i] }, 500,
                   i * 200, &hit);
    EXPECT_STREQ(got, "injection");
    EXPECT_EQ(i, 4);            /* capacity 3 */
    detect_free(d);
}

TEST(shield_detect_vhost_fuzzing)
{
    struct detect *d = table();
    struct detect_hit hit;
    char host[64];
    const char *got = NULL;
    unsigned i;

    for (i = 0; i < 40 && !got; i++) {
        snprintf(host, sizeof(host), "w%u.example.com", i);
        got = feed(d, (struct req){ .ip = "192.0.2.80", .path = "/", .host = host }, 404,
                   i * 50, &hit);
    }
    EXPECT_STREQ(got, "vhost_fuzzing");
    EXPECT_EQ(i, 11);           /* capacity 10 */
    /* An office using our 8 sites all day: the same few names, with ports and case. */
    static const char *const sites[] = { "www.example.com", "api.example.com:443",
                                         "WWW.example.com", "static.example.com",
                                         "admin.example.com", "docs.example.com.",
                                         "status.example.com", "mail.example.com",
                                         "shop.example.com" };
    for (i = 0; i < 2000; i++)
        EXPECT_TRUE(feed(d, (struct req){ .ip = "192.0.2.81", .path = "/", .host = sites[i % 9] },
                         200, i * 10, &hit) == NULL);
    detect_free(d);
}

TEST(shield_detect_login_bruteforce)
{
    struct detect *d = table();
    struct detect_hit hit;
    const char *got = NULL;
    unsigned i;

    /* A stuffer posting to a JSON login that answers 422, 5 a second. */
    for (i = 0; i < 30 && !got; i++)
        got = feed(d, (struct req){ .ip = "192.0.2.90", .method = "POST", .path = "/api/auth/login" },
                   422, i * 200, &hit);
    EXPECT_STREQ(got, "login_bruteforce");
    EXPECT_EQ(i, 11);           /* capacity 10 */
    /* Token reads answered 401 (a token to refresh) are not login failures. */
    for (i = 0; i < 100; i++)
        EXPECT_TRUE(feed(d, (struct req){ .ip = "192.0.2.91", .method = "GET", .path = "/api/auth/me" },
                         401, i * 100, &hit) == NULL);
    /* "/login" is a segment prefix: "/logins" is not a login path (and 401 is not a 404). */
    for (i = 0; i < 100; i++)
        EXPECT_TRUE(feed(d, (struct req){ .ip = "192.0.2.92", .method = "POST", .path = "/loginsx" },
                         401, i * 100, &hit) == NULL);
    detect_free(d);
}

/* 150 people behind one address browsing a shop for 30 minutes: pages, API calls, a few
 * stale links, people mistyping passwords at 9:00, several of our host names. */
TEST(shield_detect_nat_office_never_trips)
{
    struct detect *d = table();
    struct detect_hit hit;
    static const char *const pages[] = { "/", "/products", "/products/42", "/cart", "/account",
                                         "/api/v1/cart", "/api/v1/search", "/help/shipping",
                                         "/blog/2024/10/sale", "/orders/1001" };
    static const char *const hosts[] = { "www.example.com", "api.example.com", "help.example.com" };
    uint64_t x = 12345;
    char path[96];

    for (uint64_t t = 0; t < 30 * 60 * 1000; t += 100) {       /* 10 requests a second */
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned r = (unsigned)(x >> 33);
        int status = 200;
        const char *method = "GET";
        if (r % 100 < 1) {              /* 1 % stale links to 300 removed products */
            snprintf(path, sizeof(path), "/products/%u", 9000 + r % 300);
            status = 404;
        } else if (r % 1000 < 5 && t < 10 * 60 * 1000) {  /* wrong passwords in the morning */
            snprintf(path, sizeof(path), "/login");
            method = "POST";
            status = 401;
        } else if (r % 100 < 40) {      /* assets, some missing */
            snprintf(path, sizeof(path), "/static/img/p%u.webp", r % 300);
            status = r % 50 ? 200 : 404;
        } else {
            snprintf(path, sizeof(path), "%s", pages[r % 10]);
        }
        const char *got = feed(d, (struct req){ .ip = "203.0.113.200", .method = method,
                                                .path = path, .host = hosts[r % 3],
                                                .query = r % 7 ? "" : "q=red+shoes&page=2" },
                               status, t, &hit);
        if (got)
            fail_msg("office tripped %s at %llu ms: %s", got, (unsigned long long)t,
                     hit.evidence);
    }
    detect_free(d);
}

/* A search-engine crawler: 2 distinct pages a second for an hour, 2 % of them gone. */
TEST(shield_detect_crawler_never_trips)
{
    struct detect *d = table();
    struct detect_hit hit;
    char path[64];

    for (unsigned i = 0; i < 7200; i++) {
        snprintf(path, sizeof(path), "/catalog/item-%u", i);
        const char *got = feed(d, (struct req){ .ip = "66.249.66.1", .path = path,
                                                .ua = "Mozilla/5.0 (compatible; Googlebot/2.1; "
                                                      "+http://www.google.com/bot.html)" },
                               i % 50 == 7 ? 404 : 200, (uint64_t)i * 500, &hit);
        if (got)
            fail_msg("crawler tripped %s at request %u: %s", got, i, hit.evidence);
    }
    detect_free(d);
}

TEST(shield_detect_table_is_bounded)
{
    struct detect_params p;
    struct detect_hit hit;

    detect_params_default(&p);
    p.max_addresses = 100;
    struct detect *d = detect_new(&p);
    char ip[32];
    for (unsigned i = 0; i < 1000; i++) {
        snprintf(ip, sizeof(ip), "10.0.%u.%u", i / 256, i % 256);
        feed(d, (struct req){ .ip = ip, .path = "/x" }, 404, i, &hit);
    }
    EXPECT_EQ(detect_evictions(d), 900);
    detect_free(d);
}
