/*
 * fuzz/h1_chunked.c: the chunked decoder on arbitrary bytes. Feeding the input whole,
 * split at a point taken from the data, and one byte at a time must yield the same
 * payload bytes, the same trailer section, the same verdict and the same number of bytes
 * consumed; a complete section walks with h1_trailer_next() to its end.
 */
#include "http/h1.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

struct outcome {
    ssize_t rc;         /* 0 or the error */
    bool done;
    size_t consumed;
    size_t out_len;
    uint8_t *out;
    size_t tr_len;
    uint8_t *tr;
};

/* Feeds in[0..len) as the pieces [0, cut[0]), [cut[0], cut[1]), ..., appending payload. */
static void
feed(const uint8_t *in, size_t len, size_t step, size_t cut, uint64_t max, struct outcome *o)
{
    struct h1_chunked c;
    size_t off = 0;

    h1_chunked_init(&c, max);
    o->rc = 0;
    o->done = false;
    o->out_len = 0;
    o->tr_len = 0;
    while (off < len && !o->done && o->rc == 0) {
        size_t lim = step ? off + step : (off < cut ? cut : len);
        if (lim > len)
            lim = len;
        while (off < lim && !o->done) {
            struct slice d;
            const char *why = NULL;
            ssize_t n = h1_chunked_parse(&c, (const char *)in + off, lim - off, &d, &o->done,
                                         &why);
            if (n < 0) {
                BUG_ON(n != -EBADMSG && n != -EMSGSIZE);
                BUG_ON(why == NULL);
                o->rc = n;
                break;
            }
            BUG_ON((size_t)n > lim - off);
            BUG_ON(!slice_inside(d, in + off, (size_t)n));
            memcpy(o->out + o->out_len, d.p, d.len);
            o->out_len += d.len;
            BUG_ON(!slice_inside(c.trailer, in + off, (size_t)n));
            BUG_ON(c.trailer.len && d.len);
            memcpy(o->tr + o->tr_len, c.trailer.p, c.trailer.len);
            o->tr_len += c.trailer.len;
            off += (size_t)n;
            BUG_ON(n == 0 && !o->done);     /* no progress on non-empty input */
        }
    }
    o->consumed = off;
    BUG_ON(c.total < o->out_len);
}

static void
same(const struct outcome *a, const struct outcome *b)
{
    BUG_ON(a->rc != b->rc || a->done != b->done || a->out_len != b->out_len);
    BUG_ON(a->out_len && memcmp(a->out, b->out, a->out_len) != 0);
    BUG_ON(a->rc == 0 && a->tr_len != b->tr_len);
    BUG_ON(a->rc == 0 && a->tr_len && memcmp(a->tr, b->tr, a->tr_len) != 0);
    /* bytes consumed agree except where the error was found mid-piece */
    BUG_ON(a->rc == 0 && a->consumed != b->consumed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct outcome whole, split, bytes;
    uint64_t max = len && (data[0] & 1) ? 64 : 0;
    size_t cut = len ? (size_t)data[len - 1] * len / 256 : 0;

    whole.out = malloc(len + 1);
    split.out = malloc(len + 1);
    bytes.out = malloc(len + 1);
    whole.tr = malloc(len + 1);
    split.tr = malloc(len + 1);
    bytes.tr = malloc(len + 1);
    BUG_ON(!whole.out || !split.out || !bytes.out || !whole.tr || !split.tr || !bytes.tr);
    feed(data, len, 0, len, max, &whole);
    if (whole.done) {
        /* A whole section is field lines only: the walk takes it all, names non-empty. */
        struct slice sec = slice_make((const char *)whole.tr, whole.tr_len), name, value;
        size_t fields = 0;
        while (h1_trailer_next(&sec, &name, &value)) {
            BUG_ON(name.len == 0);
            (void)h1_trailer_allowed(name);
            fields++;
        }
        BUG_ON(sec.len != 0);
        BUG_ON(whole.tr_len && fields == 0);
    }
    feed(data, len, 0, cut, max, &split);
    same(&whole, &split);
    if (len <= 4096) {
        feed(data, len, 1, 0, max, &bytes);
        same(&whole, &bytes);
    }
    free(whole.out);
    free(split.out);
    free(bytes.out);
    free(whole.tr);
    free(split.tr);
    free(bytes.tr);
    return 0;
}
