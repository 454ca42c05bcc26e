/* tests/unit/ctl/ctl_auth_test.c: the bearer-token comparison. */
#include "ctl/internal.h"
#include "check.h"

#include <string.h>

static bool
ok(const char *value, const char *token)
{
    return ctl_auth_bearer_ok(value, strlen(value), token);
}

TEST(ctl_auth_accepts_only_the_exact_token)
{
    EXPECT_TRUE(ok("Bearer s3cret", "s3cret"));
    EXPECT_TRUE(ok("bearer s3cret", "s3cret"));        /* the scheme is case-insensitive */
    EXPECT_FALSE(ok("Bearer S3cret", "s3cret"));       /* the token is not */
    EXPECT_FALSE(ok("Bearer s3cre", "s3cret"));
    EXPECT_FALSE(ok("Bearer s3crett", "s3cret"));
    EXPECT_FALSE(ok("Basic s3cret", "s3cret"));
    EXPECT_FALSE(ok("s3cret", "s3cret"));
    EXPECT_FALSE(ok("Bearer ", ""));                   /* an empty token never matches */
    EXPECT_FALSE(ok("", "s3cret"));
}
