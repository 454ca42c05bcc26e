/* tests/unit/edge/tls_cert_test.c: certificate names and choice (tls_cert.c), holding a key
 * to its certificate, the ticket key derivation (tls.c) and the redirect action's Location
 * (redirect.c). The certificates are tests/lib/tls/ (made with openssl req). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "conf/ctx.h"
#include "conf/node.h"
#include "edge/edge_conf.h"
#include "edge/redirect.h"
#include "edge/tls.h"
#include "edge/tls_cert.h"

#define CERTS TEST_SRCDIR "/tests/lib/tls/"

TEST(tls_cert_names_match_as_rfc6125_says)
{
    EXPECT_TRUE(tls_cert_name_match("shop.example", "shop.example"));
    EXPECT_TRUE(tls_cert_name_match("shop.example", "SHOP.Example"));
    EXPECT_TRUE(tls_cert_name_match("shop.example", "shop.example."));   /* absolute */
    EXPECT_FALSE(tls_cert_name_match("shop.example", "www.shop.example"));
    /* A wildcard is one whole label on the left: not zero labels, not two. */
    EXPECT_TRUE(tls_cert_name_match("*.shop.example", "www.shop.example"));
    EXPECT_FALSE(tls_cert_name_match("*.shop.example", "shop.example"));
    EXPECT_FALSE(tls_cert_name_match("*.shop.example", "a.b.shop.example"));
    EXPECT_FALSE(tls_cert_name_match("*.shop.example", ".shop.example"));
    EXPECT_FALSE(tls_cert_name_match("*.shop.example", "wwwshop.example"));
    EXPECT_FALSE(tls_cert_name_match("shop.example", ""));
    EXPECT_FALSE(tls_cert_name_match(NULL, "shop.example"));
}

TEST(tls_cert_inspect_reads_names_dates_and_key_type)
{
    struct tls_cert_info ec, rsa, other;
    char why[256];

    EXPECT_EQ(tls_cert_inspect(CERTS "shop.ec.pem", CERTS "shop.ec.key", &ec, why, sizeof(why)),
              0);
    EXPECT_EQ(ec.key_type, TLS_KEY_EC);
    EXPECT_EQ(ec.nnames, 2);
    EXPECT_TRUE(tls_cert_covers(&ec, "www.shop.example"));
    EXPECT_FALSE(tls_cert_covers(&ec, "other.example"));
    EXPECT_TRUE(ec.not_after > time(NULL) + 365 * 86400);
    EXPECT_EQ(tls_cert_inspect(CERTS "shop.rsa.pem", CERTS "shop.rsa.key", &rsa, why,
                               sizeof(why)), 0);
    EXPECT_EQ(rsa.key_type, TLS_KEY_RSA);
    EXPECT_TRUE(tls_cert_same_names(&ec, &rsa));
    EXPECT_EQ(tls_cert_inspect(CERTS "other.ec.pem", CERTS "other.ec.key", &other, why,
                               sizeof(why)), 0);
    EXPECT_FALSE(tls_cert_same_names(&ec, &other));
    tls_cert_info_fini(&ec);
    tls_cert_info_fini(&rsa);
    tls_cert_info_fini(&other);

    struct tls_cert_info old;
    EXPECT_EQ(tls_cert_inspect(CERTS "expired.pem", CERTS "expired.key", &old, why,
                               sizeof(why)), 0);
    EXPECT_TRUE(old.not_after < time(NULL));
    EXPECT_EQ(old.nnames, 1);                   /* no subjectAltName: the CN */
    EXPECT_STREQ(old.names[0], "shop.example");
    tls_cert_info_fini(&old);
}

TEST(tls_cert_inspect_refuses_a_key_of_another_certificate)
{
    struct tls_cert_info ci;
    char why[256];

    EXPECT_EQ(tls_cert_inspect(CERTS "shop.ec.pem", CERTS "other.ec.key", &ci, why,
                               sizeof(why)), -EKEYREJECTED);
    EXPECT_TRUE(strstr(why, "does not match certificate") != NULL);
    EXPECT_EQ(tls_cert_inspect(CERTS "shop.rsa.pem", CERTS "shop.ec.key", &ci, why,
                               sizeof(why)), -EKEYREJECTED);
    EXPECT_EQ(tls_cert_inspect(CERTS "nope.pem", CERTS "shop.ec.key", &ci, why, sizeof(why)),
              -ENOENT);
    EXPECT_TRUE(strstr(why, "cannot read certificate") != NULL);
    /* A key file given as the certificate. */
    EXPECT_EQ(tls_cert_inspect(CERTS "shop.ec.key", CERTS "shop.ec.key", &ci, why,
                               sizeof(why)), -EBADMSG);
    EXPECT_TRUE(strstr(why, "BEGIN CERTIFICATE") != NULL);
}

TEST(tls_cert_pick_prefers_exact_names_then_the_first)
{
    char n0[] = "shop.example", n1[] = "www.shop.example", n2[] = "*.other.example",
         n3[] = "api.other.example";
    char *a[] = { n0, n1 }, *b[] = { n2 }, *c[] = { n3 };
    struct tls_cert_info infos[3] = {
        { .nnames = 2, .names = a }, { .nnames = 1, .names = b }, { .nnames = 1, .names = c },
    };

    EXPECT_EQ(tls_cert_pick(infos, 3, NULL), 0);                /* no SNI: the default */
    EXPECT_EQ(tls_cert_pick(infos, 3, "nothing.example"), 0);
    EXPECT_EQ(tls_cert_pick(infos, 3, "www.shop.example"), 0);
    EXPECT_EQ(tls_cert_pick(infos, 3, "x.other.example"), 1);
    EXPECT_EQ(tls_cert_pick(infos, 3, "API.other.example"), 2); /* exact beats wildcard */
}

TEST(tls_ticket_keys_rotate_by_period_and_agree_within_one)
{
    unsigned char n1[16], a1[32], m1[32], n2[16], a2[32], m2[32];

    tls_ticket_derive(1000, n1, a1, m1);
    tls_ticket_derive(1000, n2, a2, m2);
    EXPECT_EQ(memcmp(n1, n2, 16), 0);           /* every worker derives the same */
    EXPECT_EQ(memcmp(a1, a2, 32), 0);
    tls_ticket_derive(1001, n2, a2, m2);
    EXPECT_TRUE(memcmp(n1, n2, 16) != 0);           /* the next period has new keys */
    EXPECT_TRUE(memcmp(a1, a2, 32) != 0);
    EXPECT_TRUE(memcmp(m1, m2, 32) != 0);
    EXPECT_TRUE(memcmp(a1, m1, 32) != 0);           /* and the two halves differ */
}

static const char *
location(const struct edge_redirect_conf *rd, bool tls, const char *host, unsigned port,
         const char *path, const char *query)
{
    static char out[512];
    struct buf b = { 0 };
    struct redirect_req q = { .tls = tls, .host = { host, strlen(host) }, .port = (uint16_t)port,
                              .path = { path, strlen(path) }, .query = { query, strlen(query) } };

    EXPECT_EQ(redirect_location(rd, &q, &b), 0);
    snprintf(out, sizeof(out), "%.*s", (int)buf_len(&b), buf_head(&b));
    buf_fini(&b);
    return out;
}

TEST(redirect_builds_the_location_like_alb)
{
    struct edge_redirect_conf https = { .scheme = "https", .status = 301 };
    struct edge_redirect_conf moved = { .host = "new.example", .path = "/v2/#{path}",
                                        .query = "from=#{host}&#{query}", .status = 302 };
    struct edge_redirect_conf port = { .scheme = "#{protocol}", .port = "8443",
                                       .status = 301 };

    /* The scheme changes: the new scheme's default port, left out. */
    EXPECT_STREQ(location(&https, false, "shop.example", 80, "/a/b", "x=1"),
                 "https://shop.example/a/b?x=1");
    EXPECT_STREQ(location(&https, false, "shop.example:8080", 8080, "/", ""),
                 "https://shop.example/");
    /* Kept scheme: the listener's port, unless it is the default. */
    EXPECT_STREQ(location(&moved, false, "old.example:81", 81, "/p", "q"),
                 "http://new.example:81/v2/p?from=old.example&q");
    EXPECT_STREQ(location(&moved, true, "old.example", 443, "/", ""),
                 "https://new.example/v2/?from=old.example&");
    EXPECT_STREQ(location(&port, false, "[::1]:80", 80, "/x", ""), "http://[::1]:8443/x");
}

/* The redirect action's templates are checked when the file loads (tls_conf.c). */
static unsigned
redirect_errors(const char *redirect, char *first, size_t len)
{
    char yaml[512];
    struct diag d;
    struct conf_ctx cx = { 0 };
    struct edge_conf *c;

    snprintf(yaml, sizeof(yaml), "listeners:\n  - name: a\n    address: 127.0.0.1:80\n"
             "    rules:\n      - redirect: %s\n", redirect);
    diag_init(&d);
    cx.d = &d;
    struct conf_doc *doc = conf_doc_load_mem("t.yaml", yaml, strlen(yaml), &d);
    assert_non_null(doc);
    if (edge_conf_build(doc->root, &cx, &c) == 0)
        edge_conf_free(c);
    unsigned n = d.n;
    snprintf(first, len, "%s", n ? d.msgs[0] : "");
    conf_doc_free(doc);
    diag_fini(&d);
    return n;
}

TEST(redirect_templates_are_checked_when_loading)
{
    char m[512];

    EXPECT_EQ(redirect_errors("{ scheme: https }", m, sizeof(m)), 0);
    EXPECT_EQ(redirect_errors("{ path: \"/new/#{path}\", query: \"a=1&#{query}\" }", m,
                              sizeof(m)), 0);
    EXPECT_EQ(redirect_errors("{ path: \"/#{path}\\r\\nSet-Cookie: x=1\" }", m, sizeof(m)), 1);
    EXPECT_TRUE(strstr(m, "a character a URL cannot carry") != NULL);
    EXPECT_EQ(redirect_errors("{ host: \"a b.example\" }", m, sizeof(m)), 1);
    EXPECT_EQ(redirect_errors("{ path: \"/x}\" }", m, sizeof(m)), 1);
    EXPECT_EQ(redirect_errors("{ host: \"#{hots}\" }", m, sizeof(m)), 1);
    EXPECT_TRUE(strstr(m, "is not a placeholder") != NULL);
    EXPECT_EQ(redirect_errors("{ status: 301 }", m, sizeof(m)), 1);
    EXPECT_TRUE(strstr(m, "a loop") != NULL);
}
