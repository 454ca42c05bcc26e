/*
 * http/h1_list.h: the one iterator over comma-separated field values (RFC 9110 §5.6.1,
 * "#rule"), for the parsers (Connection, Transfer-Encoding, Upgrade) and for the edge
 * (If-Match, If-None-Match, Accept-Encoding).
 */
#ifndef HTTP_H1_LIST_H
#define HTTP_H1_LIST_H
#include <stdbool.h>
#include <stddef.h>

#include "core/slice.h"

/* Sets *item to the next non-empty element of list at or after *i, with surrounding OWS
 * trimmed, moves *i past it and returns true; returns false at the end. A comma between
 * double quotes does not end an element (an entity-tag may hold one); a backslash is an
 * ordinary byte, as in an entity-tag, so a quoted-string with an escaped quote needs its
 * own parser (Transfer-Encoding parameters have one). An unclosed quote runs to the end.
 * Empty elements are skipped, as recipients must. */
bool h1_list_next(struct slice list, size_t *i, struct slice *item);

#endif
