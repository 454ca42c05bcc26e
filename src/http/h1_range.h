/*
 * http/h1_range.h: the Range field (RFC 9110 §14.2) against a representation of known
 * size, as nginx's range filter reads it. Pure function; no I/O.
 */
#ifndef HTTP_H1_RANGE_H
#define HTTP_H1_RANGE_H
#include <stdint.h>

#include "core/slice.h"

enum h1_range_result {
    H1_RANGE_WHOLE = 0,                 /* no usable Range: 200 with the whole body */
    H1_RANGE_ONE,                       /* 206 with [*start, *start + *len) */
    H1_RANGE_NONE,                      /* 416: nothing satisfiable, or malformed */
};

/* Parses a Range value v for `size` bytes. Another unit is ignored (WHOLE); a malformed
 * bytes= set or one with no satisfiable range is NONE; unsatisfiable members of a set are
 * dropped. Several satisfiable ranges give WHOLE, which §14.2 allows: the caller sends one
 * span of one file, so multipart/byteranges (nginx's answer) is not offered. On ONE,
 * *start + *len <= size and *len >= 1. */
enum h1_range_result h1_range_parse(struct slice v, uint64_t size, uint64_t *start,
                                    uint64_t *len);

#endif
