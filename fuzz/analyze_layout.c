/*
 * fuzz/analyze_layout.c: `tierd analyze --log-format/--apache-format` compiles a string the
 * user pasted and then reads lines anyone able to send a request has written into, so both
 * the layout compiler and the line parser get arbitrary bytes. Input: one byte choosing
 * nginx (even) or Apache (odd), the format up to the first newline, then log lines.
 * Properties: no crash or leak; a refused format has a message; a refused line has a
 * reason; an accepted line has every field inside the line or the parser's scratch, a
 * status of three digits, an address that is what its text says, a scratch no longer than
 * the line; parsing the line again gives the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "shield/analyze.h"

static void
analyze_layout_check(const struct analyze_parser *p, struct slice s, const char *line,
                     size_t len)
{
    if (s.len == 0)
        return;
    BUG_ON(s.p == NULL);
    BUG_ON(!slice_inside(s, line, len) && !slice_inside(s, p->scratch, p->scratch_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char err[512];

    if (len < 1)
        return 0;
    enum analyze_layout_kind kind = data[0] & 1 ? ANALYZE_LAYOUT_APACHE : ANALYZE_LAYOUT_NGINX;
    const char *rest = (const char *)data + 1;
    size_t rlen = len - 1;
    const char *nl = memchr(rest, '\n', rlen);
    size_t flen = nl ? (size_t)(nl - rest) : rlen;
    char *fmt = malloc(flen + 1);
    BUG_ON(fmt == NULL);
    memcpy(fmt, rest, flen);
    fmt[flen] = '\0';
    err[0] = '\0';
    struct analyze_layout *lay = analyze_layout_compile(kind, fmt, err, sizeof(err));
    free(fmt);
    if (!lay) {
        BUG_ON(err[0] == '\0');
        return 0;
    }
    const char *s = nl ? nl + 1 : rest + rlen, *end = rest + rlen;
    while (s < end) {
        const char *e = memchr(s, '\n', (size_t)(end - s));
        size_t n = e ? (size_t)(e - s) : (size_t)(end - s);
        /* A copy of exactly the line, so reading past it is caught. */
        char *line = malloc(n ? n : 1);
        BUG_ON(line == NULL);
        memcpy(line, s, n);
        struct analyze_parser p;
        struct analyze_line l, again;
        const char *why = NULL, *why2 = NULL;
        analyze_parse_init(&p, ANALYZE_LAYOUT);
        p.layout = lay;
        int rc = analyze_parse_line(&p, line, n, &l, &why);
        BUG_ON(rc != 0 && rc != -EBADMSG);
        if (rc != 0) {
            BUG_ON(why == NULL || why[0] == '\0');
        } else {
            const struct slice *f[] = { &l.addr_text, &l.method, &l.path, &l.query,
                                        &l.host, &l.referer, &l.user_agent };
            for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
                analyze_layout_check(&p, *f[i], line, n);
            BUG_ON(l.addr_text.len == 0);
            BUG_ON(l.status < 0 || l.status > 999);
            BUG_ON(p.scratch_len > n);
            struct shield_addr a;
            BUG_ON(!analyze_parse_addr(l.addr_text, &a) || memcmp(&a, &l.addr, sizeof(a)) != 0);
        }
        int rc2 = analyze_parse_line(&p, line, n, &again, &why2);
        BUG_ON(rc2 != rc);
        BUG_ON(rc == 0 && (again.time_ms != l.time_ms || again.status != l.status ||
                           again.body_bytes != l.body_bytes || again.path.len != l.path.len ||
                           again.host.len != l.host.len || again.user_agent.len != l.user_agent.len));
        BUG_ON(rc != 0 && strcmp(why, why2) != 0);
        analyze_parse_fini(&p);
        free(line);
        s = e ? e + 1 : end;
    }
    analyze_layout_free(lay);
    return 0;
}
