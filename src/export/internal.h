/*
 * export/internal.h: what the exporters share: the context (the validated node tree, the
 * output files being written, the list of what did not map), key readers that fall back to
 * the table's default, and quoting for HCL and YAML. Every key is read through its table
 * entry, so no key name is spelled here.
 */
#ifndef EXPORT_INTERNAL_H
#define EXPORT_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/diag.h"
#include "conf/keys.h"
#include "conf/node.h"
#include "data/data_keys.h"
#include "edge/edge_keys.h"
#include "fleet/fleet_keys.h"
#include "shield/shield_keys.h"
#include "watch/watch_keys.h"

#define EK(id) (&edge_keys[id])
#define FK(id) (&fleet_keys[id])
#define SK(id) (&shield_keys[id])
#define WK(id) (&watch_keys[id])
#define XK(id) (&data_keys[id])

#define EXPORT_FILES_MAX 16
#define EXPORT_TF_PROVIDER_VERSION "6.25.0"   /* hashicorp/aws, the schema validated against */

struct export_file {
    char *name;                 /* owned: "edge.tf" */
    char *text;                 /* owned, from open_memstream */
    size_t len;
    FILE *f;                    /* open while writing */
};

struct export_ctx {
    const struct conf_node *root;
    const char *stack;          /* the stack file's path, for messages */
    const char *target;         /* "terraform", "kubernetes" */
    char *name;                 /* owned: the stack's name (file stem, [a-z0-9-]) */
    struct export_file files[EXPORT_FILES_MAX];
    unsigned nfiles;
    char **notes;               /* owned: "file:line:col: key: why", in order */
    unsigned nnotes, capnotes;
    char **declared;            /* owned: names export_declared() has seen */
    unsigned ndeclared, capdeclared;
    struct diag scratch;        /* readers' diagnostics; the file was validated already */
};

/* The output file `name`, created on first use; borrowed stream, valid until the end. */
FILE *export_out(struct export_ctx *cx, const char *name);
/* Records something the stack says that the target cannot express, at `at` (a key node, a
 * value node, or NULL for the whole file). Printed on stderr and listed in the output. */
void export_note(struct export_ctx *cx, const struct conf_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True when `name` was seen before; records it otherwise (one declaration per name). */
bool export_declared(struct export_ctx *cx, const char *name);

/* Readers by table entry: k's value in map, else its default. Return false when neither
 * gives one. */
const struct conf_node *export_get(const struct conf_node *map, const struct conf_key *k);
const struct conf_node *export_key(const struct conf_node *map, const struct conf_key *k);
bool export_str(struct export_ctx *cx, const struct conf_node *map, const struct conf_key *k,
                const char **out);
bool export_uint(struct export_ctx *cx, const struct conf_node *map, const struct conf_key *k,
                 uint64_t *out);
bool export_ms(struct export_ctx *cx, const struct conf_node *map, const struct conf_key *k,
               uint64_t *out);
bool export_bytes(struct export_ctx *cx, const struct conf_node *map, const struct conf_key *k,
                  uint64_t *out);
bool export_bool(struct export_ctx *cx, const struct conf_node *map, const struct conf_key *k,
                 bool def);
/* The enum word of k in map (or its default); NULL when neither. */
const char *export_word(struct export_ctx *cx, const struct conf_node *map,
                        const struct conf_key *k);
/* A number as written (KT_NUMBER), or NULL. */
const char *export_num(const struct conf_node *map, const struct conf_key *k);
/* The section named by k (a KT_NAMED or KT_LIST at the top), or NULL. */
const struct conf_node *export_section(const struct export_ctx *cx, const struct conf_key *k);

/* s as an identifier for a Terraform label or a Kubernetes name: letters, digits and '_'
 * (terraform) or lowercase letters, digits and '-' (kubernetes). buf holds at least 64. */
const char *export_tf_id(const char *s, char *buf, size_t len);
const char *export_k8s_id(const char *s, char *buf, size_t len);
/* Writes s as a quoted HCL string ("${" and "%{" escaped, so nothing interpolates). */
void export_hcl_str(FILE *f, const char *s);
/* Writes s as a double-quoted YAML (JSON-compatible) string. */
void export_yaml_str(FILE *f, const char *s);
/* s with a loopback bind of the instance's port ("127.0.0.1:${PORT}", "localhost:${PORT}",
 * "[::1]:${PORT}") made "0.0.0.0:${PORT}" in buf: on AWS and Kubernetes the load balancer
 * is another host. Returns buf, or s itself when it holds none. */
const char *export_bind_any(const char *s, char *buf, size_t len);
/* "host:port" or "[v6]:port": the port, or 0. */
unsigned export_port(const char *address);

/* The exporters: write their files into cx. 0, or -errno. */
int tf_export(struct export_ctx *cx);
int k8s_export(struct export_ctx *cx);

/* export/tf_*.c, called by tf_export() in this order; each writes one file. */
void tf_edge_write(struct export_ctx *cx);
void tf_fleet_write(struct export_ctx *cx);
void tf_shield_write(struct export_ctx *cx);
void tf_watch_write(struct export_ctx *cx);
void tf_data_write(struct export_ctx *cx);

#endif
