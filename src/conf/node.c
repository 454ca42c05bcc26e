/*
 * conf/node.c: loads a stack file with libyaml's event API into a tree of conf_node, each
 * with its 1-based line and column and a dotted path for messages. It owns the YAML rules
 * we accept (one document, string keys, no duplicate keys, no anchors, aliases or tags)
 * and the document's memory; what the keys mean belongs to each subsystem's *_conf.c.
 */
#include "conf/node.h"

#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "conf/value.h"
#include "core/mem.h"

#define NODE_DEPTH_MAX 64                   /* deeper nesting is refused, not recursed */
#define NODE_FILE_MAX_BYTES (16u << 20)     /* a stack file is a few kilobytes */
#define NODE_PATH_MAX_BYTES 200             /* longer paths are cut with "..." */
#define NODE_BLOCK_BYTES 16384

/* The document's memory: nodes and strings are carved from blocks freed all at once. */
struct node_block {
    struct node_block *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
};

/* A container still being read: its children collect in a heap vector, then move into
 * the document's blocks when the container ends. */
struct node_frame {
    struct conf_node *node;
    struct conf_node *key;      /* map: the key whose value comes next, or NULL */
    bool key_bad;               /* map: that key was refused; drop its value */
    void *vec;
    unsigned n, cap;
};

struct node_loader {
    struct conf_doc *doc;
    struct diag *d;
    const char *text;
    size_t len;
    struct node_frame stack[NODE_DEPTH_MAX];
    unsigned depth;
    unsigned ndocs;
    bool failed;                /* a diagnostic was added: the document is not returned */
    bool fatal;                 /* stop reading events */
};

static void *
node_alloc(struct conf_doc *doc, size_t n)
{
    struct node_block *b = doc->mem;
    size_t need = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);

    if (!b || b->cap - b->used < need) {
        size_t cap = need > NODE_BLOCK_BYTES ? need : NODE_BLOCK_BYTES;
        struct node_block *nb = mem_alloc_or_exit(sizeof(*nb) + cap);
        nb->cap = cap;
        if (b && need > NODE_BLOCK_BYTES) {
            /* A big one-off: keep filling the current block afterwards. */
            nb->next = b->next;
            b->next = nb;
            nb->used = need;
            return nb->data;
        }
        nb->next = b;
        doc->mem = b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    memset(p, 0, need);
    return p;
}

static char *
node_strndup(struct conf_doc *doc, const char *s, size_t n)
{
    char *p = node_alloc(doc, n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

const char *
conf_kind_name(enum conf_kind k)
{
    switch (k) {
    case CONF_SCALAR:
        return "a scalar";
    case CONF_MAP:
        return "a map";
    case CONF_SEQ:
        return "a list";
    }
    return "a node";
}

const struct conf_node *
conf_map_get(const struct conf_node *map, const char *key)
{
    if (!map || map->kind != CONF_MAP)
        return NULL;
    for (unsigned i = 0; i < map->n; i++)
        if (strcmp(map->pairs[i].key->str, key) == 0)
            return map->pairs[i].value;
    return NULL;
}

/* "at the top level" or "in listeners[0]", for messages about a container. */
static void
node_where(const struct conf_node *n, char *out, size_t size)
{
    if (n->path[0])
        snprintf(out, size, "in %s", n->path);
    else
        snprintf(out, size, "at the top level");
}

/* The path of a node about to be attached to the current container. `own` is the text of
 * a scalar that is itself a map key. */
static const char *
node_child_path(struct node_loader *l, const char *own)
{
    char buf[NODE_PATH_MAX_BYTES + 8];
    int n;

    if (l->depth == 0)
        return "";
    struct node_frame *f = &l->stack[l->depth - 1];
    const char *parent = f->node->path;
    if (f->node->kind == CONF_SEQ) {
        n = snprintf(buf, sizeof(buf), "%s[%u]", parent, f->n);
    } else {
        const char *k = f->key ? (f->key->str ? f->key->str : "?") : (own ? own : "?");
        n = snprintf(buf, sizeof(buf), "%s%s%s", parent, parent[0] ? "." : "", k);
    }
    if (n < 0)
        return "?";
    if ((size_t)n > NODE_PATH_MAX_BYTES)
        memcpy(buf + NODE_PATH_MAX_BYTES - 3, "...", 4);
    return node_strndup(l->doc, buf, strlen(buf));
}

static struct conf_node *
node_new(struct node_loader *l, enum conf_kind kind, yaml_mark_t mark)
{
    struct conf_node *n = node_alloc(l->doc, sizeof(*n));

    n->kind = kind;
    n->file = l->doc->file;
    n->line = (unsigned)mark.line + 1;
    n->col = (unsigned)mark.column + 1;
    return n;
}

static void
node_vec_push(struct node_frame *f, const void *elem, size_t size)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->vec = mem_realloc_or_exit(f->vec, (size_t)f->cap * size);
    }
    memcpy((char *)f->vec + (size_t)f->n * size, elem, size);
    f->n++;
}

/* Adds a finished node to the current container, or makes it the root. */
static void
node_attach(struct node_loader *l, struct conf_node *n)
{
    if (l->depth == 0) {
        if (n->kind == CONF_SCALAR && !n->quoted && conf_is_null(n))
            return;                 /* "---" alone, or "~": an empty document */
        l->doc->root = n;
        return;
    }
    struct node_frame *f = &l->stack[l->depth - 1];
    if (f->node->kind == CONF_SEQ) {
        node_vec_push(f, &n, sizeof(n));
        return;
    }
    if (!f->key) {
        f->key = n;
        f->key_bad = false;
        if (n->kind != CONF_SCALAR) {
            diag_at(l->d, n, "%s: a key must be a name, not %s",
                    f->node->path[0] ? f->node->path : "stack file", conf_kind_name(n->kind));
            f->key_bad = true;
        } else if (conf_is_null(n)) {
            diag_at(l->d, n, "%s: empty key; write a name before the ':'",
                    f->node->path[0] ? f->node->path : "stack file");
            f->key_bad = true;
        }
        if (f->key_bad)
            l->failed = true;
        return;
    }
    if (!f->key_bad) {
        struct conf_pair p = { .key = f->key, .value = n };
        node_vec_push(f, &p, sizeof(p));
    }
    f->key = NULL;
    f->key_bad = false;
}

/* Refuses anchors and tags on any node; the node is still built so reading goes on. */
static void
node_check_props(struct node_loader *l, const yaml_char_t *anchor, const yaml_char_t *tag,
                 yaml_mark_t mark)
{
    if (anchor) {
        diag_add(l->d, l->doc->file, (unsigned)mark.line + 1, (unsigned)mark.column + 1,
                 "anchors (&%s) are not supported; repeat the value instead",
                 (const char *)anchor);
        l->failed = true;
    }
    if (tag) {
        /* libyaml expands "!!str" to its full name; show it as written. */
        const char *t = (const char *)tag, *std = "tag:yaml.org,2002:";
        bool short_form = strncmp(t, std, strlen(std)) == 0;
        diag_add(l->d, l->doc->file, (unsigned)mark.line + 1, (unsigned)mark.column + 1,
                 "tags (%s%s) are not supported; remove the tag (quote a value to keep it "
                 "a string)", short_form ? "!!" : "", short_form ? t + strlen(std) : t);
        l->failed = true;
    }
}

static void
node_on_scalar(struct node_loader *l, const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    struct conf_node *n = node_new(l, CONF_SCALAR, ev->start_mark);

    node_check_props(l, ev->data.scalar.anchor, ev->data.scalar.tag, ev->start_mark);
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    n->start = ev->start_mark.index;
    n->end = ev->end_mark.index;
    n->len = len;
    n->str = node_strndup(l->doc, v, len);
    n->path = node_child_path(l, n->str);
    if (memchr(v, '\0', len)) {
        diag_at(l->d, n, "%s: the value contains a NUL character (\\0); remove it",
                n->path[0] ? n->path : "stack file");
        l->failed = true;
        n->len = strlen(n->str);
    }
    node_attach(l, n);
}

static void
node_on_start(struct node_loader *l, const yaml_event_t *ev, enum conf_kind kind)
{
    const yaml_char_t *anchor, *tag;

    if (kind == CONF_MAP) {
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
    } else {
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
    }
    node_check_props(l, anchor, tag, ev->start_mark);
    if (l->depth == NODE_DEPTH_MAX) {
        diag_add(l->d, l->doc->file, (unsigned)ev->start_mark.line + 1,
                 (unsigned)ev->start_mark.column + 1,
                 "nested more than %d levels deep; a stack file never needs that many",
                 NODE_DEPTH_MAX);
        l->failed = l->fatal = true;
        return;
    }
    struct conf_node *n = node_new(l, kind, ev->start_mark);
    n->path = node_child_path(l, NULL);
    l->stack[l->depth++] = (struct node_frame){ .node = n };
}

static int
node_cmp_pair_key(const void *a, const void *b)
{
    const struct conf_pair *x = *(const struct conf_pair *const *)a;
    const struct conf_pair *y = *(const struct conf_pair *const *)b;
    int c = strcmp(x->key->str, y->key->str);

    if (c)
        return c;
    /* Equal keys stay in file order, so the first one is named as the original. */
    return x < y ? -1 : x > y;
}

/* Reports every key that appears twice in a map; sorting keeps large maps linear-ish. */
static void
node_check_dups(struct node_loader *l, const struct conf_node *map)
{
    if (map->n < 2)
        return;
    const struct conf_pair **v = mem_alloc_or_exit(map->n * sizeof(*v));
    char where[NODE_PATH_MAX_BYTES + 32];

    for (unsigned i = 0; i < map->n; i++)
        v[i] = &map->pairs[i];
    qsort(v, map->n, sizeof(*v), node_cmp_pair_key);
    node_where(map, where, sizeof(where));
    for (unsigned i = 1, first = 0; i < map->n; i++) {
        if (strcmp(v[i]->key->str, v[first]->key->str) != 0) {
            first = i;
            continue;
        }
        diag_at(l->d, v[i]->key, "duplicate key \"%s\" %s (first at line %u); remove one of them",
                v[i]->key->str, where, v[first]->key->line);
        l->failed = true;
    }
    free(v);
}

static void
node_on_end(struct node_loader *l)
{
    struct node_frame *f = &l->stack[--l->depth];
    struct conf_node *n = f->node;

    n->n = f->n;
    if (n->kind == CONF_MAP) {
        n->pairs = node_alloc(l->doc, (size_t)f->n * sizeof(*n->pairs));
        if (f->n)
            memcpy(n->pairs, f->vec, (size_t)f->n * sizeof(*n->pairs));
        node_check_dups(l, n);
    } else {
        n->items = node_alloc(l->doc, (size_t)f->n * sizeof(*n->items));
        if (f->n)
            memcpy(n->items, f->vec, (size_t)f->n * sizeof(*n->items));
    }
    free(f->vec);
    node_attach(l, n);
}

/* A libyaml error, with a hint for the mistakes people actually make. */
static void
node_syntax_error(struct node_loader *l, const yaml_parser_t *p)
{
    unsigned line = (unsigned)p->problem_mark.line + 1, col = (unsigned)p->problem_mark.column + 1;
    const char *problem = p->problem ? p->problem : "unknown error";
    const char *hint = "";
    char ctx[160] = "";

    if (p->error == YAML_MEMORY_ERROR) {
        diag_add(l->d, l->doc->file, 0, 0, "out of memory while reading YAML");
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        /* Reader errors carry a byte offset, not a mark. */
        size_t off = p->problem_offset < l->len ? p->problem_offset : l->len;
        line = col = 1;
        for (size_t i = 0; i < off; i++) {
            if (l->text[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)l->text[i] & 0xc0) != 0x80) {
                col++;
            }
        }
        diag_add(l->d, l->doc->file, line, col, "YAML: %s (byte 0x%02x); %s", problem,
                 (unsigned)p->problem_value & 0xff,
                 strstr(problem, "UTF") || strstr(problem, "octet") ? "save the file as UTF-8 text"
                                                                    : "remove it");
        return;
    }
    if (p->context)
        snprintf(ctx, sizeof(ctx), " %s at line %u, column %u", p->context,
                 (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
    if (p->problem_mark.index < l->len && l->text[p->problem_mark.index] == '\t')
        hint = "; indent with spaces, not tabs";
    else if (strstr(problem, "mapping values are not allowed"))
        hint = "; check the indentation, and quote a value that contains \": \"";
    else if (strstr(problem, "did not find expected key"))
        hint = "; check that the keys of this map line up";
    else if (strstr(problem, "found undefined tag handle") ||
             strstr(problem, "found character that cannot start any token"))
        hint = "; quote the value";
    diag_add(l->d, l->doc->file, line, col, "YAML: %s%s%s", problem, ctx, hint);
}

static void
node_on_event(struct node_loader *l, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++l->ndocs > 1) {
            diag_add(l->d, l->doc->file, (unsigned)ev->start_mark.line + 1,
                     (unsigned)ev->start_mark.column + 1,
                     "a stack file holds one YAML document; remove this second \"---\" and "
                     "what follows, or merge the two");
            l->failed = l->fatal = true;
        }
        break;
    case YAML_ALIAS_EVENT: {
        diag_add(l->d, l->doc->file, (unsigned)ev->start_mark.line + 1,
                 (unsigned)ev->start_mark.column + 1,
                 "aliases (*%s) are not supported; repeat the value instead",
                 (const char *)ev->data.alias.anchor);
        l->failed = true;
        /* Stand in with an empty scalar so the map stays key/value aligned. */
        struct conf_node *n = node_new(l, CONF_SCALAR, ev->start_mark);
        n->str = "";
        n->path = node_child_path(l, "");
        node_attach(l, n);
        break;
    }
    case YAML_SCALAR_EVENT:
        node_on_scalar(l, ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
        node_on_start(l, ev, CONF_SEQ);
        break;
    case YAML_MAPPING_START_EVENT:
        node_on_start(l, ev, CONF_MAP);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        node_on_end(l);
        break;
    default:
        break;
    }
}

struct conf_doc *
conf_doc_load_mem(const char *name, const char *text, size_t len, struct diag *d)
{
    struct conf_doc *doc = mem_alloc_or_exit(sizeof(*doc));
    struct node_loader *l = mem_alloc_or_exit(sizeof(*l));
    yaml_parser_t p;
    yaml_event_t ev;

    doc->file = mem_strdup_or_exit(name);
    *l = (struct node_loader){ .doc = doc, .d = d, .text = text, .len = len };
    if (!yaml_parser_initialize(&p)) {
        diag_add(d, name, 0, 0, "out of memory while reading YAML");
        free(l);
        conf_doc_free(doc);
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!l->fatal) {
        if (!yaml_parser_parse(&p, &ev)) {
            node_syntax_error(l, &p);
            l->failed = true;
            break;
        }
        bool end = ev.type == YAML_STREAM_END_EVENT;
        node_on_event(l, &ev);
        yaml_event_delete(&ev);
        if (end)
            break;
    }
    yaml_parser_delete(&p);
    while (l->depth)
        free(l->stack[--l->depth].vec);
    bool failed = l->failed;
    free(l);
    if (failed) {
        conf_doc_free(doc);
        return NULL;
    }
    return doc;
}

struct conf_doc *
conf_doc_load_file(const char *path, struct diag *d)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0, cap = 0;

    if (!f) {
        diag_add(d, path, 0, 0, "cannot open the stack file: %s", strerror(errno));
        return NULL;
    }
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            text = mem_realloc_or_exit(text, cap);
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (len > NODE_FILE_MAX_BYTES) {
            diag_add(d, path, 0, 0, "the stack file is larger than %u MiB; is it the right file?",
                     NODE_FILE_MAX_BYTES >> 20);
            goto fail;
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        diag_add(d, path, 0, 0, "cannot read the stack file: %s", strerror(errno));
        goto fail;
    }
    fclose(f);
    struct conf_doc *doc = conf_doc_load_mem(path, text, len, d);
    free(text);
    return doc;
fail:
    fclose(f);
    free(text);
    return NULL;
}

void
conf_doc_free(struct conf_doc *doc)
{
    if (!doc)
        return;
    for (struct node_block *b = doc->mem, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(doc->file);
    free(doc);
}
