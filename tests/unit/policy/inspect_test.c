/* tests/unit/policy/inspect_test.c: the address, CIDR, URL and secret helpers. */
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "policy/internal.h"

TEST(policy_inspect_addresses_cidrs_urls_and_secrets)
{
    struct inspect_cidr c;
    struct inspect_url u;
    char host[64];

    EXPECT_TRUE(inspect_host_is_loopback("127.0.0.1"));
    EXPECT_TRUE(inspect_host_is_loopback("127.9.9.9"));
    EXPECT_TRUE(inspect_host_is_loopback("::1"));
    EXPECT_TRUE(inspect_host_is_loopback("[::1]"));
    EXPECT_TRUE(inspect_host_is_loopback("LocalHost"));
    EXPECT_FALSE(inspect_host_is_loopback("0.0.0.0"));
    EXPECT_FALSE(inspect_host_is_loopback("::"));
    EXPECT_FALSE(inspect_host_is_loopback("10.0.0.1"));
    EXPECT_FALSE(inspect_host_is_loopback("128.0.0.1"));

    EXPECT_EQ(inspect_addr_host("[::1]:80", host, sizeof(host)), 0);
    EXPECT_STREQ(host, "::1");
    EXPECT_EQ(inspect_addr_host(":8080", host, sizeof(host)), 0);
    EXPECT_STREQ(host, "0.0.0.0");
    EXPECT_EQ(inspect_addr_host("*:8080", host, sizeof(host)), 0);
    EXPECT_STREQ(host, "0.0.0.0");
    EXPECT_TRUE(inspect_addr_is_public("0.0.0.0:80"));
    EXPECT_TRUE(inspect_addr_is_public("[::]:80"));
    EXPECT_TRUE(inspect_addr_is_public("192.168.1.1:80"));   /* private still counts */
    EXPECT_FALSE(inspect_addr_is_public("127.0.0.1:80"));
    EXPECT_FALSE(inspect_addr_is_public("localhost:80"));
    EXPECT_FALSE(inspect_addr_is_public("unix:/run/tierd.sock"));

    EXPECT_EQ(inspect_cidr_parse("10.0.0.0/8", &c), 0);
    EXPECT_EQ(c.family, AF_INET);
    EXPECT_EQ(c.prefix, 8);
    EXPECT_TRUE(inspect_cidr_is_private(&c));
    EXPECT_EQ(inspect_cidr_parse("10.0.0.0/7", &c), 0);
    EXPECT_FALSE(inspect_cidr_is_private(&c));                 /* wider than 10/8 */
    EXPECT_EQ(inspect_cidr_parse("2001:db8::1", &c), 0);
    EXPECT_EQ(c.prefix, 128);
    EXPECT_EQ(inspect_cidr_parse("fd12::/16", &c), 0);
    EXPECT_TRUE(inspect_cidr_is_private(&c));
    EXPECT_TRUE(inspect_cidr_parse("10.0.0.0/33", &c) < 0);
    EXPECT_TRUE(inspect_cidr_parse("nope/8", &c) < 0);
    EXPECT_TRUE(inspect_cidr_parse("1.2.3.4/", &c) < 0);

    EXPECT_EQ(inspect_url_parse("HTTP://user:pw@[::1]:8080/x?token=1", &u), 0);
    EXPECT_STREQ(u.scheme, "http");
    EXPECT_STREQ(u.host, "::1");
    EXPECT_TRUE(u.has_userinfo && u.has_password);
    EXPECT_STREQ(u.query, "token=1");
    EXPECT_EQ(inspect_url_parse("https://hooks.example.com", &u), 0);
    EXPECT_STREQ(u.host, "hooks.example.com");
    EXPECT_FALSE(u.has_userinfo);
    EXPECT_TRUE(u.query == NULL);
    EXPECT_TRUE(inspect_url_parse("hooks.example.com/x", &u) < 0);
    static const char *const names[] = { "token", "sig", NULL };
    EXPECT_TRUE(inspect_query_has_secret("a=1&access_token=x", names));
    EXPECT_FALSE(inspect_query_has_secret("a=1&token=${env:T}", names));
    EXPECT_FALSE(inspect_query_has_secret("page=2", names));

    EXPECT_TRUE(inspect_has_key_material("AKIAIOSFODNN7EXAMPLE"));
    EXPECT_TRUE(inspect_has_key_material("id=ASIAIOSFODNN7EXAMPLE;"));
    EXPECT_FALSE(inspect_has_key_material("AKIAshort"));
    EXPECT_FALSE(inspect_has_key_material("XAKIAIOSFODNN7EXAMPLE"));
    EXPECT_TRUE(inspect_has_key_material("-----BEGIN OPENSSH PRIVATE KEY-----"));
    EXPECT_TRUE(inspect_name_is_secret("DB_PASSWORD"));
    EXPECT_TRUE(inspect_name_is_secret("stripe_api_key"));
    EXPECT_TRUE(inspect_name_is_secret("--token"));
    EXPECT_FALSE(inspect_name_is_secret("DB_PASSWORD_FILE"));
    EXPECT_FALSE(inspect_name_is_secret("PORT"));
    EXPECT_TRUE(inspect_is_env_ref("${env:X}"));
    EXPECT_FALSE(inspect_is_env_ref("$X"));
}
