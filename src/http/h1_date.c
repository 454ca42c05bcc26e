/*
 * http/h1_date.c: HTTP-date formatting and parsing (h1_date.h). Days to civil dates and
 * back use H. Hinnant's algorithms. Owns no state.
 */
#include "http/h1_date.h"

#include <stdbool.h>
#include <string.h>

static const char month_names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
static const char day_names[] = "ThuFriSatSunMonTueWed";     /* day 0 was a Thursday */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void
put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

void
h1_date_format(int64_t t, char out[H1_DATE_LEN])
{
    if (t < 0)
        t = 0;
    int64_t days = t / 86400;
    unsigned secs = (unsigned)(t % 86400);
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    unsigned y = (unsigned)(yoe + era * 400 + (m <= 2));

    memcpy(out, day_names + (days % 7) * 3, 3);
    memcpy(out + 3, ", ", 2);
    put2(out + 5, d);
    out[7] = ' ';
    memcpy(out + 8, month_names + (m - 1) * 3, 3);
    out[11] = ' ';
    put2(out + 12, y / 100);
    put2(out + 14, y % 100);
    out[16] = ' ';
    put2(out + 17, secs / 3600);
    out[19] = ':';
    put2(out + 20, secs / 60 % 60);
    out[22] = ':';
    put2(out + 23, secs % 60);
    memcpy(out + 25, " GMT", 4);
}

/* Reads exactly n digits at *p. */
static int
digits(const char **p, const char *end, unsigned n, unsigned *v)
{
    *v = 0;
    for (unsigned i = 0; i < n; i++, (*p)++) {
        if (*p >= end || **p < '0' || **p > '9')
            return -1;
        *v = *v * 10 + (unsigned)(**p - '0');
    }
    return 0;
}

static int
month_parse(const char **p, const char *end, unsigned *m)
{
    if (end - *p < 3)
        return -1;
    for (unsigned i = 0; i < 12; i++)
        if (memcmp(*p, month_names + i * 3, 3) == 0) {
            *m = i + 1;
            *p += 3;
            return 0;
        }
    return -1;
}

static bool
lit(const char **p, const char *end, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
        return false;
    *p += n;
    return true;
}

int64_t
h1_date_parse(struct slice s)
{
    const char *p = s.p, *end = s.p + s.len;
    unsigned d, m, y, hh, mm, ss;

    while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
        p++;                            /* the day name */
    if (lit(&p, end, ", ")) {
        if (digits(&p, end, 2, &d) < 0)
            return -1;
        if (lit(&p, end, " ")) {        /* IMF-fixdate: 06 Nov 1994 */
            if (month_parse(&p, end, &m) < 0 || !lit(&p, end, " ") ||
                digits(&p, end, 4, &y) < 0)
                return -1;
        } else if (lit(&p, end, "-")) { /* RFC 850: 06-Nov-94 */
            if (month_parse(&p, end, &m) < 0 || !lit(&p, end, "-") ||
                digits(&p, end, 2, &y) < 0)
                return -1;
            y += y < 70 ? 2000 : 1900;
        } else {
            return -1;
        }
        if (!lit(&p, end, " ") || digits(&p, end, 2, &hh) < 0 || !lit(&p, end, ":") ||
            digits(&p, end, 2, &mm) < 0 || !lit(&p, end, ":") || digits(&p, end, 2, &ss) < 0 ||
            !lit(&p, end, " GMT") || p != end)
            return -1;
    } else if (lit(&p, end, " ")) {     /* asctime: Nov  6 08:49:37 1994 */
        if (month_parse(&p, end, &m) < 0 || !lit(&p, end, " "))
            return -1;
        if (lit(&p, end, " ")) {
            if (digits(&p, end, 1, &d) < 0)
                return -1;
        } else if (digits(&p, end, 2, &d) < 0) {
            return -1;
        }
        if (!lit(&p, end, " ") || digits(&p, end, 2, &hh) < 0 || !lit(&p, end, ":") ||
            digits(&p, end, 2, &mm) < 0 || !lit(&p, end, ":") || digits(&p, end, 2, &ss) < 0 ||
            !lit(&p, end, " ") || digits(&p, end, 4, &y) < 0 || p != end)
            return -1;
    } else {
        return -1;
    }
    static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    if (d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap) || hh > 23 || mm > 59 ||
        ss > 60 || y < 1970)
        return -1;
    return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
}
