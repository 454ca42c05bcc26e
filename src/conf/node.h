/*
 * conf/node.h: the stack file as a tree of nodes, each carrying file:line:col (1-based).
 * A conf_doc owns every node and string in it; nodes are read-only after loading.
 * conf/ knows YAML and positions, nothing about what the keys mean.
 */
#ifndef CONF_NODE_H
#define CONF_NODE_H
#include <stdbool.h>
#include <stddef.h>

#include "conf/diag.h"

enum conf_kind { CONF_SCALAR = 0, CONF_MAP, CONF_SEQ };

struct conf_node;

struct conf_pair {
    struct conf_node *key;      /* always a scalar */
    struct conf_node *value;
};

struct conf_node {
    enum conf_kind kind;
    const char *file;
    unsigned line, col;
    const char *str;            /* scalar text, NUL-terminated; NULL for maps and sequences */
    size_t len;
    bool quoted;                /* scalar was quoted: never null/bool/number by accident */
    size_t start, end;          /* scalar: byte offsets of its text in the file, quotes
                                   included (to redact a value in place) */
    unsigned n;                 /* number of pairs (map) or items (sequence) */
    struct conf_pair *pairs;    /* map */
    struct conf_node **items;   /* sequence */
    const char *path;           /* for messages: "edge.timeouts.keepalive", "listeners[0]";
                                   "" for the root; a key has its value's path */
};

struct conf_doc {
    char *file;
    struct conf_node *root;     /* NULL for an empty document */
    void *mem;                  /* private allocation list */
};

/* Loads and parses YAML with libyaml. Returns a new document, or NULL after adding
 * diagnostics (syntax errors with position; duplicate keys; anchors/aliases/tags are
 * refused with a message). `name` is the file name used in messages. */
struct conf_doc *conf_doc_load_file(const char *path, struct diag *d);
struct conf_doc *conf_doc_load_mem(const char *name, const char *text, size_t len,
                                   struct diag *d);
void conf_doc_free(struct conf_doc *doc);

/* Borrowed lookup of a map value by key; NULL if absent or `map` is not a map. */
const struct conf_node *conf_map_get(const struct conf_node *map, const char *key);
/* Human name of a node kind: "a scalar", "a map", "a list". */
const char *conf_kind_name(enum conf_kind k);

#endif
