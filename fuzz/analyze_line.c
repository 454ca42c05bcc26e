/*
 * fuzz/analyze_line.c: `tierd analyze` reads access logs that anyone able to send a request
 * has written into (the request line, the Referer, the User-Agent), so the line parser gets
 * arbitrary bytes. The input is one line; it is parsed as combined, combined_host,
 * combined_host_last and json (tierd's own access_log format, nginx's escape=json keys),
 * as the format analyze_parse_sniff() picks for it, and through analyze_parse_detect().
 * Properties: no crash or leak; a refusal is -EBADMSG with a reason; an accepted line has
 * every field inside the line, the parser's scratch or jansson's strings (the nested-json
 * path), a status of three digits, an address that is what its text says, a scratch no
 * longer than the line; and parsing the same line again (the timestamp cache hot) gives
 * the same fields.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "shield/analyze.h"

/* Is s inside a string value of the jansson document the slow path left? */
static bool
analyze_line_in_json(const struct analyze_parser *p, struct slice s)
{
    const char *key;
    json_t *v;

    if (!p->json || !json_is_object((json_t *)p->json))
        return false;
    json_object_foreach((json_t *)p->json, key, v) {
        if (json_is_string(v) && slice_inside(s, json_string_value(v), json_string_length(v)))
            return true;
    }
    return false;
}

static void
analyze_line_check_slice(const struct analyze_parser *p, struct slice s, const uint8_t *data,
                         size_t len)
{
    if (s.len == 0)
        return;
    BUG_ON(s.p == NULL);
    BUG_ON(!slice_inside(s, data, len) && !slice_inside(s, p->scratch, p->scratch_len) &&
           !analyze_line_in_json(p, s));
}

/* A parsed line with its fields copied out, to compare two parses. */
struct analyze_line_copy {
    int rc;
    const char *why;
    struct analyze_line l;
    char *text[7];
    size_t len[7];
};

static void
analyze_line_copy_make(struct analyze_line_copy *c, int rc, const char *why,
                       const struct analyze_line *l)
{
    const struct slice *f[7] = { &l->addr_text, &l->method, &l->path, &l->query,
                                 &l->host, &l->referer, &l->user_agent };

    c->rc = rc;
    c->why = why;
    c->l = *l;
    for (int i = 0; i < 7; i++) {
        c->text[i] = malloc(f[i]->len + 1);
        BUG_ON(c->text[i] == NULL);
        if (f[i]->len)
            memcpy(c->text[i], f[i]->p, f[i]->len);
        c->len[i] = f[i]->len;
    }
}

static void
analyze_line_copy_check(const struct analyze_line_copy *c, int rc, const char *why,
                        const struct analyze_line *l)
{
    const struct slice *f[7] = { &l->addr_text, &l->method, &l->path, &l->query,
                                 &l->host, &l->referer, &l->user_agent };

    BUG_ON(rc != c->rc);
    if (rc != 0) {
        BUG_ON(why != c->why && strcmp(why, c->why) != 0);
        return;
    }
    BUG_ON(l->time_ms != c->l.time_ms || l->status != c->l.status ||
           l->body_bytes != c->l.body_bytes);
    BUG_ON(memcmp(&l->addr, &c->l.addr, sizeof(l->addr)) != 0);
    for (int i = 0; i < 7; i++)
        BUG_ON(f[i]->len != c->len[i] ||
               (f[i]->len && memcmp(f[i]->p, c->text[i], f[i]->len) != 0));
}

static void
analyze_line_copy_fini(struct analyze_line_copy *c)
{
    for (int i = 0; i < 7; i++)
        free(c->text[i]);
}

static void
analyze_line_one(enum analyze_format f, const uint8_t *data, size_t len)
{
    const char *line = (const char *)data;
    struct analyze_parser p;
    struct analyze_line l;
    struct analyze_line_copy first;
    const char *why = NULL;

    analyze_parse_init(&p, f);
    int rc = analyze_parse_line(&p, line, len, &l, &why);
    BUG_ON(rc != 0 && rc != -EBADMSG);
    if (rc != 0) {
        BUG_ON(why == NULL || why[0] == '\0');
    } else {
        const struct slice *fields[] = { &l.addr_text, &l.method, &l.path, &l.query,
                                         &l.host, &l.referer, &l.user_agent };
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            analyze_line_check_slice(&p, *fields[i], data, len);
        BUG_ON(l.addr_text.len == 0);
        BUG_ON(l.status < 0 || l.status > 999);
        BUG_ON(p.scratch_len > len);
        struct shield_addr a;
        BUG_ON(!analyze_parse_addr(l.addr_text, &a) || memcmp(&a, &l.addr, sizeof(a)) != 0);
    }
    analyze_line_copy_make(&first, rc, why, &l);
    why = NULL;
    rc = analyze_parse_line(&p, line, len, &l, &why);
    analyze_line_copy_check(&first, rc, why, &l);
    analyze_line_copy_fini(&first);
    analyze_parse_fini(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static const enum analyze_format formats[] = { ANALYZE_COMBINED, ANALYZE_COMBINED_HOST,
                                                   ANALYZE_COMBINED_HOST_LAST, ANALYZE_JSON };

    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        analyze_line_one(formats[i], data, len);
    enum analyze_format s = analyze_parse_sniff((const char *)data, len);
    BUG_ON(s != ANALYZE_COMBINED && s != ANALYZE_COMBINED_HOST && s != ANALYZE_JSON);
    if (s == ANALYZE_JSON) {
        size_t i = 0;
        while (i < len && (data[i] == ' ' || data[i] == '\t'))
            i++;
        BUG_ON(i == len || data[i] != '{');
    }
    /* tierd analyze sets the sniffed format before the first line; a parser left at AUTO
     * reads combined. */
    analyze_line_one(ANALYZE_AUTO, data, len);
    size_t fit;
    struct slice one = slice_make((const char *)data, len);
    enum analyze_format d = analyze_parse_detect(&one, 1, &fit);
    BUG_ON(fit > 1 || d == ANALYZE_AUTO || d == ANALYZE_LAYOUT);
    return 0;
}
