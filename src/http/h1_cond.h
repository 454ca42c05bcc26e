/*
 * http/h1_cond.h: conditional requests (RFC 9110 §13) against one representation known by
 * a strong entity-tag and a modification time: If-Match, If-Unmodified-Since,
 * If-None-Match, If-Modified-Since and If-Range, decided as nginx does where the RFC
 * leaves room. Pure functions over a parsed request.
 */
#ifndef HTTP_H1_COND_H
#define HTTP_H1_COND_H
#include <stdbool.h>
#include <stdint.h>

#include "core/slice.h"
#include "http/h1.h"

/* Compares an entity-tag from a request with ours (strong, quoted: "\"...\""). A weak
 * tag (W/"...") matches only when weak_ok. */
bool h1_cond_etag_eq(struct slice tag, const char *ours, bool weak_ok);

/* Over every field line named `name` (If-Match: weak_ok false, If-None-Match: true):
 * true when a member is "*" or matches etag. */
bool h1_cond_etag_match(const struct h1_request *r, const char *name, const char *etag,
                        bool weak_ok);

/* The preconditions of r in RFC 9110 §13.2.2 order: 0 to go on, 412 or 304. An invalid
 * date is ignored (nginx answers 412 to one in If-Unmodified-Since); "not modified since"
 * means mtime <= date, as nginx's if_modified_since before. */
int h1_cond_check(const struct h1_request *r, const char *etag, int64_t mtime);

/* Whether an If-Range value lets the Range apply (§13.1.5): an entity-tag must match
 * strongly, a date exactly. */
bool h1_cond_if_range(struct slice v, const char *etag, int64_t mtime);

#endif
