/* tests/unit/core/buf_test.c: pooled buffers grow, compact and release. */
#include "core/buf.h"

#include <string.h>

#include "check.h"

TEST(buf_append_consume_and_release)
{
    struct buf b = { 0 };

    EXPECT_EQ(buf_append(&b, "hello", 5), 0);
    EXPECT_EQ(buf_len(&b), 5);
    buf_consume(&b, 2);
    EXPECT_EQ(memcmp(buf_head(&b), "llo", 3), 0);
    buf_release(&b);                    /* not empty: keeps its storage */
    EXPECT_TRUE(b.data != NULL);
    buf_consume(&b, 3);
    EXPECT_EQ(b.rpos, 0);
    buf_release(&b);
    EXPECT_TRUE(b.data == NULL);
}

TEST(buf_grows_beyond_a_chunk)
{
    struct buf b = { 0 };
    static char big[BUF_CHUNK_BYTES * 3];

    memset(big, 'x', sizeof(big));
    EXPECT_EQ(buf_append(&b, big, sizeof(big)), 0);
    EXPECT_EQ(buf_len(&b), sizeof(big));
    EXPECT_EQ(buf_printf(&b, "%d", 42), 0);
    EXPECT_EQ(memcmp(buf_tail(&b) - 2, "42", 2), 0);
    buf_fini(&b);
}
