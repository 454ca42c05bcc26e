/*
 * tests/lib/check.h: unit tests are cmocka tests. TEST(name) defines one; list it in the
 * subsystem's tests/unit/<subsystem>/list.h as UNIT(name).
 */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define TEST(name)                                                                        \
    void name(void **state);                                                              \
    void name(void **state __attribute__((unused)))

#define EXPECT_EQ(a, b) assert_int_equal((a), (b))
#define EXPECT_TRUE(a) assert_true(a)
#define EXPECT_FALSE(a) assert_false(a)
#define EXPECT_STREQ(a, b) assert_string_equal((a), (b))

#endif
