/*
 * core/buf.h: a byte buffer with read and write offsets. Read into the free tail, parse
 * from the head, buf_consume() what you used. Storage comes from a per-thread pool of
 * BUF_CHUNK_BYTES blocks and is held only while data is pending (buf_release()), so an
 * idle connection costs no buffer memory.
 */
#ifndef CORE_BUF_H
#define CORE_BUF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUF_CHUNK_BYTES 16384

struct buf {
    char *data;
    uint32_t cap;
    uint32_t rpos;      /* first unread byte */
    uint32_t wpos;      /* first free byte */
};

static inline size_t
buf_len(const struct buf *b)
{
    return b->wpos - b->rpos;
}

static inline char *
buf_head(const struct buf *b)
{
    return b->data + b->rpos;
}

static inline char *
buf_tail(const struct buf *b)
{
    return b->data + b->wpos;
}

static inline size_t
buf_room(const struct buf *b)
{
    return b->cap - b->wpos;
}

static inline void
buf_commit(struct buf *b, size_t n)
{
    b->wpos += (uint32_t)n;
}

/* Ensures at least `n` free bytes at the tail, compacting or growing. -ENOMEM on failure. */
int buf_reserve(struct buf *b, size_t n);
/* Drops `n` bytes from the head; an emptied buffer rewinds to offset 0. */
void buf_consume(struct buf *b, size_t n);
/* Appends bytes; -ENOMEM on failure (nothing appended). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends an unsigned integer in decimal or lower-case hex (no printf on hot paths). */
int buf_append_u64(struct buf *b, uint64_t v);
int buf_append_hex(struct buf *b, uint64_t v);
/* Returns the storage to the pool when the buffer is empty; no-op otherwise. */
void buf_release(struct buf *b);
/* Frees the storage whatever it holds. */
void buf_fini(struct buf *b);
/* Frees this thread's pooled blocks (at thread exit). */
void buf_pool_drain(void);

#endif
