/*
 * http/h1_date.h: HTTP-dates (RFC 9110 §5.6.7) to and from Unix seconds. Pure arithmetic
 * on the proleptic Gregorian calendar: no gmtime_r/timegm, no time zone, no locale.
 */
#ifndef HTTP_H1_DATE_H
#define HTTP_H1_DATE_H
#include <stdint.h>

#include "core/slice.h"

#define H1_DATE_LEN 29              /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* Writes the IMF-fixdate of t (Unix seconds; below 0 counts as 0, at most year 9999)
 * into out[0..H1_DATE_LEN); no NUL. */
void h1_date_format(int64_t t, char out[H1_DATE_LEN]);

/* Parses an HTTP-date: IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients
 * must accept. The day name is not checked (nor by nginx). Returns Unix seconds, or -1 for
 * anything else, a date before 1970 or an impossible day or time. */
int64_t h1_date_parse(struct slice s);

#endif
