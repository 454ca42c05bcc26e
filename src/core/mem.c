/*
 * core/mem.c: exit-on-failure allocation for start-up and configuration loading.
 */
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
die(size_t n)
{
    fprintf(stderr, "tierd: out of memory allocating %zu bytes\n", n);
    exit(1);
}

void *
mem_alloc_or_exit(size_t n)
{
    void *p = calloc(1, n ? n : 1);

    if (!p)
        die(n);
    return p;
}

void *
mem_realloc_or_exit(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (!q)
        die(n);
    return q;
}

char *
mem_strdup_or_exit(const char *s)
{
    char *d = strdup(s);

    if (!d)
        die(strlen(s) + 1);
    return d;
}
