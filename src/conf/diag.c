/*
 * conf/diag.c: the list of configuration diagnostics. It formats and stores messages as
 * "file:line:col: message", one line each; it does not decide what is an error (readers do)
 * and never prints on its own (the caller picks the stream with diag_print()).
 */
#include "conf/diag.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/node.h"
#include "core/mem.h"

/* A message is one line: longer ones are cut, which only ever shortens a quoted value. */
#define DIAG_MSG_MAX_BYTES 1024

void
diag_init(struct diag *d)
{
    memset(d, 0, sizeof(*d));
}

void
diag_fini(struct diag *d)
{
    for (unsigned i = 0; i < d->n; i++)
        free(d->msgs[i]);
    free(d->msgs);
    for (unsigned i = 0; i < d->nwarn; i++)
        free(d->warns[i]);
    free(d->warns);
    memset(d, 0, sizeof(*d));
}

/* Copies `s` with control bytes escaped as \xNN, so that a value quoted from the stack file
 * (which may hold "\n" or "\e") cannot break the one-message-per-line format. */
static char *
escape_dup(const char *s)
{
    size_t n = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p < 0x20 || *p == 0x7f) ? 4 : 1;
    char *out = mem_alloc_or_exit(n + 1);
    char *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            snprintf(o, 5, "\\x%02x", *p);
            o += 4;
        } else {
            *o++ = (char)*p;
        }
    }
    *o = '\0';
    return out;
}

static void __attribute__((format(printf, 6, 0)))
diag_push(struct diag *d, bool warn, const char *file, unsigned line, unsigned col,
          const char *fmt, va_list ap)
{
    char body[DIAG_MSG_MAX_BYTES], whole[DIAG_MSG_MAX_BYTES + 64];

    vsnprintf(body, sizeof(body), fmt, ap);
    if (!file)
        snprintf(whole, sizeof(whole), "%s", body);
    else if (line == 0)
        snprintf(whole, sizeof(whole), "%s: %s", file, body);
    else
        snprintf(whole, sizeof(whole), "%s:%u:%u: %s", file, line, col, body);
    if (warn) {
        if (d->nwarn == d->capwarn) {
            d->capwarn = d->capwarn ? d->capwarn * 2 : 8;
            d->warns = mem_realloc_or_exit(d->warns, d->capwarn * sizeof(*d->warns));
        }
        d->warns[d->nwarn++] = escape_dup(whole);
        return;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->msgs = mem_realloc_or_exit(d->msgs, d->cap * sizeof(*d->msgs));
    }
    d->msgs[d->n++] = escape_dup(whole);
}

/* A NULL node (an empty document has no root) gives a message without a position. */
void
diag_at(struct diag *d, const struct conf_node *at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (at)
        diag_push(d, false, at->file, at->line, at->col, fmt, ap);
    else
        diag_push(d, false, NULL, 0, 0, fmt, ap);
    va_end(ap);
}

/* A line of 0 gives "file: message", for problems with the file as a whole. */
void
diag_add(struct diag *d, const char *file, unsigned line, unsigned col, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_push(d, false, file, line, col, fmt, ap);
    va_end(ap);
}

void
diag_warn_at(struct diag *d, const struct conf_node *at, const char *fmt, ...)
{
    char f[DIAG_MSG_MAX_BYTES];
    va_list ap;

    snprintf(f, sizeof(f), "warning: %s", fmt);
    va_start(ap, fmt);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    if (at)
        diag_push(d, true, at->file, at->line, at->col, f, ap);
    else
        diag_push(d, true, NULL, 0, 0, f, ap);
#pragma GCC diagnostic pop
    va_end(ap);
}

void
diag_print_warnings(const struct diag *d, FILE *out)
{
    for (unsigned i = 0; i < d->nwarn; i++)
        fprintf(out, "%s\n", d->warns[i]);
}

void
diag_print(const struct diag *d, FILE *out)
{
    for (unsigned i = 0; i < d->n; i++)
        fprintf(out, "%s\n", d->msgs[i]);
}
