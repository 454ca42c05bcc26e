/*
 * shield/geo.c: the country database (geo.h): Tor's geoip text format in, two sorted flat
 * arrays out, and a binary search over them. It parses and looks up; it knows nothing of
 * rules (shield_conf.c reads those) and reads files only when asked (geo_load).
 */
#include "shield/geo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"

#define GEO_FILE_MAX_BYTES (256u << 20)     /* the tor files are 10 and 16 MB */
#define GEO_LINE_MAX 256

struct geo_v4 {
    uint32_t lo, hi;
    geo_code cc;
};

struct geo_v6 {
    uint64_t lo_hi, lo_lo, hi_hi, hi_lo;    /* first and last address, big halves first */
    geo_code cc;
};

struct geo {
    struct geo_v4 *v4;
    struct geo_v6 *v6;
    size_t n4, cap4, n6, cap6;
    int64_t generated_s;
};

/* ISO 3166-1 alpha-2 as assigned, then the regions the databases use (EU, AP) and Kosovo's
 * user-assigned XK (MaxMind, DB-IP). */
static const char geo_assigned[] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL "
    "BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV "
    "CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD "
    "GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM "
    "IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK "
    "LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW "
    "MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR "
    "PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS "
    "ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY "
    "UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW "
    "EU AP XK";

struct geo *
geo_new(void)
{
    return mem_alloc_or_exit(sizeof(struct geo));
}

void
geo_free(struct geo *g)
{
    if (!g)
        return;
    free(g->v4);
    free(g->v6);
    free(g);
}

geo_code
geo_code_parse(const char *s, bool strict)
{
    char a, b;

    if (!s || !s[0] || !s[1] || s[2])
        return 0;
    a = s[0], b = s[1];
    if (!strict) {
        if (a >= 'a' && a <= 'z')
            a = (char)(a - 'a' + 'A');
        if (b >= 'a' && b <= 'z')
            b = (char)(b - 'a' + 'A');
    }
    if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z')
        return 0;
    return (geo_code)((unsigned)a << 8 | (unsigned)b);
}

bool
geo_code_is_assigned(geo_code c)
{
    if (!c)
        return false;
    /* Entries are "XX " but the last, which ends the string: step by 3 within it. */
    for (size_t i = 0; i + 2 <= sizeof(geo_assigned) - 1; i += 3)
        if (((unsigned)geo_assigned[i] << 8 | (unsigned)geo_assigned[i + 1]) == c)
            return true;
    return false;
}

void
geo_code_format(geo_code c, char out[3])
{
    out[0] = c ? (char)(c >> 8) : 0;
    out[1] = c ? (char)(c & 0xff) : 0;
    out[2] = 0;
}

/* A decimal IPv4 address as Tor writes it ("16777216"). */
static int
geo_parse_u32(const char *s, size_t n, uint32_t *out)
{
    uint64_t v = 0;

    if (n == 0 || n > 10)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int
geo_parse_v6addr(const char *s, size_t n, uint64_t *hi, uint64_t *lo)
{
    char tmp[INET6_ADDRSTRLEN + 1];
    uint8_t b[16];

    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (inet_pton(AF_INET6, tmp, b) != 1)
        return -1;
    *hi = *lo = 0;
    for (int i = 0; i < 8; i++) {
        *hi = *hi << 8 | b[i];
        *lo = *lo << 8 | b[8 + i];
    }
    return 0;
}

/* "# Generated: Thu, 25 Jun 2026 04:33:59 GMT" (the IPFire export's header). */
static void
geo_parse_header(struct geo *g, const char *s, size_t n)
{
    static const char key[] = "# Generated:";
    char tmp[96];
    struct tm tm;

    if (n <= sizeof(key) - 1 || n >= sizeof(tmp) || memcmp(s, key, sizeof(key) - 1) != 0)
        return;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    memset(&tm, 0, sizeof(tm));
    const char *p = tmp + sizeof(key) - 1;
    while (*p == ' ')
        p++;
    const char *end = strptime(p, "%a, %d %b %Y %H:%M:%S", &tm);
    if (!end)
        return;
    int64_t t = (int64_t)timegm(&tm);
    if (t > 0 && (g->generated_s == 0 || t < g->generated_s))
        g->generated_s = t;
}

static void
geo_add_v4(struct geo *g, uint32_t lo, uint32_t hi, geo_code cc)
{
    if (g->n4 == g->cap4) {
        g->cap4 = g->cap4 ? g->cap4 * 2 : 1024;
        g->v4 = mem_realloc_or_exit(g->v4, g->cap4 * sizeof(*g->v4));
    }
    g->v4[g->n4++] = (struct geo_v4){ lo, hi, cc };
}

static void
geo_add_v6(struct geo *g, const struct geo_v6 *r)
{
    if (g->n6 == g->cap6) {
        g->cap6 = g->cap6 ? g->cap6 * 2 : 1024;
        g->v6 = mem_realloc_or_exit(g->v6, g->cap6 * sizeof(*g->v6));
    }
    g->v6[g->n6++] = *r;
}

static bool
geo_v6_le(uint64_t ah, uint64_t al, uint64_t bh, uint64_t bl)
{
    return ah < bh || (ah == bh && al <= bl);
}

/* One "FIRST,LAST,CC" line (without its newline). Returns 0, 1 for a skipped line, or -1
 * with why. */
static int
geo_parse_line(struct geo *g, bool v6, const char *s, size_t n, const char **why)
{
    const char *c1, *c2;
    geo_code cc;

    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (n && (s[0] == ' ' || s[0] == '\t'))
        s++, n--;
    if (n == 0 || s[0] == '#')
        return 1;
    if (n > GEO_LINE_MAX)
        return *why = "line too long", -1;
    if (!(c1 = memchr(s, ',', n)) || !(c2 = memchr(c1 + 1, ',', n - (size_t)(c1 + 1 - s))))
        return *why = "expected FIRST,LAST,CC", -1;
    const char *ccs = c2 + 1;
    size_t ccn = n - (size_t)(ccs - s);
    if (ccn == 2 && ccs[0] == '?' && ccs[1] == '?')
        return 1;
    char cctext[3] = { 0 };
    if (ccn == 2)
        memcpy(cctext, ccs, 2);
    if (!(cc = geo_code_parse(cctext, true)))
        return *why = "the country is not two upper-case letters", -1;
    if (!v6) {
        uint32_t lo, hi;
        if (geo_parse_u32(s, (size_t)(c1 - s), &lo) < 0 ||
            geo_parse_u32(c1 + 1, (size_t)(c2 - c1 - 1), &hi) < 0)
            return *why = "an address is not a decimal IPv4 number (0..4294967295)", -1;
        if (hi < lo)
            return *why = "LAST is below FIRST", -1;
        geo_add_v4(g, lo, hi, cc);
        return 0;
    }
    struct geo_v6 r = { .cc = cc };
    if (geo_parse_v6addr(s, (size_t)(c1 - s), &r.lo_hi, &r.lo_lo) < 0 ||
        geo_parse_v6addr(c1 + 1, (size_t)(c2 - c1 - 1), &r.hi_hi, &r.hi_lo) < 0)
        return *why = "an address is not an IPv6 address", -1;
    if (!geo_v6_le(r.lo_hi, r.lo_lo, r.hi_hi, r.hi_lo))
        return *why = "LAST is below FIRST", -1;
    geo_add_v6(g, &r);
    return 0;
}

int
geo_parse(struct geo *g, bool v6, const char *buf, size_t len, char *why, size_t whylen)
{
    size_t n4 = g->n4, n6 = g->n6;
    unsigned line = 0;

    for (size_t off = 0; off < len;) {
        const char *s = buf + off, *nl = memchr(s, '\n', len - off);
        size_t n = nl ? (size_t)(nl - s) : len - off;
        const char *reason = NULL;
        line++;
        off += n + (nl != NULL);
        if (memchr(s, 0, n)) {
            reason = "a NUL byte";
        } else if (n && s[0] == '#') {
            geo_parse_header(g, s, n);
            continue;
        } else if (geo_parse_line(g, v6, s, n, &reason) >= 0) {
            continue;
        }
        snprintf(why, whylen, "line %u: %s", line, reason);
        g->n4 = n4;
        g->n6 = n6;
        return -EBADMSG;
    }
    return 0;
}

int
geo_load(struct geo *g, bool v6, const char *path, char *why, size_t whylen)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        close(fd);
        return rc;
    }
    if ((uint64_t)st.st_size > GEO_FILE_MAX_BYTES) {
        close(fd);
        return -EFBIG;
    }
    size_t len = (size_t)st.st_size, got = 0;
    char *buf = mem_alloc_or_exit(len + 1);
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = r < 0 ? -errno : -EIO;
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    int64_t before = g->generated_s;
    if (rc == 0)
        rc = geo_parse(g, v6, buf, got, why, whylen);
    if (rc == 0 && g->generated_s == before) {
        /* No header: the file's age is the data's. */
        int64_t t = (int64_t)st.st_mtime;
        if (t > 0 && (g->generated_s == 0 || t < g->generated_s))
            g->generated_s = t;
    }
    free(buf);
    return rc;
}

static int
geo_cmp_v4(const void *a, const void *b)
{
    const struct geo_v4 *x = a, *y = b;

    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int
geo_cmp_v6(const void *a, const void *b)
{
    const struct geo_v6 *x = a, *y = b;

    if (x->lo_hi != y->lo_hi)
        return x->lo_hi < y->lo_hi ? -1 : 1;
    return x->lo_lo < y->lo_lo ? -1 : x->lo_lo > y->lo_lo;
}

static void
geo_v6_text(uint64_t hi, uint64_t lo, char *out, size_t n)
{
    uint8_t b[16];

    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(hi >> (56 - 8 * i));
        b[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
    }
    if (!inet_ntop(AF_INET6, b, out, (socklen_t)n))
        snprintf(out, n, "?");
}

int
geo_finish(struct geo *g, char *why, size_t whylen)
{
    size_t k = 0;

    if (g->n4)                  /* qsort's base must not be NULL, even for none */
        qsort(g->v4, g->n4, sizeof(*g->v4), geo_cmp_v4);
    for (size_t i = 0; i < g->n4; i++) {
        struct geo_v4 *r = &g->v4[i];
        if (k && r->lo <= g->v4[k - 1].hi) {
            snprintf(why, whylen, "IPv4 ranges %u-%u and %u-%u overlap", g->v4[k - 1].lo,
                     g->v4[k - 1].hi, r->lo, r->hi);
            return -EBADMSG;
        }
        if (k && r->cc == g->v4[k - 1].cc && r->lo == g->v4[k - 1].hi + 1)
            g->v4[k - 1].hi = r->hi;
        else
            g->v4[k++] = *r;
    }
    g->n4 = k;
    k = 0;
    if (g->n6)
        qsort(g->v6, g->n6, sizeof(*g->v6), geo_cmp_v6);
    for (size_t i = 0; i < g->n6; i++) {
        struct geo_v6 *r = &g->v6[i], *p = k ? &g->v6[k - 1] : NULL;
        if (p && geo_v6_le(r->lo_hi, r->lo_lo, p->hi_hi, p->hi_lo)) {
            char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
            geo_v6_text(p->hi_hi, p->hi_lo, a, sizeof(a));
            geo_v6_text(r->lo_hi, r->lo_lo, b, sizeof(b));
            snprintf(why, whylen, "IPv6 ranges overlap: one ends at %s, the next starts at %s",
                     a, b);
            return -EBADMSG;
        }
        /* p->hi + 1 == r->lo, over 128 bits. */
        uint64_t nl = p ? p->hi_lo + 1 : 0, nh = p ? p->hi_hi + (nl == 0) : 0;
        if (p && r->cc == p->cc && nh == r->lo_hi && nl == r->lo_lo) {
            p->hi_hi = r->hi_hi;
            p->hi_lo = r->hi_lo;
        } else {
            g->v6[k++] = *r;
        }
    }
    g->n6 = k;
    return 0;
}

geo_code
geo_lookup(const struct geo *g, const struct shield_addr *a)
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    if (!g)
        return 0;
    if (memcmp(a->b, mapped, 12) == 0) {
        uint32_t v = (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 |
                     (uint32_t)a->b[14] << 8 | a->b[15];
        size_t lo = 0, hi = g->n4;
        while (lo < hi) {                    /* first range whose lo is above v */
            size_t mid = lo + (hi - lo) / 2;
            if (g->v4[mid].lo <= v)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo && v <= g->v4[lo - 1].hi ? g->v4[lo - 1].cc : 0;
    }
    uint64_t h = 0, l = 0;
    for (int i = 0; i < 8; i++) {
        h = h << 8 | a->b[i];
        l = l << 8 | a->b[8 + i];
    }
    size_t lo = 0, hi = g->n6;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (geo_v6_le(g->v6[mid].lo_hi, g->v6[mid].lo_lo, h, l))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo && geo_v6_le(h, l, g->v6[lo - 1].hi_hi, g->v6[lo - 1].hi_lo))
        return g->v6[lo - 1].cc;
    return 0;
}

size_t
geo_ranges(const struct geo *g, bool v6)
{
    return g ? (v6 ? g->n6 : g->n4) : 0;
}

int64_t
geo_generated_s(const struct geo *g)
{
    return g ? g->generated_s : 0;
}
