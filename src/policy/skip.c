/*
 * policy/skip.c: finds "# tierd:skip=ID[,ID] reason [until=YYYY-MM-DD]" comments and
 * answers which one applies to a finding at a given line. Whether a skip is honoured
 * (a reason is required; until= may have passed) is the runner's decision, not this file's.
 */
#include "policy/skip.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

#define SKIP_TAG "tierd:skip="

static char *
dup_n(const char *s, size_t n)
{
    char *p = mem_alloc_or_exit(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Start of the skip tag in a line of n bytes, or NULL. A '#' starts a YAML comment at the
 * beginning of a line or after a blank; a '#' inside a word or a quoted value rarely
 * precedes "tierd:skip=", so quoting is not tracked. */
static const char *
find_tag(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '#' || (i > 0 && s[i - 1] != ' ' && s[i - 1] != '\t'))
            continue;
        size_t j = i + 1;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (n - j > strlen(SKIP_TAG) && memcmp(s + j, SKIP_TAG, strlen(SKIP_TAG)) == 0)
            return s + j + strlen(SKIP_TAG);
    }
    return NULL;
}

static bool
is_date(const char *s, size_t n)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* Fills ids, reason and until from the text after the tag. */
static void
parse_tag(struct skip *sk, const char *p, const char *end)
{
    const char *q = p;
    char reason[512];
    size_t rn = 0;

    while (q < end && (isalnum((unsigned char)*q) || *q == '-' || *q == '_' || *q == ','))
        q++;
    sk->ids = dup_n(p, (size_t)(q - p));
    if (q < end && *q == ':')           /* Checkov's "skip=ID:reason" */
        q++;
    /* The rest: words, one of which may be until=DATE, and reason= may quote the reason. */
    while (q < end) {
        while (q < end && isspace((unsigned char)*q))
            q++;
        if (q >= end)
            break;
        const char *w = q;
        if (end - q > 6 && memcmp(q, "until=", 6) == 0) {
            const char *d = q + 6, *de = d;
            while (de < end && !isspace((unsigned char)*de))
                de++;
            if (is_date(d, (size_t)(de - d))) {
                memcpy(sk->until, d, 10);
                sk->until[10] = '\0';
                q = de;
                continue;
            }
        }
        if (end - q > 7 && memcmp(q, "reason=", 7) == 0) {
            q += 7;
            w = q;
            if (*q == '"' || *q == '\'') {
                const char *close = memchr(q + 1, *q, (size_t)(end - q - 1));
                w = q + 1;
                q = close ? close : end;
                size_t wn = (size_t)(q - w);
                if (rn + wn + 2 < sizeof(reason)) {
                    if (rn)
                        reason[rn++] = ' ';
                    memcpy(reason + rn, w, wn);
                    rn += wn;
                }
                if (q < end)
                    q++;
                continue;
            }
        }
        while (q < end && !isspace((unsigned char)*q))
            q++;
        size_t wn = (size_t)(q - w);
        if (rn + wn + 2 < sizeof(reason)) {
            if (rn)
                reason[rn++] = ' ';
            memcpy(reason + rn, w, wn);
            rn += wn;
        }
    }
    sk->reason = dup_n(reason, rn);
}

void
skip_list_parse(struct skip_list *l, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    unsigned line = 0;
    bool header = true;                 /* still in the leading comment block */

    memset(l, 0, sizeof(*l));
    l->nlines = 1;
    for (size_t i = 0; i < len; i++)
        l->nlines += text[i] == '\n';
    l->kind = mem_alloc_or_exit(l->nlines + 2);
    memset(l->kind, 0, l->nlines + 2);
    while (p < end || line == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end, *s = p;
        line++;
        while (s < le && (*s == ' ' || *s == '\t' || *s == '\r'))
            s++;
        enum skip_line_kind k = s == le ? SKIP_LINE_BLANK
                              : *s == '#' ? SKIP_LINE_COMMENT : SKIP_LINE_CONTENT;
        if (line <= l->nlines)
            l->kind[line] = (unsigned char)k;
        if (k == SKIP_LINE_CONTENT)
            header = false;
        const char *tag = find_tag(p, (size_t)(le - p));
        if (tag) {
            if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 8;
                l->v = mem_realloc_or_exit(l->v, l->cap * sizeof(*l->v));
            }
            struct skip *sk = &l->v[l->n++];
            memset(sk, 0, sizeof(*sk));
            sk->line = line;
            sk->file_wide = header && k == SKIP_LINE_COMMENT;
            const char *te = le;
            while (te > tag && (te[-1] == '\r' || te[-1] == ' '))
                te--;
            parse_tag(sk, tag, te);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
}

void
skip_list_fini(struct skip_list *l)
{
    for (unsigned i = 0; i < l->n; i++) {
        free(l->v[i].ids);
        free(l->v[i].reason);
    }
    free(l->v);
    free(l->kind);
    memset(l, 0, sizeof(*l));
}

bool
skip_names(const struct skip *s, const char *id)
{
    size_t n = strlen(id);

    for (const char *p = s->ids; *p;) {
        size_t w = strcspn(p, ",");
        if (w == n && strncasecmp(p, id, n) == 0)
            return true;
        p += w;
        if (*p == ',')
            p++;
    }
    return false;
}

static const struct skip *
on_line(const struct skip_list *l, const char *id, unsigned line)
{
    for (unsigned i = 0; i < l->n; i++)
        if (l->v[i].line == line && skip_names(&l->v[i], id))
            return &l->v[i];
    return NULL;
}

const struct skip *
skip_find(const struct skip_list *l, const char *id, unsigned line)
{
    const struct skip *s = on_line(l, id, line);

    for (unsigned up = line; !s && up > 1 && up - 1 <= l->nlines; up--) {
        if (l->kind[up - 1] != SKIP_LINE_COMMENT)
            break;
        s = on_line(l, id, up - 1);
    }
    for (unsigned i = 0; !s && i < l->n; i++)
        if (l->v[i].file_wide && skip_names(&l->v[i], id))
            s = &l->v[i];
    return s;
}
