/*
 * examples/app/app.h: process-wide settings of the sample app, its size limits, and the byte
 * buffer every connection uses. The app stands alone as an example of "your app": nothing
 * here (or anywhere in examples/app/) comes from src/.
 */
#ifndef APP_APP_H
#define APP_APP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APP_HEAD_MAX_BYTES    (64 * 1024)   /* request line + headers */
#define APP_IN_BYTES          (APP_HEAD_MAX_BYTES + 4096)
#define APP_OUT_HIGH_BYTES    (256 * 1024)  /* stop producing (and reading) above this */
#define APP_OUT_KEEP_BYTES    (1024 * 1024) /* free a drained buffer bigger than this */
#define APP_ECHO_BUFFER_BYTES (64 * 1024)   /* bigger /echo bodies are answered chunked */
#define APP_LINGER_MS         2000          /* after our FIN, discard input this long */
#define APP_DRAIN_MS          10000         /* on SIGTERM, in-flight work gets this long */

/* Settings fixed before the workers start; workers only read them (and `healthy`). */
struct app {
    char name[128];
    int port;
    char addr[80];           /* "127.0.0.1:9001" or "[::1]:9001", as printed */
    char hello[256];         /* body of GET / */
    size_t hello_len;
    char common[256];        /* "Server: ...\r\nX-Instance: ...\r\n", in every response */
    size_t common_len;
    atomic_bool healthy;     /* flipped by POST /health/fail and /health/ok */
};

extern struct app app;

/*
 * A byte buffer with read and write offsets: write at `end`, parse from `start`, then
 * buf_consume() what was used. The owner frees it with buf_free().
 */
struct buf {
    char *data;
    size_t start;
    size_t end;
    size_t cap;
};

static inline size_t
buf_len(const struct buf *b)
{
    return b->end - b->start;
}

/* Makes room for n more bytes after `end` (compacting or growing); 0 or -ENOMEM. */
int buf_reserve(struct buf *b, size_t n);
/* Appends n bytes; 0 or -ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n);
void buf_consume(struct buf *b, size_t n);
void buf_free(struct buf *b);

#endif
