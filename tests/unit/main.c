/*
 * tests/unit/main.c: runs every unit test (cmocka); `build/unit WORD` runs those whose
 * name contains WORD.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

#define UNIT(n) void n(void **state);
#include "list.h"
#undef UNIT

static const struct CMUnitTest tests[] = {
#define UNIT(n) cmocka_unit_test(n),
#include "list.h"
#undef UNIT
};

int
main(int argc, char **argv)
{
    char filter[256];

    if (argc > 1) {
        snprintf(filter, sizeof(filter), "*%s*", argv[1]);
        cmocka_set_test_filter(filter);
    }
    return cmocka_run_group_tests_name("unit", tests, NULL, NULL);
}
