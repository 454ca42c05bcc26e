/*
 * examples/app/buf.c: the growable byte buffer of app.h. It grows by doubling and compacts
 * (moves unread bytes to the front) before growing. It knows nothing about sockets.
 */
#include "app.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
buf_reserve(struct buf *b, size_t n)
{
    size_t used = b->end - b->start;

    if (used == 0)
        b->start = b->end = 0;
    if (b->cap - b->end >= n)
        return 0;
    if (b->start > 0) {
        memmove(b->data, b->data + b->start, used);
        b->start = 0;
        b->end = used;
        if (b->cap - used >= n)
            return 0;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - used < n) {
        if (cap > SIZE_MAX / 2)
            return -ENOMEM;
        cap *= 2;
    }
    char *d = realloc(b->data, cap);
    if (!d)
        return -ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);

    if (rc < 0)
        return rc;
    memcpy(b->data + b->end, p, n);
    b->end += n;
    return 0;
}

void
buf_consume(struct buf *b, size_t n)
{
    b->start += n;
    if (b->start == b->end)
        b->start = b->end = 0;
}

void
buf_free(struct buf *b)
{
    free(b->data);
    *b = (struct buf){ 0 };
}
