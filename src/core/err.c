/*
 * core/err.c: invariant failures and errno names.
 */
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
err_bug(const char *file, int line, const char *cond)
{
    fprintf(stderr, "BUG at %s:%d: %s\n", file, line, cond);
    abort();
}

const char *
err_str(int rc)
{
    return strerror(rc < 0 ? -rc : rc);
}
