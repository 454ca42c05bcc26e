/*
 * shield/analyze.h: the parts of `tierd analyze`, shared by src/shield/analyze_*.c only.
 *
 *   analyze_parse.c   one access-log line -> struct analyze_line (combined, combined_host,
 *                     combined_host_last, json), no allocation per line; auto detection
 *   analyze_layout.c  --log-format (nginx log_format) and --apache-format (LogFormat)
 *                     strings compiled into a layout, and lines parsed by one
 *   analyze_input.c   files, stdin and gzip (zlib) -> lines, with file:line numbers
 *   analyze_stats.c   per-client statistics (an IPv4 address, an IPv6 address's /N), the
 *                     request-rate timeline, and the detectors (detect.h) fed with every line
 *   analyze_report.c  the human report and the JSON document, suggested deny entries
 *   analyze_main.c    arguments and the order of the above
 */
#ifndef SHIELD_ANALYZE_H
#define SHIELD_ANALYZE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/slice.h"
#include "shield/detect.h"
#include "shield/shield.h"

enum analyze_format {
    ANALYZE_AUTO = 0,           /* sniff the first line of each file */
    ANALYZE_COMBINED,           /* nginx combined (also common, without referer and UA) */
    ANALYZE_COMBINED_HOST,      /* "$host[:port] " + combined (Apache vhost_combined) */
    ANALYZE_JSON,               /* tierd's json access log (and nginx's escape=json keys) */
    ANALYZE_COMBINED_HOST_LAST, /* combined + fields + the host as the last field */
    ANALYZE_LAYOUT,             /* a compiled --log-format / --apache-format layout */
};

struct analyze_layout;

/* One parsed line. Slices point into the line or into the parser's scratch buffer and are
 * valid until the next analyze_parse_line() on the same parser. */
struct analyze_line {
    struct slice addr_text;
    struct shield_addr addr;
    uint64_t time_ms;           /* Unix milliseconds, UTC */
    struct slice method, path, query, host, referer, user_agent;
    int status;
    uint64_t body_bytes;
};

struct analyze_parser {
    enum analyze_format format;
    char time_key[32];          /* the last timestamp text, so each second is parsed once */
    size_t time_key_len;
    uint64_t time_ms;
    char *scratch;              /* unescaped fields of the current line */
    size_t scratch_len, scratch_cap;
    void *json;                 /* jansson document of the last odd json line */
    const struct analyze_layout *layout;        /* ANALYZE_LAYOUT: borrowed */
};

void analyze_parse_init(struct analyze_parser *p, enum analyze_format f);
void analyze_parse_fini(struct analyze_parser *p);
/* Parses one line (without its newline). Returns 0, or -EBADMSG with a static reason in
 * *why. Never reads outside [line, line + len). */
int analyze_parse_line(struct analyze_parser *p, const char *line, size_t len,
                       struct analyze_line *out, const char **why);
/* The format a line looks like: ANALYZE_JSON, ANALYZE_COMBINED_HOST or ANALYZE_COMBINED. */
enum analyze_format analyze_parse_sniff(const char *line, size_t len);
/* The format most of the sample lines fit: json, combined_host, combined_host_last (only
 * when the last field looks like a host name on most lines) or combined. *fit: how many
 * of the n lines parse with it. */
#define ANALYZE_DETECT_LINES 200
enum analyze_format analyze_parse_detect(const struct slice *lines, size_t n, size_t *fit);
/* Parses "combined", "combined_host", "combined_host_last", "json" or "auto"; -EINVAL
 * otherwise. */
int analyze_parse_format(const char *name, enum analyze_format *out);
const char *analyze_parse_format_name(enum analyze_format f);
/* An IPv4 or IPv6 address in text form; false if it is neither. */
bool analyze_parse_addr(struct slice text, struct shield_addr *out);
/* "24/Nov/2026:21:59:58 +0000" -> Unix ms; false when malformed. */
bool analyze_parse_clf_time(struct slice text, uint64_t *ms);
/* "2026-11-24T21:59:58.123Z" (offsets +hh:mm allowed) -> Unix ms; false when malformed. */
bool analyze_parse_iso_time(struct slice text, uint64_t *ms);

/* Shared with analyze_layout.c. */
/* The closing quote of a field starting after its opening quote (escaped quotes skipped). */
const char *analyze_parse_quote_end(const char *s, const char *end, bool *escaped);
/* nginx \xHH and Apache \" \\ escapes decoded into the parser's scratch. */
struct slice analyze_parse_unescape(struct analyze_parser *p, const char *s, size_t n);
/* A CLF (iso false) or ISO 8601 time through the parser's one-entry cache. */
bool analyze_parse_time(struct analyze_parser *p, struct slice t, bool iso, uint64_t *ms);
/* "GET /a?b HTTP/1.1" -> method, path, query of out. */
void analyze_parse_request(struct slice r, struct analyze_line *out);
bool analyze_parse_u64(const char *s, const char *e, uint64_t *out);
/* "example.com:443" -> "example.com"; "[2001:db8::1]:443" keeps its brackets. */
struct slice analyze_parse_strip_port(struct slice host);

/* A layout compiled from an nginx log_format string ($remote_addr, ${status}, ...) or an
 * Apache LogFormat string (%h, %>s, %{User-Agent}i, ...). The directive as written in the
 * server's configuration is accepted too (`log_format main '...' '...';`,
 * `LogFormat "..." combined`). Variables it does not know are skipped, quoted or not.
 * Returns NULL with a message in err (what, at which column, how to fix). */
enum analyze_layout_kind { ANALYZE_LAYOUT_NGINX, ANALYZE_LAYOUT_APACHE };
struct analyze_layout *analyze_layout_compile(enum analyze_layout_kind kind, const char *fmt,
                                              char *err, size_t errlen);
void analyze_layout_free(struct analyze_layout *l);
/* "nginx log_format" or "apache LogFormat". */
const char *analyze_layout_name(const struct analyze_layout *l);
int analyze_layout_parse(struct analyze_parser *p, const char *line, size_t len,
                         struct analyze_line *out, const char **why);

/* Input: every line of one file ("-" is stdin), gzip or plain (zlib looks at the magic). */
typedef void (*analyze_line_fn)(void *ctx, const char *line, size_t len, uint64_t lineno);
struct analyze_input_info {
    bool gzip;
    bool truncated;             /* a gzip stream ended early: lines up to there were read */
    uint64_t lines;
    uint64_t bytes;             /* uncompressed */
};
/* Calls fn for each line without its end (LF or CR LF; a last line without one counts; an
 * empty line has len 0). A line longer than ANALYZE_LINE_MAX_BYTES is passed once as
 * line == NULL, so the caller can report it. Returns 0, or a negative errno with a
 * message in err (lines before the error were passed). */
#define ANALYZE_LINE_MAX_BYTES (1024 * 1024)
int analyze_input_read(const char *path, analyze_line_fn fn, void *ctx,
                       struct analyze_input_info *info, char *err, size_t errlen);

/* Statistics and detection over the lines of one run. */
#define ANALYZE_SAMPLE_PATHS 5
#define ANALYZE_SAMPLE_HOSTS 5
#define ANALYZE_SAMPLE_AGENTS 3
#define ANALYZE_SAMPLE_ADDRS 3
#define ANALYZE_SAMPLE_MAX_BYTES 160

struct analyze_minute {
    uint32_t minute;            /* Unix time / 60 */
    uint32_t requests;
};

struct analyze_hit {
    const char *detector;       /* static string (detect.h's names, or "flood") */
    uint64_t count;             /* overflows over the whole log */
    uint64_t first_ms, last_ms;
    char evidence[256];         /* of the first overflow */
};

/* One client: an IPv4 address, or an IPv6 address's /ipv6_prefix (the detectors count it
 * so, and the live shield bans it so). */
struct analyze_addr {
    /* Touched by every line (kept together, first). */
    struct shield_addr addr;    /* the client's address, host bits of a prefix cleared */
    uint64_t requests, status_4xx, status_5xx;
    uint64_t first_ms, last_ms;
    uint64_t last_host_key, last_agent_key;     /* skip the set while they stay the same */
    uint64_t last_addr_key;                     /* (prefixes only) */
    struct analyze_minute cur, prev;            /* the minute being counted, the one before */
    uint32_t peak_minute_requests;
    uint32_t distinct_paths, distinct_hosts, distinct_agents;
    /* Touched now and then. */
    char text[52];              /* "203.0.113.5", "2001:db8:1:2::/64" */
    uint8_t plen;               /* 128: one address; else an IPv6 prefix */
    uint8_t npaths, nhosts, nagents, naddr_samples;
    uint32_t distinct_addrs;    /* addresses seen in the prefix (1 for one address) */
    char *addr_samples[ANALYZE_SAMPLE_ADDRS];
    char *paths[ANALYZE_SAMPLE_PATHS];
    char *hosts[ANALYZE_SAMPLE_HOSTS];
    char *agents[ANALYZE_SAMPLE_AGENTS];
    struct analyze_minute *minutes;     /* past minutes in time order; `cur` joins them in
                                           analyze_stats_finish() */
    uint32_t nminutes, minutes_cap;
    struct analyze_hit *hits;
    unsigned nhits;
    /* The long memory's view (clientmem.h): probes of sensitive or missing paths, answers
     * that served a page or asset. */
    uint32_t probes, served;
    uint64_t first_probe_ms, last_probe_ms;
};

/* A network (IPv4 /24, IPv6 /48, /64 under narrower clients) with offending clients, and
 * whether it meets the live shield's range rule (range_bans). */
struct analyze_range {
    char entry[64];
    unsigned plen;
    uint32_t seen, offending, good;
    bool due;                   /* >= 8 offending, >= 25 % of seen, no good client */
};
/* Networks with 2 offending clients or more, due ones first. Returns the count; *out is
 * malloc'd (caller frees). Offending: an offender, or a client that only probed (2 probes
 * or more, nothing served); good: served and not an offender. */
struct analyze_stats;
size_t analyze_stats_ranges(const struct analyze_stats *s, struct analyze_range **out);

struct analyze_stats {
    struct detect *det;
    unsigned flood_per_minute;          /* 0: off */
    unsigned ipv6_prefix;               /* the detector's (detect_ipv6_prefix()) */
    struct analyze_addr *addrs;
    size_t naddrs, addrs_cap;
    uint32_t *index;                    /* open addressing: addrs index + 1 */
    size_t index_cap;
    uint64_t *seen;                     /* (address, kind, value) hashes for distinct counts */
    size_t seen_cap, seen_used;
    bool seen_full;                     /* distinct counts became lower bounds */
    char *arena;                        /* sample strings */
    size_t arena_used, arena_cap;
    int64_t base_minute;                /* Unix minute of timeline[0] */
    bool have_base;
    uint32_t *timeline;                 /* requests per minute */
    uint32_t *timeline_offenders;       /* filled by analyze_stats_finish() */
    size_t nminutes, timeline_cap;
    uint64_t requests, first_ms, last_ms;
    size_t *offenders;                  /* addrs indices, most requests first */
    size_t noffenders;
};

/* Takes det (freed with the stats); lines are grouped into clients by det's ipv6_prefix.
 * flood_per_minute: requests in any 60 s that make a client a "flood" offender; 0 turns the
 * check off. */
void analyze_stats_init(struct analyze_stats *s, struct detect *det, unsigned flood_per_minute);
void analyze_stats_fini(struct analyze_stats *s);
/* Feeds one line: a DETECT_REQUEST and a DETECT_RESPONSE event, then the statistics. */
void analyze_stats_add(struct analyze_stats *s, const struct analyze_line *l);
/* Records a hit for an address (exposed for tests). */
void analyze_stats_hit(struct analyze_stats *s, struct analyze_addr *a, const char *detector,
                       const char *evidence, uint64_t now_ms);
/* Sorts the offenders and computes the offenders' share of each minute. */
void analyze_stats_finish(struct analyze_stats *s);

/* The report. */
struct analyze_skip {
    char file[128];
    uint64_t lineno;
    const char *why;
};
#define ANALYZE_SKIP_SAMPLES 100

struct analyze_file {
    const char *path;
    enum analyze_format format;
    const struct analyze_layout *layout;        /* format ANALYZE_LAYOUT */
    bool format_given;                          /* --format; else detected */
    struct analyze_input_info info;
    uint64_t skipped;
};

struct geo;
struct analyze_run {
    const struct geo *geo;                      /* --geoip or the stack's shield.geo; NULL */
    struct analyze_file *files;
    size_t nfiles;
    uint64_t lines, parsed, skipped;
    struct analyze_skip skips[ANALYZE_SKIP_SAMPLES];
    size_t nskips;
    struct analyze_stats stats;
};

/* One suggested deny entry: an offender (an address or an IPv6 prefix), or the /24 of 3 or
 * more IPv4 offenders, the /64 of 3 or more IPv6 ones (the prefix when ipv6_prefix is at
 * most 64: shield.rate_limit's ip_24 grouping). */
struct analyze_deny {
    char entry[64];
    size_t first, count;                /* offenders covered: run order in `members` */
    uint64_t others_seen;               /* non-offending addresses of the log in that range */
};
/* Fills *out (malloc'd array, caller frees) with the deny entries and `members` (offender
 * indices grouped per entry). Returns the number of entries. */
size_t analyze_report_deny(const struct analyze_stats *s, struct analyze_deny **out,
                           size_t **members);
void analyze_report_text(const struct analyze_run *r, FILE *out);
/* Returns 0, or -ENOMEM. */
int analyze_report_json(const struct analyze_run *r, FILE *out);

/* Countries (analyze_geo.c), when r->geo is set: requests, clients and offenders per
 * country, most offenders first. Returns the count; *out is malloc'd (caller frees). */
struct analyze_country {
    char cc[3];                 /* "" for addresses the database does not know */
    uint64_t requests;
    uint32_t clients, offenders;
};
size_t analyze_geo_countries(const struct analyze_stats *s, const struct geo *g,
                             struct analyze_country **out);
void analyze_geo_text(const struct analyze_run *r, FILE *out);
/* Adds "countries" to doc and "country" to each of its "offenders". */
struct json_t;
void analyze_geo_json(const struct analyze_run *r, struct json_t *doc);

#endif
