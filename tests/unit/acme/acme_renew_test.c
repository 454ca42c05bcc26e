/* tests/unit/acme/acme_renew_test.c: the renewal schedule with an injected clock, and ARI
 * replies as a CA sends them (RFC 9773 §4.2 shapes), well-formed and not. */
#include <errno.h>
#include <string.h>

#include "acme/acme_renew.h"
#include "acme/acme_reply.h"
#include "check.h"

#define DAY 86400
#define T0 1767225600   /* 2026-01-01T00:00:00Z */

TEST(acme_renew_at_two_thirds_without_ari)
{
    struct acme_renew_in in = { .now_s = T0, .has_cert = true, .not_before_s = T0,
                                .not_after_s = T0 + 90 * DAY };

    EXPECT_EQ(acme_renew_at(&in), T0 + 60 * DAY);
    in.now_s = T0 + 61 * DAY;                       /* past the point: renew now */
    EXPECT_EQ(acme_renew_at(&in), T0 + 61 * DAY);
    in.has_cert = false;                            /* nothing yet: issue now */
    in.now_s = T0;
    EXPECT_EQ(acme_renew_at(&in), T0);
    in.has_cert = true;                             /* expired: now */
    in.now_s = T0 + 91 * DAY;
    EXPECT_EQ(acme_renew_at(&in), T0 + 91 * DAY);
}

/* A reply recorded from the shape Let's Encrypt serves. */
static const char ari_ok[] =
    "{\"suggestedWindow\":{\"start\":\"2026-02-10T00:00:00Z\",\"end\":\"2026-02-12T00:00:00Z\"},"
    "\"explanationURL\":\"https://acme.example/docs/ari\"}";

TEST(acme_renew_follows_a_recorded_ari_window)
{
    struct acme_renewal_info ri;
    const char *why = NULL;

    EXPECT_EQ(acme_reply_renewal_info(ari_ok, strlen(ari_ok), &ri, &why), 0);
    EXPECT_EQ(ri.start_s, T0 + 40 * DAY);
    EXPECT_EQ(ri.end_s, T0 + 42 * DAY);
    EXPECT_STREQ(ri.explanation, "https://acme.example/docs/ari");
    struct acme_renew_in in = { .now_s = T0 + DAY, .has_cert = true, .not_before_s = T0,
                                .not_after_s = T0 + 90 * DAY, .has_window = true,
                                .win_start_s = ri.start_s, .win_end_s = ri.end_s };
    in.pick = 0;
    EXPECT_EQ(acme_renew_at(&in), T0 + 40 * DAY);  /* earlier than the 60-day rule */
    in.pick = 0.5;
    EXPECT_EQ(acme_renew_at(&in), T0 + 41 * DAY);
    in.pick = 0.999999;
    EXPECT_TRUE(acme_renew_at(&in) < T0 + 42 * DAY);
    EXPECT_TRUE(acme_renew_at(&in) >= T0 + 42 * DAY - 1);
    in.pick = 7;                                    /* a broken draw counts as the start */
    EXPECT_EQ(acme_renew_at(&in), T0 + 40 * DAY);
}

TEST(acme_renew_now_when_the_ari_window_has_passed)
{
    /* A CA that wants a certificate replaced at once (revocation coming) moves the window
     * into the past. */
    static const char past[] = "{\"suggestedWindow\":{\"start\":\"2026-01-01T00:00:00Z\","
                               "\"end\":\"2026-01-01T01:00:00.123+00:00\"}}";
    struct acme_renewal_info ri;
    const char *why;

    EXPECT_EQ(acme_reply_renewal_info(past, strlen(past), &ri, &why), 0);
    EXPECT_EQ(ri.end_s, T0 + 3600);
    struct acme_renew_in in = { .now_s = T0 + 5 * DAY, .has_cert = true, .not_before_s = T0,
                                .not_after_s = T0 + 90 * DAY, .has_window = true,
                                .win_start_s = ri.start_s, .win_end_s = ri.end_s,
                                .pick = 0.5 };
    EXPECT_EQ(acme_renew_at(&in), T0 + 5 * DAY);
}

TEST(acme_renew_ignores_a_malformed_ari_reply)
{
    static const char *const bad[] = {
        "",
        "not json",
        "[]",
        "{}",
        "{\"suggestedWindow\":null}",
        "{\"suggestedWindow\":{\"start\":\"2026-02-10T00:00:00Z\"}}",
        "{\"suggestedWindow\":{\"start\":\"2026-02-12T00:00:00Z\",\"end\":\"2026-02-10T00:00:00Z\"}}",
        "{\"suggestedWindow\":{\"start\":\"2026-02-10 00:00:00\",\"end\":\"2026-02-12T00:00:00Z\"}}",
        "{\"suggestedWindow\":{\"start\":\"2026-02-30T00:00:00Z\",\"end\":\"2026-03-12T00:00:00Z\"}}",
        "{\"suggestedWindow\":{\"start\":1767225600,\"end\":1767312000}}",
        "{\"suggestedWindow\":{\"start\":\"2026-02-10T00:00:00Z\",\"end\":\"2026-02-12T00:00:00Z\"},"
        "\"explanationURL\":\"javascript:alert(1)\"}",
    };
    struct acme_renewal_info ri;
    const char *why;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        EXPECT_EQ(acme_reply_renewal_info(bad[i], strlen(bad[i]), &ri, &why), -EBADMSG);
        EXPECT_TRUE(why != NULL);
    }
    /* What the client then does: no window, so the lifetime rule. */
    struct acme_renew_in in = { .now_s = T0, .has_cert = true, .not_before_s = T0,
                                .not_after_s = T0 + 90 * DAY, .has_window = false };
    EXPECT_EQ(acme_renew_at(&in), T0 + 60 * DAY);
}

TEST(acme_renew_ari_polls_per_retry_after_within_bounds)
{
    EXPECT_EQ(acme_renew_ari_next(T0, -1), T0 + 6 * 3600);     /* absent: 6 h */
    EXPECT_EQ(acme_renew_ari_next(T0, 3600), T0 + 3600);
    EXPECT_EQ(acme_renew_ari_next(T0, 1), T0 + 60);            /* too eager: 1 min */
    EXPECT_EQ(acme_renew_ari_next(T0, 30 * DAY), T0 + DAY);    /* too lazy: 1 day */
    EXPECT_EQ(acme_renew_ari_next(T0, acme_reply_retry_after("21600", T0)), T0 + 21600);
    EXPECT_EQ(acme_renew_ari_next(T0, acme_reply_retry_after("soon", T0)), T0 + 6 * 3600);
}

TEST(acme_renew_backoff_doubles_to_a_day_and_obeys_retry_after)
{
    EXPECT_EQ(acme_renew_backoff_s(1, -1), 60);
    EXPECT_EQ(acme_renew_backoff_s(2, -1), 120);
    EXPECT_EQ(acme_renew_backoff_s(5, -1), 960);
    EXPECT_EQ(acme_renew_backoff_s(12, -1), 86400);
    EXPECT_EQ(acme_renew_backoff_s(400, -1), 86400);
    EXPECT_EQ(acme_renew_backoff_s(1, 3600), 3600);     /* rate-limited: as the CA asks */
    EXPECT_EQ(acme_renew_backoff_s(5, 30), 960);        /* never sooner than our own */
}
