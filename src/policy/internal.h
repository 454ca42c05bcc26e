/*
 * policy/internal.h: what the rule files share inside policy/: the context a check
 * reports into, every check function the rule table names, and the node helpers.
 * `tierd check` runs the rules only on a file that validation accepted, but the unit tests
 * (and the deferred rules) also feed them raw trees: every helper tolerates NULL and wrong
 * kinds.
 */
#ifndef POLICY_INTERNAL_H
#define POLICY_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/keys.h"
#include "conf/node.h"
#include "ctl/ctl_keys.h"
#include "data/data_keys.h"
#include "edge/edge_keys.h"
#include "fleet/fleet_keys.h"
#include "policy/policy.h"
#include "shield/shield_keys.h"
#include "watch/watch_keys.h"

#ifndef TIERD_VERSION
#define TIERD_VERSION "0.1.0"
#endif
/* Where SARIF and JSON readers learn about the tool; set at build time for releases. */
#ifndef TIERD_INFO_URI
#define TIERD_INFO_URI "https://github.com/tierd/tierd"
#endif
#define POLICY_GUIDE "docs/checks.md"

/* The entries the rules read, by their subsystem's constant: a key's name, a section's
 * name in a resource address and an enum's words are spelled only in the key tables. */
#define EK(id) (&edge_keys[id])
#define FK(id) (&fleet_keys[id])
#define SK(id) (&shield_keys[id])
#define WK(id) (&watch_keys[id])
#define CK(id) (&ctl_keys[id])
#define XK(id) (&data_keys[id])

struct policy_ctx {
    const struct policy_rule *rule;
    struct policy_report *r;
};

/* Record one judged resource. `at` is the offending key (or the resource's own key for a
 * missing one); NULL means the top of the file. Strings are copied. */
void policy_pass(struct policy_ctx *cx, const struct conf_node *at, const char *resource);
void policy_fail(struct policy_ctx *cx, const struct conf_node *at, enum policy_severity sev,
                 const char *resource, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* policy/ruletab.c: the table behind policy_rules() and policy_rule_find(). */
const struct policy_rule *ruletab_all(unsigned *n);
const struct policy_rule *ruletab_find(const char *id);

/* A rule that waits for keys the stack file does not accept yet: it does not run, its id
 * stays reserved, and its check is kept for the issue that brings the keys. */
struct ruletab_deferred {
    struct policy_rule rule;
    const char *keys;           /* what it reads that validation refuses: "listeners[].tls" */
    const char *issue;          /* the issue that brings them: "Edge: TLS termination" */
};
/* An id that is never used again, and why it went. */
struct ruletab_retired {
    const char *id;
    const char *why;
};
const struct ruletab_deferred *ruletab_deferred_all(unsigned *n);
const struct ruletab_deferred *ruletab_deferred_find(const char *id);
const struct ruletab_retired *ruletab_retired_all(unsigned *n);
const struct ruletab_retired *ruletab_retired_find(const char *id);

/* policy/check_edge.c: listeners and TLS, the edge's timeouts and limits, the shield,
 * control. */
policy_check_fn check_edge_plain_http, check_edge_weak_tls, check_edge_no_http_redirect,
    check_edge_no_hsts, check_edge_key_perms, check_edge_access_log,
    check_edge_no_shield, check_edge_shield_count, check_edge_scanners_off,
    check_edge_login_paths, check_edge_trusted_proxies, check_edge_allow_all,
    check_edge_timeouts, check_edge_control_address, check_edge_control_token;
/* policy/check_store.c: what a static root exposes. */
policy_check_fn check_store_static_root;
/* policy/check_tg.c: target groups and health checks. */
policy_check_fn check_tg_health_check, check_tg_health_params, check_tg_plain_targets,
    check_tg_no_draining;
/* policy/check_asg.c: launch templates and auto scaling groups. */
policy_check_fn check_asg_ec2_health, check_asg_min_size, check_asg_literal_secret,
    check_asg_wildcard_bind, check_asg_refresh_zero,
    check_asg_grace_period, check_asg_no_rollback, check_asg_root_user, check_asg_no_limits;
/* policy/check_data.c: databases. */
policy_check_fn check_data_encryption, check_data_public, check_data_backups,
    check_data_offsite, check_data_deletion, check_data_any_host, check_data_literal_password,
    check_data_secret_files;
/* policy/check_obs.c: alarms, topics, smtp. */
policy_check_fn check_obs_alarm_actions, check_obs_plain_webhook, check_obs_unsigned_webhook,
    check_obs_no_cpu_alarm, check_obs_empty_topic, check_obs_literal_secret,
    check_obs_log_retention;

/* One file per output format; each reads a finished report. SARIF always carries failed
 * and skipped results (code scanning shows skips as suppressed); passed ones never. */
void out_cli_print(const struct policy_report *r, bool quiet, bool color, FILE *out);
void out_json_print(const struct policy_report *r, bool quiet, FILE *out);
void out_sarif_print(const struct policy_report *r, FILE *out);
void out_junit_print(const struct policy_report *r, bool quiet, FILE *out);

/* policy/inspect.c: reading nodes the way the rules need. */

/* Count of pairs if n is a map, of items if a sequence; 0 otherwise (also for NULL). */
unsigned inspect_nmap(const struct conf_node *n);
unsigned inspect_nseq(const struct conf_node *n);
/*
 * Keys with a table entry are read with conf_key_get() (the value, NULL when absent or
 * null) and conf_key_node() (the key node, for positions). These two are for the keys no
 * table holds yet (the deferred TLS rule reads listeners[].tls): the same, by name.
 */
const struct conf_node *inspect_key(const struct conf_node *map, const char *key);
const struct conf_node *inspect_get(const struct conf_node *map, const char *key);
/* k's key node in map when present, else `fallback` (the enclosing key, for a finding
 * about a missing or defaulted key). */
const struct conf_node *inspect_key_or(const struct conf_node *map, const struct conf_key *k,
                                       const struct conf_node *fallback);
/* k's value in map as a number (a duration in ms), or k's default when the key is absent,
 * null or unreadable (raw trees): 0, or -1 with *out untouched when neither gives one. */
int inspect_key_uint(const struct conf_node *map, const struct conf_key *k, uint64_t *out);
int inspect_key_ms(const struct conf_node *map, const struct conf_key *k, uint64_t *out);
/* True when k's value in map, or its default when absent, is k->words[word]
 * (case-insensitive). */
bool inspect_key_is(const struct conf_node *map, const struct conf_key *k, unsigned word);
/* The i-th entry of the named map `map`, whose entry is `section` (target_groups,
 * auto_scaling_groups, ...): returns its value, sets *key to its key node and res to
 * "<section path>.<name>". i < inspect_nmap(map). */
const struct conf_node *inspect_entry(const struct conf_node *map, unsigned i,
                                      const struct conf_key *section,
                                      const struct conf_node **key, char *res, size_t cap);
/* Scalar text, or NULL for a missing, null or non-scalar node. */
const char *inspect_str(const struct conf_node *n);
bool inspect_str_eq(const struct conf_node *n, const char *s); /* case-insensitive */
bool inspect_is_true(const struct conf_node *n);
bool inspect_is_false(const struct conf_node *n);
/* 0 and *out, or -1 when the node is not such a scalar. */
int inspect_uint(const struct conf_node *n, uint64_t *out);
int inspect_duration_ms(const struct conf_node *n, uint64_t *out);
int inspect_size(const struct conf_node *n, uint64_t *out);

/* Hosts and addresses: "127.0.0.5", "::1", "[::1]" and "localhost" are loopback. */
bool inspect_host_is_loopback(const char *host);
/* Copies the host of "host:port" or "[v6]:port" (no brackets) into host; an empty host
 * or "*" becomes "0.0.0.0". Returns 0, or -1 for text without a port. */
int inspect_addr_host(const char *addr, char *host, size_t cap);
/* An address that is not loopback: the wildcards and private addresses count as public. */
bool inspect_addr_is_public(const char *addr);

struct inspect_cidr {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char a[16];
    unsigned prefix;            /* /32 or /128 when the text has none */
};
int inspect_cidr_parse(const char *s, struct inspect_cidr *c);
/* Private, loopback, link-local and unique-local ranges (RFC 1918, 6598, 4193). */
bool inspect_cidr_is_private(const struct inspect_cidr *c);

struct inspect_url {
    char scheme[16];            /* lower case */
    char host[256];             /* without brackets */
    bool has_userinfo, has_password;
    const char *query;          /* points into the text after '?', or NULL */
};
int inspect_url_parse(const char *s, struct inspect_url *u);
/* True when the query has a parameter whose name contains one of `names` (NULL-terminated,
 * case-insensitive) and whose value is not an env reference. */
bool inspect_query_has_secret(const char *query, const char *const *names);

/* True when the text refers to the environment ("${env:NAME}") instead of holding a value. */
bool inspect_is_env_ref(const char *s);
/* An AWS access key id (AKIA/ASIA + 16), or a PEM private-key block. */
bool inspect_has_key_material(const char *s);
/* Names like DB_PASSWORD, api_key, SECRET, X_TOKEN. */
bool inspect_name_is_secret(const char *name);

#endif
