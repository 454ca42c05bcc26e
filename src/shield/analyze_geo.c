/*
 * shield/analyze_geo.c: `tierd analyze` by country: each client's country from the same
 * database the live shield reads (shield.geo of --stack, or --geoip/--geoip6), summed into
 * requests, clients and offenders per country for the text and JSON reports. It reads the
 * statistics; it detects nothing itself.
 */
#include "shield/analyze.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "shield/geo.h"

static int
analyze_geo_cmp(const void *a, const void *b)
{
    const struct analyze_country *x = a, *y = b;

    if (x->offenders != y->offenders)
        return x->offenders > y->offenders ? -1 : 1;
    if (x->requests != y->requests)
        return x->requests > y->requests ? -1 : 1;
    return strcmp(x->cc, y->cc);
}

size_t
analyze_geo_countries(const struct analyze_stats *s, const struct geo *g,
                      struct analyze_country **out)
{
    /* One slot per code, and the last for "unknown". */
    struct analyze_country *by = mem_alloc_or_exit((GEO_CODES + 1) * sizeof(*by));
    bool *off = mem_alloc_or_exit((s->naddrs ? s->naddrs : 1) * sizeof(*off));
    size_t n = 0;

    for (size_t i = 0; i < s->noffenders; i++)
        off[s->offenders[i]] = true;
    for (size_t i = 0; i < s->naddrs; i++) {
        geo_code cc = geo_lookup(g, &s->addrs[i].addr);
        struct analyze_country *c = &by[cc ? geo_code_index(cc) : GEO_CODES];
        geo_code_format(cc, c->cc);
        c->requests += s->addrs[i].requests;
        c->clients++;
        c->offenders += off[i];
    }
    for (size_t i = 0; i <= GEO_CODES; i++)
        if (by[i].clients)
            by[n++] = by[i];
    qsort(by, n, sizeof(*by), analyze_geo_cmp);
    free(off);
    *out = by;
    return n;
}

void
analyze_geo_text(const struct analyze_run *r, FILE *out)
{
    struct analyze_country *c;
    size_t n;

    if (!r->geo)
        return;
    n = analyze_geo_countries(&r->stats, r->geo, &c);
    fprintf(out, "\nCountries: %zu\n", n);
    if (n)
        fprintf(out, "  %-8s %10s %8s %9s\n", "country", "requests", "clients", "offenders");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-8s %10llu %8u %9u\n", c[i].cc[0] ? c[i].cc : "-",
                (unsigned long long)c[i].requests, c[i].clients, c[i].offenders);
    free(c);
}

void
analyze_geo_json(const struct analyze_run *r, json_t *doc)
{
    const struct analyze_stats *s = &r->stats;
    json_t *offenders = json_object_get(doc, "offenders"), *list = json_array();
    struct analyze_country *c;
    size_t n;

    if (!r->geo) {
        json_decref(list);
        return;
    }
    /* The offenders array is in s->offenders' order (analyze_report_json). */
    for (size_t i = 0; i < s->noffenders && i < json_array_size(offenders); i++) {
        char cc[3];
        geo_code_format(geo_lookup(r->geo, &s->addrs[s->offenders[i]].addr), cc);
        json_object_set_new(json_array_get(offenders, i), "country",
                            cc[0] ? json_string(cc) : json_null());
    }
    n = analyze_geo_countries(s, r->geo, &c);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:o, s:I, s:I, s:I}", "country",
                                              c[i].cc[0] ? json_string(c[i].cc) : json_null(),
                                              "requests", (json_int_t)c[i].requests,
                                              "clients", (json_int_t)c[i].clients,
                                              "offenders", (json_int_t)c[i].offenders));
    free(c);
    json_object_set_new(doc, "countries", list);
}
