/*
 * shield/analyze_report.c: what `tierd analyze` prints: a header (lines, time range,
 * skipped lines with file:line and reason), the offenders with their evidence, the
 * request-rate timeline as an ASCII bar chart, and the suggested `deny` entries in
 * stack-file syntax; or all of it as one JSON document (schema in docs/analyze.md).
 * Offenders are clients: an IPv4 address or an IPv6 address's /ipv6_prefix. Deny entries
 * collapse into a /24 (IPv6: the /64, or the prefix itself when ipv6_prefix is 64 or less)
 * when at least three offenders share it, and say how many other clients of the log the
 * range would also cover.
 * It computes nothing about the lines themselves (analyze_stats.c).
 */
#include "shield/analyze.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/mem.h"
#include "shield/cidr.h"

#define REPORT_RANGE_MIN_OFFENDERS 3
#define REPORT_TIMELINE_MAX_ROWS 90
#define REPORT_BAR_WIDTH 50
#define REPORT_TEXT_SKIPS 20

static void
fmt_time(uint64_t ms, char *out, size_t n, bool iso)
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&sec, &tm);
    size_t k = strftime(out, n, iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
    if (iso)
        snprintf(out + k, n - k, ".%03uZ", (unsigned)(ms % 1000));
}

/* The range offenders collapse into: an IPv4 address's /24; an IPv6 client's /64, or its
 * own prefix when that is wider (as shield.rate_limit's ip_24 groups), in bits over the
 * mapped address. */
static unsigned
range_plen(const struct analyze_stats *s, const struct shield_addr *a)
{
    if (cidr_is_v4(a))
        return 120;
    return s->ipv6_prefix < 64 ? s->ipv6_prefix : 64;
}

/* Group key of a client: the network of its range. */
static void
range_key(const struct analyze_stats *s, const struct shield_addr *a, struct shield_addr *key)
{
    cidr_addr_mask(a, range_plen(s, a), key);
}

struct range_row {
    struct shield_addr key;
    size_t addr;            /* index into stats->addrs */
    size_t rank;            /* offender rank, or SIZE_MAX for other addresses */
};

static int
range_row_cmp(const void *x, const void *y)
{
    const struct range_row *a = x, *b = y;
    int c = memcmp(a->key.b, b->key.b, 16);

    if (c)
        return c;
    return a->rank < b->rank ? -1 : a->rank > b->rank;
}

size_t
analyze_report_deny(const struct analyze_stats *s, struct analyze_deny **out, size_t **members)
{
    struct range_row *rows = mem_alloc_or_exit((s->naddrs + 1) * sizeof(*rows));
    struct analyze_deny *d = mem_alloc_or_exit((s->noffenders + 1) * sizeof(*d));
    size_t *m = mem_alloc_or_exit((s->noffenders + 1) * sizeof(*m));
    size_t *rank = mem_alloc_or_exit((s->naddrs + 1) * sizeof(*rank));
    size_t nd = 0, nm = 0;

    for (size_t i = 0; i < s->naddrs; i++)
        rank[i] = SIZE_MAX;
    for (size_t i = 0; i < s->noffenders; i++)
        rank[s->offenders[i]] = i;
    for (size_t i = 0; i < s->naddrs; i++) {
        range_key(s, &s->addrs[i].addr, &rows[i].key);
        rows[i].addr = i;
        rows[i].rank = rank[i];
    }
    qsort(rows, s->naddrs, sizeof(*rows), range_row_cmp);
    for (size_t i = 0; i < s->naddrs;) {
        size_t j = i, offenders = 0;
        while (j < s->naddrs && memcmp(rows[j].key.b, rows[i].key.b, 16) == 0) {
            offenders += rows[j].rank != SIZE_MAX;
            j++;
        }
        if (offenders >= REPORT_RANGE_MIN_OFFENDERS) {
            struct analyze_deny *e = &d[nd++];
            struct cidr range = { rows[i].key, range_plen(s, &rows[i].key) };
            cidr_format(&range, e->entry, sizeof(e->entry));
            e->first = nm;
            e->count = offenders;
            e->others_seen = j - i - offenders;
            for (size_t k = i; k < i + offenders; k++)
                m[nm++] = rows[k].rank;
        } else {
            for (size_t k = i; k < i + offenders; k++) {
                struct analyze_deny *e = &d[nd++];
                snprintf(e->entry, sizeof(e->entry), "%s", s->addrs[rows[k].addr].text);
                e->first = nm;
                e->count = 1;
                e->others_seen = 0;
                m[nm++] = rows[k].rank;
            }
        }
        i = j;
    }
    free(rows);
    free(rank);
    *out = d;
    *members = m;
    return nd;
}

/* Prints s with control and non-ASCII bytes as \xHH, as nginx writes them. */
static void
put_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\x%02X", c);
        else
            fputc(c, out);
    }
}

static void
put_list(FILE *out, const char *label, char *const *v, unsigned n, uint32_t distinct)
{
    if (!n)
        return;
    fprintf(out, "      %s (%u distinct):", label, distinct);
    for (unsigned i = 0; i < n; i++) {
        fputs(i ? ", " : " ", out);
        put_text(out, v[i]);
    }
    fputc('\n', out);
}

static void
attacks_text(const struct analyze_addr *a, char *out, size_t n)
{
    size_t k = 0;

    out[0] = '\0';
    for (unsigned i = 0; i < a->nhits && k < n; i++)
        k += (size_t)snprintf(out + k, n - k, "%s%s", i ? "," : "", a->hits[i].detector);
}

/* Distinct addresses over every client (a prefix counts the addresses seen in it). */
static uint64_t
report_addresses(const struct analyze_stats *s)
{
    uint64_t n = 0;

    for (size_t i = 0; i < s->naddrs; i++)
        n += s->addrs[i].distinct_addrs;
    return n;
}

static void
text_header(const struct analyze_run *r, FILE *out)
{
    const struct analyze_stats *s = &r->stats;
    char a[32], b[32];

    fprintf(out, "tierd analyze: %llu lines in %zu file%s\n", (unsigned long long)r->lines,
            r->nfiles, r->nfiles == 1 ? "" : "s");
    for (size_t i = 0; i < r->nfiles; i++) {
        const struct analyze_file *f = &r->files[i];
        fprintf(out, "  %s: %llu lines, layout %s%s, %llu did not fit%s%s\n", f->path,
                (unsigned long long)f->info.lines,
                f->layout ? analyze_layout_name(f->layout) : analyze_parse_format_name(f->format),
                f->layout || f->format_given ? "" : " (detected)",
                (unsigned long long)f->skipped, f->info.gzip ? ", gzip" : "",
                f->info.truncated ? ", gzip stream truncated (read up to the cut)" : "");
    }
    if (s->requests) {
        fmt_time(s->first_ms, a, sizeof(a), false);
        fmt_time(s->last_ms, b, sizeof(b), false);
        fprintf(out, "  time range: %s .. %s UTC\n", a, b);
    }
    fprintf(out, "  requests: %llu from %llu addresses (%zu clients; IPv6 by /%u); skipped "
            "%llu malformed line%s\n", (unsigned long long)s->requests,
            (unsigned long long)report_addresses(s), s->naddrs, s->ipv6_prefix,
            (unsigned long long)r->skipped, r->skipped == 1 ? "" : "s");
    for (size_t i = 0; i < r->nskips && i < REPORT_TEXT_SKIPS; i++)
        fprintf(out, "    %s:%llu: %s\n", r->skips[i].file,
                (unsigned long long)r->skips[i].lineno, r->skips[i].why);
    if (r->skipped > REPORT_TEXT_SKIPS)
        fprintf(out, "    ... and %llu more (all of the first %d in --json)\n",
                (unsigned long long)(r->skipped - REPORT_TEXT_SKIPS), ANALYZE_SKIP_SAMPLES);
    if (s->seen_full)
        fputs("  note: distinct counts stopped growing at the table limit; they are lower "
              "bounds\n", out);
}

static void
text_offenders(const struct analyze_stats *s, FILE *out)
{
    char a[32], b[32], attacks[160];

    fprintf(out, "\nOffenders: %zu\n", s->noffenders);
    if (!s->noffenders)
        return;
    fprintf(out, "  %-39s %-28s %9s %6s  %-19s  %-19s\n", "address", "attack", "requests",
            "4xx%", "first seen (UTC)", "last seen (UTC)");
    for (size_t i = 0; i < s->noffenders; i++) {
        const struct analyze_addr *o = &s->addrs[s->offenders[i]];
        fmt_time(o->first_ms, a, sizeof(a), false);
        fmt_time(o->last_ms, b, sizeof(b), false);
        attacks_text(o, attacks, sizeof(attacks));
        fprintf(out, "  %-39s %-28s %9llu %6.1f  %-19s  %-19s\n", o->text, attacks,
                (unsigned long long)o->requests,
                o->requests ? 100.0 * (double)o->status_4xx / (double)o->requests : 0.0, a, b);
        for (unsigned k = 0; k < o->nhits; k++) {
            fmt_time(o->hits[k].first_ms, a, sizeof(a), false);
            fprintf(out, "      %s: %s (first %s, %llu time%s)\n", o->hits[k].detector,
                    o->hits[k].evidence, a, (unsigned long long)o->hits[k].count,
                    o->hits[k].count == 1 ? "" : "s");
        }
        fprintf(out, "      peak: %u requests in one minute\n", o->peak_minute_requests);
        put_list(out, "paths", o->paths, o->npaths, o->distinct_paths);
        put_list(out, "hosts", o->hosts, o->nhosts, o->distinct_hosts);
        put_list(out, "user agents", o->agents, o->nagents, o->distinct_agents);
        put_list(out, "addresses", o->addr_samples, o->naddr_samples, o->distinct_addrs);
    }
}

static void
text_timeline(const struct analyze_stats *s, FILE *out)
{
    size_t per = (s->nminutes + REPORT_TIMELINE_MAX_ROWS - 1) / REPORT_TIMELINE_MAX_ROWS;
    double max = 0;

    if (!s->nminutes)
        return;
    per = per ? per : 1;
    for (size_t i = 0; i < s->nminutes; i += per) {
        uint64_t n = 0;
        for (size_t k = i; k < i + per && k < s->nminutes; k++)
            n += s->timeline[k];
        if ((double)n / (double)per > max)
            max = (double)n / (double)per;
    }
    fprintf(out, "\nRequest rate (requests per minute%s%zu-minute rows); "
                 "bar: '*' offenders, '=' others; '<' marks rows where offenders made most "
                 "requests\n",
            per > 1 ? ", averaged over " : "; ", per);
    char last_day[16] = "";
    for (size_t i = 0; i < s->nminutes; i += per) {
        uint64_t n = 0, off = 0;
        for (size_t k = i; k < i + per && k < s->nminutes; k++) {
            n += s->timeline[k];
            off += s->timeline_offenders[k];
        }
        double rate = (double)n / (double)per;
        int width = max > 0 ? (int)(rate / max * REPORT_BAR_WIDTH + 0.5) : 0;
        int stars = n ? (int)((double)width * (double)off / (double)n + 0.5) : 0;
        char ts[32];
        fmt_time((uint64_t)(s->base_minute + (int64_t)i) * 60000, ts, sizeof(ts), false);
        if (strncmp(ts, last_day, 10) != 0) {
            memcpy(last_day, ts, 10);
            last_day[10] = '\0';
            fprintf(out, "  %s\n", last_day);
        }
        fprintf(out, "  %.5s %9.0f |", ts + 11, rate);
        for (int k = 0; k < width; k++)
            fputc(k < stars ? '*' : '=', out);
        if (n && off * 2 > n)
            fprintf(out, "%*s < offenders %.0f%%", REPORT_BAR_WIDTH - width, "",
                    100.0 * (double)off / (double)n);
        fputc('\n', out);
    }
}

static void
text_deny(const struct analyze_stats *s, FILE *out)
{
    struct analyze_deny *d;
    size_t *m;
    size_t n = analyze_report_deny(s, &d, &m);

    fputs("\nSuggested deny entries (paste into the stack file; review ranges first)\n", out);
    if (!n) {
        fputs("  none\n", out);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (d[i].count < 2)
                continue;
            fprintf(out, "# %s: %zu offenders share this range (", d[i].entry, d[i].count);
            for (size_t k = 0; k < d[i].count; k++)
                fprintf(out, "%s%s", k ? ", " : "", s->addrs[s->offenders[m[d[i].first + k]]].text);
            fprintf(out, "); it also covers %llu other address%s seen in this log\n",
                    (unsigned long long)d[i].others_seen, d[i].others_seen == 1 ? "" : "es");
        }
        fputs("shield:\n  deny: [", out);
        for (size_t i = 0; i < n; i++)
            fprintf(out, "%s\"%s\"", i ? ", " : "", d[i].entry);
        fputs("]\n", out);
    }
    free(d);
    free(m);
}

/* Networks with offending clients: what the live shield's range_bans would do. */
static void
text_ranges(const struct analyze_stats *s, FILE *out)
{
    struct analyze_range *g;
    size_t n = analyze_stats_ranges(s, &g);

    if (n) {
        fputs("\nNetworks with offending clients (range_bans: >= 8 offending, >= 25 % of the "
              "clients seen, no good client)\n", out);
        for (size_t i = 0; i < n && i < 20; i++)
            fprintf(out, "  %-24s %u offending of %u seen, %u good: %s\n", g[i].entry,
                    g[i].offending, g[i].seen, g[i].good,
                    g[i].due ? "range ban proposed"
                    : g[i].good ? "held back: it holds good traffic" : "below the rule");
    }
    free(g);
}

void
analyze_report_text(const struct analyze_run *r, FILE *out)
{
    text_header(r, out);
    text_offenders(&r->stats, out);
    text_timeline(&r->stats, out);
    text_ranges(&r->stats, out);
    analyze_geo_text(r, out);
    text_deny(&r->stats, out);
}

/* A JSON string of s; bytes that are not valid UTF-8 become '?' so the document stays valid. */
static json_t *
jstr(const char *s)
{
    json_t *v = json_string(s);
    if (v)
        return v;
    char *c = strdup(s);
    if (!c)
        return NULL;
    for (char *p = c; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    v = json_string(c);
    free(c);
    return v;
}

static json_t *
jtime(uint64_t ms)
{
    char t[40];
    fmt_time(ms, t, sizeof(t), true);
    return json_string(t);
}

static json_t *
jlist(char *const *v, unsigned n)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < n; i++)
        json_array_append_new(a, jstr(v[i]));
    return a;
}

static json_t *
json_offender(const struct analyze_addr *o)
{
    json_t *attacks = json_array(), *hits = json_array();

    for (unsigned k = 0; k < o->nhits; k++) {
        const struct analyze_hit *h = &o->hits[k];
        json_array_append_new(attacks, json_string(h->detector));
        json_array_append_new(hits, json_pack("{s:s, s:I, s:o, s:o, s:o}", "detector",
                                              h->detector, "count", (json_int_t)h->count,
                                              "first", jtime(h->first_ms), "last",
                                              jtime(h->last_ms), "evidence",
                                              jstr(h->evidence)));
    }
    json_t *doc = json_pack(
        "{s:s, s:o, s:I, s:I, s:I, s:f, s:o, s:o, s:i, s:i, s:i, s:i, s:o, s:o, s:o, s:o}",
        "address", o->text, "attacks", attacks, "requests", (json_int_t)o->requests,
        "status_4xx", (json_int_t)o->status_4xx, "status_5xx", (json_int_t)o->status_5xx,
        "pct_4xx", o->requests ? 100.0 * (double)o->status_4xx / (double)o->requests : 0.0,
        "first_seen", jtime(o->first_ms), "last_seen", jtime(o->last_ms),
        "peak_requests_per_minute", (int)o->peak_minute_requests, "distinct_paths",
        (int)o->distinct_paths, "distinct_hosts", (int)o->distinct_hosts,
        "distinct_user_agents", (int)o->distinct_agents, "sample_paths",
        jlist(o->paths, o->npaths), "sample_hosts", jlist(o->hosts, o->nhosts),
        "sample_user_agents", jlist(o->agents, o->nagents), "hits", hits);
    if (doc) {
        json_object_set_new(doc, "distinct_addresses", json_integer(o->distinct_addrs));
        json_object_set_new(doc, "sample_addresses",
                            o->plen < 128 ? jlist(o->addr_samples, o->naddr_samples)
                                          : json_pack("[s]", o->text));
    }
    return doc;
}

int
analyze_report_json(const struct analyze_run *r, FILE *out)
{
    const struct analyze_stats *s = &r->stats;
    json_t *doc = json_object(), *files = json_array(), *skips = json_array();
    json_t *offenders = json_array(), *minutes = json_array(), *offm = json_array();
    json_t *deny = json_array();

    for (size_t i = 0; i < r->nfiles; i++) {
        const struct analyze_file *f = &r->files[i];
        json_array_append_new(files, json_pack("{s:o, s:s, s:s, s:b, s:b, s:b, s:I, s:I, s:I}",
                                               "path", jstr(f->path), "format",
                                               analyze_parse_format_name(f->format), "layout",
                                               f->layout ? analyze_layout_name(f->layout)
                                                         : analyze_parse_format_name(f->format),
                                               "detected", !f->layout && !f->format_given,
                                               "gzip",
                                               f->info.gzip, "truncated", f->info.truncated,
                                               "lines", (json_int_t)f->info.lines, "skipped",
                                               (json_int_t)f->skipped, "bytes",
                                               (json_int_t)f->info.bytes));
    }
    for (size_t i = 0; i < r->nskips; i++)
        json_array_append_new(skips, json_pack("{s:o, s:I, s:s}", "file", jstr(r->skips[i].file),
                                               "line", (json_int_t)r->skips[i].lineno,
                                               "reason", r->skips[i].why));
    for (size_t i = 0; i < s->noffenders; i++)
        json_array_append_new(offenders, json_offender(&s->addrs[s->offenders[i]]));
    for (size_t i = 0; i < s->nminutes; i++) {
        json_array_append_new(minutes, json_integer(s->timeline[i]));
        json_array_append_new(offm, json_integer(s->timeline_offenders[i]));
    }

    struct analyze_deny *d;
    size_t *m;
    size_t nd = analyze_report_deny(s, &d, &m);
    size_t stack_len = 32;
    for (size_t i = 0; i < nd; i++)
        stack_len += strlen(d[i].entry) + 4;
    char *stack = mem_alloc_or_exit(stack_len);
    size_t k = (size_t)snprintf(stack, stack_len, "shield:\n  deny: [");
    for (size_t i = 0; i < nd; i++) {
        json_t *covers = json_array();
        for (size_t j = 0; j < d[i].count; j++)
            json_array_append_new(covers,
                                  json_string(s->addrs[s->offenders[m[d[i].first + j]]].text));
        json_array_append_new(deny, json_pack("{s:s, s:b, s:o, s:I}", "entry", d[i].entry,
                                              "range", d[i].count > 1 || strchr(d[i].entry, '/'),
                                              "offenders", covers, "other_addresses_seen",
                                              (json_int_t)d[i].others_seen));
        k += (size_t)snprintf(stack + k, stack_len - k, "%s\"%s\"", i ? ", " : "", d[i].entry);
    }
    snprintf(stack + k, stack_len - k, "]\n");

    json_object_set_new(doc, "version", json_integer(1));
    json_object_set_new(doc, "files", files);
    json_object_set_new(doc, "lines", json_integer((json_int_t)r->lines));
    json_object_set_new(doc, "parsed", json_integer((json_int_t)r->parsed));
    json_object_set_new(doc, "skipped", json_integer((json_int_t)r->skipped));
    json_object_set_new(doc, "skipped_samples", skips);
    json_object_set_new(doc, "start", s->requests ? jtime(s->first_ms) : json_null());
    json_object_set_new(doc, "end", s->requests ? jtime(s->last_ms) : json_null());
    json_object_set_new(doc, "requests", json_integer((json_int_t)s->requests));
    json_object_set_new(doc, "addresses", json_integer((json_int_t)report_addresses(s)));
    json_object_set_new(doc, "clients", json_integer((json_int_t)s->naddrs));
    json_object_set_new(doc, "ipv6_prefix", json_integer(s->ipv6_prefix));
    json_object_set_new(doc, "distinct_counts_exact", json_boolean(!s->seen_full));
    json_object_set_new(doc, "offenders", offenders);
    json_object_set_new(doc, "timeline",
                        json_pack("{s:o, s:i, s:o, s:o}", "start",
                                  s->nminutes ? jtime((uint64_t)s->base_minute * 60000)
                                              : json_null(),
                                  "minute_seconds", 60, "requests", minutes, "offenders", offm));
    json_object_set_new(doc, "deny", deny);
    json_t *ranges = json_array();
    struct analyze_range *g;
    size_t ng = analyze_stats_ranges(s, &g);
    for (size_t i = 0; i < ng; i++)
        json_array_append_new(ranges, json_pack("{s:s, s:I, s:I, s:I, s:b}", "network",
                                                g[i].entry, "seen", (json_int_t)g[i].seen,
                                                "offending", (json_int_t)g[i].offending,
                                                "good", (json_int_t)g[i].good, "range_ban",
                                                g[i].due));
    free(g);
    json_object_set_new(doc, "ranges", ranges);
    json_object_set_new(doc, "stack_file", json_string(stack));
    analyze_geo_json(r, doc);
    free(stack);
    free(d);
    free(m);
    int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_ENSURE_ASCII) == 0 ? 0 : -ENOMEM;
    fputc('\n', out);
    json_decref(doc);
    return rc;
}
