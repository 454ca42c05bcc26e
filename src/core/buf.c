/*
 * core/buf.c: pooled byte buffers. Blocks of BUF_CHUNK_BYTES are recycled through a
 * per-thread free list (no locks); larger buffers are plain heap allocations.
 */
#include "core/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_POOL_MAX 512

static __thread void *pool[BUF_POOL_MAX];
static __thread unsigned pool_n;

static char *
chunk_get(void)
{
    if (pool_n)
        return pool[--pool_n];
    return malloc(BUF_CHUNK_BYTES);
}

static void
chunk_put(char *p, uint32_t cap)
{
    if (cap == BUF_CHUNK_BYTES && pool_n < BUF_POOL_MAX)
        pool[pool_n++] = p;
    else
        free(p);
}

int
buf_reserve(struct buf *b, size_t n)
{
    if (!b->data) {
        size_t cap = n <= BUF_CHUNK_BYTES ? BUF_CHUNK_BYTES : n;
        b->data = cap == BUF_CHUNK_BYTES ? chunk_get() : malloc(cap);
        if (!b->data)
            return -ENOMEM;
        b->cap = (uint32_t)cap;
        b->rpos = b->wpos = 0;
        return 0;
    }
    if (buf_room(b) >= n)
        return 0;
    if (b->rpos > 0) {
        size_t len = buf_len(b);
        memmove(b->data, b->data + b->rpos, len);
        b->rpos = 0;
        b->wpos = (uint32_t)len;
        if (buf_room(b) >= n)
            return 0;
    }
    size_t want = (size_t)b->cap * 2;
    while (want - b->wpos < n)
        want *= 2;
    if (want > UINT32_MAX)
        return -ENOMEM;
    char *p = malloc(want);
    if (!p)
        return -ENOMEM;
    memcpy(p, b->data, b->wpos);
    chunk_put(b->data, b->cap);
    b->data = p;
    b->cap = (uint32_t)want;
    return 0;
}

void
buf_consume(struct buf *b, size_t n)
{
    b->rpos += (uint32_t)n;
    if (b->rpos == b->wpos)
        b->rpos = b->wpos = 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);

    if (rc < 0)
        return rc;
    memcpy(buf_tail(b), p, n);
    b->wpos += (uint32_t)n;
    return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (buf_reserve(b, 256) < 0)
        return -ENOMEM;
    va_start(ap, fmt);
    n = vsnprintf(buf_tail(b), buf_room(b), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n >= buf_room(b)) {
        if (buf_reserve(b, (size_t)n + 1) < 0)
            return -ENOMEM;
        va_start(ap, fmt);
        vsnprintf(buf_tail(b), buf_room(b), fmt, ap);
        va_end(ap);
    }
    b->wpos += (uint32_t)n;
    return 0;
}

int
buf_append_u64(struct buf *b, uint64_t v)
{
    char tmp[20];
    int n = 0;

    do {
        tmp[19 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return buf_append(b, tmp + 20 - n, (size_t)n);
}

int
buf_append_hex(struct buf *b, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[16];
    int n = 0;

    do {
        tmp[15 - n++] = hex[v & 15];
        v >>= 4;
    } while (v);
    return buf_append(b, tmp + 16 - n, (size_t)n);
}

void
buf_release(struct buf *b)
{
    if (b->data && b->rpos == b->wpos) {
        chunk_put(b->data, b->cap);
        b->data = NULL;
        b->cap = b->rpos = b->wpos = 0;
    }
}

void
buf_fini(struct buf *b)
{
    if (b->data)
        chunk_put(b->data, b->cap);
    b->data = NULL;
    b->cap = b->rpos = b->wpos = 0;
}

void
buf_pool_drain(void)
{
    while (pool_n)
        free(pool[--pool_n]);
}
