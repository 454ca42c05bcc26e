/* tests/unit/acme/acme_reply_test.c: the CA's replies as Pebble 2.4 sends them, and
 * replies a hostile or broken CA could send. */
#include <errno.h>
#include <string.h>

#include "acme/acme_reply.h"
#include "check.h"

static const char pebble_dir[] =
    "{\"keyChange\":\"https://127.0.0.1:14000/rollover-account-key\","
    "\"meta\":{\"externalAccountRequired\":false,\"termsOfService\":\"data:text/plain,Do%20what%20thou%20wilt\"},"
    "\"newAccount\":\"https://127.0.0.1:14000/sign-me-up\","
    "\"newNonce\":\"https://127.0.0.1:14000/nonce-plz\","
    "\"newOrder\":\"https://127.0.0.1:14000/order-plz\","
    "\"revokeCert\":\"https://127.0.0.1:14000/revoke-cert\"}";

static const char pebble_order[] =
    "{\"status\":\"pending\",\"expires\":\"2026-12-09T03:00:00Z\","
    "\"identifiers\":[{\"type\":\"dns\",\"value\":\"shop.test\"}],"
    "\"finalize\":\"https://127.0.0.1:14000/finalize-order/abc\","
    "\"authorizations\":[\"https://127.0.0.1:14000/authZ/x1\",\"https://127.0.0.1:14000/authZ/x2\"]}";

static const char pebble_authz[] =
    "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"shop.test\"},"
    "\"challenges\":[{\"type\":\"dns-01\",\"url\":\"https://127.0.0.1:14000/chalZ/a\","
    "\"token\":\"kQ2Zb0S5qNyPq0t1m9dV6Y8oKZ4tQd0d5Yf3c5p8e0A\",\"status\":\"pending\"},"
    "{\"type\":\"http-01\",\"url\":\"https://127.0.0.1:14000/chalZ/b\","
    "\"token\":\"Tc9eV5yqf1n4c8H3dQ2sA7pL0kZ6wX1uB4mN9rE2gJw\",\"status\":\"pending\"},"
    "{\"type\":\"tls-alpn-01\",\"url\":\"https://127.0.0.1:14000/chalZ/c\","
    "\"token\":\"Zr8Lq3Vb6Nw1Ty4Hs7Dk0Jm2Pc5Xf9Ga1Ue3Oi6Rt8Y\",\"status\":\"pending\"}],"
    "\"expires\":\"2026-12-09T03:00:00Z\"}";

TEST(acme_reply_reads_a_pebble_directory_order_and_authorization)
{
    struct acme_directory d;
    struct acme_order o;
    struct acme_authz a;
    const char *why;

    EXPECT_EQ(acme_reply_directory(pebble_dir, strlen(pebble_dir), &d, &why), 0);
    EXPECT_STREQ(d.new_nonce, "https://127.0.0.1:14000/nonce-plz");
    EXPECT_STREQ(d.new_order, "https://127.0.0.1:14000/order-plz");
    EXPECT_STREQ(d.renewal_info, "");               /* Pebble 2.4 has no ARI */
    EXPECT_EQ(acme_reply_order(pebble_order, strlen(pebble_order), &o, &why), 0);
    EXPECT_EQ(o.status, ACME_ST_PENDING);
    EXPECT_EQ(o.nauthz, 2);
    EXPECT_STREQ(o.authz[1], "https://127.0.0.1:14000/authZ/x2");
    EXPECT_STREQ(o.certificate, "");
    EXPECT_EQ(acme_reply_authz(pebble_authz, strlen(pebble_authz), &a, &why), 0);
    EXPECT_STREQ(a.identifier, "shop.test");
    EXPECT_EQ(a.nchal, 3);
    EXPECT_STREQ(a.chal[1].type, "http-01");
    EXPECT_STREQ(a.chal[2].token, "Zr8Lq3Vb6Nw1Ty4Hs7Dk0Jm2Pc5Xf9Ga1Ue3Oi6Rt8Y");

    static const char failed[] =
        "{\"status\":\"invalid\",\"identifier\":{\"type\":\"dns\",\"value\":\"shop.test\"},"
        "\"challenges\":[{\"type\":\"http-01\",\"url\":\"https://127.0.0.1:14000/chalZ/b\","
        "\"token\":\"Tc9eV5yqf1n4c8H3dQ2sA7pL0kZ6wX1uB4mN9rE2gJw\",\"status\":\"invalid\","
        "\"error\":{\"type\":\"urn:ietf:params:acme:error:connection\",\"detail\":\"refused\\nx\"}}]}";
    EXPECT_EQ(acme_reply_authz(failed, strlen(failed), &a, &why), 0);
    EXPECT_EQ(a.status, ACME_ST_INVALID);
    EXPECT_STREQ(a.error, "urn:ietf:params:acme:error:connection: refused x");

    struct acme_problem p;
    static const char bad_nonce[] = "{\"type\":\"urn:ietf:params:acme:error:badNonce\","
                                    "\"detail\":\"JWS has an invalid anti-replay nonce\","
                                    "\"status\":400}";
    EXPECT_EQ(acme_reply_problem(bad_nonce, strlen(bad_nonce), &p, &why), 0);
    EXPECT_STREQ(p.type, "urn:ietf:params:acme:error:badNonce");
}

TEST(acme_reply_refuses_bad_urls_tokens_and_shapes)
{
    static const char *const dirs[] = {
        "{\"newNonce\":\"file:///etc/passwd\",\"newAccount\":\"https://a/\",\"newOrder\":\"https://a/\"}",
        "{\"newAccount\":\"https://a/\",\"newOrder\":\"https://a/\"}",
        "{\"newNonce\":\"https://a/\",\"newAccount\":\"https://a/\",\"newOrder\":7}",
        "{\"newNonce\":\"https://a/\",\"newNonce\":\"https://b/\",\"newAccount\":\"https://a/\","
        "\"newOrder\":\"https://a/\"}",
    };
    static const char *const authzs[] = {
        /* a token that would climb out of the challenge path */
        "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"a.test\"},"
        "\"challenges\":[{\"type\":\"http-01\",\"url\":\"https://a/c\",\"status\":\"pending\","
        "\"token\":\"../../../../etc/passwd/aaaaaaaaaaaaaaaa\"}]}",
        "{\"status\":\"pending\",\"identifier\":{\"type\":\"ip\",\"value\":\"127.0.0.1\"},"
        "\"challenges\":[]}",
        "{\"status\":\"sleeping\",\"identifier\":{\"type\":\"dns\",\"value\":\"a.test\"},"
        "\"challenges\":[]}",
        "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"a.test\"}}",
    };
    struct acme_directory d;
    struct acme_authz a;
    struct acme_order o;
    const char *why;

    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        EXPECT_EQ(acme_reply_directory(dirs[i], strlen(dirs[i]), &d, &why), -EBADMSG);
    for (size_t i = 0; i < sizeof(authzs) / sizeof(authzs[0]); i++)
        EXPECT_EQ(acme_reply_authz(authzs[i], strlen(authzs[i]), &a, &why), -EBADMSG);
    static const char valid_no_cert[] = "{\"status\":\"valid\",\"finalize\":\"https://a/f\","
                                        "\"authorizations\":[]}";
    EXPECT_EQ(acme_reply_order(valid_no_cert, strlen(valid_no_cert), &o, &why), -EBADMSG);
    EXPECT_STREQ(why, "order: valid without a certificate URL");
}

TEST(acme_reply_times_and_retry_after)
{
    EXPECT_EQ(acme_reply_time("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(acme_reply_time("2026-01-01T00:00:00Z"), 1767225600);
    EXPECT_EQ(acme_reply_time("2026-01-01T02:00:00+02:00"), 1767225600);
    EXPECT_EQ(acme_reply_time("2026-01-01T00:00:00.999999Z"), 1767225600);
    EXPECT_EQ(acme_reply_time("2026-01-01T00:00:00"), -1);
    EXPECT_EQ(acme_reply_time("2026-13-01T00:00:00Z"), -1);
    EXPECT_EQ(acme_reply_time("2026-01-01T00:00:00Zjunk"), -1);
    EXPECT_EQ(acme_reply_retry_after("120", 0), 120);
    EXPECT_EQ(acme_reply_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", 1767225600), 60);
    EXPECT_EQ(acme_reply_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", 1767229999), 0);
    EXPECT_EQ(acme_reply_retry_after("-5", 0), -1);
    EXPECT_EQ(acme_reply_retry_after("", 0), -1);
    EXPECT_EQ(acme_reply_retry_after(NULL, 0), -1);
}
