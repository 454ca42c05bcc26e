/*
 * shield/analyze_layout.c: access-log layouts given as the server's own format string, for
 * `tierd analyze --log-format '<nginx log_format>'` and `--apache-format '<LogFormat>'`.
 *
 * A format string is compiled once into steps: literal text that must appear as written,
 * and fields (variables), each read up to the next literal (or to its closing quote when
 * the layout quotes it, escapes allowed; or by its fixed width for the CLF time, which
 * holds a space). Variables that mean nothing to the detectors ($request_time,
 * $upstream_addr, %D, %{X-Forwarded-For}i, ...) are skipped. Parsing a line walks the
 * steps with memcmp and memmem, allocating nothing; a line that does not fit gets the
 * reason of the step where it stopped ("text \" \" before $status not found"), made when
 * the layout was compiled. It does not read files or decide the format (analyze_main.c).
 */
#include "shield/analyze.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define LAYOUT_MAX_STEPS 256
#define LAYOUT_CLF_TIME_LEN 26          /* 24/Nov/2026:21:59:58 +0000 */

enum layout_field {
    LF_LITERAL = 0,
    LF_SKIP,
    LF_ADDR,
    LF_TIME_CLF,                /* $time_local */
    LF_TIME_CLF_BRACKETS,       /* Apache %t: [24/Nov/2026:21:59:58 +0000] */
    LF_TIME_ISO,                /* $time_iso8601 */
    LF_TIME_SEC,                /* $msec (seconds.milliseconds), %{sec}t */
    LF_TIME_MS,                 /* %{msec}t */
    LF_TIME_US,                 /* %{usec}t */
    LF_REQUEST,                 /* "GET /a?b HTTP/1.1" */
    LF_METHOD,
    LF_URI,                     /* /a?b */
    LF_PATH,                    /* /a */
    LF_QUERY,                   /* b (nginx $args) */
    LF_QUERY_Q,                 /* ?b or empty (Apache %q) */
    LF_STATUS,
    LF_BYTES,                   /* body bytes */
    LF_BYTES_TOTAL,             /* with the headers: used when no body count is logged */
    LF_HOST,
    LF_REFERER,
    LF_UA,
    LF_COUNT
};

struct layout_step {
    uint8_t field;
    bool quoted;                /* between two '"': ends at the closing quote */
    uint32_t off, len;          /* literal: its text in layout->text */
    const char *why;            /* the reason a line does not fit here */
    int name_len;               /* (compiling) the variable as written */
    const char *name;
};

struct analyze_layout {
    enum analyze_layout_kind kind;
    struct layout_step *steps;
    size_t nsteps;
    char *text;                 /* the literals */
    size_t text_len, text_cap;
    char **whys;                /* reasons, freed with the layout */
    size_t nwhys;
    bool have[LF_COUNT];
};

const char *
analyze_layout_name(const struct analyze_layout *l)
{
    return l->kind == ANALYZE_LAYOUT_NGINX ? "nginx log_format" : "apache LogFormat";
}

void
analyze_layout_free(struct analyze_layout *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->nwhys; i++)
        free(l->whys[i]);
    free(l->whys);
    free(l->steps);
    free(l->text);
    free(l);
}

static const char *
layout_why(struct analyze_layout *l, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return "line does not fit the layout";
    l->whys = mem_realloc_or_exit(l->whys, (l->nwhys + 1) * sizeof(*l->whys));
    l->whys[l->nwhys++] = s;
    return s;
}

/* A field of the layout, by its variable name, with the name as the user wrote it. */
struct layout_token {
    bool literal;
    enum layout_field field;
    const char *text;           /* literal bytes, or the variable as written */
    size_t len;
    size_t col;                 /* 1-based column in the format string */
};

static enum layout_field
nginx_field(const char *n, size_t len)
{
    static const struct {
        const char *name;
        enum layout_field f;
    } vars[] = {
        { "remote_addr", LF_ADDR },       { "realip_remote_addr", LF_ADDR },
        { "time_local", LF_TIME_CLF },    { "time_iso8601", LF_TIME_ISO },
        { "msec", LF_TIME_SEC },          { "request", LF_REQUEST },
        { "request_method", LF_METHOD },  { "request_uri", LF_URI },
        { "uri", LF_PATH },               { "document_uri", LF_PATH },
        { "args", LF_QUERY },             { "query_string", LF_QUERY },
        { "status", LF_STATUS },          { "body_bytes_sent", LF_BYTES },
        { "bytes_sent", LF_BYTES_TOTAL }, { "host", LF_HOST },
        { "http_host", LF_HOST },         { "server_name", LF_HOST },
        { "http_referer", LF_REFERER },   { "http_user_agent", LF_UA },
    };
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if (strlen(vars[i].name) == len && memcmp(vars[i].name, n, len) == 0)
            return vars[i].f;
    return LF_SKIP;
}

static bool
nginx_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Splits an nginx format into tokens. Returns the count, or -1 with err filled. */
static int
nginx_tokens(const char *f, struct layout_token *t, size_t max, char *err, size_t errlen)
{
    size_t n = 0, i = 0, len = strlen(f);

    while (i < len) {
        if (n == max) {
            snprintf(err, errlen, "more than %zu fields and texts", max);
            return -1;
        }
        struct layout_token *k = &t[n];
        k->col = i + 1;
        if (f[i] == '$' && i + 1 < len && (nginx_name_char(f[i + 1]) || f[i + 1] == '{')) {
            size_t b, e;
            if (f[i + 1] == '{') {
                const char *close = strchr(f + i + 2, '}');
                if (!close) {
                    snprintf(err, errlen, "column %zu: \"${\" has no closing \"}\"", i + 1);
                    return -1;
                }
                b = i + 2;
                e = (size_t)(close - f);
                i = e + 1;
            } else {
                b = i + 1;
                for (e = b; e < len && nginx_name_char(f[e]); e++)
                    ;
                i = e;
            }
            k->literal = false;
            k->field = nginx_field(f + b, e - b);
            k->text = f + k->col - 1;
            k->len = i - (k->col - 1);
        } else {
            size_t b = i++;
            while (i < len && !(f[i] == '$' && i + 1 < len &&
                                (nginx_name_char(f[i + 1]) || f[i + 1] == '{')))
                i++;
            k->literal = true;
            k->text = f + b;
            k->len = i - b;
        }
        n++;
    }
    return (int)n;
}

static enum layout_field
apache_field(char letter, const char *arg, size_t alen)
{
    switch (letter) {
    case 'h': case 'a': return LF_ADDR;
    case 't':
        if (!arg)
            return LF_TIME_CLF_BRACKETS;
        if (alen == 3 && memcmp(arg, "sec", 3) == 0)
            return LF_TIME_SEC;
        if (alen == 4 && memcmp(arg, "msec", 4) == 0)
            return LF_TIME_MS;
        if (alen == 4 && memcmp(arg, "usec", 4) == 0)
            return LF_TIME_US;
        return LF_SKIP;
    case 'r': return LF_REQUEST;
    case 'm': return LF_METHOD;
    case 'U': return LF_PATH;
    case 'q': return LF_QUERY_Q;
    case 's': return LF_STATUS;
    case 'b': case 'B': return LF_BYTES;
    case 'O': return LF_BYTES_TOTAL;
    case 'v': case 'V': return LF_HOST;
    case 'i':
        if (arg && alen == 4 && strncasecmp(arg, "Host", 4) == 0)
            return LF_HOST;
        if (arg && alen == 7 && strncasecmp(arg, "Referer", 7) == 0)
            return LF_REFERER;
        if (arg && alen == 10 && strncasecmp(arg, "User-Agent", 10) == 0)
            return LF_UA;
        return LF_SKIP;
    default: return LF_SKIP;
    }
}

/* Splits an Apache format (its backslash escapes already decoded) into tokens. Literal
 * "%%" becomes a one-byte literal pointing at the second '%'. */
static int
apache_tokens(const char *f, struct layout_token *t, size_t max, char *err, size_t errlen)
{
    size_t n = 0, i = 0, len = strlen(f);

    while (i < len) {
        if (n == max) {
            snprintf(err, errlen, "more than %zu fields and texts", max);
            return -1;
        }
        struct layout_token *k = &t[n];
        k->col = i + 1;
        if (f[i] == '%' && i + 1 < len && f[i + 1] == '%') {
            k->literal = true;
            k->text = f + i + 1;
            k->len = 1;
            i += 2;
        } else if (f[i] == '%') {
            size_t j = i + 1;
            /* %!200,304r, %400,501{User-Agent}i, %>s, %<s: conditions and which request. */
            while (j < len && (f[j] == '!' || f[j] == ',' || isdigit((unsigned char)f[j])))
                j++;
            while (j < len && (f[j] == '<' || f[j] == '>'))
                j++;
            const char *arg = NULL;
            size_t alen = 0;
            if (j < len && f[j] == '{') {
                const char *close = strchr(f + j + 1, '}');
                if (!close) {
                    snprintf(err, errlen, "column %zu: \"%%{\" has no closing \"}\"", i + 1);
                    return -1;
                }
                arg = f + j + 1;
                alen = (size_t)(close - arg);
                j = (size_t)(close - f) + 1;
            }
            if (j >= len || !isalpha((unsigned char)f[j])) {
                snprintf(err, errlen, "column %zu: \"%%\" is not followed by a directive "
                         "letter (%%h, %%t, %%r, %%>s, ...; a literal %% is %%%%)", i + 1);
                return -1;
            }
            k->literal = false;
            k->field = apache_field(f[j], arg, alen);
            k->text = f + i;
            k->len = j + 1 - i;
            i = j + 1;
        } else {
            size_t b = i++;
            while (i < len && f[i] != '%')
                i++;
            k->literal = true;
            k->text = f + b;
            k->len = i - b;
        }
        n++;
    }
    return (int)n;
}

static bool
word_is(const char **s, const char *w)
{
    size_t n = strlen(w);
    if (strncasecmp(*s, w, n) != 0 || !isspace((unsigned char)(*s)[n]))
        return false;
    *s += n;
    while (isspace((unsigned char)**s))
        (*s)++;
    return true;
}

static void
skip_word(const char **s)
{
    while (**s && !isspace((unsigned char)**s))
        (*s)++;
    while (isspace((unsigned char)**s))
        (*s)++;
}

/* The format from what the user gave: the bare string, or the directive as the server's
 * configuration holds it (quoted pieces concatenated, backslash escapes decoded). Returns
 * a malloc'd string, or NULL with err filled. */
static char *
layout_unwrap(enum analyze_layout_kind kind, const char *in, char *err, size_t errlen)
{
    const char *s = in;
    size_t cap = strlen(in) + 1, n = 0;
    char *out = mem_alloc_or_exit(cap);
    bool directive;

    while (isspace((unsigned char)*s))
        s++;
    if (kind == ANALYZE_LAYOUT_NGINX) {
        directive = word_is(&s, "log_format");
        if (directive) {
            skip_word(&s);                          /* the format's name */
            if (strncmp(s, "escape=", 7) == 0)
                skip_word(&s);
        }
    } else {
        directive = word_is(&s, "LogFormat");
    }
    if (directive && *s != '\'' && *s != '"') {
        /* An unquoted format: `log_format main $remote_addr;` or `LogFormat %h...`. */
        size_t k = strlen(s);
        while (k && (isspace((unsigned char)s[k - 1]) || s[k - 1] == ';'))
            k--;
        memcpy(out, s, k);
        out[k] = '\0';
        if (kind == ANALYZE_LAYOUT_APACHE) {
            char *sp = strrchr(out, ' ');   /* a nickname after the format */
            if (sp && !strchr(sp, '%'))
                *sp = '\0';
        }
        return out;
    }
    if (directive || ((*s == '\'' || *s == '"') && kind == ANALYZE_LAYOUT_NGINX)) {
        /* One or more quoted pieces; nginx concatenates them, Apache takes one and a
         * nickname after it. */
        bool ok = true;
        while (*s == '\'' || *s == '"') {
            char q = *s++;
            while (*s && *s != q) {
                if (*s == '\\' && s[1]) {
                    s++;
                    out[n++] = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
                    s++;
                    continue;
                }
                out[n++] = *s++;
            }
            if (*s != q) {
                ok = false;
                break;
            }
            s++;
            while (isspace((unsigned char)*s))
                s++;
            if (kind == ANALYZE_LAYOUT_APACHE)
                break;
        }
        if (kind == ANALYZE_LAYOUT_APACHE && ok)
            skip_word(&s);                          /* the nickname */
        if (*s == ';')
            s++;
        while (isspace((unsigned char)*s))
            s++;
        if (ok && !*s && n) {
            out[n] = '\0';
            return out;
        }
        if (directive) {
            snprintf(err, errlen, "column %zu: the %s directive's quoted format is not "
                     "closed, or is followed by more than a name",
                     (size_t)(s - in) + 1, kind == ANALYZE_LAYOUT_NGINX ? "log_format"
                                                                      : "LogFormat");
            free(out);
            return NULL;
        }
        n = 0;                                      /* a bare format that starts with '"' */
        s = in;
    }
    /* A bare string. Apache's own escapes (\" from a copied LogFormat line) are decoded. */
    for (; *s; s++) {
        if (kind == ANALYZE_LAYOUT_APACHE && *s == '\\' && s[1]) {
            s++;
            out[n++] = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
            continue;
        }
        out[n++] = *s;
    }
    out[n] = '\0';
    return out;
}

static void
layout_step_add(struct analyze_layout *l, struct layout_step st)
{
    l->steps[l->nsteps++] = st;
}

struct analyze_layout *
analyze_layout_compile(enum analyze_layout_kind kind, const char *fmt, char *err,
                       size_t errlen)
{
    const char *opt = kind == ANALYZE_LAYOUT_NGINX ? "--log-format" : "--apache-format";
    char e[256];
    struct layout_token *t = mem_alloc_or_exit(LAYOUT_MAX_STEPS * sizeof(*t));
    struct analyze_layout *l = NULL;
    char *f = layout_unwrap(kind, fmt, e, sizeof(e));
    int n = -1;

    if (f)
        n = kind == ANALYZE_LAYOUT_NGINX ? nginx_tokens(f, t, LAYOUT_MAX_STEPS, e, sizeof(e))
                                         : apache_tokens(f, t, LAYOUT_MAX_STEPS, e, sizeof(e));
    if (n < 0) {
        snprintf(err, errlen, "%s: %s", opt, e);
        goto fail;
    }
    if (n == 0) {
        snprintf(err, errlen, "%s: the format is empty; give the server's log_format or "
                 "LogFormat string", opt);
        goto fail;
    }
    l = calloc(1, sizeof(*l));
    if (!l)
        goto fail;
    l->kind = kind;
    l->steps = mem_alloc_or_exit((size_t)n * sizeof(*l->steps));
    l->text = mem_alloc_or_exit(strlen(f) + 1);
    /* First pass: which fields the detectors will read. The first of two that mean the
     * same wins; a request line makes the separate method/uri/args redundant. */
    bool used[LF_COUNT] = { 0 };
    for (int i = 0; i < n; i++) {
        if (t[i].literal)
            continue;
        enum layout_field fl = t[i].field;
        bool time = fl >= LF_TIME_CLF && fl <= LF_TIME_US;
        if (fl == LF_SKIP || used[fl] || (time && (used[LF_TIME_CLF] || used[LF_TIME_ISO])))
            t[i].field = LF_SKIP;
        else if (time && (used[LF_TIME_CLF_BRACKETS] || used[LF_TIME_SEC] ||
                          used[LF_TIME_MS] || used[LF_TIME_US]))
            t[i].field = LF_SKIP;
        if (t[i].field != LF_SKIP)
            used[t[i].field] = true;
    }
    for (int i = 0; i < n; i++) {
        enum layout_field fl = t[i].field;
        if (t[i].literal)
            continue;
        if (used[LF_REQUEST] && (fl == LF_METHOD || fl == LF_URI || fl == LF_PATH ||
                                 fl == LF_QUERY || fl == LF_QUERY_Q))
            t[i].field = LF_SKIP;
        if (used[LF_URI] && (fl == LF_PATH || fl == LF_QUERY || fl == LF_QUERY_Q))
            t[i].field = LF_SKIP;
        if (used[LF_BYTES] && fl == LF_BYTES_TOTAL)
            t[i].field = LF_SKIP;
    }
    const char *addr = kind == ANALYZE_LAYOUT_NGINX ? "$remote_addr" : "%h (or %a)";
    const char *missing = !used[LF_ADDR] ? "client address" : NULL;
    const char *hint = addr;
    bool any_time = false;
    for (int k = LF_TIME_CLF; k <= LF_TIME_US; k++)
        any_time |= used[k];
    if (!missing && !any_time) {
        missing = "time";
        hint = kind == ANALYZE_LAYOUT_NGINX ? "$time_local, $time_iso8601 or $msec"
                                            : "%t (or %{sec}t, %{msec}t)";
    } else if (!missing && !used[LF_STATUS]) {
        missing = "status";
        hint = kind == ANALYZE_LAYOUT_NGINX ? "$status" : "%>s";
    } else if (!missing && !used[LF_REQUEST] && !used[LF_URI] && !used[LF_PATH]) {
        missing = "request";
        hint = kind == ANALYZE_LAYOUT_NGINX ? "$request (or $request_uri)" : "%r (or %U)";
    }
    if (missing) {
        snprintf(err, errlen, "%s: the layout has no %s, which analyze needs: the log must "
                 "have been written with %s in it", opt, missing, hint);
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        struct layout_step st = { 0 };
        if (t[i].literal) {
            if (l->nsteps && l->steps[l->nsteps - 1].field == LF_LITERAL) {
                /* "%%" next to text: one literal. */
                memcpy(l->text + l->text_len, t[i].text, t[i].len);
                l->text_len += t[i].len;
                l->steps[l->nsteps - 1].len += (uint32_t)t[i].len;
                continue;
            }
            st.field = LF_LITERAL;
            st.off = (uint32_t)l->text_len;
            st.len = (uint32_t)t[i].len;
            memcpy(l->text + l->text_len, t[i].text, t[i].len);
            l->text_len += t[i].len;
            layout_step_add(l, st);
            continue;
        }
        if (l->nsteps && l->steps[l->nsteps - 1].field == LF_PATH &&
            t[i].field == LF_QUERY_Q) {
            /* Apache's %U%q (the request target without %r): one field, split at '?'. */
            l->steps[l->nsteps - 1].field = LF_URI;
            l->steps[l->nsteps - 1].name_len += (int)t[i].len;
            continue;
        }
        if (l->nsteps && l->steps[l->nsteps - 1].field != LF_LITERAL) {
            snprintf(err, errlen, "%s: column %zu: %.*s follows %.*s with nothing between "
                     "them, so a line cannot tell where one ends; this layout cannot be read",
                     opt, t[i].col, (int)t[i].len, t[i].text, (int)t[i - 1].len,
                     t[i - 1].text);
            goto fail;
        }
        st.field = (uint8_t)t[i].field;
        bool open = l->nsteps && l->text[l->steps[l->nsteps - 1].off +
                                         l->steps[l->nsteps - 1].len - 1] == '"';
        bool close = i + 1 < n && t[i + 1].literal && t[i + 1].text[0] == '"';
        st.quoted = open && close;
        st.name = t[i].text;
        st.name_len = (int)t[i].len;
        layout_step_add(l, st);
        l->have[st.field] = true;
    }
    /* The reasons, now that each step knows its neighbours. */
    for (size_t i = 0; i < l->nsteps; i++) {
        struct layout_step *st = &l->steps[i];
        if (st->field == LF_LITERAL) {
            const struct layout_step *next = i + 1 < l->nsteps ? &l->steps[i + 1] : NULL;
            st->why = layout_why(l, "text \"%.*s\" of the layout not found%s", (int)st->len,
                                 l->text + st->off, next ? "" : " at the end of the line");
        }
    }
    for (size_t i = 0; i < l->nsteps; i++) {
        struct layout_step *st = &l->steps[i];
        if (st->field == LF_LITERAL)
            continue;
        const char *what;
        switch (st->field) {
        case LF_ADDR: what = "is not an IP address"; break;
        case LF_TIME_CLF:
        case LF_TIME_CLF_BRACKETS: what = "is not dd/Mon/yyyy:HH:MM:SS +zzzz"; break;
        case LF_TIME_ISO: what = "is not an ISO 8601 time"; break;
        case LF_TIME_SEC:
        case LF_TIME_MS:
        case LF_TIME_US: what = "is not a Unix time"; break;
        case LF_STATUS: what = "is not three digits"; break;
        case LF_BYTES:
        case LF_BYTES_TOTAL: what = "is not a number"; break;
        default: what = "has no end"; break;
        }
        st->why = st->quoted ? layout_why(l, "\"%.*s\" %s", st->name_len, st->name,
                                          st->field <= LF_SKIP || st->field >= LF_REQUEST
                                              ? "has no closing quote" : what)
                             : layout_why(l, "%.*s %s", st->name_len, st->name, what);
        st->name = NULL;        /* points into the format, freed below */
    }
    free(t);
    free(f);
    return l;
fail:
    free(t);
    free(f);
    analyze_layout_free(l);
    return NULL;
}

static bool
layout_digits3(struct slice v, int *out)
{
    if (v.len != 3)
        return false;
    int x = 0;
    for (int i = 0; i < 3; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
        x = x * 10 + (v.p[i] - '0');
    }
    *out = x;
    return true;
}

/* A Unix time with an optional fraction, scaled: div 1 (seconds), 1000 (ms), 1e6 (us). */
static bool
layout_epoch(struct slice v, uint64_t div, uint64_t *ms)
{
    const char *e = v.p + v.len, *dot = memchr(v.p, '.', v.len);
    uint64_t whole, frac = 0;

    if (!analyze_parse_u64(v.p, dot ? dot : e, &whole) || whole > (1ull << 52))
        return false;
    if (dot) {
        unsigned n = 0;
        for (const char *c = dot + 1; c < e; c++, n++) {
            if (*c < '0' || *c > '9')
                return false;
            if (n < 3)
                frac = frac * 10 + (uint64_t)(*c - '0');
        }
        if (n == 0)
            return false;
        for (; n < 3; n++)
            frac *= 10;
    }
    if (div == 1)
        *ms = whole * 1000 + frac;
    else if (div == 1000)
        *ms = whole;
    else
        *ms = whole / 1000;
    return true;
}

static inline bool
is_dash(struct slice v)
{
    return v.len == 1 && v.p[0] == '-';
}

int
analyze_layout_parse(struct analyze_parser *p, const char *line, size_t len,
                     struct analyze_line *out, const char **why)
{
    const struct analyze_layout *l = p->layout;
    const char *s = line, *end = line + len;
    const struct layout_step *st = NULL;
    bool have_time = false;

    out->method = out->path = out->query = out->host = out->referer = out->user_agent =
        slice_make("", 0);
    for (size_t i = 0; i < l->nsteps; i++) {
        st = &l->steps[i];
        if (st->field == LF_LITERAL) {
            if ((size_t)(end - s) < st->len || memcmp(s, l->text + st->off, st->len) != 0)
                goto bad;
            s += st->len;
            continue;
        }
        const char *fe;
        struct slice v;
        bool esc = false;
        if (st->quoted) {
            if (!(fe = analyze_parse_quote_end(s, end, &esc)))
                goto bad;
        } else if (st->field == LF_TIME_CLF || st->field == LF_TIME_CLF_BRACKETS) {
            size_t w = LAYOUT_CLF_TIME_LEN + (st->field == LF_TIME_CLF_BRACKETS ? 2 : 0);
            if ((size_t)(end - s) < w)
                goto bad;
            fe = s + w;
        } else if (i + 1 < l->nsteps) {
            const struct layout_step *next = &l->steps[i + 1];
            fe = memmem(s, (size_t)(end - s), l->text + next->off, next->len);
            if (!fe) {
                st = next;
                goto bad;
            }
        } else {
            fe = end;
        }
        v = esc ? analyze_parse_unescape(p, s, (size_t)(fe - s)) : slice_make(s, (size_t)(fe - s));
        s = fe;
        int status;
        switch ((enum layout_field)st->field) {
        case LF_LITERAL:
        case LF_SKIP:
        case LF_COUNT:
            break;
        case LF_ADDR:
            out->addr_text = v;
            if (!analyze_parse_addr(v, &out->addr))
                goto bad;
            break;
        case LF_TIME_CLF_BRACKETS:
            if (v.p[0] != '[' || v.p[v.len - 1] != ']')
                goto bad;
            v = slice_make(v.p + 1, v.len - 2);
            /* fall through */
        case LF_TIME_CLF:
            if (!analyze_parse_time(p, v, false, &out->time_ms))
                goto bad;
            have_time = true;
            break;
        case LF_TIME_ISO:
            if (!analyze_parse_time(p, v, true, &out->time_ms))
                goto bad;
            have_time = true;
            break;
        case LF_TIME_SEC:
        case LF_TIME_MS:
        case LF_TIME_US:
            if (!layout_epoch(v, st->field == LF_TIME_SEC ? 1 : st->field == LF_TIME_MS
                                                                  ? 1000 : 1000000,
                              &out->time_ms))
                goto bad;
            have_time = true;
            break;
        case LF_REQUEST:
            analyze_parse_request(v, out);
            break;
        case LF_METHOD:
            out->method = v;
            break;
        case LF_URI: {
            const char *qm = memchr(v.p, '?', v.len);
            out->path = qm ? slice_make(v.p, (size_t)(qm - v.p)) : v;
            if (qm)
                out->query = slice_make(qm + 1, (size_t)(v.p + v.len - qm - 1));
            break;
        }
        case LF_PATH:
            out->path = v;
            break;
        case LF_QUERY:
            if (!is_dash(v))
                out->query = v;
            break;
        case LF_QUERY_Q:
            if (v.len && v.p[0] == '?')
                out->query = slice_make(v.p + 1, v.len - 1);
            break;
        case LF_STATUS:
            if (!layout_digits3(v, &status))
                goto bad;
            out->status = status;
            break;
        case LF_BYTES:
        case LF_BYTES_TOTAL:
            if (!is_dash(v) && !analyze_parse_u64(v.p, v.p + v.len, &out->body_bytes))
                goto bad;
            break;
        case LF_HOST:
            if (!is_dash(v))
                out->host = analyze_parse_strip_port(v);
            break;
        case LF_REFERER:
            if (!is_dash(v))
                out->referer = v;
            break;
        case LF_UA:
            if (!is_dash(v))
                out->user_agent = v;
            break;
        }
    }
    if (s != end) {
        *why = "text after the end of the layout";
        return -EBADMSG;
    }
    if (!have_time || !out->addr_text.len) {
        *why = "line does not fit the layout";
        return -EBADMSG;
    }
    return 0;
bad:
    *why = st->why;
    return -EBADMSG;
}
